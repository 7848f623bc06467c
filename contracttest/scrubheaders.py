"""Secrets in headers: a secret header's value (by name, ``Plan.secret_header``) replaced,
keeping an authentication scheme's word (``Bearer scrubbed-authorization``) and a cookie's
name; any other header's value scrubbed as free text (a credential after a scheme word, a
``password=`` in it). What each header (and a request's URI, ``remembered``) scrubbed to is
kept, with its findings, in the scope's memo: per configuration and kind of message, most
repeat (``Content-Type``, a session's ``Authorization``, a polling client's URI)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, TypeVar, cast

from contracttest.scrubconfig import canonical_name, placeholder
from contracttest.scrubtext import SCHEME_WORDS, Scope, carries, scrub_text

#: Header names whose value starts with a scheme word that stays: "Bearer scrubbed-...".
_SCHEMED = frozenset({"authorization", "proxy_authorization"})
_CREDENTIAL = re.compile(r"\s*(?:Basic|Bearer|Digest|Negotiate|NTLM)\s+\S", re.IGNORECASE)
T = TypeVar("T")


def scrub_headers_in(headers: Mapping[str, Any], scope: Scope) -> dict[str, Any]:
    """Headers scrubbed one by one; a header seen before (most are: ``Content-Type``, a
    session's ``Authorization``) is taken from the scope's memo, with its findings."""
    result: dict[str, Any] = {}
    for name, value in headers.items():
        if not isinstance(name, str):
            result[name] = list(value) if isinstance(value, list | tuple) else value
            continue
        values = tuple(value) if isinstance(value, list | tuple) else (value,)
        known = _memo_key(name, values)
        if known is None:
            shown, new = _header(name, values, scope)
        else:
            shown, new = remembered(scope, known, partial(_header, name, values, scope))
        result[shown] = list(new) if isinstance(value, list | tuple) else new[0]
    return result


def _header(name: str, values: tuple[object, ...], scope: Scope) -> tuple[str, tuple[object, ...]]:
    """A header's name as shown and its values, scrubbed (findings noted in ``scope``)."""
    key = canonical_name(name)
    secret = scope.plan.secret_header(key)
    new = tuple(
        _header_value(key, v, secret, scope, name) if isinstance(v, str) else v for v in values
    )
    if secret and new != values:
        scope.found.append(f"header {name}")
    return scope.values_in_text(name, f"header name {name}"), new


def remembered(scope: Scope, key: object, make: Callable[[], T]) -> T:
    """``make()`` (which notes its findings in ``scope``), taken from the scope's memo when
    ``key`` was seen before (a header, a polling client's URI), with its findings."""
    memo = scope.memo
    if memo is None:
        return make()
    hit = memo.get(key)
    if hit is not None:
        scope.found.extend(hit[1])
        return cast(T, hit[0])
    before = len(scope.found)
    made = make()
    if len(memo) >= _MEMO_SIZE:
        memo.clear()
    memo[key] = (made, tuple(scope.found[before:]))
    return made


#: How many headers a memo keeps, and the longest value it keeps one for.
_MEMO_SIZE = 4096
MEMO_LONGEST = 512


def _memo_key(name: str, values: tuple[object, ...]) -> tuple[str, str] | None:
    """What a header is remembered by: one short text value, with its name."""
    if len(values) != 1 or not isinstance(values[0], str) or len(values[0]) > MEMO_LONGEST:
        return None
    return name, values[0]


def _header_value(key: str, value: str, secret: bool, scope: Scope, name: str) -> str:
    if not secret:
        if _CREDENTIAL.match(value) and carries(value.split(None, 1)[1]):
            scope.found.append(f"header {name}")
            return f"{value.split(None, 1)[0]} {placeholder('authorization')}"
        return scrub_text(value, scope, f"header {name}")
    if key in _SCHEMED or _CREDENTIAL.match(value):
        scheme, space, credential = value.strip().partition(" ")
        if not space and scheme.lower() not in SCHEME_WORDS:
            scheme, credential = "", scheme
        if not carries(credential):
            return value
        kind = key.replace("_", "-") if key in _SCHEMED else "authorization"
        return f"{scheme} {placeholder(kind)}" if scheme else placeholder(kind)
    if key == "cookie":
        pairs = [p.strip() for p in value.split(";") if p.strip()]
        return "; ".join(map(_cookie_pair, pairs)) if any(map(_pair_secret, pairs)) else value
    if key == "set_cookie":  # every cookie's value, of several joined by commas too
        return _SET_COOKIE.sub(_set_cookie_pair, value)
    return placeholder(name.strip().lower()) if carries(value) else value


_SET_COOKIE = re.compile(r"(?P<name>[^=;,\s]+)(?P<eq>\s*=\s*)(?P<value>[^;,]*)")
_COOKIE_ATTRIBUTES = frozenset({"path", "domain", "expires", "max-age", "samesite", "priority"})


def _set_cookie_pair(match: re.Match[str]) -> str:
    if match["name"].lower() in _COOKIE_ATTRIBUTES or not carries(match["value"]):
        return match[0]
    return f"{match['name']}{match['eq']}{placeholder('cookie')}"


def _cookie_pair(pair: str) -> str:
    name, eq, _ = pair.partition("=")
    if not _pair_secret(pair):
        return pair
    return f"{name.strip()}={placeholder('cookie')}" if eq else placeholder("cookie")


def _pair_secret(pair: str) -> bool:
    name, eq, value = pair.partition("=")
    return carries(value if eq else name)

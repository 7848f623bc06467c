"""Keeping credentials out of cassettes: pure functions, no I/O.

``scrub_request`` and ``scrub_response`` fit vcrpy's ``before_record_request`` and
``before_record_response``: they return new values in which every secret (credential
headers, URI userinfo, ``;jsessionid``, secret query, form, JSON and XML fields, gzip or
deflate bodies included) is replaced by a stable placeholder such as ``scrubbed-password``.
The same input always scrubs to the same output and scrubbing twice changes nothing more, so
a request scrubbed at record time matches the same request scrubbed at replay time.

Each scrubber notes *where* it replaced something; ``secrets_in`` runs the same walk over one
message and keeps only the notes (``scan`` reports them for cassette files). What counts as a
secret is ``scrubconfig``'s.
"""

from __future__ import annotations

import functools
import io
import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from lxml import etree

from contracttest import xmlsafe
from contracttest.bodies import BodyTooLarge, decode_body
from contracttest.exchange import body_bytes, header
from contracttest.scrubconfig import (
    DEFAULT_FIELDS,
    DEFAULT_HEADERS,
    PLACEHOLDER_PREFIX,
    Plan,
    ScrubConfig,
    is_placeholder,
    placeholder,
    plan,
)

if TYPE_CHECKING:
    from vcr.request import Request as VcrRequest

__all__ = [
    "DEFAULT_FIELDS",
    "DEFAULT_HEADERS",
    "PLACEHOLDER_PREFIX",
    "ScrubConfig",
    "is_placeholder",
    "placeholder",
    "scrub_body",
    "scrub_headers",
    "scrub_request",
    "scrub_response",
    "scrub_uri",
    "secrets_in",
]

Found = list[str]  # where secrets were, as scrubbing finds them

#: Header names whose value starts with a scheme word that stays: "Bearer scrubbed-...".
_SCHEMED = frozenset({"authorization", "proxy-authorization"})
_SCHEME_WORDS = frozenset({"basic", "bearer", "digest", "negotiate", "ntlm"})


# ---------------------------------------------------------------- public scrubbing


def scrub_request(request: VcrRequest, config: ScrubConfig) -> VcrRequest:
    # vcrpy is imported here, not above: ``check`` and ``scan-secrets`` read cassettes
    # through this module and never need it (importing it costs about 0.1 s).
    from vcr.request import Request as VcrRequest

    """A new vcrpy request with the secrets of ``request`` (left untouched) replaced."""
    if not config.enabled:
        return VcrRequest(request.method, request.uri, request.body, dict(request.headers))
    compiled, found = plan(config), Found()
    uri = _scrub_uri(request.uri, compiled, found)
    headers = _scrub_headers(request.headers, compiled, found)
    raw = body_bytes(request.body)
    body = request.body
    if raw:
        new, headers = _scrub_payload(raw, headers, compiled, found)
        if new is not raw:
            body = _like(request.body, new)
    return VcrRequest(request.method, uri, body, headers)


def scrub_response(response: dict[str, Any], config: ScrubConfig) -> dict[str, Any]:
    """A new vcrpy response dict with the secrets of ``response`` (left untouched) replaced."""
    result = dict(response)
    if not config.enabled:
        return result
    compiled, found = plan(config), Found()
    headers = response.get("headers")
    if isinstance(headers, Mapping):
        headers = _scrub_headers(headers, compiled, found)
    body = response.get("body")
    raw = body.get("string") if isinstance(body, Mapping) else body
    if isinstance(raw, str | bytes) and raw:
        data = raw.encode("utf-8") if isinstance(raw, str) else raw
        new, headers = _scrub_payload(data, headers, compiled, found)
        if new is not data:
            text = new.decode("utf-8", "replace") if isinstance(raw, str) else new
            body = {**body, "string": text} if isinstance(body, Mapping) else text
    result["headers"] = headers
    result["body"] = dict(body) if isinstance(body, Mapping) else body
    return result


def scrub_uri(uri: str, config: ScrubConfig) -> str:
    """``uri`` without userinfo, with secret query and matrix values replaced."""
    return _scrub_uri(uri, plan(config), []) if config.enabled else uri


def scrub_headers(
    headers: Mapping[str, str | list[str]], config: ScrubConfig
) -> dict[str, str | list[str]]:
    """A new header dict, names spelled as given, values (text or lists) scrubbed."""
    return _scrub_headers(headers, plan(config), []) if config.enabled else dict(headers)


def scrub_body(body: bytes, content_type: str, config: ScrubConfig) -> bytes:
    """``body`` with its secret fields replaced; the same object when nothing was."""
    return _scrub_body(body, content_type, plan(config), []) if config.enabled else body


def secrets_in(
    uri: str | None, headers: Mapping[str, Any], body: bytes, config: ScrubConfig
) -> list[str]:
    """Where one message holds secrets, as scrubbing it would note them (each place once):
    ``uri`` (None for a response), ``headers`` as spelled, ``body`` decoded already."""
    found: Found = []
    compiled = plan(config)
    if uri is not None:
        _scrub_uri(uri, compiled, found)
    _scrub_headers(headers, compiled, found)
    if body:
        _scrub_body(body, header(headers, "content-type") or "", compiled, found)
    return list(dict.fromkeys(found))


# ---------------------------------------------------------------- URIs


_MATRIX = re.compile(r";([^;/=?#]+)=([^;/?#]*)")


def _scrub_uri(uri: str, plan: Plan, found: Found) -> str:
    head, rest = "", uri
    scheme, sep, after = uri.partition("://")
    if sep and "/" not in scheme:
        end = min((i for i in map(after.find, "/?#") if i >= 0), default=len(after))
        userinfo, at, hostport = after[:end].rpartition("@")
        if at and userinfo.partition(":")[2]:
            found.append("uri userinfo")
        head, rest = f"{scheme}://{hostport if at else after[:end]}", after[end:]
    rest, hash_, fragment = rest.partition("#")
    path, question, query = rest.partition("?")
    path = _MATRIX.sub(functools.partial(_matrix_value, plan, found), path)
    if query:
        query = _scrub_pairs(query, "&", plan.names, "uri query", found)
    return f"{head}{path}{question}{query}{hash_}{fragment}"


def _matrix_value(plan: Plan, found: Found, match: re.Match[str]) -> str:
    name = unquote_plus(match[1]).lower()
    if (name == "jsessionid" or name in plan.names) and _secret(unquote_plus(match[2])):
        found.append(f"uri matrix {match[1]}")
        return f";{match[1]}={placeholder(name)}"
    return match[0]


def _scrub_pairs(text: str, sep: str, names: frozenset[str], where: str, found: Found) -> str:
    """``name=value`` pairs (query, form) with secret values replaced, the rest as they were."""
    pairs = text.split(sep)
    for i, pair in enumerate(pairs):
        raw_name, eq, value = pair.partition("=")
        name = unquote_plus(raw_name).lower()
        if eq and name in names and _secret(unquote_plus(value)):
            found.append(f"{where} {unquote_plus(raw_name)}")
            pairs[i] = f"{raw_name}={placeholder(name)}"
    return sep.join(pairs)


def _secret(value: str) -> bool:
    """True when ``value`` still carries something: not empty, not a placeholder."""
    value = value.strip().strip('"')
    return bool(value) and not is_placeholder(value)


# ---------------------------------------------------------------- headers


def _scrub_headers(headers: Mapping[str, Any], plan: Plan, found: Found) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in headers.items():
        key = name.lower() if isinstance(name, str) else ""
        if key not in plan.headers:
            result[name] = list(value) if isinstance(value, list | tuple) else value
            continue
        values = list(value) if isinstance(value, list | tuple) else [value]
        new = [_header_value(key, v) if isinstance(v, str) else v for v in values]
        if new != values:
            found.append(f"header {name}")
        result[name] = new if isinstance(value, list | tuple) else new[0]
    return result


def _header_value(key: str, value: str) -> str:
    if key in _SCHEMED:
        scheme, space, credential = value.strip().partition(" ")
        if not space and scheme.lower() not in _SCHEME_WORDS:
            scheme, credential = "", scheme
        if not _secret(credential):
            return value
        return f"{scheme} {placeholder(key)}" if scheme else placeholder(key)
    if key == "cookie":
        pairs = [p.strip() for p in value.split(";") if p.strip()]
        return "; ".join(map(_cookie_pair, pairs)) if any(map(_pair_secret, pairs)) else value
    if key == "set-cookie":
        first, semi, attributes = value.partition(";")
        return _cookie_pair(first.strip()) + semi + attributes if _pair_secret(first) else value
    return placeholder(key) if _secret(value) else value


def _cookie_pair(pair: str) -> str:
    name, eq, _ = pair.partition("=")
    if not _pair_secret(pair):
        return pair
    return f"{name.strip()}={placeholder('cookie')}" if eq else placeholder("cookie")


def _pair_secret(pair: str) -> bool:
    name, eq, value = pair.partition("=")
    return _secret(value if eq else name)


# ---------------------------------------------------------------- bodies


def _scrub_payload(body: bytes, headers: Any, plan: Plan, found: Found) -> tuple[bytes, Any]:
    """A message body with its headers: a compressed body is scrubbed decoded and, if that
    changed anything, stored decoded, without Content-Encoding and with a true length."""
    if not isinstance(headers, Mapping):
        return _scrub_body(body, "", plan, found), headers
    try:
        decoded = decode_body(body, header(headers, "content-encoding") or "")
    except BodyTooLarge:  # a decompression bomb is left as it is
        decoded = body
    new = _scrub_body(decoded, header(headers, "content-type") or "", plan, found)
    if new is decoded:
        return body, headers
    fixed: dict[str, Any] = {}
    for name, value in headers.items():
        key = name.lower() if isinstance(name, str) else ""
        if key == "content-encoding" and decoded is not body:
            continue
        if key == "content-length":
            value = [str(len(new))] if isinstance(value, list | tuple) else str(len(new))
        fixed[name] = value
    return new, fixed


def _scrub_body(body: bytes, content_type: str, plan: Plan, found: Found) -> bytes:
    if not body:
        return body
    kind = content_type.lower()
    if "x-www-form-urlencoded" in kind:
        return _scrub_form(body, plan, found)
    if "json" in kind:
        return _scrub_json(body, plan, found)
    if "xml" in kind or xmlsafe.looks_like_xml(body):
        return _scrub_xml(body, plan, found)
    if not kind:  # unlabelled: guess from the first byte
        return (_scrub_json if body.lstrip()[:1] in b"{[" else _scrub_form)(body, plan, found)
    return body


def _scrub_form(body: bytes, plan: Plan, found: Found) -> bytes:
    if not plan.form_hint.search(body):
        return body
    text = body.decode("latin-1")  # byte for byte, whatever the charset
    new = _scrub_pairs(text, "&", plan.names, "body field", found)
    return body if new == text else new.encode("latin-1")


def _scrub_json(body: bytes, plan: Plan, found: Found) -> bytes:
    if not plan.json_hint(body):
        return body
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return body
    before = len(found)
    new = _scrub_json_value(data, "", "", plan, found)
    if len(found) == before:
        return body
    return json.dumps(new, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _scrub_json_value(value: Any, parent: str, path: str, plan: Plan, found: Found) -> Any:
    if isinstance(value, list):
        return [
            _scrub_json_value(v, parent, f"{path}/{i}", plan, found) for i, v in enumerate(value)
        ]
    if not isinstance(value, dict):
        return value
    result = {}
    for key, item in value.items():
        name = key.lower()
        if (name in plan.names or (parent, name) in plan.pairs) and _json_secret(item):
            found.append(f"body {path}/{key}")
            result[key] = placeholder(name)
        else:
            result[key] = _scrub_json_value(item, name, f"{path}/{key}", plan, found)
    return result


def _json_secret(value: Any) -> bool:
    if isinstance(value, str):
        return _secret(value)
    if value is None or isinstance(value, bool):
        return False
    return not isinstance(value, list | dict) or bool(value)


def _scrub_xml(body: bytes, plan: Plan, found: Found) -> bytes:
    if not plan.xml_hint(body):
        return body
    try:
        root = xmlsafe.parse(body)
    except xmlsafe.XMLProblem:  # left as it is; the scanner still looks for <password>
        found.extend(
            f"body <{m[1].decode()}> (not well-formed XML)"
            for m in plan.fallback.finditer(body)
            if _secret(m[2].decode("utf-8", "replace"))
        )
        return body
    targets = [e for e in root.iter() if _xml_secret(e, plan)]
    chosen = set(targets)  # an element inside another secret goes with it
    wiped = [e for e in targets if not any(a in chosen for a in e.iterancestors())]
    for element in wiped:
        names = [xmlsafe.local_name(a.tag) for a in element.iterancestors()][::-1]
        found.append(f"body /{'/'.join([*names, xmlsafe.local_name(element.tag)])}")
        for child in list(element):
            element.remove(child)
        element.text = placeholder(xmlsafe.local_name(element.tag))
    if not wiped:
        return body
    prolog = _PROLOG.match(body)
    start = prolog.group() if prolog else b""
    encoding = root.getroottree().docinfo.encoding or "UTF-8"
    tail = body[len(body.rstrip()) :]
    out = etree.tostring(root, encoding=encoding, xml_declaration=False)
    return start + (out.encode(encoding) if isinstance(out, str) else out) + tail


_PROLOG = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*\?>\s*)?")


def _xml_secret(element: etree._Element, plan: Plan) -> bool:
    name = xmlsafe.local_name(element.tag).lower()
    parent = element.getparent()
    pair = (xmlsafe.local_name(parent.tag).lower() if parent is not None else "", name)
    if name not in plan.names and pair not in plan.pairs:
        return False
    return len(element) > 0 or _secret(element.text or "")


# ---------------------------------------------------------------- vcrpy request bodies


def _like(original: object, new: bytes) -> object:
    """``new`` in the form vcrpy had the original body in: bytes, a file or an iterator."""
    if hasattr(original, "read"):
        return io.BytesIO(new)
    if isinstance(original, bytes | str) or original is None:
        return new
    return iter([new])

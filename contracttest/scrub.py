"""Keeping credentials out of cassettes: scrub them at record time, find those left behind.

``scrub_request`` and ``scrub_response`` fit vcrpy's ``before_record_request`` and
``before_record_response``: they return new values in which every secret (credential
headers, URI userinfo, ``;jsessionid``, secret query, form, JSON and XML fields, gzip or
deflate bodies included) is replaced by a stable placeholder such as ``scrubbed-password``.
The same input always scrubs to the same output and scrubbing twice changes nothing more, so
a request scrubbed at record time matches the same request scrubbed at replay time.

``scan_cassette_file`` and ``scan_secrets_main`` (``contracttest scan-secrets``) read
cassettes and report every secret still there. Both sides share one walk: each scrubber
notes *where* it replaced something, and the scanner keeps the notes and drops the output.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import re
import sys
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import yaml
from lxml import etree
from vcr.request import Request as VcrRequest

from contracttest import xmlsafe
from contracttest.cassette import MAX_BODY, find_cassettes
from contracttest.errors import CassetteError
from contracttest.exchange import body_bytes
from contracttest.loading import read_file

PLACEHOLDER_PREFIX = "scrubbed"


def placeholder(kind: str) -> str:
    """The text that replaces a secret of ``kind`` (a field or header name).

    The SSO token has one placeholder whatever field carries it: the client reads it from
    the token reply's ``access_token`` and sends it back as the logout form's ``token``, and
    both must scrub alike for the replayed logout to match its recording."""
    kind = kind.lower()
    return f"{PLACEHOLDER_PREFIX}-{_TOKEN_KINDS.get(kind, kind)}"


_TOKEN_KINDS = {"access_token": "token", "refresh_token": "token", "id_token": "token"}


def is_placeholder(value: str) -> bool:
    """True for a placeholder (any kind): a value that is not a secret any more."""
    return _PLACEHOLDER.fullmatch(value.strip()) is not None


_PLACEHOLDER = re.compile(rf"{PLACEHOLDER_PREFIX}-[^\s;,&]+")

DEFAULT_HEADERS = frozenset(
    {
        "authorization",  # Basic user:password, Bearer <SSO token>
        "proxy-authorization",
        "cookie",  # JSESSIONID of a persistent-auth session
        "set-cookie",
        "x-auth-token",
        "x-api-key",
        "jsessionid",  # 3.6 engines echo the session id in a header of this name too
    }
)

DEFAULT_FIELDS = frozenset(
    {
        # <password>: host <ssh><password>, storage connection and iSCSI CHAP, fence agent,
        # domain user, OpenStack and external providers, v3 <cloud_init><users><user><password>;
        # the SSO form's password field; a password= query parameter.
        "password",
        "root_password",  # host add (v3 and v4), v4 VM <initialization>
        "user_password",  # a guest user's password in initialization payloads
        "custom_script",  # v4 <initialization><custom_script>: the cloud-init user script
        "configuration/data",  # v4 <initialization><configuration><type>sysprep ... <data>
        "file/content",  # v3 <payloads> and <cloud_init><files>: files for the guest
        "payload_file/content",  # 3.6 <cloud_init><payload_files><payload_file><content>
        "windows_license_key",  # v4 <initialization> of Windows guests
        "ticket/value",  # vms/{id}/ticket, graphicsconsoles/{id}/ticket: a console password
        "proxy_ticket/value",  # graphicsconsoles/{id}/proxyticket: the websocket proxy ticket
        "remote_viewer_connection_file",  # remoteviewerconnectionfile: a .vv with password=
        "openstack_volume_authentication_key/value",  # the cephx secret of a volume provider
        "access_token",  # SSO token reply; ?access_token= query
        "refresh_token",
        "id_token",
        "token",  # sso-logout form
        "client_secret",  # OAuth client credentials
        "secret",
    }
)

#: Header names whose value starts with a scheme word that stays: "Bearer scrubbed-...".
_SCHEMED = frozenset({"authorization", "proxy-authorization"})
_SCHEME_WORDS = frozenset({"basic", "bearer", "digest", "negotiate", "ntlm"})


@dataclass(frozen=True)
class ScrubConfig:
    """What to scrub: header names and field names, compared case-insensitively.

    A field is an XML element's local name, a form field, a JSON key or a query parameter;
    ``parent/child`` names a child only under that parent (XML elements, JSON keys).
    """

    enabled: bool = True
    headers: frozenset[str] = DEFAULT_HEADERS
    fields: frozenset[str] = DEFAULT_FIELDS

    def __post_init__(self) -> None:
        object.__setattr__(self, "headers", frozenset(_checked(self.headers, "header", 0)))
        object.__setattr__(self, "fields", frozenset(_checked(self.fields, "field", 1)))

    @functools.cached_property
    def fingerprint(self) -> str:
        """Names what was scrubbed, so a recording can say it (and a replay trust it)."""
        if not self.enabled:
            return "off"
        text = "\n".join([*sorted(self.headers), "", *sorted(self.fields)])
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def extended(self, fields: Iterable[str] = (), headers: Iterable[str] = ()) -> ScrubConfig:
        """This configuration with more secret fields and headers."""
        return replace(
            self, fields=self.fields | frozenset(fields), headers=self.headers | frozenset(headers)
        )


def _checked(names: Iterable[str], what: str, max_slashes: int) -> Iterable[str]:
    for name in names:
        parts = name.split("/") if isinstance(name, str) else [""]
        if len(parts) > max_slashes + 1 or not all(p.strip() == p and p for p in parts):
            form = "name or parent/child" if max_slashes else "name"
            raise ValueError(f"bad secret {what} {name!r}: expected a {form}")
        yield name.lower()


@dataclass(frozen=True)
class _Hint:
    """A cheap test of raw bytes: might they hold a secret field at all?"""

    plain: re.Pattern[bytes]
    parents: re.Pattern[bytes]
    children: re.Pattern[bytes]

    def __call__(self, body: bytes) -> bool:
        if self.plain.search(body):
            return True
        return bool(self.parents.search(body) and self.children.search(body))


def _hint(template: bytes, names: frozenset[str], pairs: frozenset[tuple[str, str]]) -> _Hint:
    def pattern(group: Iterable[str]) -> re.Pattern[bytes]:
        return re.compile(template % _either(group), re.IGNORECASE)

    return _Hint(pattern(names), pattern(p for p, _ in pairs), pattern(c for _, c in pairs))


def _either(names: Iterable[str]) -> bytes:
    """A regex alternation of ``names``; one that never matches when there are none."""
    return b"|".join(re.escape(n.encode()) for n in sorted(set(names))) or b"(?!)"


@dataclass(frozen=True)
class _Plan:
    """A configuration compiled for speed: name sets and the pre-check patterns."""

    headers: frozenset[str]
    names: frozenset[str]  # plain field names
    pairs: frozenset[tuple[str, str]]  # (parent, child)
    xml_hint: _Hint
    json_hint: _Hint
    form_hint: re.Pattern[bytes]
    fallback: re.Pattern[bytes]  # <name>text< in XML that does not parse


@functools.lru_cache(maxsize=16)
def _plan(config: ScrubConfig) -> _Plan:
    names = frozenset(f for f in config.fields if "/" not in f)
    pairs = frozenset((p, c) for p, _, c in (f.partition("/") for f in config.fields if "/" in f))
    plain = _either(names)
    return _Plan(
        config.headers,
        names,
        pairs,
        _hint(rb"[<:](?:%s)[\s/>]", names, pairs),
        _hint(rb'"(?:%s)"', names, pairs),
        re.compile(rb"(?:^|&)(?:%s)=" % plain, re.IGNORECASE),
        re.compile(rb"<(?:[\w.-]+:)?(%s)(?:\s[^>]*)?>([^<]*)<" % plain, re.IGNORECASE),
    )


Found = list[str]  # where secrets were, as scrubbing finds them


# ---------------------------------------------------------------- public scrubbing


def scrub_request(request: VcrRequest, config: ScrubConfig) -> VcrRequest:
    """A new vcrpy request with the secrets of ``request`` (left untouched) replaced."""
    if not config.enabled:
        return VcrRequest(request.method, request.uri, request.body, dict(request.headers))
    plan, found = _plan(config), Found()
    uri = _scrub_uri(request.uri, plan, found)
    headers = _scrub_headers(request.headers, plan, found)
    raw = body_bytes(request.body)
    body = request.body
    if raw:
        new, headers = _scrub_payload(raw, headers, plan, found)
        if new is not raw:
            body = _like(request.body, new)
    return VcrRequest(request.method, uri, body, headers)


def scrub_response(response: dict[str, Any], config: ScrubConfig) -> dict[str, Any]:
    """A new vcrpy response dict with the secrets of ``response`` (left untouched) replaced."""
    result = dict(response)
    if not config.enabled:
        return result
    plan, found = _plan(config), Found()
    headers = response.get("headers")
    if isinstance(headers, Mapping):
        headers = _scrub_headers(headers, plan, found)
    body = response.get("body")
    raw = body.get("string") if isinstance(body, Mapping) else body
    if isinstance(raw, str | bytes) and raw:
        data = raw.encode("utf-8") if isinstance(raw, str) else raw
        new, headers = _scrub_payload(data, headers, plan, found)
        if new is not data:
            text = new.decode("utf-8", "replace") if isinstance(raw, str) else new
            body = {**body, "string": text} if isinstance(body, Mapping) else text
    result["headers"] = headers
    result["body"] = dict(body) if isinstance(body, Mapping) else body
    return result


def scrub_uri(uri: str, config: ScrubConfig) -> str:
    """``uri`` without userinfo, with secret query and matrix values replaced."""
    return _scrub_uri(uri, _plan(config), []) if config.enabled else uri


def scrub_headers(
    headers: Mapping[str, str | list[str]], config: ScrubConfig
) -> dict[str, str | list[str]]:
    """A new header dict, names spelled as given, values (text or lists) scrubbed."""
    return _scrub_headers(headers, _plan(config), []) if config.enabled else dict(headers)


def scrub_body(body: bytes, content_type: str, config: ScrubConfig) -> bytes:
    """``body`` with its secret fields replaced; the same object when nothing was."""
    return _scrub_body(body, content_type, _plan(config), []) if config.enabled else body


# ---------------------------------------------------------------- URIs


_MATRIX = re.compile(r";([^;/=?#]+)=([^;/?#]*)")


def _scrub_uri(uri: str, plan: _Plan, found: Found) -> str:
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


def _matrix_value(plan: _Plan, found: Found, match: re.Match[str]) -> str:
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


def _scrub_headers(headers: Mapping[str, Any], plan: _Plan, found: Found) -> dict[str, Any]:
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


def _scrub_payload(body: bytes, headers: Any, plan: _Plan, found: Found) -> tuple[bytes, Any]:
    """A message body with its headers: a compressed body is scrubbed decoded and, if that
    changed anything, stored decoded, without Content-Encoding and with a true length."""
    if not isinstance(headers, Mapping):
        return _scrub_body(body, "", plan, found), headers
    encoding = _header(headers, "content-encoding").strip().lower()
    decoded = _decode(body, encoding) if encoding else body
    new = _scrub_body(decoded, _header(headers, "content-type"), plan, found)
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


def _header(headers: Mapping[Any, Any], wanted: str) -> str:
    for name, value in headers.items():
        if isinstance(name, str) and name.lower() == wanted:
            first = value[0] if isinstance(value, list | tuple) and value else value
            return first if isinstance(first, str) else ""
    return ""


_WBITS = {  # zlib window bits to try, per Content-Encoding
    "gzip": (16 + zlib.MAX_WBITS,),
    "x-gzip": (16 + zlib.MAX_WBITS,),
    "deflate": (zlib.MAX_WBITS, -zlib.MAX_WBITS),  # zlib-wrapped, or raw as some servers send
}


def _decode(body: bytes, encoding: str) -> bytes:
    """``body`` inflated for gzip or deflate; itself when not compressed after all."""
    for wbits in _WBITS.get(encoding, ()):
        inflater = zlib.decompressobj(wbits)
        try:
            out = inflater.decompress(body, MAX_BODY)
        except zlib.error:
            continue
        return body if inflater.unconsumed_tail else out  # too large: left as it is
    return body


def _scrub_body(body: bytes, content_type: str, plan: _Plan, found: Found) -> bytes:
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


def _scrub_form(body: bytes, plan: _Plan, found: Found) -> bytes:
    if not plan.form_hint.search(body):
        return body
    text = body.decode("latin-1")  # byte for byte, whatever the charset
    new = _scrub_pairs(text, "&", plan.names, "body field", found)
    return body if new == text else new.encode("latin-1")


def _scrub_json(body: bytes, plan: _Plan, found: Found) -> bytes:
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


def _scrub_json_value(value: Any, parent: str, path: str, plan: _Plan, found: Found) -> Any:
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


def _scrub_xml(body: bytes, plan: _Plan, found: Found) -> bytes:
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


def _xml_secret(element: etree._Element, plan: _Plan) -> bool:
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


# ---------------------------------------------------------------- scanning


@dataclass(frozen=True)
class Leak:
    """A secret found in a cassette: ``index`` counts interactions from 0, -1 for the file."""

    path: str
    index: int
    where: str

    def __str__(self) -> str:
        at = f"interaction {self.index}: " if self.index >= 0 else ""
        return f"{self.path}: {at}{self.where} holds a credential"


def scan_cassette_file(path: str | Path, config: ScrubConfig = ScrubConfig()) -> list[Leak]:
    """Every secret a cassette still holds; ``CassetteError`` when it cannot be read."""
    name = str(path)
    data = _load(read_file(name, CassetteError, "a cassette"), name)
    plan = _plan(config)
    leaks: list[Leak] = []
    for index, item in enumerate(data["interactions"]):
        if not isinstance(item, dict):
            raise CassetteError(name, f"interaction {index} is not a mapping")
        for side in ("request", "response"):
            part = item.get(side)
            if isinstance(part, dict):
                where = _scan_message(part, side == "request", plan)
                leaks.extend(Leak(name, index, f"{side} {w}") for w in dict.fromkeys(where))
    return leaks


def _scan_message(part: dict[Any, Any], is_request: bool, plan: _Plan) -> Found:
    found: Found = []
    if is_request and isinstance(part.get("uri"), str):
        _scrub_uri(part["uri"], plan, found)
    headers = part.get("headers")
    if isinstance(headers, Mapping):
        _scrub_headers(headers, plan, found)
    body = _yaml_body(part.get("body"))
    if body:
        _scrub_payload(body, headers, plan, found)
    return found


def _yaml_body(raw: object) -> bytes:
    """A body as vcrpy stored it (text, bytes, {"string": ...}, a BytesIO or iterator
    tag read as plain data) in bytes."""
    if isinstance(raw, dict):
        return _yaml_body(raw.get("string", raw.get("state", raw.get("args"))))
    if isinstance(raw, list):
        if raw and isinstance(raw[0], list):
            return _yaml_body(raw[0])
        return b"".join(_yaml_body(c) for c in raw if isinstance(c, str | bytes))
    return body_bytes(raw) if isinstance(raw, str | bytes) else b""


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The safe loader, reading vcrpy's few ``!!python/...`` tags as plain data."""


def _plain(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> object:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)  # type: ignore[arg-type]


_Loader.add_multi_constructor("tag:yaml.org,2002:python/", _plain)


def _load(text: bytes, name: str) -> dict[str, Any]:
    try:
        data = yaml.load(text, Loader=_Loader)  # safe: SafeLoader plus plain-data tags
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or (str(exc).splitlines() or ["unreadable"])[0]
        raise CassetteError(name, f"corrupt YAML: {where}{problem}") from None
    except RecursionError:
        raise CassetteError(name, "corrupt YAML: nested too deeply") from None
    if not isinstance(data, dict) or not isinstance(data.get("interactions"), list):
        raise CassetteError(name, "not a vcrpy cassette (no 'interactions' list)")
    return data


def scan_secrets_main(paths: list[str], config: ScrubConfig = ScrubConfig()) -> int:
    """``contracttest scan-secrets PATH...``: 0 no secrets, 1 secrets, 2 unreadable input."""
    files = list(find_cassettes(paths))
    if not files:
        _error(f"{', '.join(paths)}: no cassettes (*.yaml, *.yml) found")
        return 2
    leaks = failed = holding = 0
    for path in files:
        try:
            found = scan_cassette_file(path, config)
        except CassetteError as exc:
            _error(str(exc))
            failed += 1
            continue
        for leak in found:
            print(leak)
        leaks += len(found)
        holding += bool(found)
    if leaks:
        print(f"{leaks} credential(s) in {holding} cassette(s)")
    else:
        print(f"no credentials in {len(files) - failed} cassette(s)")
    return 2 if failed else 1 if leaks else 0


def _error(message: str) -> None:
    print(f"contracttest: error: {message}", file=sys.stderr)

"""Keeping credentials out of cassettes: pure functions, no I/O.

``scrub_request`` and ``scrub_response`` fit vcrpy's ``before_record_request`` and
``before_record_response``: they return new values in which every secret is replaced by a
stable placeholder such as ``scrubbed-password``: credential headers (and any header whose
name says so, or whose value is ``Basic``/``Bearer`` credentials), URI userinfo, secret
query, matrix and fragment parameters (and ``password=...`` inside a value, as in
``search=``), the status message, bodies whatever they are (``scrubbody``), and last the
configured values in any encoding (``scrubvalues``), with the configured user name in error
answers and login forms. What counts as a secret is ``scrubconfig``'s.

The same input always scrubs to the same output and scrubbing twice changes nothing more, so
a request scrubbed at record time matches the same request scrubbed at replay time.

Each scrubber notes *where* it replaced something; ``secrets_in`` runs the same walk over one
message and keeps only the notes (``scan`` reports them for cassette files).
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import quote, unquote, unquote_plus

from contracttest.bodies import BodyTooLarge, decode_body
from contracttest.exchange import body_bytes, header
from contracttest.scrubbody import scrub_body as _scrub_body
from contracttest.scrubconfig import (
    BODY_PLACEHOLDERS,
    DEFAULT_FIELDS,
    DEFAULT_HEADERS,
    PLACEHOLDER_PREFIX,
    ScrubConfig,
    canonical_name,
    is_placeholder,
    placeholder,
)
from contracttest.scrubheaders import MEMO_LONGEST, remembered, scrub_headers_in
from contracttest.scrubplan import plan
from contracttest.scrubtext import Found, Scope, carries, scrub_pairs, scrub_text
from contracttest.scrubvalues import Values

if TYPE_CHECKING:
    from vcr.request import Request as VcrRequest

__all__ = [
    "DEFAULT_FIELDS",
    "DEFAULT_HEADERS",
    "PLACEHOLDER_PREFIX",
    "RequestParts",
    "ScrubConfig",
    "is_placeholder",
    "placeholder",
    "scrub_body",
    "scrub_free_text",
    "scrub_headers",
    "scrub_message",
    "scrub_request",
    "scrub_request_parts",
    "scrub_response",
    "scrub_uri",
    "secrets_in",
]


# ---------------------------------------------------------------- public scrubbing


def scrub_request(request: VcrRequest, config: ScrubConfig) -> VcrRequest:
    """A new vcrpy request with the secrets of ``request`` (left untouched) replaced."""
    # vcrpy is imported here, not above: ``check`` and ``scan-secrets`` read cassettes
    # through this module and never need it (importing it costs about 0.1 s).
    from vcr.request import Request as VcrRequest

    return VcrRequest(*scrub_request_parts(request, config))


class RequestParts(NamedTuple):
    """A request's parts, as a vcrpy request has them (``interactions.request_dict`` reads
    either)."""

    method: str
    uri: str
    body: Any
    headers: dict[str, Any]


def scrub_request_parts(request: VcrRequest, config: ScrubConfig) -> RequestParts:
    """``scrub_request``'s work, without making a vcrpy request of it."""
    if not config.enabled:
        return RequestParts(request.method, request.uri, request.body, dict(request.headers))
    scope = _scope(config, Found(), status=None)
    uri = request.uri
    if len(uri) <= MEMO_LONGEST:  # a header's key is a pair of texts: this one, no header's
        uri = remembered(scope, ("uri", uri, None), functools.partial(_scrub_uri, uri, scope))
    else:
        uri = _scrub_uri(uri, scope)
    headers = scrub_headers_in(request.headers, scope)
    raw = body_bytes(request.body)
    body = request.body
    if raw:
        new, headers = _scrub_payload(raw, headers, scope)
        if new is not raw:
            body = _like(request.body, new)
    return RequestParts(request.method, uri, body, headers)


def scrub_response(response: dict[str, Any], config: ScrubConfig) -> dict[str, Any]:
    """A new vcrpy response dict with the secrets of ``response`` (left untouched) replaced."""
    result = dict(response)
    if not config.enabled:
        return result
    status = response.get("status")
    code = status.get("code") if isinstance(status, Mapping) else None
    scope = _scope(config, Found(), status=code if isinstance(code, int) else 0)
    if isinstance(status, Mapping) and isinstance(status.get("message"), str):
        message = scrub_text(status["message"], scope, "status message")
        if message is not status["message"]:
            result["status"] = {**status, "message": message}
    headers = response.get("headers")
    if isinstance(headers, Mapping):
        headers = scrub_headers_in(headers, scope)
    body = response.get("body")
    raw = body.get("string") if isinstance(body, Mapping) else body
    if isinstance(raw, str | bytes) and raw:
        data = raw.encode("utf-8") if isinstance(raw, str) else raw
        new, headers = _scrub_payload(data, headers, scope)
        if new is not data:
            text: str | bytes = new
            if isinstance(raw, str):
                try:
                    text = new.decode("utf-8")
                except UnicodeDecodeError:
                    text = new
            body = {**body, "string": text} if isinstance(body, Mapping) else text
    result["headers"] = headers
    result["body"] = dict(body) if isinstance(body, Mapping) else body
    return result


def scrub_uri(uri: str, config: ScrubConfig) -> str:
    """``uri`` without userinfo, with secret query, matrix and fragment values replaced."""
    return _scrub_uri(uri, _scope(config, [], None)) if config.enabled else uri


def scrub_headers(
    headers: Mapping[str, str | list[str]], config: ScrubConfig
) -> dict[str, str | list[str]]:
    """A new header dict, names spelled as given, values (text or lists) scrubbed."""
    if not config.enabled:
        return dict(headers)
    return scrub_headers_in(headers, _scope(config, [], None))


def scrub_free_text(text: str, config: ScrubConfig) -> str:
    """Free text (a message, a value a violation quotes) with the secrets it holds replaced."""
    return scrub_text(text, _scope(config, [], 0), "text") if config.enabled else text


def scrub_body(body: bytes, content_type: str, config: ScrubConfig) -> bytes:
    """``body`` with its secrets replaced; the same object when nothing was."""
    if not config.enabled:
        return body
    return _scrub_body(body, content_type, _scope(config, [], None))


def secrets_in(
    uri: str | None,
    headers: Mapping[str, Any],
    body: bytes,
    config: ScrubConfig,
    *,
    status: int | None = None,
) -> list[str]:
    """Where one message holds secrets, as scrubbing it would note them (each place once):
    ``uri`` (None for a response, whose ``status`` is given), ``headers`` as spelled, ``body``
    as stored or decoded already."""
    return scrub_message(uri, headers, body, config, status=status).found


@dataclass(frozen=True)
class Scrubbed:
    """One message of a cassette scrubbed: its parts, and where secrets were replaced."""

    uri: str | None
    headers: dict[str, Any]
    body: bytes
    message: str | None
    found: list[str]


def scrub_message(
    uri: str | None,
    headers: Mapping[str, Any],
    body: bytes,
    config: ScrubConfig,
    *,
    status: int | None = None,
    message: str | None = None,
) -> Scrubbed:
    """One message as a file holds it, scrubbed as ``scrub_request`` (``uri`` given) or
    ``scrub_response`` (``uri`` None; its ``status`` and ``message``) would: the one walk
    behind ``secrets_in`` and ``contracttest scrub``."""
    scope = _scope(config, Found(), status=(status or 0) if uri is None else None)
    if not config.enabled:
        return Scrubbed(uri, dict(headers), body, message, [])
    if uri is not None:
        uri = _scrub_uri(uri, scope)
    if message:
        message = scrub_text(message, scope, "status message")
    new_headers = scrub_headers_in(headers, scope)
    if body:
        body, new_headers = _scrub_payload(body, new_headers, scope)
    return Scrubbed(uri, new_headers, body, message, list(dict.fromkeys(scope.found)))


def _scope(config: ScrubConfig, found: Found, status: int | None) -> Scope:
    """How one message is scrubbed: a request (``status`` None) searches for the user name in
    its login form, an error answer (400 and up) everywhere. What a configuration compiles to
    is made once per configuration and kind of message, with the memo of its headers."""
    kind = "request" if status is None else "error" if status >= 400 else "answer"
    entry = _SHAPES.get(id(config))
    if entry is None or entry[0] is not config:  # held here, so its id is not reused
        if len(_SHAPES) >= 64:
            _SHAPES.clear()
        entry = _SHAPES[id(config)] = (config, {})
    shape = entry[1].get(kind)
    if shape is None:
        compiled = plan(config)
        identities = _values(compiled.identities, True)
        shape = entry[1][kind] = Scope(
            compiled,
            [],
            _values(compiled.values, False),
            identities if kind == "error" else None,
            identities if kind == "request" else None,
            memo={},
        )
    return Scope(
        shape.plan, found, shape.values, shape.identities, shape.form_identities, shape.memo
    )


_SHAPES: dict[int, tuple[ScrubConfig, dict[str, Scope]]] = {}


@functools.lru_cache(maxsize=32)
def _values(values: tuple[str, ...], ignore_case: bool) -> Values | None:
    return Values.compile(values, ignore_case=ignore_case)


# ---------------------------------------------------------------- URIs


_MATRIX = re.compile(r";([^;/=?#]+)=([^;/?#]*)")


def _scrub_uri(uri: str, scope: Scope) -> str:
    head, rest = "", uri
    scheme, sep, after = uri.partition("://")
    if sep and "/" not in scheme:
        end = min((i for i in map(after.find, "/?#") if i >= 0), default=len(after))
        userinfo, at, hostport = after[:end].rpartition("@")
        if at and userinfo:
            scope.found.append("uri userinfo")
        head, rest = f"{scheme}://{hostport if at else after[:end]}", after[end:]
    rest, hash_, fragment = rest.partition("#")
    path, question, query = rest.partition("?")
    path = _MATRIX.sub(functools.partial(_matrix_value, scope), path)
    if "%" in path:  # a value percent-encoded over another encoding, in a segment
        path = "/".join(_segment(segment, scope) for segment in path.split("/"))
    if query:
        query = scrub_pairs(query, scope, "uri query")
    if fragment:
        fragment = scrub_pairs(fragment, scope, "uri fragment")
    new = f"{head}{path}{question}{query}{hash_}{fragment}"
    return scope.values_in_text(new, "uri")


def _segment(segment: str, scope: Scope) -> str:
    decoded = unquote(segment)
    cleaned = scope.values_in_text(decoded, "uri path") if decoded != segment else decoded
    return segment if cleaned is decoded else quote(cleaned, safe=";=,@:")


def _matrix_value(scope: Scope, match: re.Match[str]) -> str:
    name = canonical_name(unquote_plus(match[1]))
    if scope.plan.secret_field(name) and carries(unquote_plus(match[2])):
        scope.found.append(f"uri matrix {match[1]}")
        return f";{match[1]}={placeholder(name)}"
    return match[0]


# ---------------------------------------------------------------- bodies


def _scrub_payload(body: bytes, headers: Any, scope: Scope) -> tuple[bytes, Any]:
    """A message body with its headers: a compressed body is scrubbed decoded and, if that
    changed anything, stored decoded, without Content-Encoding and with a true length; one
    that expands beyond the limit is replaced whole."""
    if not isinstance(headers, Mapping):
        return _scrub_body(body, "", scope), headers
    try:
        decoded = decode_body(body, header(headers, "content-encoding") or "")
        new = _scrub_body(decoded, header(headers, "content-type") or "", scope)
    except BodyTooLarge:
        scope.found.append("body (compressed beyond the inflate limit: not inspected)")
        decoded, new = b"", BODY_PLACEHOLDERS["compressed"].encode()
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


# ---------------------------------------------------------------- vcrpy request bodies


def _like(original: object, new: bytes) -> object:
    """``new`` in the form vcrpy had the original body in: bytes, a file or an iterator."""
    if hasattr(original, "read"):
        return io.BytesIO(new)
    if isinstance(original, bytes | str) or original is None:
        return new
    return iter([new])

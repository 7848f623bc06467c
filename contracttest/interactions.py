"""vcrpy's values, a cassette file's mappings, and ``Exchange``s: every conversion between them.

``stored`` checks one interaction of a file field by field, whatever wrote it, and gives a
``Stored``: method (an HTTP token), URI (text without control characters), status (100 to
999), headers as the file spells them (text values only), bodies as bytes as stored (text,
``!!binary``, ``{string: ...}``, vcrpy's ``BytesIO`` or chunks read as plain data). Anything
else is a ``CassetteError`` naming the interaction. From there ``exchange_of`` decodes the
bodies (``bodies.decode_body``, within a ``Budget`` per file) into the ``Exchange`` the checks
see, and ``playable`` gives the response vcrpy plays. The other way, ``request_dict`` and
``response_dict`` turn what vcrpy records into the mappings a file holds, and
``scrubbed_request`` scrubs a loaded request as a live one is scrubbed before matching.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from contracttest.bodies import MAX_BODY, BodyTooLarge, decode_body
from contracttest.errors import CassetteError
from contracttest.exchange import Exchange, Headers, Request, Response, body_bytes
from contracttest.scrub import ScrubConfig, scrub_request

RawHeaders = dict[str, list[str]]

#: The most the bodies of one cassette may expand by when decoded, all together.
MAX_INFLATED = 256 << 20

_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SCALAR_TYPES = (str, int, float)


@dataclass(frozen=True, slots=True)
class Stored:
    """One interaction of a cassette file, checked: headers as spelled, bodies as stored."""

    method: str
    uri: str
    request_headers: RawHeaders
    request_body: bytes
    status: int
    reason: str
    response_headers: RawHeaders
    response_body: bytes


class Budget:
    """How much more the bodies of one file may expand by when they are decoded."""

    __slots__ = ("left",)

    def __init__(self, total: int = MAX_INFLATED) -> None:
        self.left = total


def interactions_of(data: object, name: str) -> list[Any]:
    """The interactions of a loaded cassette document; ``CassetteError`` when it has none."""
    if not isinstance(data, dict) or not isinstance(data.get("interactions"), list):
        raise CassetteError(name, "not a vcrpy cassette (no 'interactions' list)")
    interactions: list[Any] = data["interactions"]
    return interactions


def stored(item: object, index: int, name: str) -> Stored:
    """Interaction ``index`` of file ``name``, every field checked."""
    if not isinstance(item, dict):
        raise CassetteError(name, f"interaction {index} is not a mapping")
    request, response = item.get("request"), item.get("response")
    if not isinstance(request, dict) or not isinstance(response, dict):
        raise CassetteError(name, f"interaction {index} lacks a request or a response")
    method, uri = request.get("method"), request.get("uri")
    if method is None or uri is None:
        raise CassetteError(name, f"interaction {index} request lacks method or uri")
    if not isinstance(method, str) or not _TOKEN.fullmatch(method):
        raise CassetteError(
            name, f"interaction {index}: the request method ({_what(method)}) is not an HTTP method"
        )
    _check_uri(uri, index, name)
    code, reason = _status(response.get("status"), index, name)
    return Stored(
        method.upper(),
        uri,
        _headers(request.get("headers"), index, "request", name),
        _body(request.get("body"), index, "request", name),
        code,
        reason,
        _headers(response.get("headers"), index, "response", name),
        _body(response.get("body"), index, "response", name),
    )


def exchange_of(item: Stored, index: int, name: str, budget: Budget) -> Exchange:
    """The exchange the checks see: headers lower-cased, bodies decoded."""
    request_headers = lowered(item.request_headers)
    response_headers = lowered(item.response_headers)
    return Exchange(
        Request(
            item.method,
            item.uri,
            request_headers,
            decoded(item.request_body, request_headers, index, name, budget),
        ),
        Response(
            item.status,
            item.reason,
            response_headers,
            decoded(item.response_body, response_headers, index, name, budget),
        ),
        index,
        name,
    )


def decoded(body: bytes, headers: Headers, index: int, name: str, budget: Budget) -> bytes:
    """``body`` without its content encoding, its growth taken from ``budget``."""
    encoding = headers.get("content-encoding")
    if not body or not encoding:
        return body
    limit = min(MAX_BODY, budget.left + len(body))  # it may grow by what is left
    try:
        out = decode_body(body, ",".join(encoding), limit)
    except BodyTooLarge as exc:
        problem = (
            str(exc)
            if limit == MAX_BODY
            else f"the bodies expand beyond {MAX_INFLATED >> 20} MiB in all when decoded"
        )
        raise CassetteError(name, f"interaction {index}: {problem}") from None
    budget.left -= max(len(out) - len(body), 0)
    return out


def lowered(raw: RawHeaders) -> Headers:
    """Headers as ``Exchange`` holds them: lower-case names, names of any case merged."""
    result: Headers = {}
    for name, values in raw.items():
        key = name.lower()
        known = result.get(key)
        result[key] = tuple(values) if known is None else known + tuple(values)
    return result


def playable(item: Stored) -> dict[str, Any]:
    """The response vcrpy plays for a stored interaction: its body as stored."""
    return {
        "status": {"code": item.status, "message": item.reason},
        "headers": {name: list(values) for name, values in item.response_headers.items()},
        "body": {"string": item.response_body},
    }


# -- what vcrpy records, as a file holds it ----------------------------------------------------


def request_dict(request: Any) -> dict[str, Any]:
    """A vcrpy request as the mapping a cassette file holds."""
    body = body_bytes(request.body)
    return {
        "body": _text(body) if body else None,
        "headers": _header_lists(request.headers),
        "method": str(request.method).upper(),
        "uri": str(request.uri),
    }


def response_dict(response: dict[str, Any]) -> dict[str, Any]:
    """A vcrpy response as the mapping a cassette file holds."""
    status = response.get("status") or {}
    body = response.get("body") or {}
    return {
        "body": {"string": _text(body_bytes(body.get("string")))},
        "headers": _header_lists(response.get("headers")),
        "status": {"code": int(status.get("code", 0)), "message": str(status.get("message", ""))},
    }


def scrubbed_request(request: Request, config: ScrubConfig) -> Request:
    """A loaded request scrubbed as a live one is before matching, so a cassette recorded
    without scrubbing (or with other secret fields) still matches."""
    if not config.enabled:
        return request
    from vcr.request import Request as VcrRequest  # only replay needs vcrpy

    live = VcrRequest(
        request.method,
        request.uri,
        request.body or None,
        {name: ", ".join(values) for name, values in request.headers.items()},
    )
    clean = scrub_request(live, config)
    headers: Headers = {str(k).lower(): (str(v),) for k, v in dict(clean.headers).items()}
    return Request(str(clean.method), str(clean.uri), headers, body_bytes(clean.body))


def _header_lists(raw: Any) -> dict[str, list[str]]:
    headers: dict[str, list[str]] = {}
    for name, value in dict(raw or {}).items():
        values = value if isinstance(value, list | tuple) else [value]
        headers[str(name)] = [str(v) for v in values]
    return headers


def _text(data: bytes) -> str | bytes:
    """What the file stores: text when the bytes are UTF-8, else bytes (YAML ``!!binary``)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data


# -- checking a file's fields -------------------------------------------------------------------


def _check_uri(uri: object, index: int, name: str) -> None:
    if not isinstance(uri, str) or not uri:
        raise CassetteError(
            name, f"interaction {index}: the request uri is {_what(uri)}, not a URI"
        )
    if _CONTROL.search(uri):
        raise CassetteError(
            name, f"interaction {index}: the request uri {_what(uri)} holds control characters"
        )
    try:
        urlsplit(uri)
    except ValueError as exc:
        raise CassetteError(
            name, f"interaction {index} has a malformed uri {_what(uri)}: {exc}"
        ) from None


def _status(status: object, index: int, name: str) -> tuple[int, str]:
    code, reason = (
        (status.get("code"), status.get("message"))
        if isinstance(status, dict)
        else (
            status,
            None,
        )
    )
    if isinstance(code, str) and code.strip().isdecimal() and len(code.strip()) == 3:
        code = int(code)
    if type(code) is not int or not 100 <= code <= 999:
        raise CassetteError(name, f"interaction {index} has no numeric response status")
    if reason is not None and not isinstance(reason, _SCALAR_TYPES):
        raise CassetteError(
            name, f"interaction {index}: response status message is {_what(reason)}, not text"
        )
    return code, "" if reason is None else str(reason)


def _headers(raw: object, index: int, side: str, name: str) -> RawHeaders:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise CassetteError(
            name, f"interaction {index}: {side} headers are {_what(raw)}, not a mapping"
        )
    result: RawHeaders = {}
    for key, value in raw.items():
        if not isinstance(key, str):
            raise CassetteError(
                name, f"interaction {index}: a {side} header name ({_what(key)}) is not text"
            )
        values = value if isinstance(value, list) else [] if value is None else [value]
        texts = []
        for item in values:
            if type(item) is str:
                texts.append(item)
            elif isinstance(item, _SCALAR_TYPES):  # a number or a boolean YAML read as such
                texts.append(str(item))
            else:
                raise CassetteError(
                    name,
                    f"interaction {index}: {side} header {key[:40]!r} has a value that is "
                    f"{_what(item)}, not text",
                )
        result[key] = texts
    return result


def _body(raw: object, index: int, side: str, name: str) -> bytes:
    if isinstance(raw, dict):
        if "string" in raw:
            raw = raw["string"]
        elif isinstance(raw.get("state"), list) and raw["state"]:  # vcrpy's BytesIO
            raw = raw["state"][0]
        elif isinstance(raw.get("args"), list) and raw["args"]:  # vcrpy's iterator of chunks
            raw = raw["args"][0]
        else:
            raise CassetteError(
                name, f"interaction {index}: {side} body is a mapping without 'string'"
            )
    if raw is None:
        return b""
    if isinstance(raw, str):
        return raw.encode("utf-8", "surrogatepass")
    if isinstance(raw, bytes):
        return raw
    if isinstance(raw, list) and all(isinstance(c, str | bytes) for c in raw):
        return body_bytes(raw)
    raise CassetteError(name, f"interaction {index}: {side} body is {_what(raw)}, not text")


def _what(value: object) -> str:
    """A value named in one short line: text quoted (cut at 40 characters), else its kind."""
    if isinstance(value, str):
        return repr(value[:40]) + ("..." if len(value) > 40 else "")
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    kinds: dict[type, str] = {dict: "a mapping", list: "a list", bytes: "binary data"}
    return kinds.get(type(value), f"a {type(value).__name__}")

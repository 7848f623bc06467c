"""HTTP/1.1 on the wire, for the engine's server: request heads read strictly, answers written.

h11 reads requests (RFC 9112's grammar, chunked bodies); this module adds what h11 leaves to
the server (a head's size, the version, the method's case, ``Content-Length`` beside
``Transfer-Encoding``, a ``Host`` that is a host, an absolute-form target's authority) and
writes answers from the values the engine made, each header checked.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from email.utils import formatdate
from http import HTTPStatus
from xml.sax.saxutils import escape

import h11

from contracttest.engine.http import HttpRequest, HttpResponse, valid_host
from contracttest.engine.render import DECLARATION
from contracttest.errors import ContractTestError

SYNTAX = "Request syntactically incorrect."
#: Methods HTTP defines; any other (or another case: methods are case-sensitive) is 501.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE"})
_REQUEST_LINE = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+ [^\x00-\x20\x7f]+ HTTP/[0-9]\.[0-9]\r?")
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_NOT_IN_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_ABSOLUTE = re.compile(r"(?i)https?://([^/?#]*)")
_REASONS = {
    100: "Continue",
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    409: "Conflict",
    413: "Content Too Large",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    505: "HTTP Version Not Supported",
}


class Refused(ContractTestError):
    """A request that cannot be served: ``answer`` (which closes the connection) says why."""

    def __init__(self, status: int, detail: str, reason: str = SYNTAX) -> None:
        super().__init__(detail)
        self.status = status
        self.answer = refusal(status, detail, reason)


def reason(status: int) -> str:
    """The reason phrase: RFC 9110's words where they differ from the standard library's
    older ones, else the standard library's (406, 415, ...)."""
    try:
        return _REASONS.get(status) or HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def fault(reason_text: str, detail: str) -> bytes:
    reason_text, detail = escape(reason_text), escape(detail)
    return (
        DECLARATION
        + (
            f"<fault>\n  <reason>{reason_text}</reason>\n  <detail>{detail}</detail>\n</fault>\n"
        ).encode()
    )


TOO_LARGE = fault("Request Entity Too Large", "The request body is larger than the engine accepts.")


def refusal(status: int, detail: str, reason_text: str = SYNTAX) -> bytes:
    """A whole answer refusing a request, closing the connection."""
    body = fault(reason_text, detail)
    return (
        f"HTTP/1.1 {status} {reason(status)}\r\nContent-Type: application/xml\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body


def protocol_status(exc: h11.RemoteProtocolError) -> int:
    """h11's status for what it refused, as a 4xx: a client's mistake is never a 5xx (h11
    says 501 for a transfer coding it does not know)."""
    status = exc.error_status_hint
    return status if 400 <= status < 500 else 400


def protocol_detail(exc: h11.RemoteProtocolError) -> str:
    """What h11 found wrong, without echoing the request."""
    text = str(exc).split(":")[0].strip() or "malformed request"
    return text[:1].upper() + text[1:] + "."


def request_line_may_be_valid(buffer: bytes | bytearray) -> bool:
    """Whether the first line of a head, once complete, may be a request line."""
    line, newline, _ = bytes(buffer).lstrip(b"\r\n").partition(b"\n")
    return not newline or _REQUEST_LINE.fullmatch(line) is not None


def bare_line_feed(buffer: bytes | bytearray) -> bool:
    """Whether buffered chunk framing ends a line with LF alone (h11 would wait for CRLF)."""
    found = buffer.find(b"\n")
    return found == 0 or (found > 0 and buffer[found - 1 : found] != b"\r")


def read_head(event: h11.Request, head_bytes: int) -> HttpRequest:
    """The request's head as the application takes it, or ``Refused``."""
    size = len(event.method) + len(event.target) + 12
    headers: dict[str, str] = {}
    for name, value in event.headers:
        size += len(name) + len(value) + 4
        key = name.decode("ascii").lower()
        text = value.decode("iso-8859-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    if size > head_bytes:
        raise Refused(431, "The request head is too large.")
    if event.http_version not in (b"1.0", b"1.1"):
        raise Refused(400, "Only HTTP/1.1 (and 1.0) is served.")  # a client's mistake: 4xx
    method = event.method.decode("ascii")
    if method == "CONNECT":  # no tunnels: what goes through one could be neither read nor kept
        raise Refused(501, "CONNECT (a tunnel) is not served here.", "Not Implemented")
    if method not in METHODS:
        raise Refused(400, "The method is not one HTTP defines (methods are case-sensitive).")
    if "transfer-encoding" in headers and "content-length" in headers:
        raise Refused(400, "Content-Length and Transfer-Encoding together.")
    target = event.target.decode("iso-8859-1")
    absolute = _ABSOLUTE.match(target)
    if absolute is not None:  # the target's authority is the host (RFC 9112, 3.2.2)
        headers["host"] = absolute.group(1)
    host = headers.get("host")
    if host is not None and not valid_host(host):
        raise Refused(400, "The Host is not a host name and port.")
    return HttpRequest(method, target, headers)


def framing(event: h11.Request) -> int | None:
    """The body's declared length (-1: chunked), None when there is no body."""
    length: int | None = None
    for name, value in event.headers:
        if name == b"transfer-encoding":
            return -1
        if name == b"content-length":
            length = int(value)
    return length if length else None


def keeps_alive(event: h11.Request) -> bool:
    """HTTP/1.1 without ``Connection: close`` (an HTTP/1.0 client gets one answer)."""
    if event.http_version != b"1.1":
        return False
    return not any(
        name == b"connection" and b"close" in value.lower() for name, value in event.headers
    )


def answer_bytes(
    response: HttpResponse,
    *,
    head_only: bool,
    keep: bool,
    log: Callable[[str], None] | None = None,
) -> bytes:
    """The whole answer: status line, headers (those that are not HTTP are left out), body."""
    body = response.body
    lines = [
        f"HTTP/1.1 {response.status} {reason(response.status)}\r\n"
        f"Date: {_date()}\r\nServer: contracttest-engine\r\n"
    ]
    if response.content_type is not None and (body or response.status >= 400):
        lines.append(f"Content-Type: {response.content_type}\r\n")
    for name, value in response.headers:
        if _HEADER_NAME.fullmatch(name) is None or _NOT_IN_VALUE.search(value) is not None:
            if log is not None:
                log(f"a {name!r} header the engine made is not HTTP: left out")
            continue
        lines.append(f"{name}: {value}\r\n")
    lines.append(f"Content-Length: {len(body)}\r\n")
    if not keep:
        lines.append("Connection: close\r\n")
    lines.append("\r\n")
    data = "".join(lines).encode("latin-1", "replace")
    return data if head_only else data + body


_DATE: list[object] = [0, ""]


def _date() -> str:
    """The ``Date`` header's value, made once a second."""
    now = int(time.time())
    if _DATE[0] != now:
        _DATE[:] = [now, formatdate(now, usegmt=True)]
    return str(_DATE[1])

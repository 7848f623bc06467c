"""What a proxy does to HTTP messages on their way through, as pure functions: where a
request goes (a reverse proxy's path, or a forward proxy's absolute URL, which must name the
one target: the proxy is no open relay), which headers travel (hop-by-hop ones stop here),
and the answers the proxy gives of its own (faults in the engine's shape).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from contracttest.engine.http import HttpRequest, HttpResponse
from contracttest.engine.wire import fault
from contracttest.errors import ContractTestError
from contracttest.exchange import body_bytes, header

#: Headers of one connection, never passed on (RFC 9110, 7.6.1), and those the proxy sets.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)
#: Headers of an answer the proxy's server writes itself (``wire.answer_bytes``).
WRITTEN = frozenset({"date", "server", "content-type"})
_ABSOLUTE = re.compile(r"(?i)(https?)://([^/?#]*)([^#]*)")
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Target:
    """The engine behind the proxy: ``origin`` (``https://engine:443``) and its parts."""

    origin: str
    scheme: str
    host: str
    port: int

    @classmethod
    def of(cls, url: str) -> Target:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        host = (parts.hostname or "").lower()
        port = parts.port or _DEFAULT_PORTS.get(scheme, 80)
        netloc = parts.netloc.rpartition("@")[2]
        return cls(f"{scheme}://{netloc}", scheme, host, port)

    def names(self, authority: str) -> bool:
        """Whether an absolute URL's ``host[:port]`` is this target's (no port: any)."""
        parts = urlsplit(f"//{authority}")
        try:
            port = parts.port
        except ValueError:
            return False
        return (parts.hostname or "").lower() == self.host and port in (None, self.port)


class Refusal(ContractTestError):
    """An answer the proxy gives instead of relaying (``response``)."""

    def __init__(self, response: HttpResponse) -> None:
        super().__init__(response.status)
        self.response = response


def own_fault(status: int, reason: str, detail: str) -> HttpResponse:
    """An answer of the proxy's own, a ``<fault>`` as the engine writes them."""
    return HttpResponse(status, fault(reason, detail), [("X-Contracttest-Proxy", "fault")])


def target_of(request: HttpRequest, target: Target | None) -> str:
    """The path and query ``request`` asks for: its target as sent (reverse proxy), or the
    rest of an absolute URL (forward proxy) that names ``target`` (None: any, replay has no
    engine to reach). Else ``Refusal``: 403 for another host, 400 for what is no path."""
    uri = request.uri
    absolute = _ABSOLUTE.fullmatch(uri)
    if absolute is not None:
        authority = absolute.group(2)
        if target is not None and not target.names(authority):
            named = f"{absolute.group(1).lower()}://{authority}"
            raise Refusal(
                own_fault(
                    403,
                    "Forbidden",
                    f"this proxy relays only to {target.origin}, not to {named}",
                )
            )
        uri = absolute.group(3) or "/"
    if not uri.startswith("/"):
        raise Refusal(own_fault(400, "Bad Request", "the request target is not a path"))
    return uri


def forwarded_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The request headers that go on to the engine: all but hop-by-hop ones (and those the
    ``Connection`` header names) and ``Expect: 100-continue`` (answered here already)."""
    named = {n.strip().lower() for n in (headers.get("connection") or "").split(",")}
    return {
        name: value
        for name, value in headers.items()
        if name not in HOP_BY_HOP
        and name not in named
        and not (name == "expect" and value.strip().lower() == "100-continue")
    }


def answer_of(status: int, headers: Iterable[tuple[str, Any]], body: object) -> HttpResponse:
    """The answer a client gets for a response (relayed or played): its headers but those of
    one connection and those the server writes itself, its content type, its body."""
    kept: list[tuple[str, str]] = []
    content_type: str | None = None
    for name, values in headers:
        key = name.lower()
        for value in values if isinstance(values, list | tuple) else (values,):
            if key == "content-type":
                content_type = content_type or str(value)
            elif key not in HOP_BY_HOP and key not in WRITTEN:
                kept.append((name, str(value)))
    return HttpResponse(status, body_bytes(body), kept, content_type=content_type)


def relocated(response: HttpResponse, target: Target, host: str | None) -> HttpResponse:
    """A reverse proxy's answer with a ``Location`` on the engine moved to the proxy (the
    ``Host`` the client named), so that a client following it comes back through here."""
    if not host:
        return response
    for position, (name, value) in enumerate(response.headers):
        if name.lower() == "location" and value.lower().startswith(target.origin.lower()):
            response.headers[position] = (name, f"http://{host}{value[len(target.origin) :]}")
    return response


def vcr_response(
    status: int, reason: str, headers: Mapping[str, Any], body: bytes
) -> dict[str, Any]:
    """A response as vcrpy records one (what ``RecordingCassette.append`` takes)."""
    return {
        "status": {"code": status, "message": reason},
        "headers": {
            name: list(values) if isinstance(values, list | tuple) else [str(values)]
            for name, values in headers.items()
            if name.lower() not in ("transfer-encoding", "connection", "keep-alive")
        },
        "body": {"string": body},
    }


def content_type(headers: Mapping[str, Any]) -> str:
    return header(headers, "content-type") or ""

"""The seam between the engine and its HTTP server: a request in, a response out."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class HttpRequest:
    method: str
    uri: str  # path and query, as on the request line
    headers: Mapping[str, str]  # lower-case names
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class HttpResponse:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    content_type: str | None = "application/xml"

    @classmethod
    def json(cls, status: int, value: object) -> HttpResponse:
        return cls(status, json.dumps(value).encode(), content_type="application/json")


#: A Host header: a DNS name or IPv4 address, or an IPv6 literal in brackets; a port.
_HOST = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}"
    r"[A-Za-z0-9])?)*\.?|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?"
)


def valid_host(value: str) -> bool:
    """Whether a ``Host`` header names a host (and a port up to 65535) and nothing else."""
    if len(value) > 300 or _HOST.fullmatch(value) is None:
        return False
    _, colon, port = value.rpartition(":")
    return not colon or "]" in port or int(port) <= 65535

"""Exchanges: one HTTP request and the response it got, as plain immutable values."""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

Headers = dict[str, tuple[str, ...]]


def header(headers: Mapping[Any, Any] | None, name: str, *, lowered: bool = False) -> str | None:
    """The first value of header ``name``, or None: the one header lookup.

    ``headers`` is either ``Headers`` (``lowered``: names lower-case already, one dictionary
    access) or a mapping as vcrpy, a client or a cassette file holds one (names in any case,
    each value a text or a list of texts).
    """
    if not headers:
        return None
    wanted = name.lower()
    values = headers.get(wanted)
    if values is None and not lowered:
        for key, value in headers.items():
            if isinstance(key, str) and key.lower() == wanted:
                values = value
                break
    if isinstance(values, list | tuple):
        values = values[0] if values else None
    if values is None or isinstance(values, list | tuple | dict | bytes):
        return None
    return values if isinstance(values, str) else str(values)


def request_target(uri: str) -> str:
    """The path and query of a URI (``/api/vms?search=x``), as a request line names them."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return uri
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    uri: str
    headers: Headers = field(default_factory=dict)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return header(self.headers, name, lowered=True)


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    reason: str = ""
    headers: Headers = field(default_factory=dict)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return header(self.headers, name, lowered=True)

    @property
    def content_type(self) -> str:
        """The media type without parameters, lower-case; '' when absent."""
        value = self.header("content-type") or ""
        return value.split(";", 1)[0].strip().lower()


@dataclass(frozen=True, slots=True)
class Exchange:
    """One interaction of a cassette: ``index`` is its position there, from 0."""

    request: Request
    response: Response
    index: int = 0
    cassette: str = ""


@dataclass(frozen=True, slots=True)
class Cassette:
    """The exchanges of one recording, in order; ``path`` names where it came from."""

    path: str
    exchanges: tuple[Exchange, ...]
    #: Rules the recording's test skipped (``@pytest.mark.contract(skip=...)``), as its
    #: provenance says; ``contracttest check`` leaves their violations out too.
    skipped_rules: frozenset[str] = frozenset()


def body_bytes(body: object) -> bytes:
    """A body as vcrpy may hold it (bytes, text, a file, chunks, None) as bytes."""
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, bytearray | memoryview):
        return bytes(body)
    if isinstance(body, io.BytesIO):
        return body.getvalue()
    if isinstance(body, Iterable) and not isinstance(body, Mapping):  # an iterator of chunks
        chunks = list(body)
        if all(isinstance(c, str | bytes) for c in chunks):
            return b"".join(c.encode("utf-8") if isinstance(c, str) else c for c in chunks)
    return b""

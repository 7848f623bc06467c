"""Exchanges: one HTTP request and the response it got, as plain immutable values."""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

Headers = dict[str, tuple[str, ...]]


def header_map(raw: object) -> Headers:
    """Headers as lower-case name -> values, from vcrpy's ``{name: [value, ...]}`` form."""
    result: Headers = {}
    if not isinstance(raw, dict):
        return result
    for name, values in raw.items():
        if isinstance(values, list | tuple):
            items = tuple(str(v) for v in values)
        elif values is None:
            items = ()
        else:
            items = (str(values),)
        key = str(name).lower()
        result[key] = result.get(key, ()) + items
    return result


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    uri: str
    headers: Headers = field(default_factory=dict)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[0] if values else None


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    reason: str = ""
    headers: Headers = field(default_factory=dict)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[0] if values else None

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

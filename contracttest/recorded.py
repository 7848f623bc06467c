"""One interaction a ``RecordingCassette`` holds (``Recorded``), and the key it is matched
by (``matching.request_key``), from an exchange or from the mapping a recording made."""

from __future__ import annotations

from typing import Any

from contracttest.exchange import Exchange, Request, body_bytes, header
from contracttest.interactions import Budget, exchange_of, stored
from contracttest.matching import Key, request_key


class Recorded:
    """One interaction of the cassette: its key, the exchange (made when first asked for,
    from ``source``, when it was not made already), the response vcrpy plays, and the
    mapping written back to the file."""

    __slots__ = ("_exchange", "_source", "key", "raw", "response", "text", "uri")

    def __init__(
        self,
        key: Key,
        uri: str,
        exchange: Exchange | None,
        response: dict[str, Any],
        raw: object,
        source: tuple[dict[str, Any], int, str] | None = None,
    ) -> None:
        self.key = key
        self.uri = uri
        self._exchange = exchange
        self._source = source  # the mapping (and where it is) the exchange is made of
        self.response = response
        self.raw = raw
        self.text: bytes | None = None  # as written (``dump_cassette``), once made

    @property
    def exchange(self) -> Exchange:
        if self._exchange is None:
            assert self._source is not None
            raw, index, name = self._source
            self._exchange = exchange_of(stored(raw, index, name), index, name, Budget())
        return self._exchange


def key_of(request: Request) -> Key:
    return request_key(
        request.method, request.uri, request.body, request.header("content-type") or ""
    )


def raw_key(request: dict[str, Any]) -> Key | None:
    """``key_of`` the exchange a request this cassette made (``request_dict``) is part of,
    without making the exchange (None: a body with a content encoding, which only the
    exchange decodes)."""
    headers, body = request["headers"], body_bytes(request["body"])
    if body and header(headers, "content-encoding"):
        return None
    content_type = header(headers, "content-type") or ""
    return request_key(request["method"], request["uri"], body, content_type)

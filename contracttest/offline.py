"""No network while a cassette replays: ``network_blocked`` refuses every TCP and UDP
connection opened inside it with ``NetworkBlocked`` (a ``ConnectionRefusedError`` too, so a
client that handles refusals handles it), naming why."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from contracttest.errors import ContractTestError


class NetworkBlocked(ContractTestError, ConnectionRefusedError):
    """A connection attempted while a cassette replays."""


@contextmanager
def network_blocked(reason: str) -> Iterator[None]:
    """No TCP or UDP connection may be opened inside: replay needs no engine, and a test
    that reaches for one is told so instead of hanging or touching a real host."""
    original_connect = socket.socket.connect
    original_connect_ex = socket.socket.connect_ex

    def refuse(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            raise NetworkBlocked(f"contracttest: network access is blocked ({reason}): {address}")
        original_connect(sock, address)

    def refuse_ex(sock: socket.socket, address: Any) -> int:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            refuse(sock, address)
        return original_connect_ex(sock, address)

    socket.socket.connect = refuse  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = refuse_ex  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        socket.socket.connect = original_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = original_connect_ex  # type: ignore[method-assign]

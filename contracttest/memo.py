"""A memo bounded by bytes: what the router, the URI splitter and body matching reuse.

Polling, replays and representations repeat the same paths and bodies, so remembering
verdicts pays; but keys come from clients and servers (any URI, any rel, any body), so what is
remembered is bounded by the bytes of its keys, never by a count of entries alone: a key over
``largest`` is not remembered at all, and when the total passes ``limit`` the memo starts
afresh. Clearing is one dictionary operation, safe while other threads read.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
#: What an entry costs beyond its key's own bytes (the dict slot, the value's object).
ENTRY_OVERHEAD = 200


class Memo(Generic[K, V]):
    """``get``/``put`` over a dict whose keys add up to at most ``limit`` bytes."""

    __slots__ = ("_entries", "_size", "largest", "limit")

    def __init__(self, limit: int, largest: int = 4096) -> None:
        self.limit = limit
        self.largest = largest
        self._entries: dict[K, V] = {}
        self._size = 0

    def get(self, key: K, default: V | None = None) -> V | None:
        return self._entries.get(key, default)

    def put(self, key: K, value: V, size: int) -> V:
        """Remember ``value`` for ``key`` (``size``: the key's bytes); return ``value``."""
        if size > self.largest:
            return value
        cost = size + ENTRY_OVERHEAD
        if self._size + cost > self.limit:
            self._entries.clear()
            self._size = 0
        self._entries[key] = value
        self._size += cost
        return value

    def clear(self) -> None:
        """Forget everything."""
        self._entries = {}
        self._size = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size(self) -> int:
        """The bytes the memo counts now."""
        return self._size

"""A memo bounded by bytes: what the router, the URI splitter and body matching reuse.

Polling, replays and representations repeat the same paths and bodies, so remembering
verdicts pays; but keys come from clients and servers (any URI, any rel, any body), so what is
remembered is bounded by the bytes of its keys, never by a count of entries alone: a key over
``largest`` is not remembered at all, and when the total passes ``limit`` the memo starts
afresh. Clearing is one dictionary operation, safe while other threads read.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Generic, Protocol, TypeVar, overload

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
T = TypeVar("T")
K_in = TypeVar("K_in", bound=Hashable, contravariant=True)


class _Get(Protocol[K_in, V]):
    """``dict.get``'s signature, for a memo's ``get``."""

    @overload
    def __call__(self, key: K_in, /) -> V | None: ...
    @overload
    def __call__(self, key: K_in, default: V, /) -> V: ...
    @overload
    def __call__(self, key: K_in, default: T, /) -> V | T: ...


#: What an entry costs beyond its key's own bytes (the dict slot, the value's object).
ENTRY_OVERHEAD = 200


class Memo(Generic[K, V]):
    """``get``/``put`` over a dict whose keys add up to at most ``limit`` bytes."""

    __slots__ = ("_entries", "_size", "get", "largest", "limit")

    def __init__(self, limit: int, largest: int = 4096) -> None:
        self.limit = limit
        self.largest = largest
        self._entries: dict[K, V] = {}
        self._size = 0
        #: ``get(key, default=None)``: the entries' own ``dict.get``, bound once (memos are
        #: asked in hot loops); the dict is only ever cleared in place, so it stays bound.
        self.get: _Get[K, V] = self._entries.get

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
        self._entries.clear()
        self._size = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size(self) -> int:
        """The bytes the memo counts now."""
        return self._size

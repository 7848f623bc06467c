"""The ids a replay learns: an entity the recording created has another id on the new engine.

``IdMap`` keeps recorded id -> new id, learnt from an add's answer (its ``id`` and its
``Location``) and from every element the comparison pairs (a NIC's ``<vm id>``, a job, a
statistic), and rewrites later request URIs and bodies with it. ``href_template`` is how an
href is compared: its id segments (uuids, ids the map knows, the ids of the element and its
owners) are placeholders, the rest (prefix, collections, sub-collections) is meaning.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from urllib.parse import urlsplit

from contracttest.compare.masks import UUID

#: A run of the characters ids are made of: what ``rewrite`` looks up.
_TOKEN = re.compile(r"[0-9A-Za-z_-]+")


class IdMap:
    """Recorded id -> the new engine's id, for the ids that differ."""

    __slots__ = ("_known", "_new", "_odd")

    def __init__(self) -> None:
        self._new: dict[str, str] = {}
        self._known: set[str] = set()  # every id on either side of the map
        self._odd: list[str] = []  # recorded ids that are not one token (rare)

    def __len__(self) -> int:
        return len(self._new)

    def __iter__(self) -> Iterator[str]:
        return iter(self._new)

    def get(self, old: str) -> str | None:
        return self._new.get(old)

    def mapped(self, old: str) -> str:
        return self._new.get(old, old)

    def knows(self, value: str) -> bool:
        return value in self._known

    def learn(self, old: str, new: str) -> bool:
        """Note that ``old`` is ``new`` now; False when ``old`` was mapped to another id."""
        if not old or not new:
            return True
        held = self._new.get(old)
        if held is not None:
            return held == new
        if old != new:
            self._new[old] = new
            self._known.update((old, new))
            if not _TOKEN.fullmatch(old):
                self._odd.append(old)
        return True

    def learn_href(self, old: str, new: str) -> None:
        """Learn from two hrefs (or URLs) of the same entity: the id segments that differ."""
        old_parts = _segments(old)
        new_parts = _segments(new)
        if len(old_parts) != len(new_parts):
            return
        for a, b in zip(old_parts, new_parts, strict=True):
            if a != b and UUID.fullmatch(a) and UUID.fullmatch(b):
                self.learn(a, b)

    def rewrite(self, text: str) -> str:
        """``text`` (a URI, a body) with every recorded id the map knows replaced, as a
        whole token (an id inside a longer word is left alone; one right after a %-escape,
        ``id%3D<id>``, is replaced)."""
        if not self._new or not text:
            return text
        new = self._new

        def replaced(match: re.Match[str]) -> str:
            token = match.group(0)
            found = new.get(token)
            if found is not None:
                return found
            start = match.start()
            if start and text[start - 1] == "%" and len(token) > 2:
                found = new.get(token[2:])
                if found is not None:
                    return token[:2] + found
            return token

        rewritten = _TOKEN.sub(replaced, text)
        for old in self._odd:  # ids with characters a token does not hold: whole strings
            rewritten = rewritten.replace(old, new[old])
        return rewritten

    def rewrite_bytes(self, data: bytes) -> bytes:
        if not self._new or not data:
            return data
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return data
        rewritten = self.rewrite(text)
        return data if rewritten == text else rewritten.encode("utf-8")


def href_template(href: str, ids: IdMap, owners: Iterable[str] = ()) -> str:
    """``/ovirt-engine/api/vms/<uuid>/nics`` -> ``/ovirt-engine/api/vms/{id}/nics``: the
    href's path with every id segment a placeholder (its query kept, its host dropped)."""
    parts = urlsplit(href)
    own = set(owners)
    segments = [
        "{id}" if s and (UUID.fullmatch(s) or s in own or ids.knows(s)) else s
        for s in parts.path.split("/")
    ]
    shown = "/".join(segments)
    return f"{shown}?{parts.query}" if parts.query else shown


def _segments(href: str) -> list[str]:
    try:
        path = urlsplit(href).path
    except ValueError:
        return []
    return [s for s in path.split("/") if s]

"""Ignore files: the changes a team has looked at and accepts.

One entry a line: a change id as a report prints it (``link-removed:GET vms/{vm:id}/nics``)
accepts that one change; a class id alone (``element-added``) accepts every change of the
class. Blank lines and ``#`` comments (a whole line, or after `` #``) are skipped. Href
variables are compared unnamed (``{vm:id}`` and ``{id}`` are one), so an entry survives an
engine renaming its variables. An entry whose class is not in the catalogue is an error that
names the line; an entry that accepts nothing is reported, so stale entries come to light.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from contracttest.diff.catalogue import CATALOGUE, Change, normal_id
from contracttest.errors import InputError
from contracttest.rules import suggest

#: The longest entry read (a change id is one href and a few words).
MAX_ENTRY = 4096


@dataclass(frozen=True)
class Ignore:
    """The entries of an ignore file: whole classes, and single changes by id."""

    classes: frozenset[str] = frozenset()
    ids: dict[str, str] = field(default_factory=dict)  # normal id -> the entry as written

    def accepts(self, change: Change) -> bool:
        return change.kind in self.classes or normal_id(change.id) in self.ids

    def split(self, changes: Iterable[Change]) -> tuple[list[Change], list[Change]]:
        """(the changes still reported, the changes accepted)."""
        kept: list[Change] = []
        accepted: list[Change] = []
        for change in changes:
            (accepted if self.accepts(change) else kept).append(change)
        return kept, accepted

    def unused(self, accepted: Iterable[Change]) -> list[str]:
        """The entries that accepted none of ``accepted``, as written."""
        used_ids = {normal_id(change.id) for change in accepted}
        used_classes = {change.kind for change in accepted}
        return sorted(
            [entry for key, entry in self.ids.items() if key not in used_ids]
            + [kind for kind in self.classes if kind not in used_classes]
        )


def parse_ignore(data: bytes, source: str) -> Ignore:
    """The entries of an ignore file's bytes; ``InputError`` names the file and line."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(source, "not an ignore file (not UTF-8 text)") from None
    classes: set[str] = set()
    ids: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        entry = line.split(" #", 1)[0].strip()
        if not entry or entry.startswith("#"):
            continue
        if len(entry) > MAX_ENTRY or not entry.isprintable():
            raise InputError(source, f"line {number}: not a change id")
        kind, colon, where = entry.partition(":")
        if kind not in CATALOGUE:
            hint = suggest(kind, list(CATALOGUE))
            raise InputError(
                source,
                f"line {number}: unknown change class {kind!r}{hint} "
                "(see the classes a report prints; an entry is CLASS or CLASS:WHERE)",
            )
        if colon and where.strip():
            ids[normal_id(entry)] = entry
        else:
            classes.add(kind)
    return Ignore(frozenset(classes), ids)

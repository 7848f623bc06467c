"""The cleanup ledger: what a run created on an engine, removed at the end, whatever happened.

Entities are written down as they are created and crossed out when a test deletes them.
``clean`` removes what is left in dependency order: the reverse of creation, since an entity
can only refer to what existed before it (a NIC before its VM, a VM before the template it
was made from). An entity the engine will not remove in its state (a running VM: 409) is
calmed first by the actions ``calm`` names for it (``stop``), then removed. What is already
gone (404) counts as removed; what cannot be removed is reported, never raised, so cleaning
never hides the failure that came before it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from contracttest.api import Engine
from contracttest.client import ClientError


@dataclass(frozen=True)
class Entry:
    path: str  # relative to the API: "vms/<id>", "vms/<vm>/nics/<id>"
    actions: tuple[str, ...] = ()  # actions that calm it before removal ("stop")


class Ledger:
    """``created(path)`` as entities appear, ``removed(path)`` when a test deletes one,
    ``clean()`` at the end (also a context manager: cleaned on exit)."""

    def __init__(self, engine: Engine, calm: Callable[[str], Sequence[str]] = lambda path: ()):
        self.engine = engine
        self.calm = calm
        self.entries: list[Entry] = []
        self.problems: list[str] = []

    def created(self, path: str) -> None:
        self.entries.append(Entry(path.strip("/"), tuple(self.calm(path))))

    def removed(self, path: str) -> None:
        path = path.strip("/")
        self.entries = [
            e for e in self.entries if e.path != path and not e.path.startswith(path + "/")
        ]

    def __contains__(self, path: str) -> bool:
        return any(e.path == path.strip("/") for e in self.entries)

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.clean()

    def clean(self) -> list[str]:
        """Remove every entity left, newest first; the problems met, in words."""
        while self.entries:
            entry = self.entries.pop()
            try:
                self._remove(entry)
            except ClientError as exc:  # the engine went away: nothing more can be done
                self.problems.append(f"{entry.path}: {exc}")
                self.entries.clear()
        return self.problems

    def _remove(self, entry: Entry) -> None:
        request = self.engine.client.request
        status = request("DELETE", entry.path).status
        if status == 409 and entry.actions:
            for action in entry.actions:
                request("POST", f"{entry.path}/{action}", "<action/>")
            status = request("DELETE", entry.path).status
        if status not in (200, 202, 204, 404):
            self.problems.append(f"{entry.path}: DELETE answered {status}; left on the engine")

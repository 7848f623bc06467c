"""Defects on purpose: switches that make the embedded engine break one promise each.

A test suite is only as good as the bugs it catches. ``contracttest serve --defect NAME`` and
``open_engine(defects=[NAME, ...])`` turn an engine into a broken one, so that a suite (the
contract checks, a property-based CRUD suite) can be shown to catch each defect. A defect is
a field of ``Defects``, consulted where the behaviour it breaks is decided (named in a comment
beside it); with none on, the engine is the sound one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING

from contracttest.errors import UsageError

if TYPE_CHECKING:
    from contracttest.rsdl import Link
    from contracttest.xmlsafe import Element


class UnknownDefect(UsageError):
    """A defect name that is not in the catalogue; the message lists the known ones."""


def _defect(does: str) -> bool:
    return field(default=False, metadata={"does": does})


@dataclass(frozen=True)
class Defects:
    """Which defects are on (a field per defect, named as on the command line with ``_``
    for ``-``). ``Defects()`` is the sound engine."""

    # each is consulted at one place, named in its comment

    # writes.update
    update_ignores_field: bool = _defect(
        "an update answers 200 but leaves the first field it changes as it was"
    )
    # writes.add
    add_drops_field: bool = _defect(
        "an add answers 201 without the first field sent that it does not require (not id, name)"
    )
    # writes.delete
    delete_leaves_entity: bool = _defect(
        "a delete answers 200 but the entity stays: found, listed, searched"
    )
    # writes.delete (the entity's row alone) and operations.locate (a gone owner still leads)
    orphan_subresources: bool = _defect(
        "a delete leaves what hangs below the entity (NICs, disk attachments) reachable"
    )
    # writes._created_at
    wrong_status: bool = _defect("an add answers 200 OK, not 201 Created")
    # writes._created_at
    missing_location: bool = _defect("an add answers 201 Created without a Location header")
    # render.entity
    wrong_href: bool = _defect(
        "an entity's href names its element, not its collection (.../vm/<id>, not .../vms/<id>)"
    )
    # listing.collection
    search_stale: bool = _defect(
        "a search answers the collection as its first search found it (adds unseen, deletes seen)"
    )
    # actions._transition
    lifecycle_stuck: bool = _defect(
        "an action answers 200 complete but the state never moves (a started VM stays down)"
    )
    # app.Engine._fault
    no_fault_detail: bool = _defect(
        "a fault's detail repeats its reason: never the missing parameter or the state"
    )
    # writes.add
    accepts_invalid: bool = _defect(
        "an add lacking a required parameter is created (201), not refused (400)"
    )
    # writes._clash
    duplicate_name_accepted: bool = _defect(
        "an add or rename to a name already in use succeeds, not refused (409)"
    )

    @classmethod
    def of(cls, chosen: Defects | str | Iterable[str] = ()) -> Defects:
        """Defects from names (``"wrong-status"`` or ``["wrong-status", ...]``) or as given;
        ``UnknownDefect`` names the first unknown one and lists the known ones."""
        if isinstance(chosen, Defects):
            return chosen
        names = [chosen] if isinstance(chosen, str) else list(chosen)
        known = catalogue()
        on: dict[str, bool] = {}
        for name in names:
            if name not in known:
                raise UnknownDefect(unknown_message(name))
            on[name.replace("-", "_")] = True
        return replace(cls(), **on)

    @property
    def names(self) -> tuple[str, ...]:
        """The defects on, in the catalogue's order."""
        return tuple(name for name in catalogue() if getattr(self, name.replace("-", "_")))

    def __bool__(self) -> bool:
        return bool(self.names)

    def __str__(self) -> str:
        return ", ".join(self.names) or "none"


#: The sound engine: no defect on.
SOUND = Defects()


def catalogue() -> dict[str, str]:
    """Every defect's name and what it breaks, one line each, in a stable order."""
    return {f.name.replace("_", "-"): str(f.metadata["does"]) for f in fields(Defects)}


def unknown_message(name: str) -> str:
    """The one line for a name that is not a defect, listing the known ones."""
    from contracttest.rules import suggest

    known = list(catalogue())
    return f"unknown defect {name!r}{suggest(name, known)}; known: {', '.join(known)}"


# -- what the defects that change a body do to it ---------------------------------------


def drop_first_optional(root: Element, link: Link) -> None:
    """The ``add-drops-field`` defect: remove the first field sent that no parameter set of
    ``link`` requires, other than its id or name (what names an existing entity)."""
    required = {
        head
        for parameter_set in link.parameter_sets
        for parameter in parameter_set.required
        for head in (parameter.path[0] if parameter.path else ())
    }
    for child in root:
        if isinstance(child.tag, str) and child.tag not in required | {"id", "name"}:
            root.remove(child)
            return


def ignore_first_change(stored: Element, update: Element) -> None:
    """The ``update-ignores-field`` defect: remove from ``update`` the first field whose value
    differs from what is stored."""
    for child in update:
        if not isinstance(child.tag, str):
            continue
        olds = stored.findall(child.tag)
        if len(olds) != 1 or not _same(olds[0], child):
            update.remove(child)
            return


def _same(one: Element, other: Element) -> bool:
    """Whether two elements hold the same value (whitespace between elements aside)."""
    if one.tag != other.tag or len(one) != len(other):
        return False
    if sorted(one.attrib.items()) != sorted(other.attrib.items()):
        return False
    if (one.text or "").strip() != (other.text or "").strip():
        return False
    return all(_same(a, b) for a, b in zip(one, other, strict=True))

"""Representations as values: what a strategy draws, what a request sends, what is compared.

A ``Representation`` is a root tag, its XSD type and the leaf ``Field``s it carries, each at a
path below the root (``("cpu", "topology", "cores")``; an attribute is ``"@id"``; the n-th of
repeated items is ``"device[2]"``). It is frozen, so Hypothesis can show, shrink and replay
it; ``xml`` renders it, ``element()`` parses that. Comparison is by XSD type (``same_value``):
numbers as numbers, booleans as truth values, enumerations without regard to case, date-times
as instants, everything else as text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import Any

from lxml import etree

from contracttest.schema import Schema
from contracttest.xmlsafe import Element, parse

_ITEM = re.compile(r"^(?P<tag>[^\[@]+)\[(?P<n>[1-9][0-9]*)\]$")
_INTEGERS = frozenset(
    {"byte", "short", "int", "long", "integer", "negativeInteger", "nonNegativeInteger",
     "positiveInteger", "unsignedByte", "unsignedShort", "unsignedInt", "unsignedLong"}
)  # fmt: skip
_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0"})

Path = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Entity:
    """An entity that exists on the engine: its id, its name (if any) and its path there."""

    id: str
    name: str | None = None
    path: str = ""


@dataclass(frozen=True, slots=True)
class Field:
    """One leaf of a representation.

    ``type`` is the XSD type of the value (``"xs:int"``, ``"VmType"``); ``checked`` says
    whether a read-back must show it (False for what the XSD cannot type, which the engine's
    binding drops). A reference (``refers``) names an entity by id or name; what a read-back
    shows of it is the entity's id on the reference element (``path[:-1]``).
    """

    path: Path
    value: str
    type: str = "xs:string"
    parameter: str = ""  # the RSDL parameter it satisfies ("vm.cpu.topology.cores")
    checked: bool = True
    refers: Entity | None = None

    @property
    def slot(self) -> Path:
        """Where the value lives in a read-back: a reference's element, else the path."""
        return self.path[:-1] if self.refers is not None else self.path

    def shown(self) -> str:
        return "/".join(self.path)


@dataclass(frozen=True)
class Representation:
    """A request body (or the part of an entity one compares): root tag, type, leaf fields."""

    tag: str
    type: str
    fields: tuple[Field, ...] = ()
    parameter_set: int | None = field(default=None, compare=False)

    @cached_property
    def xml(self) -> bytes:
        return etree.tostring(self._build(), encoding="UTF-8")

    def element(self) -> Element:
        """A fresh element of this representation (parse of ``xml``: safe to change)."""
        return parse(self.xml)

    def without(self, *parameters: str) -> Representation:
        """The representation without the fields that satisfy the named RSDL parameters."""
        kept = tuple(f for f in self.fields if f.parameter not in parameters)
        return replace(self, fields=kept)

    def replaced(self, old: Field, new: Field) -> Representation:
        return replace(self, fields=tuple(new if f == old else f for f in self.fields))

    def __repr__(self) -> str:
        return f"Representation({self.xml.decode()!r})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """How Hypothesis shows a draw: its XML."""
        printer.text(repr(self))

    def _build(self) -> Element:
        root = etree.Element(self.tag)
        for leaf in self.fields:
            holder = root
            for step in leaf.path[:-1]:
                holder = _child(holder, step)
            last = leaf.path[-1]
            if last.startswith("@"):
                holder.set(last[1:], leaf.value)
            else:
                _child(holder, last).text = leaf.value or None
        return root


def _child(holder: Element, step: str) -> Element:
    """The child a step names (``tag`` or ``tag[n]``), made (with earlier items) if absent."""
    tag, n = split_step(step)
    found = [c for c in holder if c.tag == tag]
    while len(found) < n:
        found.append(etree.SubElement(holder, tag))
    return found[n - 1]


def split_step(step: str) -> tuple[str, int]:
    """``"device[2]"`` -> ("device", 2); ``"cores"`` -> ("cores", 1)."""
    match = _ITEM.match(step)
    return (match["tag"], int(match["n"])) if match else (step, 1)


#: Where an entity's name is, the one the engine finds it by and keeps unique (users go by
#: ``user_name``), first found first.
NAME_PATHS = (("user_name",), ("name",))


def name_field(body: Representation) -> Field | None:
    """The field of ``body`` that names the entity, or None."""
    for path in NAME_PATHS:
        found = next((f for f in body.fields if f.path == path), None)
        if found is not None:
            return found
    return None


def find(element: Element, path: Path) -> str | None:
    """The text (or attribute) at ``path`` below ``element``; None when it is absent. A v3
    ``<status><state>`` is read through, as the engine's v3 shapes nest it."""
    holder: Element | None = element
    for step in path[:-1]:
        holder = _nth(holder, step)
        if holder is None:
            return None
    last = path[-1]
    if last.startswith("@"):
        return holder.get(last[1:]) if holder is not None else None
    leaf = _nth(holder, last)
    if leaf is None:
        return None
    return leaf.text or ""


def find_element(element: Element, path: Path) -> Element | None:
    holder: Element | None = element
    for step in path:
        holder = _nth(holder, step)
        if holder is None:
            return None
    return holder


def _nth(holder: Element | None, step: str) -> Element | None:
    if holder is None:
        return None
    tag, n = split_step(step)
    count = 0
    for child in holder:
        if child.tag == tag:
            count += 1
            if count == n:
                return child
    return None


def status_of(element: Element) -> str | None:
    """The entity's status, v4 ``<status>up</status>`` or v3 ``<status><state>up</state>``."""
    status = element.find("status")
    if status is None:
        return None
    state = status.find("state")
    text = state.text if state is not None else status.text
    return text.strip().lower() if text and text.strip() else None


# -- comparison by XSD type --------------------------------------------------------------


def base_of(schema: Schema | None, type_name: str) -> str:
    """The built-in type a simple type derives from (``"xs:int"``), or the name itself."""
    seen: set[str] = set()
    while schema is not None and type_name in schema.simple_types and type_name not in seen:
        seen.add(type_name)
        type_name = schema.simple_types[type_name].base
    return type_name


def is_enumeration(schema: Schema | None, type_name: str) -> bool:
    simple = schema.simple_types.get(type_name) if schema is not None else None
    return simple is not None and simple.enumeration is not None


def same_value(schema: Schema | None, type_name: str, sent: str, received: str) -> bool:
    """Whether ``received`` is the value ``sent`` as the XSD type reads both."""
    a, b = sent.strip(), received.strip()
    if is_enumeration(schema, type_name):
        return a.lower() == b.lower()
    kind = base_of(schema, type_name).removeprefix("xs:")
    if kind in _INTEGERS:
        return _same(int, a, b)
    if kind in ("double", "float", "decimal"):
        return _same_number(a, b)
    if kind == "boolean":
        return (a.lower() in _TRUE and b.lower() in _TRUE) or (
            a.lower() in _FALSE and b.lower() in _FALSE
        )
    if kind == "dateTime":
        return _same(_instant, a, b)
    return sent == received


def _same(convert: type[int] | object, a: str, b: str) -> bool:
    try:
        return bool(convert(a) == convert(b))  # type: ignore[operator]
    except (ValueError, TypeError, OverflowError):
        return a == b


def _same_number(a: str, b: str) -> bool:
    try:
        x, y = float(a), float(b)
    except ValueError:
        return a == b
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    if x == y:
        return True
    try:
        return Decimal(a) == Decimal(b) or math.isclose(x, y, rel_tol=1e-9)
    except InvalidOperation:
        return math.isclose(x, y, rel_tol=1e-9)


def _instant(text: str) -> datetime:
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Mismatch:
    """A field a read-back does not show as expected: where, what was expected, what came."""

    field: Field
    received: str | None

    def describe(self) -> str:
        expected = self.field.refers.id if self.field.refers is not None else self.field.value
        where = "/".join(self.field.slot)
        what = f"a reference to {expected}" if self.field.refers is not None else repr(expected)
        got = "nothing" if self.received is None else repr(self.received)
        return f"{where}: expected {what} ({self.field.type}), received {got}"


def mismatches(
    schema: Schema | None,
    fields: tuple[Field, ...],
    element: Element,
    hidden: Callable[[str], bool] | None = None,
) -> list[Mismatch]:
    """The checked fields ``element`` does not show as they were sent. A received value for
    which ``hidden`` is true (a recording's scrubber placeholder, in a replay) is not compared:
    what was there was compared when it was recorded."""
    found: list[Mismatch] = []
    for leaf in fields:
        if not leaf.checked:
            continue
        if leaf.refers is not None:
            received = find(element, (*leaf.slot, "@id"))
            if received != leaf.refers.id:
                found.append(Mismatch(leaf, received))
            continue
        received = find(element, leaf.path)
        if received is not None and hidden is not None and hidden(received):
            continue
        if received is None or not same_value(schema, leaf.type, leaf.value, received):
            found.append(Mismatch(leaf, received))
    return found

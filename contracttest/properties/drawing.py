"""Drawing a body for one parameter set: the engine of ``strategies.from_link``.

``Drawer`` walks a parameter set with the contract's ``Surface``: required parameters always,
one draw of which optional ones (it shrinks towards none), values from their XSD types,
references from the source given, collections as one or two items each satisfying a nested
set, and nothing inside a reference but what names the entity.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from functools import partial
from typing import Any

from hypothesis import strategies as st

from contracttest.properties.shapes import Slot, Surface
from contracttest.properties.simple import NAMES, READ_ONLY, from_simple_type, made
from contracttest.properties.values import Entity, Field
from contracttest.rsdl import Contract, Parameter, ParameterSet
from contracttest.schema import UNBOUNDED, Schema

#: ``references(collection, required)``: the entities of a top-level collection a body may
#: name (``"clusters"``); asked for a required reference, it may create one when none exists.
ReferenceSource = Callable[[str, bool], Sequence[Entity]]
References = ReferenceSource | Mapping[str, Sequence[Entity]]
Enumerations = Mapping[tuple[str, str], Collection[str]]

_SURFACES: dict[tuple[int, int], tuple[Contract, Schema, Surface]] = {}


def surface_of(contract: Contract, schema: Schema) -> Surface:
    """The contract's surface, made once per contract and schema (a few kept)."""
    key = (id(contract), id(schema))
    found = _SURFACES.get(key)
    if found is None or found[0] is not contract or found[1] is not schema:
        if len(_SURFACES) >= 8:
            _SURFACES.clear()
        found = _SURFACES[key] = (contract, schema, Surface(contract, schema))
    return found[2]


def short_name(parameter: Parameter) -> str:
    """The parameter's name below the body's root (``vm.cpu.cores`` -> ``cpu.cores``)."""
    head, _, rest = parameter.name.partition(".")
    return rest or head


def preferred_sets(usable: list[int], sets: Sequence[ParameterSet], choose: Choice) -> list[int]:
    """The usable sets that hold every ``include`` name, when any does; else all usable."""
    if not choose.include:
        return usable
    holding = [i for i in usable if choose.include <= {short_name(p) for p in sets[i].parameters}]
    return holding or usable


class Choice:
    def __init__(self, include: set[str], exclude: tuple[str, ...], only: tuple[str, ...]):
        self.include, self.exclude, self.only = include, exclude, only

    def allows(self, name: str) -> bool:
        if any(name == e or name.startswith(e + ".") for e in self.exclude):
            return False
        return not self.only or any(name == o or name.startswith(o + ".") for o in self.only)


ANY = Choice(set(), (), ())


class Drawer:
    def __init__(
        self,
        surface: Surface,
        root_type: str,
        references: References | None,
        enumerations: Enumerations,
        overrides: Mapping[str, st.SearchStrategy[str]],
        max_optional: int | None = None,
    ) -> None:
        self.max_optional = max_optional
        self.surface = surface
        self.schema = surface.schema
        self.root_type = root_type
        self.references = references
        self.enumerations = enumerations
        self.overrides = overrides

    def entities(self, collection: str, required: bool) -> Sequence[Entity]:
        if self.references is None:
            return ()
        if callable(self.references):
            return self.references(collection, required)
        return self.references.get(collection, ())

    def lacking(self, parameter_set: ParameterSet) -> str:
        """What keeps a set from being satisfied: a required reference naming nothing."""
        for parameter in parameter_set.required:
            slot = self.surface.slot(self.root_type, parameter)
            target = slot.target if slot.kind == "reference" else None
            if target is not None and not self.entities(target, True):
                return f"{parameter.name} needs an entity of {slot.target} and none exists"
        return ""

    def fields(
        self,
        draw: Any,
        parameter_set: ParameterSet,
        prefix: tuple[str, ...],
        holder_type: str,
        choose: Choice,
        item: tuple[str, str] | None = None,
        owner: str = "",
    ) -> list[Field]:
        unique = {p.name: p for p in reversed(parameter_set.parameters) if not p.required}
        unique.update((p.name, p) for p in parameter_set.parameters if p.required)
        ordered = [p for p in parameter_set.parameters if unique.get(p.name) is p]
        slots = [(p, self._slot(holder_type, p, item)) for p in ordered]
        references = {s.steps for p, s in slots if s.kind == "reference" and s.steps}
        wanted: list[int] = []
        optional: list[int] = []
        for i, (parameter, slot) in enumerate(slots):
            if any(slot.steps[: len(r)] == r and len(slot.steps) > len(r) for r in references):
                continue  # inside a reference: what names the entity is all that is sent
            name = short_name(parameter)
            if parameter.required or (name in choose.include and choose.allows(name)):
                wanted.append(i)
            elif choose.allows(name) and slot.kind not in ("unknown", "structure"):
                optional.append(i)
        if optional:
            # one draw of which optional parameters to send: shrinks towards none of them
            most = len(optional) if self.max_optional is None else self.max_optional
            key = ("optional", tuple(optional), most)
            wanted.extend(
                draw(
                    made(
                        key, lambda: st.lists(st.sampled_from(optional), unique=True, max_size=most)
                    )
                )
            )
        fields: list[Field] = []
        for i in sorted(wanted):
            parameter, slot = slots[i]
            label = owner or parameter.name
            name = short_name(parameter)
            fields.extend(self._one(draw, parameter, slot, prefix, name, label, holder_type))
        return fields

    def _slot(self, holder_type: str, parameter: Parameter, item: tuple[str, str] | None) -> Slot:
        if item is not None:
            return self.surface.item_slot(item[0], item[1], parameter)
        return self.surface.slot(holder_type, parameter)

    def _one(
        self,
        draw: Any,
        parameter: Parameter,
        slot: Slot,
        prefix: tuple[str, ...],
        name: str,
        label: str,
        holder_type: str,
    ) -> list[Field]:
        path = (*prefix, *slot.steps)
        if slot.kind == "value":
            leaf = (slot.steps[-1] if slot.steps else prefix[-1]).lstrip("@").partition("[")[0]
            values = self.overrides.get(name)
            if values is None:
                allowed = self.enumerations.get((slot.owner, leaf))
                values = from_simple_type(self.schema, slot.type, enumeration=allowed, field=leaf)
            # the root's id and href are the server's: sent as the contract asks, not compared
            own = len(path) > 1 or path[0].lstrip("@") not in READ_ONLY
            return [Field(path, draw(values), slot.type, label, checked=own)]
        if slot.kind == "reference" and slot.target is not None:
            entities = self.entities(slot.target, parameter.required)
            if not entities:
                return []
            choices = tuple(entities)
            entity = draw(made(("one of", choices), lambda: st.sampled_from(choices)))
            return [self._reference(draw, slot, path, entity, label)]
        if slot.kind == "collection" and slot.item is not None:
            return self._items(draw, parameter, slot, path, label, holder_type)
        if parameter.required:  # a structure, or a name the XSD does not know: sent, unchecked
            steps = path if slot.kind == "structure" else (*prefix, *name.split("."))
            steps = tuple(s.split("|")[0] for s in steps)
            value = "" if slot.kind == "structure" else draw(NAMES)
            return [Field(steps, value, slot.type, label, checked=False)]
        return []

    def _reference(
        self, draw: Any, slot: Slot, path: tuple[str, ...], entity: Entity, label: str
    ) -> Field:
        ways = [a for a in slot.naming if a == "id" or (a == "name" and entity.name)]
        choices = tuple(ways or ["id"])
        way = draw(made(("one of", choices), lambda: st.sampled_from(choices)))
        if way == "name":
            return Field((*path, "name"), entity.name or "", "xs:string", label, refers=entity)
        step = "@id" if slot.id_attribute else "id"
        return Field((*path, step), entity.id, "xs:string", label, refers=entity)

    def _items(
        self,
        draw: Any,
        parameter: Parameter,
        slot: Slot,
        path: tuple[str, ...],
        label: str,
        holder_type: str,
    ) -> list[Field]:
        assert slot.item is not None
        most = 2 if self._repeats(holder_type, slot) else 1
        count = draw(made(("count", most), lambda: st.integers(1, most)))
        nested = parameter.parameter_sets
        fields: list[Field] = []
        used: set[str] = set()
        n = 1
        for _ in range(count):
            item_path = (*path, f"{slot.item}[{n}]")
            if not nested:
                if slot.type in self.schema.complex_types:
                    fields.append(Field(item_path, "", slot.type, label, checked=False))
                else:
                    values = from_simple_type(self.schema, slot.type, field=slot.item)
                    fields.append(Field(item_path, draw(values), slot.type, label))
                n += 1
                continue
            last = len(nested) - 1
            chosen = nested[draw(made(("count", 0, last), partial(st.integers, 0, last)))]
            item = (slot.item, slot.type)
            drawn = self.fields(draw, chosen, item_path, slot.type, ANY, item, label)
            named = {f.refers.id for f in drawn if f.refers is not None}
            if not drawn or named & used:
                continue  # an empty item, or the same entity twice in one list: left out
            used |= named
            fields.extend(drawn)
            n += 1
        return fields

    def _repeats(self, holder_type: str, slot: Slot) -> bool:
        """Whether the XSD lets the collection's item repeat (else one item is drawn)."""
        current = holder_type
        for step in slot.steps:
            complex_type = self.schema.complex_types.get(current)
            child = complex_type.children.get(step.partition("[")[0]) if complex_type else None
            if child is None:
                return True
            current = child.type
        holder = self.schema.complex_types.get(current)
        item = holder.children.get(slot.item or "") if holder is not None else None
        return item is None or item.max_occurs == UNBOUNDED or item.max_occurs > 1

"""Hypothesis strategies built from the contract: values, representations, request bodies.

In Hypothesis' own style: ``from_*`` factories, lazy (nothing is read or asked of an engine
until a value is drawn), composable, and an impossible request raises instead of generating
nothing. What they draw are ``Representation`` values (``values.py``): frozen, shown as their
XML, rendered with ``.xml`` (bytes) or ``.element()`` (a fresh lxml element).

* ``from_simple_type(schema, "VmType")``: text of a simple XSD type (enumerations, integer
  ranges, booleans, decimals, date-times; a field called ``name`` draws an identifier).
* ``from_type(schema, "VM")``: a representation of a complex type, a draw of its fields.
* ``from_link(contract, link, schema=..., references=...)``: a body satisfying one of the
  link's parameter sets: every required parameter present, a draw of the optional ones, and
  references (``cluster.id|name``) naming entities that exist (``references``).

``enumerations`` gives the values an engine accepts where its XSD has no enumeration (v3):
``{(complex type, field): values}``, as ``enumerations_from_capabilities`` reads them from a
v3 engine's ``/capabilities``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from hypothesis import strategies as st

from contracttest.errors import ContractTestError
from contracttest.properties.shapes import Slot, Surface
from contracttest.properties.values import Entity, Field, Representation, base_of
from contracttest.rsdl import Contract, Link, Parameter, ParameterSet
from contracttest.schema import UNBOUNDED, Schema
from contracttest.xmlsafe import Element

#: ``references(collection, required)``: the entities of a top-level collection a body may
#: name (``"clusters"``); asked for a required reference, it may create one when none exists.
ReferenceSource = Callable[[str, bool], Sequence[Entity]]
References = ReferenceSource | Mapping[str, Sequence[Entity]]
Enumerations = Mapping[tuple[str, str], Collection[str]]

#: Parts of a representation the server owns: never drawn.
READ_ONLY = frozenset({"actions", "link", "status", "creation_status", "href", "id"})
_INTEGER_RANGES = {
    "byte": (-(2**7), 2**7 - 1), "short": (-(2**15), 2**15 - 1),
    "int": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1),
    "integer": (-(2**63), 2**63 - 1), "negativeInteger": (-(2**63), -1),
    "nonNegativeInteger": (0, 2**63 - 1), "positiveInteger": (1, 2**63 - 1),
    "unsignedByte": (0, 2**8 - 1), "unsignedShort": (0, 2**16 - 1),
    "unsignedInt": (0, 2**32 - 1), "unsignedLong": (0, 2**64 - 1),
}  # fmt: skip
_NAME_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789_"
#: Text of a string field: letters, digits, punctuation, symbols and spaces (what XML 1.0
#: holds, without control characters), no white space at either end.
TEXT = (
    st.text(st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs")), max_size=24)
    .map(str.strip)
    .filter(bool)
)
#: A name: what oVirt accepts in every entity's name, lower case (searches and duplicate
#: checks stay unambiguous).
NAMES = st.text(_NAME_ALPHABET, min_size=1, max_size=12).map(lambda s: f"ct-{s}")


class Unsatisfiable(ContractTestError):
    """No parameter set of a link can be satisfied (a required reference names nothing)."""


def from_simple_type(
    schema: Schema | None,
    type_name: str,
    *,
    enumeration: Collection[str] | None = None,
    field: str = "",
) -> st.SearchStrategy[str]:
    """Text valid for the simple type ``type_name`` (``"xs:int"``, ``"VmType"``)."""
    if enumeration:
        return st.sampled_from(sorted(enumeration))
    simple = schema.simple_types.get(type_name) if schema is not None else None
    if simple is not None and simple.enumeration:
        return st.sampled_from(sorted(simple.enumeration))
    kind = base_of(schema, type_name).removeprefix("xs:")
    if kind in _INTEGER_RANGES:
        low, high = _INTEGER_RANGES[kind]
        return st.integers(low, high).map(str)
    if kind == "boolean":
        return st.sampled_from(("true", "false"))
    if kind in ("double", "float"):
        if kind == "float":
            return st.floats(allow_nan=False, allow_infinity=False, width=32).map(repr)
        return st.floats(allow_nan=False, allow_infinity=False).map(repr)
    if kind == "decimal":
        return st.decimals(-(10**9), 10**9, allow_nan=False, places=3).map(lambda d: f"{d:f}")
    if kind == "dateTime":
        return st.datetimes(datetime(1970, 1, 1), datetime(2100, 1, 1)).map(_date_time)
    if kind == "date":
        return st.dates(datetime(1970, 1, 1).date(), datetime(2100, 1, 1).date()).map(str)
    return NAMES if field == "name" else TEXT


def _date_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def from_type(
    schema: Schema, type_name: str, *, enumerations: Enumerations | None = None, depth: int = 2
) -> st.SearchStrategy[Representation]:
    """A representation of the complex type ``type_name`` (or of the global element so
    named): a draw of its simple fields, nested structures to ``depth``, never what the server
    owns (``READ_ONLY``) nor references to other entities."""
    resolved = _type_named(schema, type_name)
    tag = (schema.element_names(resolved) or (resolved.lower(),))[0]
    leaves = tuple(_leaves(schema, resolved, (), depth, set()))
    values = enumerations or {}

    @st.composite
    def draw_type(draw: Any) -> Representation:
        fields = []
        for path, owner, leaf_type in leaves:
            if draw(st.booleans()):
                leaf = path[-1].lstrip("@").partition("[")[0]
                allowed = values.get((owner, leaf))
                value = draw(from_simple_type(schema, leaf_type, enumeration=allowed, field=leaf))
                fields.append(Field(path, value, leaf_type, ".".join(path)))
        return Representation(tag, resolved, tuple(fields))

    return draw_type()


def _type_named(schema: Schema, name: str) -> str:
    if name in schema.complex_types:
        return name
    if name in schema.elements and schema.elements[name] in schema.complex_types:
        return schema.elements[name]
    folded = {known.lower(): known for known in schema.complex_types}
    if name.lower() in folded:
        return folded[name.lower()]
    near = sorted(k for k in schema.complex_types if k.lower().startswith(name.lower()[:2]))[:8]
    hint = f"; did you mean one of: {', '.join(near)}?" if near else ""
    raise ContractTestError(f"{schema.source}: no complex type or element {name!r}{hint}")


def _leaves(
    schema: Schema, type_name: str, prefix: tuple[str, ...], depth: int, seen: set[str]
) -> list[tuple[tuple[str, ...], str, str]]:
    complex_type = schema.complex_types[type_name]
    found: list[tuple[tuple[str, ...], str, str]] = []
    for name, attribute in complex_type.attributes.items():
        if name not in READ_ONLY:
            found.append(((*prefix, f"@{name}"), type_name, attribute.type))
    for name, child in complex_type.children.items():
        if name in READ_ONLY:
            continue
        if child.type not in schema.complex_types:
            step = f"{name}[1]" if child.max_occurs == UNBOUNDED else name
            found.append(((*prefix, step), type_name, child.type))
        elif depth > 0 and child.max_occurs == 1 and child.type not in seen:
            if "id" in schema.complex_types[child.type].attributes:
                continue  # an entity of its own: a reference, not a value
            found.extend(
                _leaves(schema, child.type, (*prefix, name), depth - 1, {*seen, type_name})
            )
    return found


# -- request bodies ----------------------------------------------------------------------

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


def from_link(
    contract: Contract,
    link: Link,
    *,
    schema: Schema,
    references: References | None = None,
    enumerations: Enumerations | None = None,
    overrides: Mapping[str, st.SearchStrategy[str]] | None = None,
    include: Collection[str] = (),
    exclude: Collection[str] = (),
    only: Collection[str] = (),
    max_optional: int | None = None,
) -> st.SearchStrategy[Representation]:
    """A body for ``link`` that satisfies one of its parameter sets.

    Every required parameter is present, and a draw of the optional ones (at most
    ``max_optional`` of them), but those named in ``include`` always are and those in
    ``exclude`` (or outside ``only``, by prefix) never.
    Names are the parameter's below the root (``cpu.topology.cores``). ``overrides`` gives
    the values of a parameter by the same name. A reference is drawn from ``references``
    (a mapping or a callable, see ``ReferenceSource``), by id or by name; what the XSD cannot
    type is left out unless required (then sent, never compared). A link without parameter
    sets gets its body type with no field; a set that cannot be satisfied is never drawn, and
    when none can be, drawing raises ``Unsatisfiable`` naming what is missing.
    """
    surface = surface_of(contract, schema)
    root_type = link.body_type or "Action"
    tag = (schema.element_names(root_type) or (root_type.lower(),))[0]
    drawer = _Drawer(
        surface, root_type, references, enumerations or {}, overrides or {}, max_optional
    )
    choose = _Choice(set(include), tuple(exclude), tuple(only))
    sets = link.parameter_sets or (ParameterSet(()),)

    @st.composite
    def draw_body(draw: Any) -> Representation:
        usable = [i for i, ps in enumerate(sets) if not drawer.lacking(ps)]
        if not usable:
            lacking = "; ".join(drawer.lacking(ps) for ps in sets)
            raise Unsatisfiable(f"{link.describe()}: no parameter set can be satisfied: {lacking}")
        index = draw(st.sampled_from(_preferred(usable, sets, choose)))
        fields = drawer.fields(draw, sets[index], (), root_type, choose)
        return Representation(tag, root_type, tuple(fields), parameter_set=index)

    return draw_body()


def _preferred(usable: list[int], sets: Sequence[ParameterSet], choose: _Choice) -> list[int]:
    """The usable sets that hold every ``include`` name, when any does; else all usable."""
    if not choose.include:
        return usable
    holding = [i for i in usable if choose.include <= {short_name(p) for p in sets[i].parameters}]
    return holding or usable


class _Choice:
    def __init__(self, include: set[str], exclude: tuple[str, ...], only: tuple[str, ...]):
        self.include, self.exclude, self.only = include, exclude, only

    def allows(self, name: str) -> bool:
        if any(name == e or name.startswith(e + ".") for e in self.exclude):
            return False
        return not self.only or any(name == o or name.startswith(o + ".") for o in self.only)


_ANY = _Choice(set(), (), ())


class _Drawer:
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
        choose: _Choice,
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
            picks = st.lists(st.sampled_from(optional), unique=True, max_size=most)
            wanted.extend(draw(picks))
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
            entity = draw(st.sampled_from(entities))
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
        way = draw(st.sampled_from(ways or ["id"]))
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
        count = draw(st.integers(1, most))
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
            chosen = nested[draw(st.integers(0, len(nested) - 1))]
            item = (slot.item, slot.type)
            drawn = self.fields(draw, chosen, item_path, slot.type, _ANY, item, label)
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


# -- what a v3 engine accepts ------------------------------------------------------------


def enumerations_from_capabilities(capabilities: Element, schema: Schema) -> Enumerations:
    """The values a v3 engine accepts where its XSD has no enumeration, read from its
    ``/capabilities``: each list (``<vm_types><vm_type>server``) constrains the field its
    name gives (``vm`` + ``type``: the ``type`` of the element ``vm``), where the XSD has it.
    All the versions listed are merged."""
    found: dict[tuple[str, str], set[str]] = {}
    for version in capabilities.iter("version"):
        for listing in version:
            if not isinstance(listing.tag, str):
                continue
            items = [c for c in listing if isinstance(c.tag, str)]
            texts = {(c.text or "").strip() for c in items} - {""}
            if not texts:
                continue
            candidates = [listing.tag.removesuffix("s"), *(c.tag for c in items[:1])]
            key = _field_named(schema, candidates)
            if key is not None:
                found.setdefault(key, set()).update(texts)
    return {key: frozenset(values) for key, values in found.items()}


def _field_named(schema: Schema, candidates: list[str]) -> tuple[str, str] | None:
    for candidate in candidates:
        parts = candidate.split("_")
        for cut in range(len(parts) - 1, 0, -1):
            owner, field = "_".join(parts[:cut]), "_".join(parts[cut:])
            owner_type = schema.elements.get(owner)
            complex_type = schema.complex_types.get(owner_type or "")
            if complex_type is not None and (
                field in complex_type.children or field in complex_type.attributes
            ):
                return owner_type or "", field
    return None

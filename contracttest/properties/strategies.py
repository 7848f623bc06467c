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

from collections.abc import Collection, Mapping
from typing import Any

from hypothesis import strategies as st

from contracttest.errors import ContractTestError
from contracttest.properties.drawing import (
    ANY,
    Choice,
    Drawer,
    Enumerations,
    References,
    ReferenceSource,
    preferred_sets,
    short_name,
    surface_of,
)
from contracttest.properties.simple import NAMES, READ_ONLY, TEXT, from_simple_type, made
from contracttest.properties.values import Field, Representation
from contracttest.rsdl import Contract, Link, ParameterSet
from contracttest.schema import UNBOUNDED, Schema
from contracttest.xmlsafe import Element

__all__ = [
    "ANY",
    "NAMES",
    "READ_ONLY",
    "TEXT",
    "Enumerations",
    "ReferenceSource",
    "References",
    "Unsatisfiable",
    "enumerations_from_capabilities",
    "from_link",
    "from_simple_type",
    "from_type",
    "short_name",
    "surface_of",
]


class Unsatisfiable(ContractTestError):
    """No parameter set of a link can be satisfied (a required reference names nothing)."""


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
    drawer = Drawer(
        surface, root_type, references, enumerations or {}, overrides or {}, max_optional
    )
    choose = Choice(set(include), tuple(exclude), tuple(only))
    sets = link.parameter_sets or (ParameterSet(()),)

    @st.composite
    def draw_body(draw: Any) -> Representation:
        usable = [i for i, ps in enumerate(sets) if not drawer.lacking(ps)]
        if not usable:
            lacking = "; ".join(drawer.lacking(ps) for ps in sets)
            raise Unsatisfiable(f"{link.describe()}: no parameter set can be satisfied: {lacking}")
        preferred = tuple(preferred_sets(usable, sets, choose))
        index = draw(made(("one of", preferred), lambda: st.sampled_from(preferred)))
        fields = drawer.fields(draw, sets[index], (), root_type, choose)
        return Representation(tag, root_type, tuple(fields), parameter_set=index)

    return draw_body()


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

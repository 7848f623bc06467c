"""The entity XSDs compared: global elements, complex types (elements, attributes, text),
and the enumerations of simple types, judged by the direction their values travel.

Types are matched by name; a type's elements and attributes include what it inherits, so a
change to a base shows on every type that has it (each type's documents change). An element
gone and one come in the same type with the same complex type is a rename (only when the
pairing is unique); an attribute gone and an element of the same name come is a move.

Direction: a value a client may send is one of a type reached by the links' body parameters
(what the RSDL documents a client sends); a value a server may return is one of a type
reached from a response type or the API root. A type neither reaches is judged both ways.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from contracttest.diff.catalogue import Change
from contracttest.diff.parameters import flatten
from contracttest.rsdl import Contract
from contracttest.schema import UNBOUNDED, Child, ComplexType, Schema


@dataclass(frozen=True)
class Usage:
    """The type names a client may send (``request``) and a server may return (``response``)."""

    request: frozenset[str]
    response: frozenset[str]

    def directions(self, type_name: str) -> tuple[str, ...]:
        found = tuple(
            d
            for d, names in (("request", self.request), ("response", self.response))
            if type_name in names
        )
        return found or ("request", "response")


def usage(contract: Contract, schema: Schema) -> Usage:
    return Usage(_sent(contract, schema), _returned(contract, schema))


def _returned(contract: Contract, schema: Schema) -> frozenset[str]:
    start = {link.response_type for link in contract.links if link.response_type} | {"API"}
    return _closure(schema, start)


def _closure(schema: Schema, start: Iterable[str]) -> frozenset[str]:
    seen: set[str] = set()
    todo = list(start)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        complex_type = schema.complex_types.get(name)
        if complex_type is not None:
            todo.extend(child.type for child in complex_type.children.values())
            todo.extend(attribute.type for attribute in complex_type.attributes.values())
            if complex_type.text_type:
                todo.append(complex_type.text_type)
    return frozenset(seen)


def _sent(contract: Contract, schema: Schema) -> frozenset[str]:
    """Every type on the path of a body parameter, from the link's body type down."""
    seen: set[str] = set()
    for link in contract.links:
        if link.body_type is None:
            continue
        for parameter_set in link.parameter_sets:
            for parameter in flatten(parameter_set).values():
                seen.update(_types_along(schema, link.body_type, parameter.path))
    return frozenset(seen)


def _types_along(schema: Schema, root: str, path: tuple[tuple[str, ...], ...]) -> list[str]:
    found, current = [], schema.complex_types.get(root)
    for segment in path:
        if current is None:
            break
        following = None
        for name in segment:
            child, attribute = current.children.get(name), current.attributes.get(name)
            type_name = child.type if child else attribute.type if attribute else None
            if type_name is not None:
                found.append(type_name)
                following = following or schema.complex_types.get(type_name)
        current = following
    return found


def compare_schemas(old: Schema, new: Schema, before: Usage, after: Usage) -> Iterator[Change]:
    yield from _roots(old.elements, new.elements)
    for name in old.complex_types.keys() - new.complex_types.keys():
        yield Change("type-removed", name, "gone")
    for name in new.complex_types.keys() - old.complex_types.keys():
        yield Change("type-added", name, "new")
    for name, old_type in old.complex_types.items():
        new_type = new.complex_types.get(name)
        if new_type is not None:
            yield from _complex(old_type, new_type)
    yield from _enumerations(old, new, before, after)


def _roots(old: dict[str, str], new: dict[str, str]) -> Iterator[Change]:
    gone = {name: t for name, t in old.items() if name not in new}
    came = {name: t for name, t in new.items() if name not in old}
    for name, new_name in _renames(gone, came):
        del gone[name], came[new_name]
        yield Change(
            "root-element-renamed",
            f"<{name}>",
            f"now <{new_name}> ({old[name]})",
        )
    for name, type_name in gone.items():
        yield Change("root-element-removed", f"<{name}>", f"gone ({type_name})")
    for name, type_name in came.items():
        yield Change("root-element-added", f"<{name}>", f"new ({type_name})")
    for name in old.keys() & new.keys():
        if old[name] != new[name]:
            yield Change("root-element-type-changed", f"<{name}>", f"{old[name]} -> {new[name]}")


def _renames(gone: dict[str, str], came: dict[str, str]) -> list[tuple[str, str]]:
    """(old name, new name) for each type that exactly one name lost and one gained;
    built-in types (``xs:string``) never: two strings are not one renamed."""
    found = []
    for name, type_name in gone.items():
        if type_name.startswith("xs:"):
            continue
        lost = [n for n, t in gone.items() if t == type_name]
        gained = [n for n, t in came.items() if t == type_name]
        if len(lost) == 1 and len(gained) == 1:
            found.append((name, gained[0]))
    return found


def _complex(old: ComplexType, new: ComplexType) -> Iterator[Change]:
    name = old.name
    gone = {n: c.type for n, c in old.children.items() if n not in new.children}
    came = {n: c.type for n, c in new.children.items() if n not in old.children}
    gone_attributes = {n: a.type for n, a in old.attributes.items() if n not in new.attributes}
    came_attributes = {n: a.type for n, a in new.attributes.items() if n not in old.attributes}
    for moved in sorted(gone.keys() & came_attributes.keys()):
        del gone[moved], came_attributes[moved]
        yield Change("element-to-attribute", f"{name}/{moved}", f"now @{moved}")
    for moved in sorted(gone_attributes.keys() & came.keys()):
        del gone_attributes[moved], came[moved]
        yield Change("attribute-to-element", f"{name}@{moved}", f"now <{moved}>")
    for was, now in _renames(gone, came):
        del gone[was], came[now]
        yield Change("element-renamed", f"{name}/{was}", f"now <{now}> ({old.children[was].type})")
    for child, type_name in gone.items():
        yield Change("element-removed", f"{name}/{child}", f"gone ({type_name})")
    for child, type_name in came.items():
        yield Change("element-added", f"{name}/{child}", f"new ({type_name})")
    for attribute, type_name in gone_attributes.items():
        yield Change("attribute-removed", f"{name}@{attribute}", f"gone ({type_name})")
    for attribute, type_name in came_attributes.items():
        yield Change("attribute-added", f"{name}@{attribute}", f"new ({type_name})")
    yield from _kept(old, new)


def _kept(old: ComplexType, new: ComplexType) -> Iterator[Change]:
    """What changed in the elements, attributes and text both versions of a type have."""
    name = old.name
    for child, before in old.children.items():
        after = new.children.get(child)
        if after is None:
            continue
        where = f"{name}/{child}"
        if before.type != after.type:
            yield Change("element-type-changed", where, f"{before.type} -> {after.type}")
        if (before.min_occurs, before.max_occurs) != (after.min_occurs, after.max_occurs):
            yield Change(
                "element-occurrence-changed",
                where,
                f"occurs {_occurs(before)} -> {_occurs(after)}",
            )
    for attribute, was in old.attributes.items():
        now = new.attributes.get(attribute)
        if now is None:
            continue
        where = f"{name}@{attribute}"
        if was.type != now.type:
            yield Change("attribute-type-changed", where, f"{was.type} -> {now.type}")
        if was.required != now.required:
            shown = "required" if now.required else "optional"
            yield Change("attribute-occurrence-changed", where, f"now {shown}")
    if old.text_type != new.text_type:
        yield Change(
            "text-type-changed",
            f"{name}/text()",
            f"{old.text_type or 'no text'} -> {new.text_type or 'no text'}",
        )


def _occurs(child: Child) -> str:
    most = "unbounded" if child.max_occurs == UNBOUNDED else str(child.max_occurs)
    return f"{child.min_occurs}..{most}"


def _enumerations(old: Schema, new: Schema, before: Usage, after: Usage) -> Iterator[Change]:
    for name, old_type in old.simple_types.items():
        new_type = new.simple_types.get(name)
        if new_type is None or old_type.enumeration is None or new_type.enumeration is None:
            continue
        for value in sorted(old_type.enumeration - new_type.enumeration):
            for direction in before.directions(name):
                yield Change(
                    f"{direction}-enum-value-removed",
                    f"{name}={value}",
                    f"gone ({_gone[direction]})",
                )
        for value in sorted(new_type.enumeration - old_type.enumeration):
            for direction in after.directions(name):
                yield Change(
                    f"{direction}-enum-value-added",
                    f"{name}={value}",
                    f"new ({_new[direction]})",
                )


_gone = {"request": "a client may have sent it", "response": "a server returned it"}
_new = {"request": "a client may send it", "response": "a server may return it"}

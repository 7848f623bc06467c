"""Two contracts in, their differences out: ``diff_contracts``.

Links are matched by route (``routes``); what each route takes and returns is compared,
then the body parameter sets (``parameters``), the headers every request may send, and, when
both versions have an XSD, the entity types (``schemas``). Nothing here reads a file: the
version string, the prefix and the form (served or build-time) of an RSDL are not part of
what a client can see change, so a contract and its served form compare equal.
"""

from __future__ import annotations

from collections.abc import Iterator

from contracttest.diff.catalogue import Change, sort_key
from contracttest.diff.parameters import FlatSet, compare_sets, flatten
from contracttest.diff.routes import Route, compare_headers, compare_routes, routes
from contracttest.diff.schemas import compare_schemas, usage
from contracttest.rsdl import Contract
from contracttest.schema import Schema


def diff_contracts(
    old: Contract,
    new: Contract,
    old_schema: Schema | None = None,
    new_schema: Schema | None = None,
) -> tuple[Change, ...]:
    """Every change from ``old`` to ``new``, once each, breaking first. The XSDs are
    compared when both are given."""
    schemas = (old_schema, new_schema) if old_schema and new_schema else None
    found: dict[str, Change] = {}
    for change in _changes(old, new, schemas):
        found.setdefault(change.id, change)
    return tuple(sorted(found.values(), key=sort_key))


def _changes(
    old: Contract, new: Contract, schemas: tuple[Schema, Schema] | None
) -> Iterator[Change]:
    before, after = routes(old), routes(new)
    for key, route in before.items():
        if key not in after:
            kind = "action-removed" if route.is_action else "link-removed"
            yield Change(kind, route.where, f"{_described(route)} is gone")
    for key, route in after.items():
        if key not in before:
            kind = "action-added" if route.is_action else "link-added"
            yield Change(kind, route.where, f"{_described(route)} is new")
    for key, route in after.items():
        was = before.get(key)
        if was is not None:
            yield from compare_routes(was, route)
            yield from _bodies(was, route)
            yield from _responses(was, route, schemas)
            yield from compare_sets(route.where, _sets(was), _sets(route))
    yield from compare_headers(
        "* (every request)",
        {h.name.lower(): (h, h.required) for h in old.general_headers},
        {h.name.lower(): (h, h.required) for h in new.general_headers},
    )
    if schemas is not None:
        old_schema, new_schema = schemas
        yield from compare_schemas(
            old_schema, new_schema, usage(old, old_schema), usage(new, new_schema)
        )


def _described(route: Route) -> str:
    rels = ", ".join(sorted(route.rels))
    return f"{'action' if route.is_action else 'link'} ({rels})"


def _bodies(old: Route, new: Route) -> Iterator[Change]:
    before, after = old.body_types, new.body_types
    where = new.where
    if len(before) == 1 and len(after) == 1 and before != after:
        (was,), (now,) = before, after
        yield Change("body-type-changed", where, f"body {was} -> {now}")
        return
    for gone in sorted(before - after):
        yield Change("body-type-removed", f"{where} body {gone}", f"no {gone} body any more")
    for came in sorted(after - before):
        yield Change("body-type-added", f"{where} body {came}", f"also takes a {came} body")


def _responses(old: Route, new: Route, schemas: tuple[Schema, Schema] | None) -> Iterator[Change]:
    before, after = old.response_types, new.response_types
    where = new.where
    if len(before) == 1 and len(after) == 1 and before != after:
        (was,), (now,) = before, after
        richer = schemas is not None and _carries(schemas, was, now)
        kind = "response-type-specialised" if richer else "response-type-changed"
        yield Change(kind, where, f"returns {now}, not {was}")
        return
    for gone in sorted(before - after):
        yield Change(
            "response-type-removed", f"{where} response {gone}", f"no longer returns {gone}"
        )
    for came in sorted(after - before):
        yield Change("response-type-added", f"{where} response {came}", f"may return {came} too")


def _carries(schemas: tuple[Schema, Schema], was: str, now: str) -> bool:
    """Whether the new type ``now`` has every element and attribute the old ``was`` had."""
    old_schema, new_schema = schemas
    old_type, new_type = old_schema.complex_types.get(was), new_schema.complex_types.get(now)
    if old_type is None or new_type is None:
        return False
    return old_type.children.keys() <= new_type.children.keys() and (
        old_type.attributes.keys() <= new_type.attributes.keys()
    )


def _sets(route: Route) -> list[FlatSet]:
    """The route's distinct parameter sets; a body documented without any is one empty set."""
    found: list[FlatSet] = []
    for link in route.links:
        for parameter_set in link.parameter_sets:
            flat = flatten(parameter_set)
            if flat not in found:
                found.append(flat)
    if not found and route.body_types:
        found.append({})
    return found

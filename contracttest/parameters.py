"""Which parameters of an RSDL parameter set a request body lacks.

Shared by the request checks and the embedded engine, which answers the same gap with the
engine's "Incomplete parameters" fault.
"""

from __future__ import annotations

from contracttest.rsdl import Parameter, ParameterSet
from contracttest.xmlsafe import Element


def closest_gap(item: Element, parameter_sets: tuple[ParameterSet, ...]) -> tuple[int, list[str]]:
    """(index of the closest parameter set, what it lacks); ``[]`` when one is satisfied."""
    best = 0
    lacking: list[str] = []
    for i, parameter_set in enumerate(parameter_sets):
        gap = missing_parameters(item, parameter_set)
        if not gap:
            return i, []
        if i == 0 or len(gap) < len(lacking):
            best, lacking = i, gap
    return best, lacking


def missing_parameters(item: Element, parameter_set: ParameterSet) -> list[str]:
    missing: list[str] = []
    for parameter in parameter_set.parameters:
        if parameter.is_collection:
            problem = _collection_problem(item, parameter)
            if problem:
                missing.append(problem)
        elif parameter.required and not _present(item, parameter.path):
            missing.append(parameter.name)
    return missing


def _collection_problem(item: Element, parameter: Parameter) -> str | None:
    *container, (item_tag, *_) = parameter.path or (("",),)
    holders = _find(item, tuple(container))
    items = [child for holder in holders for child in holder.iterchildren(item_tag)]
    if not items:
        return parameter.name if parameter.required else None
    if not parameter.parameter_sets:
        return None
    for child in items:
        # a loop, not a comprehension: nested collections recurse through here, and a loop
        # costs no extra frame per level
        gaps = []
        for parameter_set in parameter.parameter_sets:
            gaps.append(missing_parameters(child, parameter_set))
        if all(gaps):
            closest: list[str] = min(gaps, key=len)
            return f"{parameter.name} ({', '.join(closest)})"
    return None


def _present(element: Element, path: tuple[tuple[str, ...], ...]) -> bool:
    if not path:
        return True
    *parents, last = path
    for holder in _find(element, tuple(parents)):
        for name in last:
            if holder.get(name) is not None:  # id, and v3's <version major="3" minor="6"/>
                return True
            if holder.find(name) is not None:
                return True
    return False


def _find(element: Element, path: tuple[tuple[str, ...], ...]) -> list[Element]:
    found = [element]
    for alternatives in path:
        found = [
            child
            for parent in found
            for name in alternatives
            for child in parent.iterchildren(name)
        ]
        if not found:
            break
    return found

"""Body parameter sets compared across versions.

A link's body takes one of its parameter sets (overloads). Sets have no names, so each old
set is matched with the new set most like it: identical sets first, then by the share of
parameters they have in common (the best pairs first); a last old and new set left over are
paired when the new one takes what the old one sent (see ``_takes``). A parameter is
known by its path below the body's root (``vm.cluster.id|name``: ``cluster``, ``id|name``),
so a root spelled ``vm_pool`` in one version and ``vmpool`` in the next changes nothing; a
collection's nested sets are read as paths below the collection
(``cluster.scheduling_policy.properties.property.name``). A client that built its request on
the old set is judged against the new set matched to it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from contracttest.diff.catalogue import Change
from contracttest.rsdl import Parameter, ParameterSet

Path = tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class Flat:
    """A parameter with its nested collection parameters read out to full paths."""

    name: str
    path: Path
    type: str
    required: bool
    deprecated: bool


FlatSet = dict[Path, Flat]


def flatten(parameter_set: ParameterSet) -> FlatSet:
    found: FlatSet = {}
    stack: list[tuple[Parameter, str, Path, bool]] = [
        (p, p.name, p.path, p.required) for p in reversed(parameter_set.parameters)
    ]
    while stack:  # a loop, not a recursion: nesting is bounded by the parser alone
        parameter, name, path, required = stack.pop()
        found.setdefault(path, Flat(name, path, parameter.type, required, parameter.deprecated))
        for nested in parameter.parameter_sets:
            for child in reversed(nested.parameters):
                child_name = ".".join([name, *child.name.split(".")[1:]])
                stack.append((child, child_name, path + child.path, required and child.required))
    return found


def label(flat: FlatSet) -> str:
    """How a set is named in a change: its required parameters (all, when none is)."""
    chosen = [p for p in flat.values() if p.required] or list(flat.values())
    return "set(" + ", ".join(sorted(_below_root(p.name) for p in chosen)) + ")"


def _below_root(name: str) -> str:
    return name.split(".", 1)[1] if "." in name else name


def compare_sets(where: str, old: list[FlatSet], new: list[FlatSet]) -> Iterator[Change]:
    pairs, lost, gained = match(old, new)
    for i, j in pairs:
        yield from compare_pair(where, old[i], new[j])
    for i in lost:
        yield Change(
            "parameter-set-removed",
            f"{where} body {label(old[i])}",
            f"no set of the new version is like it ({len(old[i])} parameters)",
        )
    for j in gained:
        if not new[j]:
            continue  # "the body may be empty": nothing a client must do
        yield Change(
            "parameter-set-added",
            f"{where} body {label(new[j])}",
            f"a new set ({len(new[j])} parameters)",
        )


def match(
    old: list[FlatSet], new: list[FlatSet]
) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """(old, new) index pairs, then the old sets and the new sets left unmatched."""
    free_old, free_new = list(range(len(old))), list(range(len(new)))
    pairs: list[tuple[int, int]] = []
    for i in list(free_old):
        same = next((j for j in free_new if new[j] == old[i]), None)
        if same is not None:
            pairs.append((i, same))
            free_old.remove(i)
            free_new.remove(same)
    scored = sorted(
        ((-_likeness(old[i], new[j]), i, j) for i in free_old for j in free_new),
    )
    for score, i, j in scored:
        if score < 0 and i in free_old and j in free_new:
            pairs.append((i, j))
            free_old.remove(i)
            free_new.remove(j)
    if len(free_old) == 1 and len(free_new) == 1 and _takes(old[free_old[0]], new[free_new[0]]):
        pairs.append((free_old.pop(), free_new.pop()))
    return sorted(pairs), free_old, free_new


def _takes(old: FlatSet, new: FlatSet) -> bool:
    """Whether a last new set takes what a client built on the last old one sends, though
    they share no parameter: the old one documented none, or the new one requires none."""
    return not old or not any(p.required for p in new.values())


def _likeness(a: FlatSet, b: FlatSet) -> float:
    union = len(a.keys() | b.keys())
    return len(a.keys() & b.keys()) / union if union else 1.0


def compare_pair(where: str, old: FlatSet, new: FlatSet) -> Iterator[Change]:
    if old == new:
        return
    gone = [old[path] for path in old if path not in new]
    came = [new[path] for path in new if path not in old]
    for before, after in _alternatives(gone, came):
        gone.remove(before)
        came.remove(after)
        yield from _alternatives_changed(f"{where} body {after.name}", before, after)
        yield from _parameter_changed(f"{where} body {after.name}", before, after)
    for parameter in gone:
        yield Change(
            "parameter-removed",
            f"{where} body {parameter.name}",
            f"no longer documented (was {_required(parameter)})",
        )
    for parameter in came:
        kind = "parameter-required-added" if parameter.required else "parameter-added"
        yield Change(
            kind,
            f"{where} body {parameter.name}",
            f"{_required(parameter)}, {parameter.type}",
        )
    for path, was in old.items():
        now = new.get(path)
        if now is not None and now != was:
            yield from _parameter_changed(f"{where} body {now.name}", was, now)


def _required(parameter: Flat) -> str:
    return "required" if parameter.required else "optional"


def _alternatives(gone: list[Flat], came: list[Flat]) -> list[tuple[Flat, Flat]]:
    """Pairs of a parameter gone and one come that differ only in their alternatives
    (``cluster.id|name`` and ``cluster.id``), each paired only when the pairing is unique."""
    found = []
    for before in gone:
        like = [after for after in came if _same_but_alternatives(before.path, after.path)]
        if len(like) != 1:
            continue
        rivals = [other for other in gone if _same_but_alternatives(other.path, like[0].path)]
        if len(rivals) == 1:
            found.append((before, like[0]))
    return found


def _same_but_alternatives(a: Path, b: Path) -> bool:
    return len(a) == len(b) and all(set(x) & set(y) for x, y in zip(a, b, strict=True))


def _alternatives_changed(where: str, before: Flat, after: Flat) -> Iterator[Change]:
    lost = sorted(_alts(before.path) - _alts(after.path))
    new = sorted(_alts(after.path) - _alts(before.path))
    if lost:
        yield Change(
            "parameter-alternatives-removed",
            where,
            f"was {before.name}: {', '.join(lost)} no longer taken",
        )
    if new:
        yield Change(
            "parameter-alternatives-added",
            where,
            f"was {before.name}: {', '.join(new)} also taken",
        )


def _alts(path: Path) -> set[str]:
    return {alt for segment in path for alt in segment}


def _parameter_changed(where: str, before: Flat, after: Flat) -> Iterator[Change]:
    if after.required and not before.required:
        yield Change("parameter-now-required", where, "now required")
    elif before.required and not after.required:
        yield Change("parameter-now-optional", where, "now optional")
    if before.type != after.type:
        yield Change("parameter-type-changed", where, f"{before.type} -> {after.type}")
    if after.deprecated and not before.deprecated:
        yield Change("parameter-deprecated", where, "deprecated")

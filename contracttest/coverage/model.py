"""The coverage map: every link of a contract (method, href, rel) and every parameter set of
its body, exercised or not, with the counts a ``Tally`` holds; per collection and overall.

``catalogue_of(contract)`` is what the map is drawn over (a link listed twice in an RSDL, as
real ones do, counts once); it has a JSON form so that a run's controller, which may never
have loaded the contract its workers used, can draw it. ``build(catalogue, tally)`` gives a
frozen ``Coverage``, whose ``as_json`` is its one JSON shape (``contracttest report``, the
plugin's ``--contract-report``, and the data behind the HTML page).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from contracttest.coverage.resolve import LinkKey, key_of
from contracttest.coverage.tally import LinkTally, Tally
from contracttest.rsdl import Contract, Link, ParameterSet

#: How the map names links whose href has no path (the API root's ``?rsdl``).
ROOT = "(root)"
#: The states a link is in, as the page colours them.
STATES = ("violations", "exercised", "untouched")


@dataclass(frozen=True, slots=True)
class LinkInfo:
    """A link as the map draws it: its key, collection and one label per parameter set."""

    method: str
    href: str
    rel: str
    collection: str
    sets: tuple[str, ...] = ()

    @property
    def key(self) -> LinkKey:
        return (self.method, self.href, self.rel)


def collection_of(href: str) -> str:
    """``vms/{vm:id}/nics`` -> ``vms``; an href without a path -> ``(root)``."""
    return href.partition("?")[0].split("/")[0] or ROOT


def set_label(parameter_set: ParameterSet) -> str:
    """A parameter set in a line: its description, else its required parameters."""
    if parameter_set.description:
        return parameter_set.description
    names = [p.name for p in parameter_set.required] or [p.name for p in parameter_set.parameters]
    return ", ".join(names) or "(no parameters)"


def info_of(link: Link) -> LinkInfo:
    sets = tuple(set_label(s) for s in link.parameter_sets)
    return LinkInfo(link.method, link.href, link.rel, collection_of(link.href), sets)


def catalogue_of(contract: Contract) -> tuple[LinkInfo, ...]:
    """The contract's links in RSDL order, each key once."""
    seen: dict[LinkKey, LinkInfo] = {}
    for link in contract.links:
        key = key_of(link)
        if key not in seen:
            seen[key] = info_of(link)
    return tuple(seen.values())


def catalogue_json(catalogue: Iterable[LinkInfo]) -> list[list[Any]]:
    return [[i.method, i.href, i.rel, list(i.sets)] for i in catalogue]


def catalogue_from_json(rows: Iterable[list[Any]]) -> tuple[LinkInfo, ...]:
    return tuple(
        LinkInfo(str(m), str(h), str(r), collection_of(str(h)), tuple(map(str, sets)))
        for m, h, r, sets in rows
    )


def percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


@dataclass(frozen=True, slots=True)
class SetCoverage:
    index: int  # 1-based, as messages number parameter sets
    label: str
    count: int  # request bodies that satisfied it


@dataclass(frozen=True, slots=True)
class LinkCoverage:
    info: LinkInfo
    count: int = 0
    statuses: tuple[tuple[str, int], ...] = ()
    violations: int = 0
    cassettes: tuple[str, ...] = ()
    tests: tuple[str, ...] = ()
    sets: tuple[SetCoverage, ...] = ()
    exchanges: tuple[Mapping[str, Any], ...] = ()
    findings: tuple[Mapping[str, Any], ...] = ()

    @property
    def exercised(self) -> bool:
        return self.count > 0

    @property
    def state(self) -> str:
        return "violations" if self.violations else "exercised" if self.count else "untouched"

    def as_json(self) -> dict[str, Any]:
        info = self.info
        return {
            "method": info.method,
            "href": info.href,
            "rel": info.rel,
            "collection": info.collection,
            "exercised": self.exercised,
            "count": self.count,
            "statuses": dict(self.statuses),
            "violations": self.violations,
            "cassettes": list(self.cassettes),
            "tests": list(self.tests),
            "parameter_sets": [
                {"index": s.index, "label": s.label, "exercised": s.count > 0, "count": s.count}
                for s in self.sets
            ],
            "exchanges": [dict(e) for e in self.exchanges],
            "findings": [dict(f) for f in self.findings],
        }


@dataclass(frozen=True, slots=True)
class CollectionCoverage:
    name: str
    links: int
    exercised: int
    violations: int
    sets: int
    sets_exercised: int

    @property
    def percent(self) -> float:
        return percent(self.exercised, self.links)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "links": self.links,
            "exercised": self.exercised,
            "percent": self.percent,
            "violations": self.violations,
            "parameter_sets": self.sets,
            "parameter_sets_exercised": self.sets_exercised,
        }


@dataclass(frozen=True, slots=True)
class Unmatched:
    """Requests that reached no RSDL link (the API root, a path or method the RSDL lacks)."""

    method: str
    path: str
    count: int
    statuses: tuple[tuple[str, int], ...]
    cassettes: tuple[str, ...]
    violations: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "count": self.count,
            "statuses": dict(self.statuses),
            "violations": self.violations,
            "cassettes": list(self.cassettes),
        }


@dataclass(frozen=True)
class Coverage:
    """What a set of exchanges exercised of one contract."""

    contract: str
    links: tuple[LinkCoverage, ...]
    collections: tuple[CollectionCoverage, ...]
    unmatched: tuple[Unmatched, ...] = ()
    exchanges: int = 0
    cassettes: int = 0
    outside: int = 0  # exchanges not under the API prefix (SSO logins, logouts)

    @property
    def exercised(self) -> int:
        return sum(1 for link in self.links if link.exercised)

    @property
    def percent(self) -> float:
        return percent(self.exercised, len(self.links))

    @property
    def sets(self) -> int:
        return sum(len(link.sets) for link in self.links)

    @property
    def sets_exercised(self) -> int:
        return sum(1 for link in self.links for s in link.sets if s.count)

    @property
    def violations(self) -> int:
        return sum(link.violations for link in self.links) + sum(
            u.violations for u in self.unmatched
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "contract": self.contract,
            "links": len(self.links),
            "exercised": self.exercised,
            "percent": self.percent,
            "parameter_sets": self.sets,
            "parameter_sets_exercised": self.sets_exercised,
            "parameter_sets_percent": percent(self.sets_exercised, self.sets),
            "exchanges": self.exchanges,
            "cassettes": self.cassettes,
            "violations": self.violations,
            "unmatched_exchanges": sum(u.count for u in self.unmatched),
            "outside_api_exchanges": self.outside,
            "collections": [c.as_json() for c in self.collections],
            "per_link": [link.as_json() for link in self.links],
            "unmatched": [u.as_json() for u in self.unmatched],
        }


def build(catalogue: Iterable[LinkInfo], tally: Tally, contract: str = "") -> Coverage:
    """The map of ``catalogue`` with the counts of ``tally`` (a key the catalogue lacks, from
    another contract's run, is left out)."""
    links = tuple(_link(info, tally.links.get(info.key)) for info in catalogue)
    groups: dict[str, list[LinkCoverage]] = {}
    for link in links:
        groups.setdefault(link.info.collection, []).append(link)
    collections = tuple(
        CollectionCoverage(
            name,
            len(members),
            sum(1 for m in members if m.exercised),
            sum(m.violations for m in members),
            sum(len(m.sets) for m in members),
            sum(1 for m in members for s in m.sets if s.count),
        )
        for name, members in sorted(groups.items())
    )
    unmatched = tuple(
        Unmatched(method, path, t.count, _statuses(t), tuple(sorted(t.sources)), t.violations)
        for (method, path), t in sorted(tally.unmatched.items(), key=lambda i: (-i[1].count, i[0]))
    )
    cassettes = len(tally.sources)
    return Coverage(
        contract, links, collections, unmatched, tally.exchanges, cassettes, tally.outside
    )


def _link(info: LinkInfo, tally: LinkTally | None) -> LinkCoverage:
    if tally is None:
        sets = tuple(SetCoverage(i + 1, label, 0) for i, label in enumerate(info.sets))
        return LinkCoverage(info, sets=sets)
    return LinkCoverage(
        info,
        tally.count,
        _statuses(tally),
        tally.violations,
        tuple(sorted(tally.sources)),
        tuple(sorted(tally.tests)),
        tuple(SetCoverage(i + 1, label, tally.sets[i]) for i, label in enumerate(info.sets)),
        tuple(tally.exchanges),
        tuple(tally.findings),
    )


def _statuses(tally: LinkTally) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(tally.statuses.items()))

"""What exchanges did to a contract's links, counted as they come: one ``Hit`` per exchange into
a ``Tally`` per link key (and per path reached outside the RSDL).

A tally is mutable while a run goes on, and has a small JSON form (``compact``) that a
pytest-xdist worker sends to its controller with each test's report, where ``merge`` adds it
to the run's tally: per link, the number of exchanges, their statuses, the parameter sets
their bodies satisfied and their violations; never the exchanges themselves. The details a
page shows (which exchanges, which violations) are kept only where they are counted
(``details=True``), a bounded number per link.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from contracttest.coverage.resolve import LinkKey, Resolver, key_of
from contracttest.exchange import Exchange
from contracttest.rules import Violation

#: The exchanges and violations a link keeps to show (the counts are always whole).
DETAILS_PER_LINK = 25
#: The distinct paths outside the RSDL kept apart; the rest are counted together.
PATHS_KEPT = 200


@dataclass(frozen=True, slots=True)
class Hit:
    """One exchange as coverage sees it: where it went and what was wrong with it."""

    source: str  # the cassette (or the test) it belongs to
    index: int
    method: str
    uri: str  # as output may show it (``report.shown_uri``)
    status: int
    key: LinkKey | None  # None: no RSDL link (the API root, a path the contract lacks)
    path: str  # the request's path, without its parameters
    sets: tuple[int, ...] = ()  # the parameter sets its body satisfied, by index
    violations: tuple[Violation, ...] = ()
    in_api: bool = True  # False: not under the API prefix (SSO logins, logouts, pages)


def hit_of(
    resolver: Resolver,
    exchange: Exchange,
    violations: tuple[Violation, ...] = (),
    *,
    source: str = "",
    uri: str | None = None,
) -> Hit:
    """An exchange as coverage counts it (``uri``: the request URI as output may show it)."""
    resolved, sets = resolver.of(exchange)
    request = exchange.request
    return Hit(
        source or exchange.cassette,
        exchange.index,
        request.method,
        request.uri if uri is None else uri,
        exchange.response.status,
        None if resolved.link is None else key_of(resolved.link),
        resolved.path,
        sets,
        violations,
        resolved.in_api,
    )


@dataclass
class LinkTally:
    """One link's (or one unmatched path's) counts so far."""

    count: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    sets: Counter[int] = field(default_factory=Counter)
    violations: int = 0
    sources: dict[str, None] = field(default_factory=dict)  # an ordered set
    tests: dict[str, None] = field(default_factory=dict)
    exchanges: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Tally:
    """Counts per link key and per unmatched ``(method, path)``."""

    details: bool = True
    links: dict[LinkKey, LinkTally] = field(default_factory=dict)
    unmatched: dict[tuple[str, str], LinkTally] = field(default_factory=dict)
    exchanges: int = 0
    outside: int = 0  # exchanges not under the API prefix: counted, never mapped
    sources: dict[str, None] = field(default_factory=dict)

    def add(self, hit: Hit) -> None:
        self.exchanges += 1
        self.sources[hit.source] = None
        if not hit.in_api:
            self.outside += 1
            return
        tally = self._tally_of(hit.key, hit.method, hit.path)
        tally.count += 1
        tally.statuses[str(hit.status)] += 1
        tally.sets.update(hit.sets)
        tally.violations += len(hit.violations)
        tally.sources[hit.source] = None
        if not self.details:
            return
        if len(tally.exchanges) < DETAILS_PER_LINK:
            tally.exchanges.append(
                {"cassette": hit.source, "index": hit.index, "uri": hit.uri, "status": hit.status}
            )
        room = DETAILS_PER_LINK - len(tally.findings)
        for v in hit.violations[: max(room, 0)]:
            tally.findings.append(
                {
                    "rule": v.rule,
                    "severity": str(v.severity),
                    "message": v.message,
                    "xpath": v.xpath,
                    "cassette": v.cassette,
                    "index": v.index,
                }
            )

    def _tally_of(self, key: LinkKey | None, method: str, path: str) -> LinkTally:
        if key is not None:
            found = self.links.get(key)
            if found is None:
                found = self.links[key] = LinkTally()
            return found
        where = (method, path)
        found = self.unmatched.get(where)
        if found is None:
            if len(self.unmatched) >= PATHS_KEPT:
                where = ("*", "(other paths)")
                found = self.unmatched.get(where)
            if found is None:
                found = self.unmatched[where] = LinkTally()
        return found

    def compact(self) -> dict[str, Any]:
        """The counts as small JSON-able data (no exchanges, no messages): what a test's
        report carries to the controller."""
        return {
            "exchanges": self.exchanges,
            "outside": self.outside,
            "links": [_row(key, t) for key, t in self.links.items()],
            "unmatched": [_row(where, t) for where, t in self.unmatched.items()],
        }

    def merge(self, data: dict[str, Any], source: str, test: str = "") -> None:
        """Add a ``compact`` form, made by the test ``test`` from its cassette ``source``."""
        self.exchanges += int(data.get("exchanges", 0))
        self.outside += int(data.get("outside", 0))
        if data.get("exchanges"):
            self.sources[source] = None
        for row in data.get("links", ()):
            key = (str(row[0]), str(row[1]), str(row[2]))
            _add_row(self.links.setdefault(key, LinkTally()), row, source, test)
        for row in data.get("unmatched", ()):
            method, path = str(row[0]), str(row[1])
            _add_row(self._tally_of(None, method, path), row, source, test)


def _row(key: tuple[str, ...], tally: LinkTally) -> list[Any]:
    sets = {str(index): n for index, n in tally.sets.items()}
    return [*key, tally.count, dict(tally.statuses), sets, tally.violations]


def _add_row(tally: LinkTally, row: list[Any], source: str, test: str) -> None:
    count, statuses, sets, violations = row[-4:]
    tally.count += int(count)
    tally.statuses.update({str(k): int(v) for k, v in statuses.items()})
    tally.sets.update({int(k): int(v) for k, v in sets.items()})
    tally.violations += int(violations)
    tally.sources[source] = None
    if test:
        tally.tests[test] = None

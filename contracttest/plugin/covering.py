"""Contract coverage of a test run: what each test's exchanges exercised, counted on the
worker that ran it, summed on the controller.

A test's ``TestCoverage`` counts its exchanges per link (``coverage.Tally`` without details)
and its teardown report carries the small JSON form: per link hit, the number of exchanges,
their statuses, the parameter sets satisfied and the violations; the contract's hash; and,
with the first report a process sends for a contract, that contract's link catalogue (what
the map is drawn over: the controller may never have loaded the contract its workers used).
``RunCoverage`` on the controller sums them per contract into the summary's compact table
and the ``--contract-report``'s ``coverage``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from contracttest.coverage import Coverage, LinkInfo, Resolver, Tally
    from contracttest.exchange import Exchange
    from contracttest.plugin.contracts import ContractInUse
    from contracttest.rules import Violation

#: Collections the end-of-run table shows, least covered first.
LEAST_SHOWN = 5


@dataclass
class ContractCoverage:
    """What one process keeps of a contract for coverage (on ``ContractInUse.coverage``)."""

    resolver: Resolver
    catalogue: list[list[Any]]
    sent: bool = False

    @classmethod
    def of(cls, in_use: ContractInUse) -> ContractCoverage:
        found = in_use.coverage
        if found is None:
            from contracttest.coverage import Resolver, catalogue_json, catalogue_of

            found = in_use.coverage = cls(
                Resolver(in_use.contract, in_use.schema),
                catalogue_json(catalogue_of(in_use.contract)),
            )
        assert isinstance(found, cls)
        return found


class TestCoverage:
    """One test's exchanges, counted per link."""

    __test__ = False  # not a pytest test class

    def __init__(self, in_use: ContractInUse) -> None:
        from contracttest.coverage import Tally

        self._in_use = in_use
        self._of = ContractCoverage.of(in_use)
        self.tally: Tally = Tally(details=False)

    def observe(self, exchange: Exchange, violations: list[Violation]) -> None:
        from contracttest.coverage import hit_of

        self.tally.add(hit_of(self._of.resolver, exchange, tuple(violations)))

    def tallies(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "contract": self._in_use.hash,
            "source": self._in_use.source,
            **self.tally.compact(),
        }
        if not self._of.sent:
            self._of.sent = True
            data["catalogue"] = self._of.catalogue
        return data


@dataclass
class _Counted:
    source: str
    tally: Tally
    catalogue: tuple[LinkInfo, ...] | None = None


@dataclass
class RunCoverage:
    """The run's coverage per contract (by hash), summed from the tests' reports."""

    contracts: dict[str, _Counted] = field(default_factory=dict)

    def add(self, test: str, cassette: str, data: dict[str, Any]) -> None:
        from contracttest.coverage import Tally, catalogue_from_json

        key = str(data.get("contract", ""))
        counted = self.contracts.get(key)
        if counted is None:
            counted = self.contracts[key] = _Counted(str(data.get("source", key)), Tally())
        if counted.catalogue is None and data.get("catalogue"):
            counted.catalogue = catalogue_from_json(data["catalogue"])
        counted.tally.merge(data, cassette, test)

    def coverages(self) -> list[Coverage]:
        """Each contract's coverage, the one with the most exchanges first."""
        from contracttest.coverage import LinkInfo, build
        from contracttest.coverage.model import collection_of

        found = []
        for counted in self.contracts.values():
            catalogue = counted.catalogue
            if catalogue is None:  # never reported (an interrupted run): what was hit
                catalogue = tuple(
                    LinkInfo(m, h, r, collection_of(h)) for m, h, r in counted.tally.links
                )
            found.append(build(catalogue, counted.tally, counted.source))
        return sorted(found, key=lambda c: -c.exchanges)

    def summary_lines(self) -> list[str]:
        from contracttest.report import coverage_lines

        lines: list[str] = []
        found = self.coverages()
        for coverage in found:
            if len(found) > 1:
                lines.append(f"of {coverage.contract}:")
            lines.extend(coverage_lines(coverage.as_json(), least=LEAST_SHOWN))
        return lines

    def as_json(self) -> dict[str, Any]:
        """The report's ``coverage`` (the contract most exchanges went to) and, when tests
        used several contracts, ``coverage_by_contract``."""
        found = [coverage.as_json() for coverage in self.coverages()]
        if not found:
            return {}
        document: dict[str, Any] = {"coverage": found[0]}
        if len(found) > 1:
            document["coverage_by_contract"] = found
        return document

"""What a run reports: a test's violations as its failure text, and the run's tallies (summed
from every test's teardown report, pytest-xdist workers' too) as the summary and the JSON
report."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from contracttest.plugin.contracts import ContractInUse

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

    from contracttest.checker import Checker
    from contracttest.exchange import Exchange
    from contracttest.plugin.covering import RunCoverage, TestCoverage
    from contracttest.plugin.verifying import Verifier
    from contracttest.rules import Violation


@dataclass
class TestRecord:
    """What one test's cassette saw: exchanges, violations, whether it recorded."""

    cassette: str
    checker: Checker
    contract: ContractInUse
    fail_on: str
    skip: frozenset[str]
    state: Any = None
    exchanges: int = 0
    recorded: bool = False
    replayed: bool = False
    violations: list[Violation] = field(default_factory=list)
    reported: int = 0
    notes: list[str] = field(default_factory=list)
    direct: bool = False  # the sandbox's traffic with a client of the test's own
    verifier: Verifier | None = None  # --verify-against: the recording compared with
    covering: TestCoverage | None = None  # the links its exchanges exercised

    NO_SCHEMA = " (no schema: response.schema did not run; --contract-schema names one)"

    def observe(self, exchange: Exchange, recorded: bool) -> None:
        self.exchanges += 1
        if self.direct or self.verifier is not None:
            pass  # no cassette written: served to a client of the test's own, or verified
        elif recorded:
            self.recorded = True
        else:
            self.replayed = True
        found = self.checker.check_exchange(exchange, self.state)
        self.violations.extend(found)
        if self.covering is None:
            from contracttest.plugin.covering import TestCoverage

            self.covering = TestCoverage(self.contract)
        self.covering.observe(exchange, found)

    def tallies(self) -> dict[str, Any]:
        from contracttest.report import shown

        return {
            "cassette": self.cassette,
            "exchanges": self.exchanges,
            "recorded": self.recorded,
            "replayed": self.replayed,
            "direct": self.direct,
            "contract": self.contract.source
            + ("" if self.contract.schema is not None else self.NO_SCHEMA),
            "violations": [shown(v).as_json() for v in self.violations],
            "notes": self.notes,
            **self._verification(),
            **({"coverage": self.covering.tallies()} if self.covering is not None else {}),
        }

    def _verification(self) -> dict[str, Any]:
        if self.verifier is None:
            return {}
        from contracttest.plugin.verifying import as_json

        return {"verified": True, "differences": [as_json(f) for f in self.verifier.found]}


@dataclass
class Totals:
    """The run's tallies, summed from every test's report (workers' too)."""

    exchanges: int = 0
    cassettes_recorded: int = 0
    cassettes_replayed: int = 0
    per_rule: Counter[str] = field(default_factory=Counter)
    per_severity: Counter[str] = field(default_factory=Counter)
    violations: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    contracts: set[str] = field(default_factory=set)
    tests: int = 0
    served: int = 0  # of ``exchanges``: the sandbox's, with the tests' own clients
    verified: int = 0  # cassettes verified live (--verify-against)
    differences: list[dict[str, Any]] = field(default_factory=list)  # each with its test
    coverage: RunCoverage | None = None  # made by the first test that reports some

    def add(self, nodeid: str, data: dict[str, Any]) -> None:
        self.tests += 1
        self.exchanges += int(data.get("exchanges", 0))
        if data.get("direct"):
            self.served += int(data.get("exchanges", 0))
        self.cassettes_recorded += bool(data.get("recorded"))
        self.cassettes_replayed += bool(data.get("replayed")) and not data.get("recorded")
        if data.get("contract"):
            self.contracts.add(str(data["contract"]))
        for violation in data.get("violations", []):
            self.per_rule[violation["rule"]] += 1
            self.per_severity[violation["severity"]] += 1
            self.violations.append({"test": nodeid, **violation})
        self.notes.extend(str(note) for note in data.get("notes", []))
        self.verified += bool(data.get("verified"))
        for difference in data.get("differences", []):
            self.differences.append({"test": nodeid, **difference})
        if isinstance(data.get("coverage"), dict):
            if self.coverage is None:
                from contracttest.plugin.covering import RunCoverage

                self.coverage = RunCoverage()
            self.coverage.add(nodeid, str(data.get("cassette", "")), data["coverage"])


def violations_text(violations: list[Violation], cassette: str, fail_on: str) -> str:
    errors = sum(1 for v in violations if v.severity == "error")
    warnings = len(violations) - errors
    lines = [
        f"contract violations in {cassette}: {errors} error(s), {warnings} warning(s) "
        f"(tests fail at: {fail_on})"
    ]
    from contracttest.report import violation_lines

    for v in violations:
        lines.extend(violation_lines(v, skip=f'@pytest.mark.contract(skip=["{v.rule}"])'))
    return "\n".join(lines)


def summary_lines(totals: Totals) -> list[str]:
    recorded, replayed, verified = (
        totals.cassettes_recorded,
        totals.cassettes_replayed,
        totals.verified,
    )
    live = f", {verified} verified live" if verified else ""
    lines = [
        f"{totals.exchanges - totals.served} exchanges checked in "
        f"{recorded + replayed + verified} cassettes ({recorded} recorded, {replayed} "
        f"replayed{live})"
    ]
    if totals.served:
        lines.append(f"{totals.served} exchanges the sandbox served to the tests' own clients")
    for source in sorted(totals.contracts):
        lines.append(f"contract: {source}")
    if not totals.per_rule:
        lines.append("no contract violations")
    else:
        count = sum(totals.per_rule.values())
        lines.append(
            f"{count} contract violation(s): {totals.per_severity['error']} error(s), "
            f"{totals.per_severity['warning']} warning(s)"
        )
        width = max(len(rule) for rule in totals.per_rule)
        for rule, n in sorted(totals.per_rule.items(), key=lambda item: (-item[1], item[0])):
            lines.append(f"  {rule.ljust(width)}  {n}")
    if totals.verified:
        lines.extend(difference_lines(totals))
    if totals.coverage is not None:
        lines.extend(totals.coverage.summary_lines())
    lines.extend(f"note: {note}" for note in dict.fromkeys(totals.notes))
    return lines


def difference_lines(totals: Totals) -> list[str]:
    """The differences from the recordings, per test (``--verify-against``)."""
    from contracttest.exchange import request_target

    breaking = sum(1 for d in totals.differences if d["kind"] == "breaking")
    lines = [
        f"{totals.verified} cassettes verified live: {breaking} breaking, "
        f"{len(totals.differences) - breaking} compatible difference(s)"
    ]
    tests: dict[str, list[dict[str, Any]]] = {}
    for difference in totals.differences:
        tests.setdefault(difference["test"], []).append(difference)
    for test, found in tests.items():
        lines.append(f"  {test}:")
        for d in found:
            lines.append(
                f"    [{d['kind']}] #{d['index']} {d['method']} {request_target(d['uri'])} "
                f"{d['xpath']}: "
                f"{d['message']}"
            )
    return lines


def write_report(path: Path, totals: Totals) -> None:
    """The run's ``--contract-report``: the tallies and every violation, in its one shape."""
    from contracttest import __version__
    from contracttest.pin import atomic_write

    document = {
        "contracttest": __version__,
        "tests": totals.tests,
        "exchanges": totals.exchanges,
        "served_to_own_clients": totals.served,
        "cassettes": {
            "recorded": totals.cassettes_recorded,
            "replayed": totals.cassettes_replayed,
        },
        "contracts": sorted(totals.contracts),
        "violations_per_rule": dict(sorted(totals.per_rule.items())),
        "violations": totals.violations,
        "notes": list(dict.fromkeys(totals.notes)),
    }
    if totals.verified:
        document["verified"] = totals.verified
        document["differences"] = totals.differences
    if totals.coverage is not None:
        document.update(totals.coverage.as_json())
    atomic_write(path, (json.dumps(document, indent=2) + "\n").encode())


def shape_report(
    record: TestRecord, report: pytest.TestReport, call: pytest.CallInfo[None]
) -> None:
    """What the plugin makes of a test's report: an explained error in its one line, the new
    violations (failing the test at ``fail_on``), the differences ``--verify-against`` found
    (a breaking one fails it), and at teardown the tallies the controller sums."""
    from contracttest.errors import CassetteError
    from contracttest.plugin.cleanup import CleanupError
    from contracttest.recording import ReplayError

    explained = (ReplayError, CleanupError, CassetteError)
    if call.excinfo is not None and call.excinfo.errisinstance(explained):
        report.longrepr = str(call.excinfo.value)
    new = record.violations[record.reported :]
    record.reported = len(record.violations)
    if new:
        threshold = 2 if record.fail_on == "error" else 1
        failing = [v for v in new if v.severity.rank >= threshold]
        _say(
            report,
            violations_text(new, record.cassette, record.fail_on),
            bool(failing),
            "contract violations",
        )
    if record.verifier is not None:
        found = record.verifier.unreported()
        if found:
            from contracttest.compare import BREAKING
            from contracttest.plugin.verifying import differences_text

            breaking = any(one.kind == BREAKING for one in found)
            text = differences_text(found, record.cassette)
            _say(report, text, breaking, "differences from the recording")
    if report.when == "teardown":
        report.contracttest = record.tallies()  # type: ignore[attr-defined]  # travels to xdist


def _say(report: pytest.TestReport, text: str, failing: bool, section: str) -> None:
    """Fail a passing test with ``text``, or add it to the report as a section."""
    if failing and report.passed:
        report.outcome = "failed"
        report.longrepr = text
    else:
        report.sections.append((section, text))

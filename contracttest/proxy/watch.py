"""What the proxy tells as traffic flows: with ``--check``, every exchange is checked against
the contract (``checker.Checker``, one ``CassetteState`` for the whole session, as one
cassette) and each violation printed as it happens (``report.violation_lines``); the
summary at the end; and the console lines of trouble (an engine that is down, a request the
cassette does not hold). One line is written at a time, whatever the threads."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from contracttest.checks import CassetteState
from contracttest.exchange import Exchange
from contracttest.report import violation_lines
from contracttest.rules import Severity, Violation

if TYPE_CHECKING:
    from contracttest.checker import Checker


class Watch:
    def __init__(
        self,
        checker: Checker | None,
        *,
        fail_on: str = "error",
        write: Callable[[str], None] | None = None,
        also: tuple[Callable[[Exchange, bool], None], ...] = (),
    ) -> None:
        self.checker = checker
        self.fail_on = fail_on
        self.exchanges = 0
        self.violations: list[Violation] = []
        self.troubles = 0
        self._state = CassetteState()
        self._lock = threading.Lock()
        self._write = write or _stderr
        self._also = also

    @property
    def reads(self) -> bool:
        """Whether exchanges are read (checked, or watched): else only counted."""
        return self.checker is not None or bool(self._also)

    def count(self) -> None:
        with self._lock:
            self.exchanges += 1

    def observe(self, exchange: Exchange, recorded: bool) -> None:
        """An exchange that went through (recorded, replayed or passed on)."""
        found: list[Violation] = []
        with self._lock:
            self.exchanges += 1
            if self.checker is not None:
                found = self.checker.check_exchange(exchange, self._state)
                self.violations.extend(found)
            for line in (line for v in found for line in violation_lines(v)):
                self._write(line)
            for watcher in self._also:
                watcher(exchange, recorded)

    def trouble(self, line: str) -> None:
        with self._lock:
            self.troubles += 1
            self._write(f"contracttest proxy: {line}")

    @property
    def failing(self) -> bool:
        threshold = Severity(self.fail_on).rank
        return any(v.severity.rank >= threshold for v in self.violations)

    def summary(self) -> str:
        errors = sum(1 for v in self.violations if v.severity == "error")
        warnings = len(self.violations) - errors
        checked = (
            f"checked: {errors} error(s), {warnings} warning(s)"
            if self.checker is not None
            else "not checked (--check checks them)"
        )
        return f"contracttest proxy: {self.exchanges} exchange(s), {checked}"


def _stderr(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()

"""Input errors: a file that cannot be used, named with what is wrong with it.

These are not violations: they stop the command with exit status 2 and one line of text.
"""

from __future__ import annotations


class ContractTestError(Exception):
    """An input that contracttest cannot use; ``str()`` is the one-line message."""

    def __init__(self, source: str, problem: str) -> None:
        super().__init__(f"{source}: {problem}")
        self.source = source
        self.problem = problem


class ContractError(ContractTestError):
    """An RSDL or XSD document that cannot be loaded."""


class CassetteError(ContractTestError):
    """A cassette file that cannot be read."""


class StoreError(ContractTestError):
    """The embedded engine's data folder or its SQLite database cannot be used."""

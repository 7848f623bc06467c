"""Assertion helpers shared by the test modules."""

from __future__ import annotations

from contracttest import ContractTestError


def assert_one_line_error(error: BaseException, source: str, problem: str) -> None:
    """An input error: one line, naming ``source`` first, saying ``problem``."""
    __tracebackhide__ = True
    message = str(error)
    assert isinstance(error, ContractTestError), type(error)
    assert "\n" not in message, message
    assert message.startswith(f"{source}: "), message
    assert problem in message, message
    assert error.source == source
    assert message == f"{error.source}: {error.problem}"

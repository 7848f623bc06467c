"""A setting every test would trip on stops the run once, before any test, as a usage error
(exit 4, one line, no password), with or without pytest-xdist; a run that names nothing
to check is not touched."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.loopback import engine_with_password

PASSWORD = "Right-pw-71x"
WRONG = "Wrong-pw-33k"
SUITE = """
def test_one(ovirt_engine):
    ovirt_engine.get("")

def test_two(ovirt_engine):
    ovirt_engine.get("")

def test_three(ovirt_engine):
    ovirt_engine.get("")
"""


@pytest.fixture(scope="module")
def engine_url() -> Iterator[str]:
    with engine_with_password(PASSWORD) as url:
        yield url


def _stopped_once(result: pytest.RunResult, *words: str) -> str:
    """The run stopped with exit 4 before any test, saying so in one line."""
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str() + result.stderr.str()
    lines = [line for line in result.stderr.lines if line.startswith("ERROR: contracttest:")]
    assert len(lines) == 1, result.stderr.str()
    for word in words:
        assert word in lines[0], lines[0]
    everything = result.stdout.str() + result.stderr.str()
    assert "test_one" not in everything and "passed" not in everything
    assert "Traceback" not in everything
    return lines[0]


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_a_contract_that_cannot_be_loaded_stops_the_run_once(
    pytester: pytest.Pytester, workers: list[str]
) -> None:
    pytester.makepyfile(test_suite=SUITE)
    missing = pytester.path / "nowhere" / "rsdl.xml"
    result = pytester.runpytest_subprocess(f"--contract={missing}", *workers)
    _stopped_once(result, str(missing), "no such file")


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_a_refused_login_stops_the_run_once_without_the_password(
    pytester: pytest.Pytester, engine_url: str, workers: list[str]
) -> None:
    pytester.makepyfile(test_suite=SUITE)
    result = pytester.runpytest_subprocess(
        f"--engine={engine_url}",
        "--engine-user=admin@internal",
        f"--engine-password={WRONG}",
        "--record-mode=all",
        *workers,
    )
    line = _stopped_once(result, "admin@internal")
    assert WRONG not in result.stdout.str() + result.stderr.str(), line
    assert not list((pytester.path / "cassettes").rglob("*.yaml"))


def test_the_right_login_records(pytester: pytest.Pytester, engine_url: str) -> None:
    pytester.makepyfile(test_suite=SUITE)
    result = pytester.runpytest_subprocess(
        f"--engine={engine_url}", f"--engine-password={PASSWORD}", "--record-mode=all"
    )
    result.assert_outcomes(passed=3)
    assert len(list((pytester.path / "cassettes").rglob("*.yaml"))) == 3


def test_a_run_that_names_nothing_is_not_touched(pytester: pytest.Pytester) -> None:
    """No contract named, nothing recorded remotely: nothing is loaded before the tests (a
    missing cassette is each test's own problem, said by each)."""
    pytester.makepyfile(test_suite=SUITE, test_plain="def test_plain():\n    pass\n")
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1, failed=3)
    assert result.stdout.str().count("does not exist") >= 3

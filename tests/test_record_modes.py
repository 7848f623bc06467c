"""Every record mode, with every way the engine lets a client log in (SSO bearer token, HTTP
Basic, a persistent-auth session's cookie): a suite is recorded against the embedded engine
(started with a password), replayed with no network, then grown by one request and run in
the mode; the cassettes must hold what the mode promises, in order, never a 401, and replay."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from contracttest.options import RECORD_MODES
from tests.plugin_suite import COUNT_CONNECTIONS, outcomes, run
from tests.recording_suite import (
    CLUSTERS,
    DATACENTERS,
    ENGINE,
    GROWN,
    LOGINS,
    LOGOUT,
    PASSWORD,
    ROOT,
    TOKEN,
    interactions,
    requests,
    snapshot,
    statuses,
    write,
)

RECORDED = {
    "test_sso": [TOKEN, ROOT, CLUSTERS, LOGOUT],
    "test_basic": [ROOT, CLUSTERS],
    "test_cookie": [ROOT, CLUSTERS],
    "test_quiet": [TOKEN, ROOT, LOGOUT],
}
#: The grown suite recorded afresh (all, rewrite, or once without a cassette).
FRESH = {
    "test_sso": [TOKEN, ROOT, CLUSTERS, DATACENTERS, LOGOUT],
    "test_basic": [ROOT, CLUSTERS, DATACENTERS],
    "test_cookie": [ROOT, CLUSTERS, DATACENTERS],
}


def _path(pytester: pytest.Pytester, test: str) -> Path:
    return pytester.path / "cassettes" / "test_logins" / f"{test}.yaml"


def _replays(pytester: pytest.Pytester, expected: dict[str, int]) -> None:
    """A replay with no engine, in which no socket connects."""
    replay = run(pytester)
    assert outcomes(replay) == expected, replay.stdout.str()
    replay.stdout.fnmatch_lines(["network connections: 0"])


def _recorded_v1(pytester: pytest.Pytester) -> dict[str, bytes]:
    write(pytester, LOGINS)
    pytester.makeconftest(COUNT_CONNECTIONS)
    first = run(pytester, *ENGINE, "--record-mode", "once")
    assert outcomes(first) == {"passed": 4}, first.stdout.str()
    for test, expected in RECORDED.items():
        assert requests(_path(pytester, test)) == expected, test
        assert set(statuses(_path(pytester, test))) == {200}, test
    _replays(pytester, {"passed": 4})
    return snapshot(pytester.path / "cassettes")


def _no_secret_and_no_401(pytester: pytest.Pytester) -> None:
    for name, data in snapshot(pytester.path / "cassettes").items():
        assert PASSWORD.encode() not in data, name
        assert set(statuses(pytester.path / "cassettes" / name)) == {200}, name


@pytest.mark.parametrize("mode", RECORD_MODES)
def test_a_grown_suite_in_each_record_mode(pytester: pytest.Pytester, mode: str) -> None:
    before = _recorded_v1(pytester)
    write(pytester, GROWN)
    result = run(pytester, *ENGINE, "--record-mode", mode)
    after = snapshot(pytester.path / "cassettes")

    if mode in ("none", "once"):  # the cassettes exist: both replay, and add nothing
        assert outcomes(result) == {"failed": 3, "passed": 1}, result.stdout.str()
        result.stdout.fnmatch_lines(
            [
                "*no recorded exchange matches this request",
                f"*record mode {mode})",
                f"*request:   GET {DATACENTERS[1]}",
            ]
        )
        assert after == before
        if mode == "once":  # ... but it records a cassette that is missing, and only that
            _path(pytester, "test_sso").unlink()
            again = run(pytester, *ENGINE, "--record-mode", "once")
            assert outcomes(again) == {"failed": 2, "passed": 2}, again.stdout.str()
            assert requests(_path(pytester, "test_sso")) == FRESH["test_sso"]
            after = snapshot(pytester.path / "cassettes")
            assert {k: v for k, v in after.items() if "test_sso" not in k} == {
                k: v for k, v in before.items() if "test_sso" not in k
            }
            _no_secret_and_no_401(pytester)
        return

    assert outcomes(result) == {"passed": 4}, result.stdout.str()
    _no_secret_and_no_401(pytester)
    quiet = "test_logins/test_quiet.yaml"
    if mode == "new_episodes":
        for test in ("test_sso", "test_basic", "test_cookie"):
            old = RECORDED[test]
            path = _path(pytester, test)
            # What the file held stays, as it was and in its place (the login too: it went
            # to the engine, and is not recorded twice); the new request follows.
            assert requests(path) == [*old, DATACENTERS], test
            fresh = interactions(path)
            assert (
                fresh[: len(old)]
                == yaml.safe_load(before[f"test_logins/{test}.yaml"])["interactions"]
            )
        assert after[quiet] == before[quiet]
        # Again: the logins go to the engine on every run, and never pile up in the file.
        again = run(pytester, *ENGINE, "--record-mode", "new_episodes")
        assert outcomes(again) == {"passed": 4}, again.stdout.str()
        assert snapshot(pytester.path / "cassettes") == after
    else:
        for test, expected in FRESH.items():
            assert requests(_path(pytester, test)) == expected, test
            assert after[f"test_logins/{test}.yaml"] != before[f"test_logins/{test}.yaml"]
        if mode == "all":  # a test that now makes no request keeps its cassette
            assert after[quiet] == before[quiet]
        else:  # rewrite: the cassette is what the test does now: nothing
            assert quiet not in after
    _replays(pytester, {"passed": 4})

"""A cassette on disk is always the old one or a complete new one: real pytest processes
recording against the embedded engine, interrupted (SIGINT, SIGKILL, ``pytest.exit``) at
chosen and at random moments, failing in their body, setup or teardown; then the files are
compared byte for byte with the old ones, or read as complete recordings, and replayed."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.plugin_suite import COUNT_CONNECTIONS, outcomes, run
from tests.recording_suite import ENGINE, requests, snapshot

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")

#: Four tests that each log in and poll the engine eight times (sleeping while live), so a
#: recording spends most of its time inside a test body with exchanges not yet saved.
POLLING = """
import time

import pytest


@pytest.mark.parametrize("n", range(4))
def test_poll(ovirt_engine, n):
    for i in range(8):
        found = ovirt_engine.list("clusters", search="name=Default", max=str(i + n + 1))
        assert [c.findtext("name") for c in found] == ["Default"]
        if ovirt_engine.live:
            time.sleep(0.06)
"""

FOLDER = "test_polling"

#: Counts the run's connections, and leaves a file when the first test is being set up.
STARTED = (
    COUNT_CONNECTIONS
    + """

def pytest_runtest_setup(item):
    import pathlib

    pathlib.Path("started").touch()
"""
)


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args]


def _reference(pytester: pytest.Pytester) -> tuple[dict[str, bytes], dict[str, list[object]]]:
    """A complete recording of the polling suite: its bytes, and each cassette's requests."""
    pytester.makepyfile(test_polling=POLLING)
    pytester.makeconftest(STARTED)
    result = run(pytester, *ENGINE, "--record-mode", "all")
    assert outcomes(result) == {"passed": 4}, result.stdout.str()
    folder = pytester.path / "cassettes"
    files = snapshot(folder)
    assert len(files) == 4
    return files, {name: list(requests(folder / name)) for name in files}


def _whole_or_old(
    folder: Path, old: dict[str, bytes], complete: dict[str, list[object]]
) -> tuple[int, int]:
    """Every cassette is byte for byte the old one, or a whole recording (it loads, and holds
    every exchange a complete run records, in order); (old ones, new ones)."""
    from contracttest.cassette import load_cassette

    kept = new = 0
    found = snapshot(folder)
    assert set(found) <= set(complete), sorted(found)
    for name, data in found.items():
        if data == old.get(name):
            kept += 1
            continue
        assert requests(folder / name) == complete[name], name
        assert len(load_cassette(folder / name).exchanges) == len(complete[name])
        new += 1
    return kept, new


def _interrupt(pytester: pytest.Pytester, mode: str, how: signal.Signals, delay: float) -> None:
    """Run the suite, and signal it ``delay`` seconds after its first test began (or once
    it has ended on its own): any moment of the recording, its teardowns and its end."""
    started = pytester.path / "started"
    started.unlink(missing_ok=True)
    process = subprocess.Popen(
        _command(*ENGINE, "--record-mode", mode),
        cwd=pytester.path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not started.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        process.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        process.send_signal(how)
    # An interrupted run winds down on its own: a hang here is a bug, not a slow machine.
    process.wait(timeout=60)


def test_interrupted_at_random_moments_leaves_old_or_whole_cassettes(
    pytester: pytest.Pytester,
) -> None:
    """SIGINT or SIGKILL, at a seeded random moment of a recording in record mode all,
    rewrite (over good cassettes) or once (with none yet)."""
    old, complete = _reference(pytester)
    folder = pytester.path / "cassettes"
    chance = random.Random("interrupted recordings")
    for round_ in range(8):
        mode = ("all", "once", "rewrite")[round_ % 3]
        how = (signal.SIGINT, signal.SIGKILL)[round_ % 2]
        if mode == "once":  # no cassette yet: none, or a whole one, may be there after
            for name in old:
                (folder / name).unlink(missing_ok=True)
        _interrupt(pytester, mode, how, chance.uniform(0.0, 2.5))
        _whole_or_old(folder, old if mode != "once" else {}, complete)
        temporaries = [p for p in (folder / FOLDER).iterdir() if p.name.endswith(".tmp")]
        if how == signal.SIGINT:  # an interrupt cleans up its temporary file
            assert not temporaries, temporaries
        for temporary in temporaries:  # a killed writer's, which its file's next write removes
            temporary.unlink()
        for name in old:  # the next round starts from the old cassettes again
            (folder / name).write_bytes(old[name])
    # Whatever the last round left: once records what is missing and replays the rest.
    for name in list(old)[:2]:
        (folder / name).unlink()
    finished = run(pytester, *ENGINE, "--record-mode", "once")
    assert outcomes(finished) == {"passed": 4}, finished.stdout.str()
    replay = run(pytester)
    assert outcomes(replay) == {"passed": 4}, replay.stdout.str()
    replay.stdout.fnmatch_lines(["network connections: 0"])


#: Three tests; the second stops the run halfway through its own requests.
STOPPING = """
import os
import signal

import pytest

STOP = "{stop}"


def _polls(ovirt_engine, n):
    for i in range(n):
        ovirt_engine.list("clusters", search="name=Default", max=str(i))


def test_first(ovirt_engine):
    _polls(ovirt_engine, 3)


def test_second(ovirt_engine):
    _polls(ovirt_engine, 2)
    if STOP == "SIGINT":
        os.kill(os.getpid(), signal.SIGINT)
    elif STOP == "SIGKILL":
        os.kill(os.getpid(), signal.SIGKILL)
    elif STOP == "KeyboardInterrupt":
        raise KeyboardInterrupt
    elif STOP == "exit":
        pytest.exit("stopped by the test")
    _polls(ovirt_engine, 3)


def test_third(ovirt_engine):
    _polls(ovirt_engine, 1)
"""


@pytest.mark.parametrize("stop", ["SIGINT", "exit", "SIGKILL"])
def test_a_run_stopped_halfway_through_a_test(pytester: pytest.Pytester, stop: str) -> None:
    pytester.makepyfile(test_stopping=STOPPING.format(stop="no"))
    pytester.makeconftest(COUNT_CONNECTIONS)
    assert outcomes(run(pytester, *ENGINE, "--record-mode", "all")) == {"passed": 3}
    folder = pytester.path / "cassettes"
    good = snapshot(folder)
    pytester.makepyfile(test_stopping=STOPPING.format(stop=stop))

    # Over good cassettes, in record mode all: the stopped test and the one after it keep
    # theirs byte for byte; the first, which completed, has a new one.
    stopped = subprocess.run(
        _command(*ENGINE, "--record-mode", "all"), cwd=pytester.path, capture_output=True
    )
    assert stopped.returncode != 0
    if stop == "SIGINT":
        assert (
            b"note: cassettes/test_stopping/test_second.yaml: left as it was: the test was "
            b"interrupted" in stopped.stdout
        ), stopped.stdout
    after = snapshot(folder)
    assert after["test_stopping/test_second.yaml"] == good["test_stopping/test_second.yaml"]
    assert after["test_stopping/test_third.yaml"] == good["test_stopping/test_third.yaml"]
    assert after["test_stopping/test_first.yaml"] != good["test_stopping/test_first.yaml"]
    assert requests(folder / "test_stopping/test_first.yaml") == requests_of(good, "first")

    # With no cassette yet, in record mode once: only the completed test has one ...
    shutil.rmtree(folder / "test_stopping")
    subprocess.run(_command(*ENGINE, "--record-mode", "once"), cwd=pytester.path, check=False)
    assert sorted(snapshot(folder)) == ["test_stopping/test_first.yaml"]
    # ... and the next once run records the others instead of replaying half a recording.
    pytester.makepyfile(test_stopping=STOPPING.format(stop="no"))
    again = run(pytester, *ENGINE, "--record-mode", "once")
    assert outcomes(again) == {"passed": 3}, again.stdout.str()
    assert sorted(snapshot(folder)) == sorted(good)
    replay = run(pytester)
    assert outcomes(replay) == {"passed": 3}, replay.stdout.str()
    replay.stdout.fnmatch_lines(["network connections: 0"])


def requests_of(files: dict[str, bytes], test: str) -> list[tuple[str, str]]:
    import yaml

    from contracttest.exchange import request_target

    document = yaml.safe_load(files[f"test_stopping/test_{test}.yaml"])
    return [
        (item["request"]["method"], request_target(item["request"]["uri"]))
        for item in document["interactions"]
    ]


#: Tests that end every way a test can; ``BROKEN`` makes the failing ones fail.
ENDINGS = """
import pytest

BROKEN = {broken}


@pytest.fixture
def breaks_in_setup(ovirt_engine):
    ovirt_engine.get("")
    if BROKEN:
        raise RuntimeError("setup breaks after a request")


@pytest.fixture
def breaks_in_teardown(ovirt_engine):
    yield
    ovirt_engine.list("clusters")
    if BROKEN:
        raise RuntimeError("teardown breaks after a request")


def test_passes(ovirt_engine):
    ovirt_engine.get("")


def test_fails(ovirt_engine):
    ovirt_engine.get("")
    ovirt_engine.list("datacenters")
    assert not BROKEN, "the body fails"


@pytest.mark.contract(skip=[] if BROKEN else ["request.parameters"])
def test_violates_the_contract(ovirt_engine):
    with pytest.raises(ovirt_engine.Error):
        ovirt_engine.add("vms", "<vm><name>no-cluster</name></vm>")


def test_skips(ovirt_engine):
    ovirt_engine.get("")
    if BROKEN:
        pytest.skip("the engine lacks what this test needs")


def test_setup_fails(breaks_in_setup):
    pass


def test_teardown_fails(breaks_in_teardown, ovirt_engine):
    ovirt_engine.get("")


@pytest.mark.xfail(BROKEN, reason="a known engine bug", strict=True)
def test_xfails(ovirt_engine):
    ovirt_engine.get("")
    assert not BROKEN
"""

ALWAYS = {"passes", "violates_the_contract", "skips"}
FAILING = {"fails", "teardown_fails", "xfails"}


def _names(folder: Path) -> set[str]:
    return {name.split("/test_", 1)[1].removesuffix(".yaml") for name in snapshot(folder)}


def test_a_failing_test_keeps_the_cassette_it_had(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_endings=ENDINGS.format(broken=True))
    folder = pytester.path / "cassettes"
    result = run(pytester, *ENGINE, "--record-mode", "once")
    # test_teardown_fails passes its call, then errors in its teardown
    expected = {"passed": 2, "failed": 2, "skipped": 1, "errors": 2, "xfailed": 1}
    assert outcomes(result) == expected, result.stdout.str()
    # Written: what completed, a skip included, and the test whose body passed but whose
    # exchanges break the contract (its recording is whole, and replays the violation).
    assert _names(folder) == ALWAYS
    result.stdout.fnmatch_lines(
        [
            "note: cassettes/test_endings/test_fails.yaml: not written: the test failed while "
            "recording (--record-failed writes such recordings)",
            "note: cassettes/test_endings/test_setup_fails.yaml: not written: the test did not "
            "run (its setup failed)",
        ]
    )
    replay = run(pytester, "-k", "violates or skips or passes")
    assert outcomes(replay) == {"passed": 1, "failed": 1, "skipped": 1, "deselected": 4}
    replay.stdout.fnmatch_lines(["*request.parameters.required*"])

    # Over good cassettes, record mode all: the failing tests keep theirs, byte for byte.
    shutil.rmtree(folder)
    pytester.makepyfile(test_endings=ENDINGS.format(broken=False))
    good_run = run(pytester, *ENGINE, "--record-mode", "all")
    assert outcomes(good_run) == {"passed": 7}, good_run.stdout.str()
    good = snapshot(folder)
    pytester.makepyfile(test_endings=ENDINGS.format(broken=True))
    run(pytester, *ENGINE, "--record-mode", "all")
    after = snapshot(folder)
    for name in (*FAILING, "setup_fails"):
        key = f"test_endings/test_{name}.yaml"
        assert after[key] == good[key], name
    for name in ALWAYS:
        key = f"test_endings/test_{name}.yaml"
        assert after[key] != good[key], name


def test_record_failed_writes_what_a_failing_test_recorded(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_endings=ENDINGS.format(broken=True))
    folder = pytester.path / "cassettes"
    run(pytester, *ENGINE, "--record-mode", "once", "--record-failed")
    # A test whose setup failed never ran its body: there is nothing whole to keep.
    assert _names(folder) == ALWAYS | FAILING
    assert requests(folder / "test_endings/test_fails.yaml")[-2:] == [
        ("GET", "/ovirt-engine/api/datacenters"),
        ("POST", "/ovirt-engine/services/sso-logout"),
    ]
    # Its replay fails as the recording did, and asks nothing the cassette lacks.
    replay = run(pytester, "-k", "test_fails")
    assert outcomes(replay) == {"failed": 1, "deselected": 6}
    replay.stdout.fnmatch_lines(["*AssertionError: the body fails*"])
    # The ini twin says the same.
    shutil.rmtree(folder)
    pytester.makeini("[pytest]\nrecord_failed = true\n")
    run(pytester, *ENGINE, "--record-mode", "once", "-k", "test_fails")
    assert _names(folder) == {"fails"}


def test_an_empty_cassette_is_named_as_such(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_empty="def test_root(ovirt_engine):\n    ovirt_engine.get('')\n")
    path = pytester.path / "cassettes/test_empty/test_root.yaml"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"")
    replay = run(pytester)
    assert outcomes(replay) == {"failed": 1}
    replay.stdout.fnmatch_lines(
        [
            "*contracttest: cassette cassettes/test_empty/test_root.yaml is an empty file "
            "(0 bytes), and record mode none only replays",
            "*record it: pytest test_empty.py::test_root --record-mode once *",
        ]
    )
    assert "does not exist" not in replay.stdout.str()
    for mode in ("once", "new_episodes"):  # recording: as if there were none
        path.write_bytes(b"")
        recorded = run(pytester, *ENGINE, "--record-mode", mode)
        assert outcomes(recorded) == {"passed": 1}, recorded.stdout.str()
        assert [m for m, _ in requests(path)] == ["POST", "GET", "POST"], mode


def test_a_read_only_cassette_is_not_replaced(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_files="def test_root(ovirt_engine):\n    ovirt_engine.get('')\n")
    assert outcomes(run(pytester, *ENGINE, "--record-mode", "all")) == {"passed": 1}
    path = pytester.path / "cassettes/test_files/test_root.yaml"
    before = path.read_bytes()
    path.chmod(0o444)
    result = run(pytester, *ENGINE, "--record-mode", "all")
    assert outcomes(result) == {"passed": 1, "errors": 1}, result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "cassettes/test_files/test_root.yaml: the new recording was not written: "
            "the file is read-only"
        ]
    )
    assert path.read_bytes() == before
    assert "Traceback" not in result.stdout.str()


def test_a_symlinked_cassette_is_recorded_into_its_target(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_files="def test_root(ovirt_engine):\n    ovirt_engine.get('')\n")
    target = pytester.path / "shared" / "root.yaml"
    target.parent.mkdir()
    target.write_bytes(b"")
    link = pytester.path / "cassettes/test_files/test_root.yaml"
    link.parent.mkdir(parents=True)
    link.symlink_to(target)
    assert outcomes(run(pytester, *ENGINE, "--record-mode", "once")) == {"passed": 1}
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert [m for m, _ in requests(target)] == ["POST", "GET", "POST"]
    assert oct(target.stat().st_mode & 0o777) == oct(0o666 & ~_umask())
    assert outcomes(run(pytester)) == {"passed": 1}


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask

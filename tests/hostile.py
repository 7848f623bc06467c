"""Running ``contracttest check`` and ``scan-secrets`` on a folder in real, bounded subprocesses.

Each child gets an address-space limit (a regression fails with MemoryError instead of
eating the machine) and a generous timeout (a hang fails instead of blocking the suite);
nothing asserts on elapsed time.
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "cassettes" / "sample"
GOOD = "good.yaml"
#: The sample session with a live-looking token in each of its 11 exchanges' Bearer header,
#: so that scan-secrets reports 11 credentials: proof that it read the good cassette.
GOOD_EXCHANGES = 11


def good_text() -> str:
    """The sample session, its scrubbed tokens put back as a leaky recorder would keep them."""
    sample = (SAMPLE / "session.yaml").read_text(encoding="utf-8")
    return sample.replace("Bearer scrubbed-authorization", "Bearer eyJhbGciOi.leaked.token")


MEMORY = 1536 << 20  # bytes of address space a child may have
TIMEOUT = 300  # seconds: only a hang gets near it

CONTRACT = ("--contract", str(SAMPLE / "rsdl.xml"), "--schema", str(SAMPLE / "api.xsd"))


def limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str

    @property
    def errors(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith("contracttest: error")]

    @property
    def notes(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith("contracttest: note")]


def start(cwd: Path, *args: str, preexec: Callable[[], None] = limited) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    env.pop("CONTRACTTEST_DEBUG", None)
    return subprocess.Popen(
        [sys.executable, "-m", "contracttest", *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        preexec_fn=preexec,
    )


def finish(process: subprocess.Popen[str]) -> Run:
    try:
        stdout, stderr = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise AssertionError(f"{process.args} did not finish in {TIMEOUT} s") from None
    return Run(process.returncode, stdout, stderr)


def both(cwd: Path, *paths: str, preexec: Callable[[], None] = limited) -> tuple[Run, Run]:
    """``check PATHS`` (JSON report) and ``scan-secrets PATHS``, run side by side."""
    check = start(cwd, "check", *paths, *CONTRACT, "--format", "json", preexec=preexec)
    scan = start(cwd, "scan-secrets", *paths, preexec=preexec)
    return finish(check), finish(scan)


def workspace(tmp_path: Path) -> Path:
    """``tmp_path/cassettes`` holding the sample session as ``good.yaml``."""
    folder = tmp_path / "cassettes"
    folder.mkdir()
    (folder / GOOD).write_text(good_text(), encoding="utf-8")
    return folder


def assert_sound(run: Run) -> None:
    """Whatever the input: no traceback, no internal error, nothing past the limits."""
    said = run.stdout + run.stderr
    for sign in ("Traceback", "internal error", "MemoryError", "RecursionError"):
        assert sign not in said, said[-2000:]
    assert len(run.errors) + len(run.notes) == len(run.stderr.splitlines()), run.stderr[-2000:]


def assert_refused(check: Run, scan: Run, bad: Path, problem: str, good: int = 1) -> None:
    """Both commands: exit 2, one error line naming ``bad`` and matching ``problem``, and
    the ``good`` cassettes beside it checked and scanned all the same."""
    for run in (check, scan):
        assert_sound(run)
        assert run.returncode == 2, (run.returncode, run.stderr[-2000:])
        assert len(run.errors) == 1, run.stderr[-2000:]
        (line,) = run.errors
        prefix = f"contracttest: error: {bad}: "
        assert line.startswith(prefix), line
        assert re.search(problem, line[len(prefix) :]), line
        assert len(line) < 400, line
    report = json.loads(check.stdout)
    assert (report["cassettes"], report["exchanges"]) == (good, good * GOOD_EXCHANGES)
    assert scan.stdout.splitlines()[-1] == (
        f"{good * GOOD_EXCHANGES} credential(s) in {good} cassette(s)"
    )


def assert_checked(check: Run, scan: Run, cassettes: int, notes: int = 0) -> None:
    """No error: ``cassettes`` copies of the sample session checked and scanned."""
    for run in (check, scan):
        assert_sound(run)
        assert run.errors == [], run.stderr[-2000:]
        assert len(run.notes) == notes, run.stderr
    assert check.returncode == 0, check.stderr
    report = json.loads(check.stdout)
    assert (report["cassettes"], report["exchanges"]) == (cassettes, cassettes * GOOD_EXCHANGES)
    assert report["violations"] == []
    assert scan.returncode == 1
    assert scan.stdout.splitlines()[-1] == (
        f"{cassettes * GOOD_EXCHANGES} credential(s) in {cassettes} cassette(s)"
    )

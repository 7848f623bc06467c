"""The replay benchmark, once: it runs, and both configurations pass the whole example suite.

Only that: the ratio is the benchmark's to judge, not the test suite's (a timed assertion
would fail on a busy machine).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_replay.py"


def test_one_repetition_runs_and_both_configurations_pass() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--repeat", "1"],
        capture_output=True,
        text=True,
        timeout=600,  # only a hang's bound: a busy machine runs the suites slowly
    )

    output = done.stdout + done.stderr
    assert done.returncode in (0, 1), output  # 1: over budget; 2: a run did not pass
    collected = re.search(r"example suite: (\d+) tests", done.stdout)
    assert collected is not None, output
    passed = f"{collected[1]} passed in"
    for label in ("ours (checks)", "baseline (plain vcrpy)"):
        row = next((line for line in done.stdout.splitlines() if line.startswith(label)), "")
        assert passed in row, output
    verdict = r"^ratio ours/baseline: \d+\.\d\d \(budget 1\.30\) (PASS|FAIL)$"
    assert re.search(verdict, done.stdout, re.MULTILINE), output

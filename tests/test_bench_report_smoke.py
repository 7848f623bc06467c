"""The report benchmark, on a few cassettes, once: it runs and prints both figures.

Only that: whether the report stays within its budget is the benchmark's to judge over the
whole corpus, not the test suite's (a timed assertion would fail on a busy machine).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_report.py"


def test_a_few_cassettes_once(corpus: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--repeat", "1", "--limit", "3"],
        capture_output=True,
        text=True,
        timeout=300,  # only a hang's bound
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode in (0, 1), output  # 1: over budget
    assert re.search(r"^corpus: 3 cassettes, \d+ exchanges", done.stdout, re.M), output
    for label in ("check only:", "check + report:", "added by the report:"):
        assert re.search(rf"^{re.escape(label)} +\d+\.\d ms", done.stdout, re.M), output
    assert re.search(r"^  \S+ HTML: \d+ kB$", done.stdout, re.M), output

"""Speed of ``contracttest diff`` on the 3.6 / v3-on-4.x pair of the real corpus.

    python3 benchmarks/bench_diff.py [--repeat 9]

Reports CPU time (process_time, the least of the repetitions, garbage collector paused) of:
* loading both contracts (RSDL + XSD, parsed into the model);
* the diff itself (``diff_contracts``) of the two loaded contracts;
* each rendering (text, JSON, JUnit) of its changes;
and the whole command as a user runs it (``python -m contracttest diff``, a fresh process:
interpreter start and imports included): its CPU time (user + system, the least of the
repetitions) and its wall time (median; on a shared machine, mostly waiting for a core).
The budget: the diff itself under 250 ms of CPU, the whole command under 1 s of CPU.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.cpu import least_cpu
from conftest import corpus_path
from contracttest.diff import Severity, as_json, as_junit, as_text, diff_contracts
from contracttest.loading import load_contract, load_schema
from tests.corpus_contracts import RSDL, XSD

OLD, NEW = "3.6", "v3-on-4.x"
BUDGET_DIFF, BUDGET_COMMAND = 0.250, 1.0
ROOT = Path(__file__).resolve().parent.parent


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    corpus = corpus_path()
    if not (corpus / "rsdl").is_dir():
        print(f"real corpus not found at {corpus} (set CONTRACTTEST_CORPUS)", file=sys.stderr)
        return 2
    files = [corpus / RSDL[OLD], corpus / RSDL[NEW], corpus / XSD[OLD], corpus / XSD[NEW]]

    def load() -> tuple[object, ...]:
        return (
            load_contract(files[0]),
            load_contract(files[1]),
            load_schema(files[2]),
            load_schema(files[3]),
        )

    old, new = load_contract(files[0]), load_contract(files[1])
    old_xsd, new_xsd = load_schema(files[2]), load_schema(files[3])
    changes = diff_contracts(old, new, old_xsd, new_xsd)
    print(f"{OLD} -> {NEW}: {len(old.links)} and {len(new.links)} links, {len(changes)} changes")
    rows = [
        ("load both contracts (RSDL + XSD)", least_cpu(args.repeat, load)),
        (
            "diff_contracts",
            least_cpu(args.repeat, lambda: diff_contracts(old, new, old_xsd, new_xsd)),
        ),
        ("render text", least_cpu(args.repeat, lambda: as_text(changes, OLD, NEW))),
        ("render json", least_cpu(args.repeat, lambda: as_json(changes))),
        (
            "render junit",
            least_cpu(args.repeat, lambda: as_junit(changes, OLD, NEW, Severity.BREAKING)),
        ),
    ]
    for label, seconds in rows:
        print(f"{label:<36} {seconds * 1000:8.1f} ms cpu")
    command = [sys.executable, "-m", "contracttest", "diff", *map(str, files[:2])]
    command += ["--old-schema", str(files[2]), "--new-schema", str(files[3])]
    walls, cpus = [], []
    for _ in range(args.repeat):
        before = _children_cpu()
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, cwd=ROOT, check=False)
        walls.append(time.perf_counter() - start)
        cpus.append(_children_cpu() - before)
        if done.returncode not in (0, 1):
            print(done.stderr.decode(), file=sys.stderr)
            return 2
    cpu, wall = min(cpus), statistics.median(walls)
    label = "contracttest diff (a fresh process)"
    print(f"{label:<36} {cpu * 1000:8.1f} ms cpu {wall * 1000:8.1f} ms wall")
    ok = rows[1][1] <= BUDGET_DIFF and cpu <= BUDGET_COMMAND
    print(
        f"budget: diff {BUDGET_DIFF * 1000:.0f} ms, command {BUDGET_COMMAND:.1f} s (cpu): "
        f"{'PASS' if ok else 'FAIL'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

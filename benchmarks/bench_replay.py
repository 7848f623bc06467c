"""Replaying the example suite with contract checks, against plain vcrpy replaying it, in one run.

    python benchmarks/bench_replay.py [--repeat 7]
    python benchmarks/bench_replay.py --once ours|baseline   # in-process, for a profiler

Wall time of a fresh ``python3 -m pytest`` subprocess (started in the checkout) for:
* ours: ``contracttest/example`` replayed from ``cassettes/example`` by the contracttest
  plugin, every exchange checked against the pinned contract (``-p no:recording``);
* baseline: the same test modules and cassette files replayed by pytest-recording's ``vcr``
  marker with vcrpy's default matching and no checks (``-p no:contracttest -p recording -p
  benchmarks.replay_baseline.plugin``: see that package for how);
* startup: ``--collect-only`` of the suite in each configuration, the part of each run that
  is Python and pytest starting, plugins loading and the tests being collected.

After one untimed run of each (bytecode caches written; see ``DROPPED_ENV``), the four
runs are interleaved, the order flipped every repetition, so a slow phase of the machine
hits all alike. Figures: median and least wall seconds, the children's CPU seconds,
the duration pytest reports, and the ratio ours / baseline of the medians (the budget, 1.30)
and of the least times. A run that does not pass every collected test stops the benchmark
(exit status 2); over budget, exit status 1.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shlex
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUITE = "contracttest/example"
BUDGET = 1.30
COMMON = ("-p", "no:cacheprovider", "-q")

#: The configurations, by name: the plugin flags added to ``pytest SUITE``.
CONFIGS: dict[str, tuple[str, ...]] = {
    # the project's ini adds the property items (contract_crud), which the baseline has not
    "ours": ("-p", "no:recording", "--cassette-dir", "cassettes/example", "-o", "contract_crud="),
    # ``-p recording`` undoes a ``-p no:recording`` in the project's addopts
    "baseline": (
        *("-p", "no:contracttest", "-p", "recording"),
        *("-p", "benchmarks.replay_baseline.plugin"),
    ),
}

#: Environment a benchmark run does without, besides every ``PYTEST_*`` variable (options,
#: plugins, a pytest-xdist worker's): what would change what the suite sends, and
#: PYTHONDONTWRITEBYTECODE: without bytecode caches pytest rewrites the asserts of some 120
#: modules (all of hypothesis and contracttest, plugins' distributions) in every run, a
#: second or so that both configurations pay and that would flatter the ratio.
DROPPED_ENV = (
    "PYTHONDONTWRITEBYTECODE",
    "OVIRT_URL",
    "OVIRT_USERNAME",
    "OVIRT_PASSWORD",
    "CONTRACTTEST_EXAMPLE_USER",
    "CONTRACTTEST_EXAMPLE_PASSWORD",
)

_OUTCOMES = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed|warnings?)\b")
_DURATION = re.compile(r" in ([0-9.]+)s\b")
_COLLECTED = re.compile(r"(\d+) tests? collected in ([0-9.]+)s")


class RunFailed(Exception):
    """A run did not pass every test: the comparison would mean nothing."""


@dataclass
class Series:
    """One configuration's timed runs."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # the child's user + system seconds
    reported: list[float] = field(default_factory=list)  # pytest's "in X.XXs"
    summary: str = ""

    def median(self) -> float:
        return statistics.median(self.wall)

    def least(self) -> float:
        return min(self.wall)


def command(config: str, collect_only: bool = False) -> list[str]:
    extra = ("--collect-only",) if collect_only else ()
    return [sys.executable, "-m", "pytest", SUITE, *COMMON, *CONFIGS[config], *extra]


def environment() -> dict[str, str]:
    return {
        k: v for k, v in os.environ.items() if not k.startswith("PYTEST_") and k not in DROPPED_ENV
    }


def run(config: str, collect_only: bool, series: Series, expected: int | None) -> int:
    """Time one subprocess run; the number of tests it collected (or passed)."""
    argv = command(config, collect_only)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, env=environment(), capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    lines = done.stdout.strip().splitlines()
    summary = lines[-1].strip("= ") if lines else ""
    if collect_only:
        match = _COLLECTED.search(summary)
        if done.returncode != 0 or match is None:
            raise RunFailed(failure(config, "collect-only", done, argv))
        count, duration = int(match[1]), float(match[2])
    else:
        outcomes = {kind.rstrip("s"): int(n) for n, kind in _OUTCOMES.findall(summary)}
        outcomes.pop("warning", None)
        count = outcomes.get("passed", 0)
        duration_match = _DURATION.search(summary)
        everything_passed = set(outcomes) == {"passed"} and expected in (None, count)
        if done.returncode != 0 or not everything_passed or duration_match is None:
            raise RunFailed(failure(config, f"expected {expected} passed", done, argv))
        duration = float(duration_match[1])
    series.wall.append(wall)
    series.cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    series.reported.append(duration)
    series.summary = summary
    return count


def failure(config: str, what: str, done: subprocess.CompletedProcess[str], argv: list[str]) -> str:
    tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-25:])
    reproduce = shlex.join(["python3", *argv[1:]])
    return (
        f"{config} run failed ({what}; exit status {done.returncode}):\n{tail}\n"
        f"Reproduce with (in {ROOT}): {reproduce}"
    )


def once(config: str) -> int:
    """The configuration's run, once, in this process (``python -m cProfile ... --once``)."""
    import pytest

    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))  # as ``python3 -m pytest`` there would: the baseline plugin
    start = time.perf_counter()
    status = pytest.main([SUITE, *COMMON, *CONFIGS[config]])
    print(f"{config}: {time.perf_counter() - start:.3f} s wall in-process, exit status {status}")
    return int(status)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="timed runs of each (default 7)")
    parser.add_argument(
        "--once", choices=tuple(CONFIGS), help="run this configuration once, in-process, and stop"
    )
    args = parser.parse_args()
    if args.once:
        return once(args.once)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    full = {name: Series() for name in CONFIGS}
    startup = {name: Series() for name in CONFIGS}
    collected: dict[str, int] = {}
    try:
        for name in CONFIGS:  # untimed: bytecode caches written, both pass at all
            run(name, False, Series(), None)
        for repetition in range(args.repeat):
            # collect-only runs first (they give the count a full run must pass), the order
            # of the configurations flipped every repetition
            names = list(CONFIGS) if repetition % 2 == 0 else list(reversed(CONFIGS))
            for name in names:
                collected[name] = run(name, True, startup[name], None)
            for name in names:
                run(name, False, full[name], collected[name])
    except RunFailed as exc:
        print(f"bench_replay: {exc}", file=sys.stderr)
        return 2
    if collected["ours"] != collected["baseline"]:
        print(f"bench_replay: the two collect different tests: {collected}", file=sys.stderr)
        return 2

    ours, base = full["ours"], full["baseline"]
    ratio = ours.median() / base.median()
    least_ratio = ours.least() / base.least()
    print(
        f"example suite: {collected['ours']} tests, {args.repeat} interleaved run(s) of each; "
        f"Python {sys.version.split()[0]}, {os.cpu_count()} cores"
    )
    print(f"{'':26}{'median s':>9}{'min s':>8}{'CPU s':>8}{'pytest s':>9}  summary")
    rows = (
        ("ours (checks)", ours),
        ("baseline (plain vcrpy)", base),
        ("ours, collect-only", startup["ours"]),
        ("baseline, collect-only", startup["baseline"]),
    )
    for label, series in rows:
        print(
            f"{label:26}{series.median():9.3f}{series.least():8.3f}"
            f"{statistics.median(series.cpu):8.3f}{statistics.median(series.reported):9.3f}"
            f"  {series.summary}"
        )
    for name, series in full.items():
        floor = startup[name].median()
        print(
            f"{name}: startup {floor:.3f} s of {series.median():.3f} s "
            f"({floor / series.median():.0%}); the rest {series.median() - floor:.3f} s"
        )
    rest_ours = ours.median() - startup["ours"].median()
    rest_base = base.median() - startup["baseline"].median()
    print(f"ratio beyond startup (ours / baseline): {rest_ours / rest_base:.2f}")
    print(f"ratio of least times (ours / baseline): {least_ratio:.2f}")
    verdict = "PASS" if ratio <= BUDGET else "FAIL"
    print(f"ratio ours/baseline: {ratio:.2f} (budget {BUDGET:.2f}) {verdict}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())

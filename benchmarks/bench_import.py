"""What the plugin costs a pytest run that does not use it.

pytest loads every ``pytest11`` entry point of every installed package, so contracttest's
plugin is imported (and its hooks run) in every pytest run of any project where the package
is installed. This runs a small suite that never asks for an ``ovirt_*`` fixture, in fresh
processes, alternately with the plugin and with ``-p no:contracttest``, and reports:

* the time spent importing contracttest (``python -X importtime``: the cumulative time of
  every top-level ``contracttest`` module import in the run), median over the runs;
* the wall time of the whole run, median with and without the plugin, and the difference.

Bytecode is compiled first, as an installed package has it. Target: under 10 ms importing.

    python3 benchmarks/bench_import.py [--runs 21]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SUITE = """
import pytest


@pytest.mark.parametrize("n", range(20))
def test_arithmetic(n):
    assert n + n == 2 * n


def test_text():
    assert "oVirt".lower() == "ovirt"
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed package has its .pyc files
    env.pop("PYTEST_ADDOPTS", None)
    env.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
    return env


def _run(folder: Path, plugin: bool) -> tuple[float, float]:
    """(wall seconds, seconds importing contracttest) of one pytest process."""
    command = [sys.executable, "-X", "importtime", "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    if not plugin:
        command += ["-p", "no:contracttest"]
    started = time.perf_counter()
    result = subprocess.run(
        command, cwd=folder, env=_env(), capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"the suite failed:\n{result.stdout}\n{result.stderr}")
    return wall, _importing(result.stderr)


_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def _importing(trace: str) -> float:
    """The cumulative microseconds of each outermost contracttest import, in seconds."""
    total = 0
    inside_depth: int | None = None
    # importtime prints a module after what it imported: read it bottom-up, so an outer
    # contracttest module comes before the contracttest modules it imported.
    for line in reversed(trace.splitlines()):
        match = _LINE.match(line)
        if match is None:
            continue
        depth, name = len(match[3]), match[4]
        if inside_depth is not None and depth > inside_depth:
            continue  # inside an outer contracttest import, counted already
        inside_depth = None
        if name == "contracttest" or name.startswith("contracttest."):
            total += int(match[2])
            inside_depth = depth
    return total / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(ROOT / "contracttest")],
        env=_env(),
        check=True,
    )
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        (folder / "test_plain.py").write_text(SUITE)
        (folder / "pytest.ini").write_text("[pytest]\n")
        _run(folder, True), _run(folder, False)  # warm the caches
        with_plugin: list[tuple[float, float]] = []
        without: list[tuple[float, float]] = []
        for _ in range(args.runs):
            with_plugin.append(_run(folder, True))
            without.append(_run(folder, False))
    importing = statistics.median(imp for _, imp in with_plugin) * 1000
    leaked = statistics.median(imp for _, imp in without) * 1000
    wall_with = statistics.median(w for w, _ in with_plugin) * 1000
    wall_without = statistics.median(w for w, _ in without) * 1000
    print(f"pytest runs of a suite that does not use the plugin, {args.runs} each, medians:")
    print(f"  importing contracttest:            {importing:6.1f} ms (target: under 10 ms)")
    print(f"  importing it with -p no:contracttest: {leaked:4.1f} ms")
    print(f"  whole run with the plugin:         {wall_with:6.1f} ms")
    print(f"  whole run with -p no:contracttest: {wall_without:6.1f} ms")
    print(f"  difference:                        {wall_with - wall_without:+6.1f} ms")


if __name__ == "__main__":
    main()

"""The CRUD machines against the embedded engine: examples a second, and where the time goes.

    python benchmarks/bench_crud.py [--seeds 20] [--profile fast|quick] [--collections a,b]
                                    [--contract RSDL --schema XSD --version 3] [--in-process]
                                    [--json]

The engine runs in a process of its own (``contracttest serve --port 0``), so the time this
process waits for an answer is the engine's (and the loopback's), and the rest is the
toolkit's: Hypothesis generating, the machine choosing, the model and the checks comparing,
the client building requests and parsing answers. Each seed is one run of every collection's
machine (``run_crud``) on the same engine; what a run creates it removes. Figures per seed
and in all: examples, calls, wall time, examples and calls a second, the share of the wall
time spent waiting for the engine and in the toolkit, and this process's CPU time. Exit
status 1 when any seed breaks a promise (on a healthy engine, a false alarm) or leaves
anything behind. ``--in-process`` serves the engine from a thread of this process instead
(faster, but the engine's CPU then counts as waiting and shares the GIL).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from hypothesis import settings  # noqa: E402

from contracttest.api import Engine  # noqa: E402
from contracttest.client import Client  # noqa: E402
from contracttest.engine import bundled_contract  # noqa: E402
from contracttest.properties import FAST, BrokenPromise, run_crud  # noqa: E402
from contracttest.rsdl import contract_from_bytes  # noqa: E402
from contracttest.schema import schema_from_bytes  # noqa: E402

NINE = "vms,templates,disks,clusters,datacenters,networks,tags,vms/nics,vms/diskattachments"
PASSWORD = "bench-crud"
QUICK = settings(FAST, max_examples=5, stateful_step_count=8)


@dataclass
class SeedResult:
    seed: int
    examples: int
    calls: int
    seconds: float
    engine_seconds: float
    cpu_seconds: float
    broken: str = ""
    left_behind: int = 0

    @property
    def toolkit_share(self) -> float:
        return 1 - self.engine_seconds / self.seconds if self.seconds else 0.0


@contextmanager
def engine_process(rsdl: Path, xsd: Path) -> Iterator[str]:
    """``contracttest serve --port 0`` in a process of its own: its API URL."""
    command = [sys.executable, "-m", "contracttest", "serve", "--port", "0",
               "--contract", str(rsdl), "--schema", str(xsd), "--password", PASSWORD]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    try:
        assert process.stdout is not None
        line = b""
        deadline = time.monotonic() + 60
        while b"\n" not in line and time.monotonic() < deadline:
            ready, _, _ = select.select([process.stdout], [], [], 5)
            chunk = os.read(process.stdout.fileno(), 4096) if ready else b""
            if ready and not chunk:
                break
            line += chunk
        match = re.search(rb"serving (http://\S+)", line)
        if match is None:
            raise RuntimeError(f"contracttest serve printed {line!r}")
        yield match.group(1).decode()
    finally:
        process.terminate()
        process.wait(10)
        if process.stdout is not None:
            process.stdout.close()


@contextmanager
def engine_thread(rsdl: Path, xsd: Path) -> Iterator[str]:
    from contracttest.engine import EngineServer, open_engine

    engine = open_engine(rsdl, xsd, password=PASSWORD)
    try:
        with EngineServer(engine.handle) as server:
            yield f"{server.base_url}{engine.prefix}"
    finally:
        engine.close()


def run(
    seeds: list[int],
    collections: list[str],
    profile: settings,
    rsdl: Path,
    xsd: Path,
    version: int,
    in_process: bool,
) -> list[SeedResult]:
    contract = contract_from_bytes(rsdl.read_bytes(), str(rsdl))
    schema = schema_from_bytes(xsd.read_bytes(), str(xsd))
    serving = engine_thread if in_process else engine_process
    results = []
    with serving(rsdl, xsd) as url:
        client = Client(url, "admin@internal", PASSWORD, version=version, keep=False)
        api = Engine(client, live=True)
        for seed in seeds:
            cpu = time.process_time()
            started = time.perf_counter()
            broken = ""
            try:
                outcome = run_crud(api, contract, schema, collections, seed=seed, profile=profile)
                examples, calls = outcome.examples, outcome.calls
                waited, left = outcome.engine_seconds, len(outcome.left_behind)
            except BrokenPromise as exc:
                broken = str(exc).splitlines()[0]
                examples = calls = left = 0
                waited = 0.0
            wall, used = time.perf_counter() - started, time.process_time() - cpu
            results.append(SeedResult(seed, examples, calls, wall, waited, used, broken, left))
        client.close()
    return results


def report(results: list[SeedResult], collections: list[str]) -> list[str]:
    lines = [
        f"CRUD machines: {len(collections)} collections ({', '.join(collections)})",
        "",
        "seed  examples  calls   wall s  examples/s  calls/s  engine  toolkit  cpu s",
    ]
    for r in results:
        if r.broken:
            lines.append(f"{r.seed:>4}  BROKEN: {r.broken}")
            continue
        lines.append(
            f"{r.seed:>4}  {r.examples:>8}  {r.calls:>5}  {r.seconds:>7.2f}  "
            f"{r.examples / r.seconds:>10.1f}  {r.calls / r.seconds:>7.0f}  "
            f"{1 - r.toolkit_share:>6.0%}  {r.toolkit_share:>7.0%}  {r.cpu_seconds:>5.2f}"
        )
    ok = [r for r in results if not r.broken]
    if ok:
        examples = sum(r.examples for r in ok)
        calls = sum(r.calls for r in ok)
        wall = sum(r.seconds for r in ok)
        waited = sum(r.engine_seconds for r in ok)
        lines += [
            "",
            f"in all: {examples} examples, {calls} calls in {wall:.1f} s: "
            f"{examples / wall:.1f} examples/s, {calls / wall:.0f} calls/s; "
            f"waiting for the engine {waited / wall:.0%}, toolkit {1 - waited / wall:.0%} "
            f"(CPU of this process {sum(r.cpu_seconds for r in ok):.1f} s)",
        ]
    broken = [r for r in results if r.broken]
    lines.append(f"broken promises (false alarms on a healthy engine): {len(broken)}")
    left = sum(r.left_behind for r in results)
    if left:
        lines.append(f"left behind on the engine: {left}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20, help="how many seeds (1..N)")
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--profile", choices=("fast", "quick"), default="fast")
    parser.add_argument("--collections", default=NINE)
    parser.add_argument("--contract", type=Path, help="RSDL (default: the bundled v4)")
    parser.add_argument("--schema", type=Path, help="its XSD")
    parser.add_argument("--version", type=int, default=4, help="API version to speak")
    parser.add_argument("--in-process", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.contract is None:
        rsdl, xsd = (Path(p) for p in bundled_contract())
    else:
        rsdl, xsd = args.contract, args.schema or args.contract.with_name("api.xsd")
    collections = [c for c in args.collections.split(",") if c]
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    profile = FAST if args.profile == "fast" else QUICK
    results = run(seeds, collections, profile, rsdl, xsd, args.version, args.in_process)
    if args.json:
        print(json.dumps([{**asdict(r), "toolkit_share": r.toolkit_share} for r in results]))
    else:
        print("\n".join(report(results, collections)))
    return 1 if any(r.broken or r.left_behind for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())

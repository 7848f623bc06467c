"""Checking JSON bodies costs no more per byte than checking XML ones.

    python benchmarks/bench_json.py [--repeat 7] [--xml DIR --json DIR]

Records the example suite twice against the embedded engine (``contracttest run``, XML and
``--engine-representation json``) unless given the two cassette folders, then checks each
recording with every rule against the bundled v4 contract, with body reuse off (every body
read and walked afresh), and reports CPU time (least of the repetitions, the garbage
collector paused) per KiB of body (request and response bodies of the API), and the ratio
JSON / XML (the budget is 1.0). The same requests are made in both, so the two recordings
hold the same entities.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.cpu import least_cpu
from contracttest import Cassette, Checker, load_cassette, load_contract, load_schema
from contracttest.loading import bundled_contract

#: JSON / XML CPU time per byte.
BUDGET = 1.0


def record(folder: Path, representation: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "contracttest", "run", "--engine-representation", representation,
         "--record-mode", "all", "--cassette-dir", str(folder)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"recording in {representation} failed:\n{done.stdout}{done.stderr}")


def body_bytes(cassettes: list[Cassette]) -> int:
    return sum(
        len(exchange.request.body) + len(exchange.response.body)
        for cassette in cassettes
        for exchange in cassette.exchanges
        if "/ovirt-engine/api" in exchange.request.uri
    )


def measure(folder: Path, repeat: int) -> dict[str, float]:
    rsdl, xsd = bundled_contract()
    contract, schema = load_contract(rsdl), load_schema(xsd)
    cassettes = [load_cassette(path) for path in sorted(folder.rglob("*.yaml"))]
    checker = Checker(contract, schema, reuse=False)
    found = sum(len(checker.check_cassette(c)) for c in cassettes)  # warm: tables compiled
    seconds = least_cpu(repeat, lambda: [checker.check_cassette(c) for c in cassettes])
    size = body_bytes(cassettes)
    exchanges = sum(len(c.exchanges) for c in cassettes)
    return {
        "exchanges": exchanges,
        "bytes": size,
        "violations": found,
        "seconds": seconds,
        "us_per_kib": seconds * 1e6 / (size / 1024),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--xml", type=Path, help="a recording of the example suite in XML")
    parser.add_argument("--json", type=Path, help="the same, in JSON")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        folders = {"xml": args.xml, "json": args.json}
        for representation, folder in list(folders.items()):
            if folder is None:
                folder = folders[representation] = Path(scratch) / representation
                record(folder, representation)
        results = {name: measure(folder, args.repeat) for name, folder in folders.items()}
    for name, found in results.items():
        print(
            f"{name.upper():4} {found['exchanges']:5.0f} exchanges, {found['bytes'] / 1024:8.1f} "
            f"KiB of bodies, {found['violations']:.0f} violations: "
            f"{found['seconds'] * 1000:8.2f} ms CPU, {found['us_per_kib']:7.1f} us/KiB"
        )
    ratio = results["json"]["us_per_kib"] / results["xml"]["us_per_kib"]
    verdict = "within" if ratio <= BUDGET else "OVER"
    print(f"JSON / XML per byte: {ratio:.2f} ({verdict} the budget of {BUDGET:.1f})")
    return 0 if ratio <= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())

"""What contract coverage costs beyond checking, over the whole real corpus.

    python benchmarks/bench_report.py [--repeat 5] [--limit N]

Every vcrpy cassette of the corpus (loaded once; YAML is not timed) against its nearest
contract (the corpus README's table), from freshly loaded contracts each time, in CPU time
(process_time, the garbage collector paused; the least of ``--repeat`` runs):
* check: every cassette checked with every rule (``Checker.check_cassette``);
* check + report: the same checking as ``contracttest report`` does it (each exchange's link
  resolved, its parameter sets and violations counted: ``coverage.command.count``), then per
  contract the coverage map, its JSON (as ``--json`` writes it) and its HTML page.
The difference is what the report adds; the budget is 1 s for the whole corpus.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.cpu import least_cpu
from conftest import corpus_path
from contracttest import Checker, load_cassette, load_contract, load_schema, router
from contracttest.coverage import Resolver, Tally, build, catalogue_of
from contracttest.coverage.command import count
from contracttest.coverage.html import render
from tests.corpus_contracts import RSDL, XSD, nearest, vcrpy_cassettes

#: Seconds the report may add to checking the whole corpus.
BUDGET = 1.0


def _checkers(corpus: Path, keys: set[str]) -> dict[str, Checker]:
    """New contract, schema and checker objects: no cache survives from a prior run."""
    router.forget()
    return {
        key: Checker(
            load_contract(corpus / RSDL[key]),
            load_schema(corpus / XSD[key]) if key in XSD else None,
        )
        for key in keys
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--limit", type=int, default=0, help="only the first N cassettes")
    args = parser.parse_args()
    corpus = corpus_path()
    if not (corpus / "rsdl").is_dir():
        print(f"corpus not found at {corpus}", file=sys.stderr)
        return 2
    files = vcrpy_cassettes(corpus)[: args.limit or None]
    cassettes = [(nearest(f)[0], load_cassette(f)) for f in files]
    keys = {key for key, _ in cassettes}
    exchanges = sum(len(c.exchanges) for _, c in cassettes)
    sizes: dict[str, int] = {}

    def check_only() -> None:
        checkers = _checkers(corpus, keys)
        for key, cassette in cassettes:
            checkers[key].check_cassette(cassette)

    def check_and_report() -> None:
        checkers = _checkers(corpus, keys)
        counted = {key: (Resolver(c.contract, c.schema), Tally()) for key, c in checkers.items()}
        for key, cassette in cassettes:
            resolver, tally = counted[key]
            count(tally, checkers[key], resolver, cassette)
        for key, (_, tally) in counted.items():
            contract = checkers[key].contract
            coverage = build(catalogue_of(contract), tally, contract.source)
            sizes[f"{key} JSON"] = len(json.dumps(coverage.as_json(), indent=1))
            sizes[f"{key} HTML"] = len(render(coverage))

    checking = least_cpu(args.repeat, check_only)
    reporting = least_cpu(args.repeat, check_and_report)
    added = reporting - checking
    print(f"corpus: {len(files)} cassettes, {exchanges} exchanges, contracts {sorted(keys)}")
    print(f"check only:            {checking * 1000:8.1f} ms")
    print(f"check + report:        {reporting * 1000:8.1f} ms  (coverage, JSON and HTML)")
    verdict = "PASS" if added < BUDGET else "FAIL"
    budget = f"budget {BUDGET * 1000:.0f} ms"
    print(f"added by the report:   {added * 1000:8.1f} ms  ({budget}) {verdict}")
    for name, size in sorted(sizes.items()):
        print(f"  {name}: {size / 1000:.0f} kB")
    return 0 if added < BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())

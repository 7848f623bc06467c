"""Speed of the contract core over the whole real corpus, in one run.

    python benchmarks/bench_check.py [--repeat 9]

Reports CPU time (process_time) with the garbage collector paused; the repetitions are
interleaved and the ratios are medians, since this kind of machine's speed drifts:
* YAML loading of every vcrpy cassette (separately; excluded from the ratio);
* parse-only: every request and response body that looks like XML, parsed with lxml through
  the same safe parser the checker uses;
* check: every cassette checked against its nearest contract with every rule, starting from
  freshly loaded contracts (so every cache is built within the run); this includes parsing
  each distinct body once. Then the same with body reuse off: every body parsed and walked;
* the ratio check / parse-only (the budget is 2.0), and exchanges per second;
* loading and compiling the 3.6 RSDL + XSD: parsing both, the router's trie and every XSD
  type's check tables (the budget is 150 ms).

Instruction counts, which do not drift, for the same ratio: run each step once under
callgrind and subtract the setup (``--once setup``) from the other two::

    for step in setup parse check; do
      valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.$step \
        python3 benchmarks/bench_check.py --once $step 2>&1 | grep Collected
    done
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.cpu import least_cpu
from conftest import corpus_path
from contracttest import Cassette, Checker, load_cassette, load_contract, load_schema, router
from contracttest.checker import compile_contract
from contracttest.checks.fallback import BUNDLED
from contracttest.xmlsafe import XMLProblem, looks_like_xml, parse
from tests.corpus_contracts import RSDL, XSD, nearest, vcrpy_cassettes

#: check / parse-only, median of the repetitions.
BUDGET = 2.0


def check_all(plan: list[tuple[Checker, Cassette]]) -> int:
    return sum(len(checker.check_cassette(cassette)) for checker, cassette in plan)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument(
        "--pairs", type=int, default=3, help="back-to-back runs of each step per repetition"
    )
    parser.add_argument(
        "--once",
        choices=("setup", "parse", "check"),
        help="load everything, then do this step once and stop (for instruction counts)",
    )
    args = parser.parse_args()
    corpus = corpus_path()
    if not (corpus / "rsdl").is_dir():
        print(f"corpus not found at {corpus}", file=sys.stderr)
        return 2
    files = vcrpy_cassettes(corpus)

    yaml_time = (
        0.0 if args.once else least_cpu(args.repeat, lambda: [load_cassette(f) for f in files])
    )
    cassettes = [load_cassette(f) for f in files]
    exchanges = sum(len(c.exchanges) for c in cassettes)
    bodies = [
        body
        for c in cassettes
        for e in c.exchanges
        for body in (e.request.body, e.response.body)
        if body.strip() and looks_like_xml(body)
    ]
    size = sum(len(b) for b in bodies)

    def parse_only() -> None:
        for body in bodies:
            with contextlib.suppress(XMLProblem):
                parse(body)

    keys = {nearest(f)[0] for f in files}

    def fresh_plan(reuse: bool) -> list[tuple[Checker, Cassette]]:
        """New contract, schema and checker objects: no cache survives from a prior run."""
        router.forget()
        checkers = {
            key: Checker(
                load_contract(corpus / RSDL[key]),
                load_schema(corpus / XSD[key]) if key in XSD else None,
                reuse=reuse,
            )
            for key in keys
        }
        return [(checkers[nearest(c.path)[0]], c) for c in cassettes]

    if args.once is not None:
        plan = fresh_plan(reuse=True)
        if args.once == "parse":
            parse_only()
        elif args.once == "check":
            check_all(plan)
        return 0

    # Interleaved: each repetition times parse-only, then the check with and without body
    # reuse, ``--pairs`` times back to back, and keeps the least time of each (a busy
    # machine only ever adds time, so the least of a few close runs is the truest); a slow
    # phase of the machine then hits all three alike. The ratios are the median of the
    # per-repetition ratios.
    parse_times: list[float] = []
    check_times: list[float] = []
    cold_times: list[float] = []
    for _ in range(args.repeat):
        parses, checks, colds = [], [], []
        for _ in range(args.pairs):
            parses.append(least_cpu(1, parse_only))
            warm, cold = fresh_plan(reuse=True), fresh_plan(reuse=False)
            checks.append(least_cpu(1, lambda: check_all(warm)))  # noqa: B023 - used at once
            colds.append(least_cpu(1, lambda: check_all(cold)))  # noqa: B023 - used at once
        parse_times.append(min(parses))
        check_times.append(min(checks))
        cold_times.append(min(colds))
    violations = check_all(fresh_plan(reuse=True))
    parse_time, check_time, cold_time = min(parse_times), min(check_times), min(cold_times)
    ratios = [c / p for c, p in zip(check_times, parse_times, strict=True)]
    ratio = statistics.median(ratios)
    cold_ratio = statistics.median(c / p for c, p in zip(cold_times, parse_times, strict=True))

    def load_and_compile() -> None:
        contract, schema = load_contract(corpus / RSDL["3.6"]), load_schema(corpus / XSD["3.6"])
        compile_contract(contract, schema)

    load_time = least_cpu(args.repeat, load_and_compile)

    print(
        f"corpus: {len(files)} cassettes, {exchanges} exchanges, {len(bodies)} XML bodies, "
        f"{size / 1e6:.1f} MB"
    )
    print(f"YAML loading (excluded):       {yaml_time * 1000:8.1f} ms")
    print(f"parse-only (lxml):             {parse_time * 1000:8.1f} ms")
    print(
        f"check, all rules (with parse): {check_time * 1000:8.1f} ms  "
        f"({exchanges / check_time:,.0f} exchanges/s, {violations} violations)"
    )
    verdict = "within" if ratio <= BUDGET else "OVER"
    print(
        f"ratio check / parse-only:      {ratio:8.2f}  ({verdict} budget {BUDGET:.2f}; median of "
        f"{args.repeat} interleaved repetitions of {args.pairs} runs each, from {min(ratios):.2f} "
        f"to {max(ratios):.2f})"
    )
    print(
        f"same, no body reuse:           {cold_time * 1000:8.1f} ms  "
        f"(ratio {cold_ratio:.2f}; every body parsed and walked afresh)"
    )
    print(f"load + compile 3.6 RSDL + XSD: {load_time * 1000:8.1f} ms  (budget 150 ms)")
    print(f"bundled v4 model needed:       {'yes' if BUNDLED.loaded else 'no'}")
    return 0 if ratio <= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())

"""``contracttest report PATH...``: the coverage of cassettes against a contract, as text or
JSON on stdout, and as a JSON file and a self-contained HTML page.

The only part of coverage that reads and writes files: cassettes through the one cassette
edge (``find_cassettes``, ``load_cassette``), the contract through ``loading`` (done by the
command line, as for ``check``), what it writes through ``pin.atomic_write``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from contracttest.errors import ContractTestError, UsageError

if TYPE_CHECKING:
    from contracttest.checker import Checker
    from contracttest.coverage.model import Coverage
    from contracttest.coverage.resolve import Resolver
    from contracttest.coverage.tally import Tally
    from contracttest.exchange import Cassette
    from contracttest.loading import LoadedContract
    from contracttest.rules import Violation


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """What ``report`` adds to the cassettes and the contract ``check`` names alike."""
    parser.add_argument("--html", metavar="FILE", help="write the coverage as an HTML page")
    parser.add_argument("--json", metavar="FILE", help="write the coverage as JSON")
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="what stdout shows"
    )


def cassette_folders(paths: list[str]) -> tuple[Path, ...]:
    """The folders named, where a pinned contract may be; a path that is not there is a
    usage error, said before anything is read."""
    for path in paths:
        if not os.path.lexists(path):
            raise UsageError(f"{path}: no such file or folder")
    return tuple(Path(path) for path in paths if Path(path).is_dir())


def report(args: argparse.Namespace, loaded: LoadedContract) -> int:
    """Check and count every exchange of the cassettes; print and write the coverage. Exit
    status 0, or 2 when a cassette could not be read (the others are counted)."""
    from contracttest.cassette import find_cassettes

    files = list(find_cassettes(args.paths))
    if not files:
        raise UsageError(f"{', '.join(args.paths)}: no cassettes (*.yaml, *.yml) found")
    coverage, failed = measure(files, loaded)
    document = coverage.as_json()
    if args.json:
        _write(args.json, (json.dumps(document, indent=1) + "\n").encode())
    if args.html:
        from contracttest.coverage.html import render

        _write(args.html, render(coverage).encode())
    if args.format == "json":
        print(json.dumps(document, indent=1))
    else:
        from contracttest.report import coverage_text

        print(coverage_text(document))
    return 2 if failed else 0


def measure(files: list[str], loaded: LoadedContract) -> tuple[Coverage, int]:
    """The coverage of the cassette files (and how many could not be read: each said on
    stderr in one line)."""
    from contracttest.cassette import load_cassette
    from contracttest.checker import Checker
    from contracttest.coverage.model import build, catalogue_of
    from contracttest.coverage.resolve import Resolver
    from contracttest.coverage.tally import Tally

    checker = Checker(loaded.contract, loaded.schema)
    resolver = Resolver(loaded.contract, loaded.schema)
    tally = Tally()
    failed = 0
    for path in files:
        try:
            count(tally, checker, resolver, load_cassette(path))
        except ContractTestError as exc:
            print(f"contracttest: error: {exc}", file=sys.stderr)
            failed += 1
        except (RecursionError, MemoryError, OverflowError) as exc:  # bounded, never fatal
            problem = f"{path}: cannot be read: {type(exc).__name__}"
            print(f"contracttest: error: {problem}", file=sys.stderr)
            failed += 1
    return build(catalogue_of(loaded.contract), tally, loaded.source), failed


def count(tally: Tally, checker: Checker, resolver: Resolver, cassette: Cassette) -> None:
    """Check a cassette and count each exchange with its violations: the checker's, less the
    rules its recording's tests skip (as ``check`` counts them), shown as output shows them
    (no secret from a foreign cassette's URI or message)."""
    from contracttest.coverage.tally import hit_of
    from contracttest.report import shown, shown_uri

    by_index: dict[int, list[Violation]] = {}
    for v in checker.check_cassette(cassette):
        if v.rule not in cassette.skipped_rules:
            by_index.setdefault(v.index, []).append(shown(v))
    for exchange in cassette.exchanges:
        violations = tuple(by_index.get(exchange.index, ()))
        uri = shown_uri(exchange.request.uri)
        tally.add(hit_of(resolver, exchange, violations, uri=uri))


def _write(path: str, data: bytes) -> None:
    from contracttest.pin import atomic_write

    try:
        atomic_write(Path(path), data)
    except OSError as exc:
        raise UsageError(f"{path}: cannot be written: {exc.strerror or exc}") from None

"""The command line: ``contracttest check`` and ``contracttest contract``.

Exit status: 0 nothing at or above ``--fail-on``; 1 violations; 2 usage or input error
(one line on stderr naming the file and the problem, never a traceback).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, NoReturn

from contracttest import __version__
from contracttest.checker import Checker, UnknownRule, resolve_rules
from contracttest.client import ClientError
from contracttest.errors import ContractTestError
from contracttest.loading import bundled_contract, load_contract, load_schema
from contracttest.report import Result, as_json, as_text, contract_summary, contract_text
from contracttest.rules import Severity
from contracttest.schema import Schema

if TYPE_CHECKING:
    from contracttest.pin import Pin

EXIT_OK, EXIT_VIOLATIONS, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A bad option or argument; exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="contracttest", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"contracttest {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    check = commands.add_parser("check", help="check cassettes against an RSDL contract")
    check.add_argument("paths", nargs="+", metavar="PATH", help="cassette file or folder")
    check.add_argument(
        "--contract",
        metavar="RSDL",
        help="RSDL file or URL (default: the contract pinned in PATH/contract/, else the "
        "bundled v4 one)",
    )
    check.add_argument("--schema", metavar="XSD", help="entity XSD file or URL")
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.add_argument("--fail-on", choices=("error", "warning"), default="error")
    check.add_argument("--select", action="append", default=[], metavar="RULE")
    check.add_argument("--ignore", action="append", default=[], metavar="RULE")

    contract = commands.add_parser("contract", help="summarise an RSDL contract")
    contract.add_argument("rsdl", metavar="RSDL", help="RSDL file or URL")
    contract.add_argument("--schema", metavar="XSD", help="entity XSD file or URL")
    contract.add_argument("--format", choices=("text", "json"), default="text")

    serve = commands.add_parser("serve", help="run the embedded engine on loopback")
    from contracttest.serve import add_arguments as add_serve_arguments

    add_serve_arguments(serve)

    run = commands.add_parser(
        "run",
        help="run an API test suite with the plugin (default: record the example suite "
        "against the embedded engine and check every exchange)",
    )
    from contracttest.run import add_arguments as add_run_arguments

    add_run_arguments(run)

    scan = commands.add_parser(
        "scan-secrets", help="exit 1 when a cassette holds a credential (pre-commit, CI)"
    )
    scan.add_argument("paths", nargs="+", metavar="PATH", help="cassette file or folder")
    scan.add_argument(
        "--field", action="append", default=[], metavar="NAME", help="also a secret field"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        words = list(sys.argv[1:] if argv is None else argv)
        # ``contracttest run ... -- -n 2 -k vm``: what follows ``--`` goes to pytest.
        passthrough: list[str] = []
        if words[:1] == ["run"] and "--" in words:
            cut = words.index("--")
            words, passthrough = words[:cut], words[cut + 1 :]
        args = build_parser().parse_args(words)
        if args.command == "run":
            from contracttest.run import run

            return run(args, passthrough)
        if args.command == "scan-secrets":
            from contracttest.scan import ScrubConfig, scan_secrets_main

            return scan_secrets_main(args.paths, ScrubConfig().extended(fields=args.field))
        if args.command == "check":
            return _check(args)
        if args.command == "serve":
            from contracttest.serve import serve

            return serve(args)
        return _contract(args)
    except (UsageError, ContractTestError, UnknownRule, ClientError) as exc:
        print(f"contracttest: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug of ours: still one line, unless debugging
        if os.environ.get("CONTRACTTEST_DEBUG"):
            raise
        print(
            f"contracttest: internal error: {type(exc).__name__}: {exc} "
            "(set CONTRACTTEST_DEBUG=1 for the traceback, and please report it)",
            file=sys.stderr,
        )
        return EXIT_USAGE


def _check(args: argparse.Namespace) -> int:
    from contracttest.cassette import find_cassettes, load_cassette

    rules = resolve_rules(args.select, args.ignore)
    if args.contract is None:
        pinned = _pinned(args.paths)
        if pinned is not None:
            # Recorded by the plugin: the contract the engine served then, pinned beside.
            args.contract, args.schema = str(pinned.rsdl_path), args.schema or str(pinned.xsd_path)
        else:
            args.contract, bundled_schema = bundled_contract()
            args.schema = args.schema or bundled_schema
    contract = load_contract(args.contract)
    schema: Schema | None = load_schema(args.schema) if args.schema else None
    if contract.warnings:
        print(
            f"contracttest: note: {args.contract}: {len(contract.warnings)} defect(s) in the "
            "RSDL read leniently (see 'contracttest contract')",
            file=sys.stderr,
        )
    files = list(find_cassettes(args.paths))
    if not files:
        raise UsageError(f"{', '.join(args.paths)}: no cassettes (*.yaml, *.yml) found")
    checker = Checker(contract, schema, rules)
    result = Result()
    failed = accepted = 0
    for path in files:
        try:
            cassette = load_cassette(path)
        except ContractTestError as exc:
            print(f"contracttest: error: {exc}", file=sys.stderr)
            failed += 1
            continue
        result.cassettes += 1
        result.exchanges += len(cassette.exchanges)
        found = checker.check_cassette(cassette)
        kept = [v for v in found if v.rule not in cassette.skipped_rules]
        accepted += len(found) - len(kept)
        result.violations.extend(kept)
    print(as_json(result) if args.format == "json" else as_text(result))
    if accepted:
        print(
            f"contracttest: note: {accepted} violation(s) of rules the recording tests skip "
            "(@pytest.mark.contract) left out",
            file=sys.stderr,
        )
    if failed:
        return EXIT_USAGE
    threshold = Severity(args.fail_on).rank
    failing = any(v.severity.rank >= threshold for v in result.violations)
    return EXIT_VIOLATIONS if failing else EXIT_OK


def _pinned(paths: list[str]) -> Pin | None:
    from pathlib import Path

    from contracttest.pin import read_pin

    for path in paths:
        folder = Path(path)
        if folder.is_dir():
            pin = read_pin(folder)
            if pin is not None:
                return pin
    return None


def _contract(args: argparse.Namespace) -> int:
    contract = load_contract(args.rsdl)
    schema = load_schema(args.schema) if args.schema else None
    summary = contract_summary(contract, schema)
    if args.format == "json":
        import json

        print(json.dumps(summary, indent=2))
    else:
        print(contract_text(summary))
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""The command line: ``check``, ``contract``, ``rules``, ``scan-secrets``, ``scrub``, ``serve``,
``run``, ``diff``, ``verify``, ``proxy``, ``report``.

Each command parses its options, calls the functions that do the work, and renders their
values. Exit status: 0 nothing at or above ``--fail-on``; 1 violations; 2 usage or input
error (one line on stderr naming the file and the problem, never a traceback: anything the
package raises on purpose derives from ``ContractTestError``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from contracttest import __version__, options
from contracttest.errors import ContractTestError, UsageError

if TYPE_CHECKING:
    from contracttest.loading import LoadedContract

EXIT_OK, EXIT_VIOLATIONS, EXIT_USAGE = 0, 1, 2

#: How ``check`` and ``contract`` name a contract, and log in to an engine that serves one.
CONTRACT_OPTIONS = ("--contract-schema", *options.ENGINE_LOGIN)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="contracttest", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"contracttest {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    check = commands.add_parser("check", help="check cassettes against an RSDL contract")
    check.add_argument("paths", nargs="+", metavar="PATH", help="cassette file or folder")
    _add_contract_arguments(check)
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.add_argument("--fail-on", choices=("error", "warning"), default="error")
    check.add_argument("--select", action="append", default=[], metavar="RULE")
    check.add_argument("--ignore", action="append", default=[], metavar="RULE")

    contract = commands.add_parser("contract", help="summarise an RSDL contract")
    contract.add_argument(
        "rsdl", metavar="PATH", help="RSDL file, contract folder, or engine URL (<api>?rsdl)"
    )
    options.add_to(contract, CONTRACT_OPTIONS)
    contract.add_argument("--format", choices=("text", "json"), default="text")

    rules = commands.add_parser("rules", help="the rule reference: every rule, or one")
    rules.add_argument("rule", nargs="?", metavar="RULE", help="a rule id")

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

    diff = commands.add_parser(
        "diff", help="what changed between two contracts (exit 1 on a breaking change)"
    )
    from contracttest.diff.command import add_arguments as add_diff_arguments

    add_diff_arguments(diff)

    verify = commands.add_parser(
        "verify", help="replay cassettes against another engine and report what changed"
    )
    from contracttest.verify import add_arguments as add_verify_arguments

    add_verify_arguments(verify)

    proxy = commands.add_parser(
        "proxy", help="record, replay or check any client's traffic through a proxy"
    )
    from contracttest.proxy.command import add_arguments as add_proxy_arguments

    add_proxy_arguments(proxy)

    report = commands.add_parser(
        "report", help="contract coverage of cassettes: text, JSON, and an HTML page"
    )
    report.add_argument("paths", nargs="+", metavar="PATH", help="cassette file or folder")
    _add_contract_arguments(report)
    from contracttest.coverage.command import add_arguments as add_report_arguments

    add_report_arguments(report)

    scan = commands.add_parser(
        "scan-secrets", help="exit 1 when a cassette holds a credential (pre-commit, CI)"
    )
    scrub = commands.add_parser(
        "scrub",
        help="replace the credentials cassettes hold, in place (older recordings; "
        "what scan-secrets finds)",
    )
    for command in (scan, scrub):
        command.add_argument("paths", nargs="+", metavar="PATH", help="cassette file or folder")
        command.add_argument(
            "--field", action="append", default=[], metavar="NAME", help="also a secret field"
        )
        command.add_argument(
            "--header", action="append", default=[], metavar="NAME", help="also a secret header"
        )
        command.epilog = (
            "Also searched for, in any encoding: the values of OVIRT_PASSWORD and of "
            "CONTRACTTEST_SCRUB_VALUES (one a line), and OVIRT_USERNAME in error answers."
        )
    return parser


def _add_contract_arguments(parser: argparse.ArgumentParser) -> None:
    """How ``check`` and ``report`` name the contract of their cassettes."""
    parser.add_argument(
        "--contract",
        metavar="PATH",
        help="RSDL file (api.xsd beside it used), contract folder, or engine URL "
        "(<api>?rsdl) (default: the contract pinned in PATH/contract/, else the bundled v4 one)",
    )
    options.add_to(parser, CONTRACT_OPTIONS)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        status = _dispatch(argv)
        sys.stdout.flush()  # here, where a reader gone away is seen (``| head``)
        return status
    except BrokenPipeError:  # the reader went away: nothing more to say, to anyone
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141  # as a shell reports a command ended by SIGPIPE


def _dispatch(argv: Sequence[str] | None) -> int:
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
        if args.command in ("scan-secrets", "scrub"):
            from contracttest.scan import config_from, scan_secrets_main, scrub_main

            work = scan_secrets_main if args.command == "scan-secrets" else scrub_main
            return work(args.paths, config_from(args.field, args.header))
        if args.command == "check":
            return _check(args)
        if args.command == "report":
            from contracttest.coverage.command import cassette_folders, report

            return report(args, _load_contract(args, near=cassette_folders(args.paths)))
        if args.command == "diff":
            from contracttest.diff.command import run as diff

            return diff(args)
        if args.command == "serve":
            from contracttest.serve import serve

            return serve(args)
        if args.command == "rules":
            return _rules(args)
        if args.command == "proxy":
            from contracttest.proxy.command import run as proxy

            return proxy(args)
        if args.command == "verify":
            from contracttest.verify import verify_main

            return verify_main(args)
        return _contract(args)
    except ContractTestError as exc:
        print(f"contracttest: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        raise  # ``main`` ends quietly
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
    from contracttest.checker import Checker, resolve_rules
    from contracttest.report import Result, as_json, as_text
    from contracttest.rules import Severity

    rules = resolve_rules(args.select, args.ignore)
    folders = tuple(Path(path) for path in args.paths if Path(path).is_dir())
    loaded = _load_contract(args, near=folders)
    files = list(find_cassettes(args.paths))
    if not files:
        raise UsageError(f"{', '.join(args.paths)}: no cassettes (*.yaml, *.yml) found")
    checker = Checker(loaded.contract, loaded.schema, rules)
    result = Result(
        contract=loaded.source,
        schema=loaded.schema.source if loaded.schema is not None else None,
        schema_checks=loaded.schema is not None and "response.schema" in rules,
    )
    failed = accepted = 0
    for path in files:
        try:
            cassette = load_cassette(path)
            found = checker.check_cassette(cassette)
        except ContractTestError as exc:
            _error(str(exc))
            failed += 1
            continue
        except (RecursionError, MemoryError, OverflowError) as exc:  # bounded, never fatal
            _error(f"{path}: cannot be checked: {type(exc).__name__}")
            failed += 1
            continue
        result.cassettes += 1
        result.exchanges += len(cassette.exchanges)
        kept = [v for v in found if v.rule not in cassette.skipped_rules]
        accepted += len(found) - len(kept)
        result.violations.extend(kept)
        result.tally(cassette.exchanges, kept)
    print(as_json(result) if args.format == "json" else as_text(result))
    if accepted:
        _note(
            f"{accepted} violation(s) of rules the recording tests skip "
            "(@pytest.mark.contract) left out"
        )
    if failed:
        return EXIT_USAGE
    threshold = Severity(args.fail_on).rank
    failing = any(v.severity.rank >= threshold for v in result.violations)
    return EXIT_VIOLATIONS if failing else EXIT_OK


def _load_contract(args: argparse.Namespace, near: tuple[Path, ...] = ()) -> LoadedContract:
    """The contract ``--contract``/``--schema`` name (or the one pinned near the cassettes,
    or the bundled one), logged in to an engine as the engine options say."""
    from contracttest.loading import load, locate

    where = getattr(args, "contract", None) or getattr(args, "rsdl", None)
    source = locate(where, args.contract_schema, near=near)
    loaded = load(source, options.access_from(source.rsdl, args))
    if loaded.contract.warnings:
        _note(
            f"{loaded.source}: {len(loaded.contract.warnings)} defect(s) in the RSDL read "
            "leniently (see 'contracttest contract')"
        )
    return loaded


def _contract(args: argparse.Namespace) -> int:
    from contracttest.report import contract_summary, contract_text

    loaded = _load_contract(args)
    summary = contract_summary(loaded.contract, loaded.schema)
    if args.format == "json":
        import json

        print(json.dumps(summary, indent=2))
    else:
        print(contract_text(summary))
    return EXIT_OK


def _rules(args: argparse.Namespace) -> int:
    from contracttest.report import rule_reference
    from contracttest.rules import RULES, suggest

    if args.rule is not None and args.rule not in RULES:
        raise UsageError(f"unknown rule {args.rule!r}{suggest(args.rule, list(RULES))}")
    print(rule_reference(args.rule))
    return EXIT_OK


def _error(message: str) -> None:
    print(f"contracttest: error: {message}", file=sys.stderr)


def _note(message: str) -> None:
    print(f"contracttest: note: {message}", file=sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

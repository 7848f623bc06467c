"""``contracttest diff OLD NEW``: what changed in the contract between two engine versions.

OLD and NEW are named as every command names a contract (``loading.locate``): an RSDL file
(its ``api.xsd`` beside it used), a contract folder, or an engine's ``<api>`` URL fetched
logged in with the ``--engine-*`` options. Exit status: 0 when no change reaches
``--fail-on``, 1 when one does, 2 on a usage or input error (one line, from ``cli``).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from contracttest import options

if TYPE_CHECKING:
    from contracttest.diff.catalogue import Change, Severity
    from contracttest.diff.ignore import Ignore
    from contracttest.loading import LoadedContract

#: The largest ignore file read.
MAX_IGNORE_FILE = 4 << 20
FORMATS = ("text", "json", "junit")
#: The severities, least first (``catalogue.Severity``: not imported to build the parser).
SEVERITIES = ("info", "warning", "breaking")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    where = "RSDL file (api.xsd beside it used), contract folder, or engine URL (<api>)"
    parser.add_argument("old", metavar="OLD", help=f"the contract now: {where}")
    parser.add_argument("new", metavar="NEW", help="the contract after the upgrade: likewise")
    parser.add_argument("--old-schema", metavar="XSD", help="OLD's entity XSD (file or URL)")
    parser.add_argument("--new-schema", metavar="XSD", help="NEW's entity XSD (file or URL)")
    parser.add_argument("--format", choices=FORMATS, default="text")
    parser.add_argument(
        "--fail-on",
        choices=SEVERITIES,
        default="breaking",
        help="exit 1 when a change of this severity or above remains (default: breaking)",
    )
    parser.add_argument(
        "--ignore",
        metavar="FILE",
        help="changes accepted: one change id (or class id) a line, # comments",
    )
    options.add_to(parser, options.ENGINE_LOGIN)


def run(args: argparse.Namespace) -> int:
    """The ``diff`` command: 0 nothing reaches ``--fail-on``, 1 something does."""
    from contracttest.diff.catalogue import Severity
    from contracttest.diff.compare import diff_contracts
    from contracttest.diff.ignore import Ignore
    from contracttest.diff.render import as_json, as_junit, as_text

    ignore = _ignore_file(args.ignore) if args.ignore else Ignore()
    old = _loaded(args.old, args.old_schema, args)
    new = _loaded(args.new, args.new_schema, args)
    if old.schema is None or new.schema is None:
        missing = "OLD" if old.schema is None else "NEW"
        _note(f"no XSD for {missing} (--{missing.lower()}-schema): entity types not compared")
    changes, accepted = ignore.split(
        diff_contracts(old.contract, new.contract, old.schema, new.schema)
    )
    for entry in ignore.unused(accepted):
        _note(f"{args.ignore}: {entry!r} accepts no change of this diff")
    fail_on = Severity(args.fail_on)
    if args.format == "json":
        print(as_json(changes))
    elif args.format == "junit":
        print(as_junit(changes, old.source, new.source, fail_on), end="")
    else:
        print(as_text(changes, _label(old), _label(new), len(accepted)))
    return 1 if _failing(changes, fail_on) else 0


def _failing(changes: list[Change], fail_on: Severity) -> bool:
    return any(change.severity.rank >= fail_on.rank for change in changes)


def _loaded(where: str, schema: str | None, args: argparse.Namespace) -> LoadedContract:
    from contracttest.loading import load, locate

    source = locate(where, schema)
    return load(source, options.access_from(source.rsdl, args))


def _ignore_file(path: str) -> Ignore:
    from contracttest.diff.ignore import parse_ignore
    from contracttest.errors import InputError
    from contracttest.files import read_regular

    return parse_ignore(read_regular(path, MAX_IGNORE_FILE, InputError, "an ignore file"), path)


def _label(loaded: LoadedContract) -> str:
    version = f" (API {loaded.contract.version})" if loaded.contract.version else ""
    return f"{loaded.source}{version}"


def _note(message: str) -> None:
    print(f"contracttest: note: {message}", file=sys.stderr)

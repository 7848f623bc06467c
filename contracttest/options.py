"""The plugin's option table: one place for every option's flag, ini name, environment
variable, kind and help. The plugin declares its pytest options (and their ini twins) from
it, ``contracttest run`` its own arguments, and ``check`` and ``contract`` the options that
reach an engine, so the three never disagree. No pytest here: the commands import it too.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from contracttest.client import Access

RECORD_MODES = ("none", "once", "new_episodes", "all", "rewrite")
FAIL_ON = ("error", "warning")
SANDBOX = "sandbox"
DEFAULT_USER = "admin@internal"


@dataclass(frozen=True)
class Option:
    flag: str
    help: str
    env: str | None = None
    choices: tuple[str, ...] | None = None
    kind: str = "string"  # string | path | bool | list
    metavar: str | None = None
    ini_name: str | None = None
    #: Other spellings the commands accept (not pytest: a short name may clash there).
    aliases: tuple[str, ...] = ()

    @property
    def dest(self) -> str:
        return "contracttest_" + self.flag.lstrip("-").replace("-", "_")

    @property
    def ini(self) -> str:
        return self.ini_name or self.flag.lstrip("-").replace("-", "_")


OPTIONS = (
    Option(
        "--engine",
        "engine API URL to record against, or 'sandbox' for the embedded one (env OVIRT_URL)",
        "OVIRT_URL",
        metavar="URL|sandbox",
    ),
    Option(
        "--engine-user",
        f"user to log in as (env OVIRT_USERNAME; default {DEFAULT_USER})",
        "OVIRT_USERNAME",
        metavar="USER",
    ),
    Option("--engine-password", "password (env OVIRT_PASSWORD)", "OVIRT_PASSWORD", metavar="PW"),
    Option(
        "--engine-ca-file",
        "CA certificate file of the engine (env OVIRT_CAFILE)",
        "OVIRT_CAFILE",
        kind="path",
        metavar="FILE",
    ),
    Option(
        "--engine-insecure",
        "do not verify the engine's TLS certificate (env OVIRT_INSECURE=1)",
        "OVIRT_INSECURE",
        kind="bool",
    ),
    Option(
        "--engine-api-version",
        "engine API version to speak: 3 or 4 (default: the one the engine's contract declares)",
        metavar="3|4",
    ),
    Option(
        "--engine-representation",
        "what the ovirt_engine fixture speaks on the wire: xml (default) or json "
        "(env CONTRACTTEST_REPRESENTATION)",
        "CONTRACTTEST_REPRESENTATION",
        choices=("xml", "json"),
    ),
    Option(
        "--record-mode",
        "none (default: replay only), once, new_episodes, all or rewrite",
        choices=RECORD_MODES,
    ),
    Option(
        "--record-failed",
        "also write the cassette of a test that fails while recording (default: it keeps "
        "the cassette it had; an interrupted test never writes one)",
        kind="bool",
    ),
    Option("--cassette-dir", "cassette folder (default: cassettes/)", kind="path", metavar="DIR"),
    Option(
        "--contract",
        "RSDL file (api.xsd beside it used), contract folder or engine URL to check against "
        "(default: the one pinned when recording, else the bundled v4 one)",
        kind="path",
        metavar="PATH",
    ),
    Option(
        "--contract-schema",
        "the entity XSD (file or URL) when it is not api.xsd beside the --contract RSDL "
        "(--schema in the commands)",
        kind="path",
        metavar="XSD",
        aliases=("--schema",),
    ),
    Option(
        "--verify-against",
        "run live against this engine (URL, or 'sandbox') and compare every answer with the "
        "recorded one at the same place in the test's cassette; cassettes are never rewritten",
        metavar="URL|sandbox",
    ),
    Option(
        "--contract-crud",
        "add generated CRUD round trips (tests test_crud[COLLECTION]) for these collections, "
        "comma-separated, or 'all' the contract can drive; recorded and replayed like any test",
        metavar="COLLECTIONS|all",
    ),
    Option(
        "--contract-crud-examples",
        "examples per --contract-crud collection: a number, or a Hypothesis settings profile "
        "name (default: fast, 20)",
        metavar="N|PROFILE",
    ),
    Option("--contract-fail-on", "fail tests at: error (default) or warning", None, FAIL_ON),
    Option(
        "--contract-report",
        "write the violations, tallies and contract coverage as JSON",
        kind="path",
        metavar="PATH",
    ),
    Option(
        "--scrub-field",
        "also scrub this XML element, form field or JSON key (repeatable)",
        kind="list",
        metavar="NAME",
        ini_name="scrub_fields",
    ),
    Option(
        "--scrub-header",
        "also scrub this request or response header (repeatable)",
        kind="list",
        metavar="NAME",
        ini_name="scrub_headers",
    ),
    Option(
        "--scrub-value",
        "also scrub this exact value wherever it appears, in any encoding (repeatable; the "
        "engine password always is; prefer env CONTRACTTEST_SCRUB_VALUES, one a line: a "
        "command line shows in ps)",
        "CONTRACTTEST_SCRUB_VALUES",
        kind="list",
        metavar="VALUE",
        ini_name="scrub_values",
    ),
)

BY_FLAG = {option.flag: option for option in OPTIONS}

#: The options that reach an engine: the same for the plugin, ``run``, ``check``, ``contract``.
ENGINE_LOGIN = ("--engine-user", "--engine-password", "--engine-ca-file", "--engine-insecure")

TRUE_WORDS = ("1", "true", "yes", "on")


def add_to(parser: argparse.ArgumentParser, flags: tuple[str, ...]) -> None:
    """Declare the options named by ``flags`` on an argparse parser, as the plugin has them."""
    for flag in flags:
        option = BY_FLAG[flag]
        dest = option.flag.lstrip("-").replace("-", "_")
        names = [option.flag, *option.aliases]
        if option.kind == "bool":
            parser.add_argument(*names, dest=dest, action="store_true", help=option.help)
        elif option.kind == "list":
            parser.add_argument(
                *names,
                dest=dest,
                action="append",
                default=[],
                metavar=option.metavar,
                help=option.help,
            )
        else:
            parser.add_argument(
                *names,
                dest=dest,
                choices=option.choices,
                metavar=option.metavar,
                help=option.help,
            )


def flag_value(option: Option, value: object) -> list[str]:
    """The command-line words that give ``value`` to ``option`` (for pytest's command line).

    Always ``--option=VALUE``, one word: pytest picks its rootdir (and so its ini file)
    before it knows a plugin's options, from every word that is not an option, so the
    ``PATH`` of ``--contract PATH`` would count as a place of tests and could move it."""
    if value is None or value is False or value == []:
        return []
    if option.kind == "bool":
        return [option.flag]
    if option.kind == "list" and isinstance(value, list):
        return [f"{option.flag}={item}" for item in value]
    return [f"{option.flag}={value}"]


def access_from(url: str, args: argparse.Namespace) -> Access:
    """How to log in to the engine at ``url``, as a command's ``ENGINE_LOGIN`` options say
    (then the ``OVIRT_*`` environment, then the URL's userinfo: ``Access.resolve``)."""
    from contracttest.client import Access

    return Access.resolve(
        url.split("?", 1)[0],
        user=args.engine_user,
        password=args.engine_password,
        ca_file=args.engine_ca_file,
        insecure=args.engine_insecure or None,
    )

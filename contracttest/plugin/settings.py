"""The plugin's options: each with an ini twin (and some an environment variable), resolved
once per run into a frozen ``Settings`` value."""

from __future__ import annotations

import importlib.util
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from contracttest.scrub import ScrubConfig

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
        "user to log in as (env OVIRT_USERNAME; default admin@internal)",
        "OVIRT_USERNAME",
        metavar="USER",
    ),
    Option("--engine-password", "password (env OVIRT_PASSWORD)", "OVIRT_PASSWORD", metavar="PW"),
    Option("--engine-ca-file", "CA certificate file of the engine", kind="path", metavar="FILE"),
    Option("--engine-insecure", "do not verify the engine's TLS certificate", kind="bool"),
    Option(
        "--record-mode",
        "none (default: replay only), once, new_episodes, all or rewrite",
        choices=RECORD_MODES,
    ),
    Option("--cassette-dir", "cassette folder (default: cassettes/)", kind="path", metavar="DIR"),
    Option(
        "--contract",
        "RSDL file, folder or URL to check against (default: the one pinned when recording)",
        kind="path",
        metavar="PATH",
    ),
    Option("--contract-fail-on", "fail tests at: error (default) or warning", None, FAIL_ON),
    Option(
        "--contract-report", "write the violations and tallies as JSON", kind="path", metavar="PATH"
    ),
    Option(
        "--scrub-field",
        "also scrub this XML element, form field or JSON key (repeatable)",
        kind="list",
        metavar="NAME",
        ini_name="scrub_fields",
    ),
)


def add_options(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    group = parser.getgroup(
        "contracttest", "contracttest: record, replay and check oVirt API calls"
    )
    for option in OPTIONS:
        ini_type: Any = {"bool": "bool", "list": "linelist"}.get(option.kind, "string")
        ini_help = f"{option.help} (twin of {option.flag})"
        parser.addini(option.ini, ini_help, type=ini_type, default=None)
        if option.flag == "--record-mode" and _record_mode_elsewhere(pluginmanager):
            continue  # pytest-recording has the same option; read its value
        if option.kind == "bool":
            group.addoption(
                option.flag, dest=option.dest, action="store_const", const=True, help=option.help
            )
        elif option.kind == "list":
            group.addoption(
                option.flag,
                dest=option.dest,
                action="append",
                metavar=option.metavar,
                help=option.help,
            )
        else:
            group.addoption(
                option.flag,
                dest=option.dest,
                choices=option.choices,
                metavar=option.metavar,
                help=option.help,
            )


def _record_mode_elsewhere(pluginmanager: pytest.PytestPluginManager) -> bool:
    """pytest-recording defines ``--record-mode`` with the same names; two plugins cannot
    both add it, so when it is (or will be) loaded, contracttest reads its value."""
    if pluginmanager.has_plugin("recording") or pluginmanager.has_plugin("pytest_recording.plugin"):
        return True
    if pluginmanager.is_blocked("recording") or os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        return False
    return importlib.util.find_spec("pytest_recording") is not None


@dataclass(frozen=True)
class Settings:
    """Everything the plugin was told; override the ``contracttest_config`` fixture to
    change it for a suite (``dataclasses.replace(contracttest_config, ...)``)."""

    engine: str | None = None
    user: str = DEFAULT_USER
    password: str | None = None
    ca_file: str | None = None
    insecure: bool = False
    record_mode: str = "none"
    cassette_dir: Path = Path("cassettes")
    contract: str | None = None
    fail_on: str = "error"
    report: Path | None = None
    scrub_fields: tuple[str, ...] = ()
    scrub: bool = True
    given: frozenset[str] = field(default_factory=frozenset)  # options from the command line

    def scrub_config(self) -> ScrubConfig:
        from contracttest.scrub import ScrubConfig

        return ScrubConfig(enabled=self.scrub).extended(fields=self.scrub_fields)


def read_settings(config: pytest.Config) -> Settings:
    values: dict[str, Any] = {}
    given: set[str] = set()
    # Relative paths: from the ini file's folder, or (no ini file) where pytest was started;
    # not pytest's rootdir, which an option's value can move (``--engine-ca-file /etc/x``).
    ini_base = config.inipath.parent if config.inipath else config.invocation_params.dir
    for option in OPTIONS:
        cli = config.getoption(option.dest, None)
        if option.flag == "--record-mode" and cli is None:
            cli = config.getoption("record_mode", None)  # pytest-recording's
        base = config.invocation_params.dir
        if cli is not None and cli != []:
            value: Any = cli
            given.add(option.flag)
        elif option.env and os.environ.get(option.env):
            value = os.environ[option.env]
        else:
            value = config.getini(option.ini)
            base = ini_base
            if option.kind == "bool":
                value = bool(value)
            elif value in ("", None, []):
                continue
        if option.choices and value not in option.choices:
            expected = ", ".join(option.choices)
            raise pytest.UsageError(
                f"contracttest: {option.ini} = {value!r}: expected one of {expected}"
            )
        if option.kind == "path" and isinstance(value, str) and not re.match(r"^\w+://", value):
            value = str(base / value)
        values[option.ini] = value
    cassette_dir = Path(values.pop("cassette_dir", None) or (ini_base / "cassettes"))
    report = values.pop("contract_report", None)
    return Settings(
        engine=values.get("engine"),
        user=values.get("engine_user") or DEFAULT_USER,
        password=values.get("engine_password"),
        ca_file=values.get("engine_ca_file"),
        insecure=bool(values.get("engine_insecure")),
        record_mode=values.get("record_mode") or "none",
        cassette_dir=cassette_dir,
        contract=values.get("contract"),
        fail_on=values.get("contract_fail_on") or "error",
        report=Path(report) if report else None,
        scrub_fields=tuple(values.get("scrub_fields") or ()),
        given=frozenset(given),
    )

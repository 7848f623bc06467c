"""The plugin's options (the table in ``contracttest.options``): each with an ini twin (and
some an environment variable), resolved once per run into a frozen ``Settings`` value.

Precedence, for every option: the command line, then the environment variable, then the ini
file, then the default; ``contracttest_config`` (a fixture a suite may override) hands the
result to the fixtures."""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from contracttest.options import DEFAULT_USER, OPTIONS, SANDBOX, TRUE_WORDS

if TYPE_CHECKING:
    from contracttest.client import Access
    from contracttest.scrub import ScrubConfig

__all__ = ["DEFAULT_USER", "SANDBOX", "Settings", "add_options", "read_settings"]


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

    engine: str | None = field(default=None, repr=False)  # its userinfo may be a login
    user: str = DEFAULT_USER
    password: str | None = field(default=None, repr=False)  # never in a traceback
    ca_file: str | None = None
    insecure: bool = False
    record_mode: str = "none"
    record_failed: bool = False  # write the recording of a test that failed
    cassette_dir: Path = Path("cassettes")
    contract: str | None = None
    schema: str | None = None
    fail_on: str = "error"
    report: Path | None = None
    scrub_fields: tuple[str, ...] = ()
    scrub_headers: tuple[str, ...] = ()
    scrub_values: tuple[str, ...] = field(default=(), repr=False)  # never in a traceback
    scrub: bool = True
    given: frozenset[str] = field(default_factory=frozenset)  # options from the command line
    api_version: int | None = None  # --engine-api-version; None: the contract's
    representation: str = "xml"  # --engine-representation: xml or json on the wire
    #: --verify-against: the engine (URL, or ``sandbox``) a run verifies its cassettes on.
    verify_against: str | None = field(default=None, repr=False)  # its userinfo may be a login
    #: --contract-crud: the collections (or ``all``) the generated CRUD items drive.
    crud: tuple[str, ...] = ()
    #: --contract-crud-examples: a number of examples or a Hypothesis profile name.
    crud_examples: str | None = None

    @property
    def records_remotely(self) -> bool:
        """Every test records against an engine at a URL (not the embedded one)."""
        remote = bool(self.engine) and self.engine != SANDBOX
        return remote and self.record_mode in ("all", "rewrite", "new_episodes")

    @property
    def to_check(self) -> bool:
        """The settings name something every test would meet (a contract, an engine every
        test records against), worth checking once before the tests."""
        return bool(self.contract) or self.records_remotely

    def scrub_config(self) -> ScrubConfig:
        """What recording scrubs: the names given, and (in any encoding, anywhere) the values
        given and the engine's password, with the user name in login forms and error answers."""
        from contracttest.scrub import ScrubConfig

        password = self.password
        if password is None and self.engine and "@" in self.engine:
            password = self.access().password  # given in the URL's userinfo
        return ScrubConfig(enabled=self.scrub).extended(
            fields=self.scrub_fields,
            headers=self.scrub_headers,
            values=[*self.scrub_values, *([password] if password else [])],
            identities=[self.user] if self.user else [],
        )

    def access(self, url: str | None = None) -> Access:
        """How to log in to ``url`` (default: ``engine``), as these settings say."""
        from contracttest.client import Access

        return Access.resolve(
            url or self.engine or "",
            user=self.user,
            password=self.password,
            ca_file=self.ca_file,
            insecure=self.insecure,
            environ={},  # the settings already read the environment
        )


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
            if option.kind == "bool":
                value = value.strip().lower() in TRUE_WORDS
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
    settings = Settings(
        engine=values.get("engine"),
        user=values.get("engine_user") or DEFAULT_USER,
        password=values.get("engine_password"),
        ca_file=values.get("engine_ca_file"),
        insecure=bool(values.get("engine_insecure")),
        record_mode=values.get("record_mode") or "none",
        record_failed=bool(values.get("record_failed")),
        cassette_dir=cassette_dir,
        contract=values.get("contract"),
        schema=values.get("contract_schema"),
        fail_on=values.get("contract_fail_on") or "error",
        report=Path(report) if report else None,
        scrub_fields=tuple(values.get("scrub_fields") or ()),
        scrub_headers=tuple(values.get("scrub_headers") or ()),
        scrub_values=tuple(_lines(values.get("scrub_values"))),
        given=frozenset(given),
        verify_against=values.get("verify_against"),
        crud=tuple(n.strip() for n in (values.get("contract_crud") or "").split(",") if n.strip()),
        crud_examples=values.get("contract_crud_examples"),
        representation=values.get("engine_representation") or "xml",
    )
    if values.get("engine_api_version") is not None:  # 3 or 4, else one line before any test
        from contracttest.client import api_version
        from contracttest.errors import UsageError as BadVersion

        named = "--engine-api-version" if "--engine-api-version" in given else "engine_api_version"
        try:
            version = api_version(values["engine_api_version"], named)
        except BadVersion as exc:
            raise pytest.UsageError(f"contracttest: {exc}") from None
        settings = dataclasses.replace(settings, api_version=version)
    _check_scrubbing(settings)
    return settings


def _lines(value: object) -> list[str]:
    """A list option's values: the environment gives one text, one value a line."""
    items = value.splitlines() if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        return []
    return [str(item) for item in items if str(item).strip()]


def _check_scrubbing(settings: Settings) -> None:
    """A bad secret name or value stops the run, in one line, before anything records."""
    if not (settings.scrub_fields or settings.scrub_headers or settings.scrub_values):
        return
    from contracttest.errors import UsageError
    from contracttest.scrubconfig import ScrubConfig, checked_values

    what = ""
    try:
        what = "--scrub-field (scrub_fields)"
        ScrubConfig().extended(fields=settings.scrub_fields)
        what = "--scrub-header (scrub_headers)"
        ScrubConfig().extended(headers=settings.scrub_headers)
        what = "--scrub-value (scrub_values, CONTRACTTEST_SCRUB_VALUES)"
        checked_values(settings.scrub_values, "a value")
    except UsageError as exc:
        raise pytest.UsageError(f"contracttest: {what}: {exc}") from None

"""The pytest plugin: record API exchanges against an engine, replay them in CI, and check
every exchange against the contract.

Data flow: options (command line, environment, ini) become one ``Settings`` value, which
the overridable ``contracttest_config`` fixture hands out. The ``engine`` fixture opens the
test's cassette (``recording.RecordingCassette``) and gives the test an ``api.Engine``
client; every exchange the cassette records or replays goes to the session's ``Checker``
as it happens, and the violations are kept on the test item. ``pytest_runtest_makereport``
fails the test with them; each test's teardown report carries its tallies (they travel
from pytest-xdist workers like any report attribute), which the controller sums into the
end-of-run summary and the ``--contract-report`` JSON.

Nothing heavy is imported until a test asks for a fixture: pytest loads this module in
every run of every project that has contracttest installed.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from contracttest.api import Engine
    from contracttest.checker import Checker
    from contracttest.exchange import Exchange
    from contracttest.rsdl import Contract
    from contracttest.rules import Violation
    from contracttest.schema import Schema
    from contracttest.scrub import ScrubConfig

RECORD_MODES = ("none", "once", "new_episodes", "all", "rewrite")
FAIL_ON = ("error", "warning")
SANDBOX = "sandbox"
DEFAULT_USER = "admin@internal"
REPLAY_URL = "https://engine.invalid/ovirt-engine/api"


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


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    group = parser.getgroup(
        "contracttest", "contracttest: record, replay and check oVirt API calls"
    )
    for option in OPTIONS:
        ini_type: Any = {"bool": "bool", "list": "linelist"}.get(option.kind, "string")
        ini_help = f"{option.help} (twin of {option.flag})"
        parser.addini(option.ini, ini_help, type=ini_type, default=None)
        if option.flag == "--record-mode" and _record_mode_elsewhere(parser, pluginmanager):
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


def _record_mode_elsewhere(
    parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager
) -> bool:
    """pytest-recording defines ``--record-mode`` with the same names; two plugins cannot
    both add it, so when it is (or will be) loaded, contracttest reads its value."""
    if any("--record-mode" in opt.names() for opt in parser._anonymous.options):
        return True
    for group in parser._groups:
        if any("--record-mode" in opt.names() for opt in group.options):
            return True
    if pluginmanager.is_blocked("recording") or os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        return False
    import importlib.util

    return importlib.util.find_spec("pytest_recording") is not None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "contract(skip=[rule, ...], cassette=name): skip contract rules for this test, "
        "or name its cassette",
    )
    state = config.stash[_STATE] = _State(_settings(config), config)
    if not hasattr(config, "workerinput"):  # a pytest-xdist worker reports to its controller
        config.pluginmanager.register(_Reporter(state), "contracttest-reporter")


# -- settings ---------------------------------------------------------------------------------


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


def _settings(config: pytest.Config) -> Settings:
    values: dict[str, Any] = {}
    given: set[str] = set()
    ini_base = config.inipath.parent if config.inipath else config.rootpath
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


# -- session state ----------------------------------------------------------------------------


@dataclass
class ContractInUse:
    """The ``contract`` fixture: the model checks run against, and where it came from."""

    contract: Contract
    schema: Schema | None
    hash: str
    source: str  # "pinned oVirt Engine 4.5.4 (sha256:...)", a path, or "bundled v4"
    url: str | None = None  # the engine it was pinned from, when pinned
    info: dict[str, str] = field(default_factory=dict)  # the pin's: product, version
    checkers: dict[frozenset[str], Checker] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.contract, name)

    def checker(self, skip: frozenset[str]) -> Checker:
        found = self.checkers.get(skip)
        if found is None:
            from contracttest.checker import Checker, resolve_rules

            found = Checker(self.contract, self.schema, resolve_rules((), sorted(skip)))
            self.checkers[skip] = found
        return found


@dataclass
class Totals:
    """The run's tallies, summed from every test's report (workers' too)."""

    exchanges: int = 0
    cassettes_recorded: int = 0
    cassettes_replayed: int = 0
    per_rule: Counter[str] = field(default_factory=Counter)
    per_severity: Counter[str] = field(default_factory=Counter)
    violations: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    contracts: set[str] = field(default_factory=set)
    tests: int = 0

    def add(self, nodeid: str, data: dict[str, Any]) -> None:
        self.tests += 1
        self.exchanges += int(data.get("exchanges", 0))
        self.cassettes_recorded += bool(data.get("recorded"))
        self.cassettes_replayed += bool(data.get("replayed")) and not data.get("recorded")
        if data.get("contract"):
            self.contracts.add(str(data["contract"]))
        for violation in data.get("violations", []):
            self.per_rule[violation["rule"]] += 1
            self.per_severity[violation["severity"]] += 1
            self.violations.append({"test": nodeid, **violation})
        self.notes.extend(str(note) for note in data.get("notes", []))


class _State:
    def __init__(self, settings: Settings, config: pytest.Config) -> None:
        self.settings = settings
        self.config = config
        self.contracts: dict[tuple[str, str], ContractInUse] = {}
        self.pinned: dict[Path, dict[str, str]] = {}  # cassette dir -> what was pinned now
        self.totals = Totals()

    def contract_for(self, settings: Settings) -> ContractInUse:
        from contracttest.pin import read_pin

        if settings.contract:
            key = ("given", settings.contract)
        else:
            pin = read_pin(settings.cassette_dir)
            key = ("pinned", str(settings.cassette_dir)) if pin else ("bundled", "")
        found = self.contracts.get(key)
        if found is None:
            found = self.contracts[key] = _load_contract(key, settings)
        return found

    def forget_pin(self, cassette_dir: Path) -> None:
        self.contracts.pop(("pinned", str(cassette_dir)), None)


_STATE = pytest.StashKey[_State]()


def _load_contract(key: tuple[str, str], settings: Settings) -> ContractInUse:
    from contracttest.loading import bundled_contract, read_source
    from contracttest.pin import contract_hash, read_pin
    from contracttest.rsdl import contract_from_bytes
    from contracttest.schema import schema_from_bytes

    kind, where = key
    url = None
    pin = None
    if kind == "pinned":
        pin = read_pin(settings.cassette_dir)
        assert pin is not None
        rsdl_name, xsd_name = str(pin.rsdl_path), str(pin.xsd_path)
        source = f"pinned {pin.describe()}"
        url = pin.info.get("engine_url") or None
    elif kind == "bundled":
        rsdl_path, xsd_path = bundled_contract()
        rsdl_name, xsd_name = str(rsdl_path), str(xsd_path)
        source = "the bundled v4 contract (nothing pinned in the cassette folder)"
    else:
        rsdl_name, xsd_name = _contract_files(where)
        source = where
    rsdl = read_source(rsdl_name)
    xsd = read_source(xsd_name) if xsd_name else b""
    contract = contract_from_bytes(rsdl, rsdl_name)
    schema = schema_from_bytes(xsd, xsd_name) if xsd_name else None
    info = pin.info if kind == "pinned" and pin is not None else {}
    return ContractInUse(contract, schema, contract_hash(rsdl, xsd), source, url, info)


def _contract_files(where: str) -> tuple[str, str]:
    """``--contract``: a pin folder (or any folder with rsdl.xml and api.xsd), an RSDL file
    (with ``api.xsd`` beside it when there is one), or an engine's ``...?rsdl`` URL."""
    from contracttest.pin import RSDL_FILE, XSD_FILE

    if re.match(r"^\w+://", where):
        base = where.split("?", 1)[0]
        return f"{base}?rsdl", f"{base}?schema"
    path = Path(where)
    if path.is_dir():
        if (path / "contract" / RSDL_FILE).is_file():
            path = path / "contract"
        return str(path / RSDL_FILE), str(path / XSD_FILE) if (path / XSD_FILE).is_file() else ""
    sibling = path.parent / XSD_FILE
    return str(path), str(sibling) if sibling.is_file() else ""


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def contracttest_config(pytestconfig: pytest.Config) -> Settings:
    """The plugin's settings; override it to change them in code."""
    return pytestconfig.stash[_STATE].settings


@pytest.fixture(scope="session")
def contract(pytestconfig: pytest.Config, contracttest_config: Settings) -> ContractInUse:
    """The contract the exchanges are checked against (pinned, ``--contract``, or bundled)."""
    return pytestconfig.stash[_STATE].contract_for(contracttest_config)


@dataclass(frozen=True)
class Sandbox:
    """A running embedded engine: ``url``, ``user``, ``password``, and the ``engine`` itself."""

    url: str
    user: str
    password: str
    engine: Any


@pytest.fixture(scope="session")
def sandbox(contracttest_config: Settings) -> Iterator[Sandbox]:
    """An embedded engine on a free loopback port, for the whole session."""
    from contracttest.engine import DEFAULT_PASSWORD, EngineServer, open_engine

    password = contracttest_config.password or DEFAULT_PASSWORD
    engine = open_engine(password=password)
    server = EngineServer(engine.handle).start()
    try:
        yield Sandbox(f"{server.base_url}{engine.prefix}", DEFAULT_USER, password, engine)
    finally:
        server.stop()
        engine.close()


@dataclass
class _TestRecord:
    """What one test's cassette saw: exchanges, violations, whether it recorded."""

    cassette: str
    checker: Checker
    contract: ContractInUse
    fail_on: str
    skip: frozenset[str]
    state: Any = None
    exchanges: int = 0
    recorded: bool = False
    replayed: bool = False
    violations: list[Violation] = field(default_factory=list)
    reported: int = 0
    notes: list[str] = field(default_factory=list)

    def observe(self, exchange: Exchange, recorded: bool) -> None:
        self.exchanges += 1
        if recorded:
            self.recorded = True
        else:
            self.replayed = True
        self.violations.extend(self.checker.check_exchange(exchange, self.state))

    def tallies(self) -> dict[str, Any]:
        return {
            "cassette": self.cassette,
            "exchanges": self.exchanges,
            "recorded": self.recorded,
            "replayed": self.replayed,
            "contract": self.contract.source,
            "violations": [
                {**v.as_json(), "expected": v.expected, "received": v.received}
                for v in self.violations
            ],
            "notes": self.notes,
        }


_RECORD = pytest.StashKey[_TestRecord]()


@pytest.fixture
def engine(request: pytest.FixtureRequest, contracttest_config: Settings) -> Iterator[Engine]:
    """A client of the engine API whose every exchange is recorded or replayed through the
    test's cassette and checked against the contract."""
    from contracttest.api import Engine
    from contracttest.checker import UnknownRule
    from contracttest.checks import CassetteState
    from contracttest.client import Client, ClientError
    from contracttest.errors import ContractTestError
    from contracttest.recording import RecordingCassette, network_blocked

    settings = contracttest_config
    state = request.config.stash[_STATE]
    skip, name = _marker(request.node)
    path = cassette_path(settings.cassette_dir, request.node, name)
    display = _display(path, request.config.rootpath)
    mode = settings.record_mode
    exists = path.is_file() and path.stat().st_size > 0
    live = mode in ("all", "rewrite", "new_episodes") or (mode == "once" and not exists)
    try:
        if live:
            url, user, password = _live_engine(request, settings)
            _pin(state, settings, url, user, password)
        in_use = state.contract_for(settings)
        checker = in_use.checker(skip)
    except UnknownRule as exc:
        pytest.fail(f"contracttest: @pytest.mark.contract: {exc}", pytrace=False)
    except (ContractTestError, ClientError) as exc:
        pytest.fail(f"contracttest: {exc}", pytrace=False)
    if not live:
        url = in_use.url or REPLAY_URL
        user, password = settings.user, settings.password or "replayed"
    record = _TestRecord(display, checker, in_use, settings.fail_on, skip, CassetteState())
    request.node.stash[_RECORD] = record
    provenance = _provenance(state, settings, in_use)
    with ExitStack() as stack:
        if not live:
            stack.enter_context(network_blocked(f"record mode {mode} replays {display}"))
        try:
            cassette = stack.enter_context(
                RecordingCassette.use(
                    path=str(path),
                    mode=mode,
                    scrub=settings.scrub_config(),
                    observer=record.observe,
                    provenance=provenance,
                    display=display,
                    record_command=_command(request, settings, "once"),
                    rerecord_command=_command(request, settings, "rewrite"),
                )
            )
        except ContractTestError as exc:
            pytest.fail(str(exc), pytrace=False)
        recorded_hash = cassette.loaded_provenance.get("contract_hash")
        if recorded_hash and recorded_hash != in_use.hash and not live:
            version = cassette.loaded_provenance.get("product_version", "")
            record.notes.append(
                f"{display}: recorded against contract {recorded_hash[:19]}"
                f"{f' (engine {version})' if version else ''}, checked against "
                f"{in_use.hash[:19]} ({in_use.source})"
            )
        if not live:
            url = cassette.loaded_provenance.get("engine_url") or url
        client = Client(
            url,
            user,
            password,
            ca_file=settings.ca_file,
            insecure=settings.insecure,
            keep=False,
        )
        api = Engine(client, live=live)
        try:
            yield api
        finally:
            client.close()


def cassette_path(cassette_dir: Path, item: pytest.Item, name: str | None = None) -> Path:
    """``<cassette dir>/<test module>/<test name>.yaml``, or the marker's name for it."""
    module = Path(str(item.path)).stem if getattr(item, "path", None) else "tests"
    if name is None:
        cls = getattr(item, "cls", None)
        name = f"{cls.__name__}.{item.name}" if cls is not None else item.name
    safe = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", name)
    return cassette_dir / module / (safe if safe.endswith((".yaml", ".yml")) else f"{safe}.yaml")


def _marker(item: pytest.Item) -> tuple[frozenset[str], str | None]:
    skip: set[str] = set()
    name = None
    for mark in item.iter_markers("contract"):
        unknown = set(mark.kwargs) - {"skip", "cassette"}
        if unknown or mark.args:
            pytest.fail(
                "contracttest: @pytest.mark.contract takes skip=[rule, ...] and cassette=name, "
                f"not {', '.join(sorted(unknown)) or repr(mark.args)}",
                pytrace=False,
            )
        rules = mark.kwargs.get("skip", ())
        skip.update([rules] if isinstance(rules, str) else rules)
        if name is None and mark.kwargs.get("cassette"):
            name = str(mark.kwargs["cassette"])
    return frozenset(skip), name


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def _command(request: pytest.FixtureRequest, settings: Settings, mode: str) -> str:
    parts = ["pytest", request.node.nodeid, "--record-mode", mode]
    engine = settings.engine if settings.engine and "--engine" in settings.given else None
    parts += ["--engine", engine or "URL|sandbox"]
    if "--cassette-dir" in settings.given:
        parts += ["--cassette-dir", str(settings.cassette_dir)]
    return shlex.join(parts)


def _live_engine(request: pytest.FixtureRequest, settings: Settings) -> tuple[str, str, str]:
    if settings.engine == SANDBOX:
        box: Sandbox = request.getfixturevalue("sandbox")
        return box.url, settings.user, box.password
    if not settings.engine:
        pytest.fail(
            f"contracttest: record mode {settings.record_mode} records, and needs an engine: "
            "--engine URL (or OVIRT_URL), or --engine sandbox for the embedded one",
            pytrace=False,
        )
    if settings.password is None:
        pytest.fail(
            "contracttest: recording against an engine needs --engine-password (or OVIRT_PASSWORD)",
            pytrace=False,
        )
    return settings.engine, settings.user, settings.password


def _pin(state: _State, settings: Settings, url: str, user: str, password: str) -> None:
    """Fetch the engine's ``?rsdl`` and ``?schema`` once per session and pin them beside the
    cassettes; an unchanged contract is not rewritten."""
    from contracttest.client import Client
    from contracttest.pin import contract_hash, read_pin, write_pin

    if settings.cassette_dir in state.pinned:
        return
    client = Client(url, user, password, ca_file=settings.ca_file, insecure=settings.insecure)
    try:
        documents = []
        for kind in ("rsdl", "schema"):
            reply = client.request("GET", f"{client.prefix}?{kind}")
            if reply.status != 200:
                from contracttest.errors import ContractError

                raise ContractError(f"{url}?{kind}", f"the engine answered {reply.status}")
            documents.append(reply.body)
        root = client.request("GET", client.prefix).root
    finally:
        client.close()
    rsdl, xsd = documents
    info = {**_product(root), **_api_version(rsdl), "engine_url": _public(url)}
    new_hash = contract_hash(rsdl, xsd)
    old = read_pin(settings.cassette_dir)
    if old is None or old.hash != new_hash:
        write_pin(settings.cassette_dir, rsdl, xsd, info)
        state.forget_pin(settings.cassette_dir)
    state.pinned[settings.cassette_dir] = {**info, "contract_hash": new_hash}


def _api_version(rsdl: bytes) -> dict[str, str]:
    """The API version the RSDL declares (``<version major="4" minor="5">``)."""
    match = re.search(rb'<version\b[^>]*\bmajor="(\d+)"[^>]*\bminor="(\d+)"', rsdl[:4096])
    return {"api_version": f"{int(match[1])}.{int(match[2])}"} if match else {}


def _product(root: Any) -> dict[str, str]:
    """Product name and version from the API root (v4 children, v3 attributes)."""
    info: dict[str, str] = {}
    if root is None:
        return info
    product = root.find("product_info")
    if product is not None:
        info["product_name"] = product.findtext("name") or ""
        version = product.find("version")
        if version is not None:
            full = version.findtext("full_version")
            parts = [
                version.get(part) or version.findtext(part) or ""
                for part in ("major", "minor", "build", "revision")
            ]
            info["product_version"] = full or ".".join(p for p in parts if p)
    return info


def _public(url: str) -> str:
    """A URL without userinfo: what may be written beside the cassettes."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _provenance(state: _State, settings: Settings, in_use: ContractInUse) -> dict[str, str]:
    """What a recorded cassette says of itself: the engine recorded against, its contract,
    and the tool that recorded it."""
    from contracttest import __version__

    engine = state.pinned.get(settings.cassette_dir, in_use.info)
    info = {
        key: engine[key]
        for key in ("product_name", "product_version", "api_version", "engine_url")
        if engine.get(key)
    }
    info["contract_hash"] = engine.get("contract_hash") or in_use.hash
    info["contracttest_version"] = __version__
    return info


# -- reporting ----------------------------------------------------------------------------


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    record = item.stash.get(_RECORD, None)
    if record is None:
        return report
    from contracttest.recording import ReplayError

    if call.excinfo is not None and call.excinfo.errisinstance(ReplayError):
        report.longrepr = str(call.excinfo.value)
    new = record.violations[record.reported :]
    record.reported = len(record.violations)
    if new:
        threshold = 2 if record.fail_on == "error" else 1
        failing = [v for v in new if v.severity.rank >= threshold]
        text = violations_text(new, record.cassette, record.fail_on)
        if failing and report.passed:
            report.outcome = "failed"
            report.longrepr = text
        else:
            report.sections.append(("contract violations", text))
    if report.when == "teardown":
        report.contracttest = record.tallies()
    return report


def violations_text(violations: list[Violation], cassette: str, fail_on: str) -> str:
    errors = sum(1 for v in violations if v.severity == "error")
    warnings = len(violations) - errors
    lines = [
        f"contract violations in {cassette}: {errors} error(s), {warnings} warning(s) "
        f"(tests fail at: {fail_on})"
    ]
    for v in violations:
        lines.append(f"[{v.severity}] {v.rule}: {v.message}")
        lines.append(f"  exchange:  #{v.index} {v.method} {v.uri}")
        lines.append(f"  RSDL link: {v.link or '(none: no link matches)'}")
        if v.xpath:
            lines.append(f"  at:        {v.xpath}")
        if v.expected:
            lines.append(f"  expected:  {v.expected}")
        if v.received:
            lines.append(f"  received:  {v.received}")
        lines.append(f"  fix:       {v.hint or _rule_reference(v.rule)}")
        lines.append(f'  skip:      @pytest.mark.contract(skip=["{v.rule}"])')
    return "\n".join(lines)


def _rule_reference(rule: str) -> str:
    from contracttest.rules import RULES

    known = RULES.get(rule)
    return f"{known.title} (see {known.reference})" if known else rule


def summary_lines(totals: Totals) -> list[str]:
    recorded, replayed = totals.cassettes_recorded, totals.cassettes_replayed
    lines = [
        f"{totals.exchanges} exchanges checked in {recorded + replayed} cassettes "
        f"({recorded} recorded, {replayed} replayed)"
    ]
    for source in sorted(totals.contracts):
        lines.append(f"contract: {source}")
    if not totals.per_rule:
        lines.append("no contract violations")
    else:
        count = sum(totals.per_rule.values())
        lines.append(
            f"{count} contract violation(s): {totals.per_severity['error']} error(s), "
            f"{totals.per_severity['warning']} warning(s)"
        )
        width = max(len(rule) for rule in totals.per_rule)
        for rule, n in sorted(totals.per_rule.items(), key=lambda item: (-item[1], item[0])):
            lines.append(f"  {rule.ljust(width)}  {n}")
    lines.extend(f"note: {note}" for note in dict.fromkeys(totals.notes))
    return lines


class _Reporter:
    """Per run, on the controller: sums the tests' tallies, prints the summary, writes the
    JSON report. (pytest-xdist workers send their reports here like any other.)"""

    def __init__(self, state: _State) -> None:
        self.state = state

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        data = getattr(report, "contracttest", None)
        if report.when == "teardown" and isinstance(data, dict):
            self.state.totals.add(report.nodeid, data)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.state.totals.tests:
            return
        terminalreporter.write_sep("=", "contracttest")
        for line in summary_lines(self.state.totals):
            terminalreporter.write_line(line)

    def pytest_sessionfinish(self) -> None:
        report = self.state.settings.report
        if report is None:
            return
        from contracttest import __version__
        from contracttest.pin import atomic_write

        totals = self.state.totals
        document = {
            "contracttest": __version__,
            "tests": totals.tests,
            "exchanges": totals.exchanges,
            "cassettes": {
                "recorded": totals.cassettes_recorded,
                "replayed": totals.cassettes_replayed,
            },
            "contracts": sorted(totals.contracts),
            "violations_per_rule": dict(sorted(totals.per_rule.items())),
            "violations": totals.violations,
            "notes": list(dict.fromkeys(totals.notes)),
        }
        atomic_write(report, (json.dumps(document, indent=2) + "\n").encode())

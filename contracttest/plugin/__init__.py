"""The pytest plugin: record API exchanges against an engine, replay them in CI, and check
every exchange against the contract.

Data flow: options (command line, environment, ini) become one ``Settings`` value
(``settings``), which the overridable ``contracttest_config`` fixture hands out. The
``ovirt_engine`` fixture opens the test's cassette (``recording.RecordingCassette``) and gives the
test an ``api.Engine`` client; every exchange the cassette records or replays goes to the
run's ``Checker`` (``contracts``) as it happens, and the violations are kept on the test item.
``pytest_runtest_makereport`` fails the test with them; each test's teardown report carries
its tallies (they travel from pytest-xdist workers like any report attribute), which the
controller sums into the end-of-run summary and the ``--contract-report`` JSON
(``reporting``).

Nothing heavy is imported until a test asks for a fixture: pytest loads this module in
every run of every project that has contracttest installed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Generator, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from contracttest.plugin.contracts import ContractInUse, Contracts
from contracttest.plugin.naming import cassette_path, command, display, marker, skipped_rules
from contracttest.plugin.reporting import Reporter, TestRecord, Totals, violations_text
from contracttest.plugin.settings import (
    DEFAULT_USER,
    SANDBOX,
    Settings,
    add_options,
    read_settings,
)

if TYPE_CHECKING:
    from contracttest.api import Engine
    from contracttest.client import Access
    from contracttest.recording import RecordingCassette

__all__ = ["ContractInUse", "Sandbox", "Settings", "cassette_path"]

REPLAY_URL = "https://engine.invalid/ovirt-engine/api"


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    add_options(parser, pluginmanager)


@dataclass
class _Run:
    settings: Settings
    contracts: Contracts
    totals: Totals


_RUN = pytest.StashKey[_Run]()
_RECORD = pytest.StashKey[TestRecord]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "contract(skip=[rule, ...], cassette=name): skip contract rules for this test, "
        "or name its cassette",
    )
    run = config.stash[_RUN] = _Run(read_settings(config), Contracts(), Totals())
    if not hasattr(config, "workerinput"):  # a pytest-xdist worker reports to its controller
        config.pluginmanager.register(Reporter(run.settings, run.totals), "contracttest-reporter")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Two tests must never share a cassette (same module name in two packages, a marker
    naming one cassette twice): refuse the run before either records over the other."""
    settings = config.stash[_RUN].settings
    seen: dict[Path, str] = {}
    for item in items:
        if "ovirt_engine" not in getattr(item, "fixturenames", ()):
            continue
        try:
            name = marker(item)[1]
        except pytest.fail.Exception:
            continue  # a malformed marker: the test's setup says so
        path = cassette_path(settings.cassette_dir, item, name)
        other = seen.setdefault(path, item.nodeid)
        if other != item.nodeid:
            raise pytest.UsageError(
                f"contracttest: {other} and {item.nodeid} would share the cassette {path}; "
                "name one with @pytest.mark.contract(cassette=...)"
            )


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def contracttest_config(pytestconfig: pytest.Config) -> Settings:
    """The plugin's settings; override it to change them in code."""
    return pytestconfig.stash[_RUN].settings


@pytest.fixture(scope="session")
def ovirt_contract(pytestconfig: pytest.Config, contracttest_config: Settings) -> ContractInUse:
    """The contract the exchanges are checked against (pinned, ``--contract``, or bundled)."""
    return pytestconfig.stash[_RUN].contracts.for_settings(contracttest_config)


@dataclass(frozen=True)
class Sandbox:
    """A running embedded engine: ``url``, ``user``, ``password``, the ``engine`` itself,
    and ``tap``, which sees every exchange it serves whoever the client is."""

    url: str
    user: str
    password: str
    engine: Any
    tap: Any
    contract: ContractInUse


@pytest.fixture(scope="session")
def ovirt_sandbox(contracttest_config: Settings) -> Iterator[Sandbox]:
    """An embedded engine on a free loopback port, for the whole session. A test that uses it
    directly (ovirtsdk4, requests, ...) has its traffic checked against the engine's contract."""
    from contracttest.engine import DEFAULT_PASSWORD, EngineServer, open_engine
    from contracttest.engine.tap import Tap
    from contracttest.loading import LoadedContract

    password = contracttest_config.password or DEFAULT_PASSWORD
    engine = open_engine(password=password)
    server = EngineServer(engine.handle).start()
    url = f"{server.base_url}{engine.prefix}"
    tap = Tap(server.base_url, name=f"sandbox {url}")
    engine.observers.append(tap)
    model = engine.model
    in_use = ContractInUse(
        LoadedContract(model.contract, model.schema, "", "the sandbox's contract")
    )
    try:
        yield Sandbox(url, DEFAULT_USER, password, engine, tap, in_use)
    finally:
        server.stop()
        engine.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """A test that talks to the sandbox with a client of its own: the exchanges the sandbox
    served during the test are checked, as the ``engine`` fixture's are."""
    funcargs = getattr(item, "funcargs", {})
    box = funcargs.get("ovirt_sandbox")
    if not isinstance(box, Sandbox) or _RECORD in item.stash:
        return (yield)
    start = len(box.tap.exchanges)
    try:
        return (yield)
    finally:
        from contracttest.checks import CassetteState

        try:
            skip = marker(item)[0]
        except pytest.fail.Exception:
            skip = frozenset()
        settings = item.config.stash[_RUN].settings
        checker = box.contract.checker(skip)
        record = TestRecord(
            box.tap.name, checker, box.contract, settings.fail_on, skip, CassetteState()
        )
        record.direct = True
        for exchange in box.tap.exchanges[start:]:
            record.observe(exchange, recorded=False)
        item.stash[_RECORD] = record


@dataclass(frozen=True)
class _Plan:
    """How one test talks to an engine: its cassette, whether it records, and as whom."""

    path: Path
    display: str
    live: bool
    access: Access
    skip: frozenset[str]


@pytest.fixture
def ovirt_engine(request: pytest.FixtureRequest, contracttest_config: Settings) -> Iterator[Engine]:
    """A client of the engine API whose every exchange is recorded or replayed through the
    test's cassette and checked against the contract."""
    from contracttest.api import Engine
    from contracttest.checks import CassetteState

    settings = contracttest_config
    prepared = _prepare(request, settings)
    if isinstance(prepared, str):
        pytest.fail(prepared, pytrace=False)
    plan, in_use = prepared
    checker = in_use.checker(plan.skip)
    record = TestRecord(plan.display, checker, in_use, settings.fail_on, plan.skip, CassetteState())
    request.node.stash[_RECORD] = record
    with ExitStack() as stack:
        cassette = _open_cassette(stack, request, settings, plan, record)
        access = plan.access
        if not plan.live:
            _note_other_contract(record, cassette.loaded_provenance, in_use)
            recorded_at = cassette.loaded_provenance.get("engine_url")
            if recorded_at:
                access = dataclasses.replace(access, url=recorded_at)
        client = access.client(keep=False)
        try:
            yield Engine(client, live=plan.live)
        finally:
            client.close()


def _prepare(
    request: pytest.FixtureRequest, settings: Settings
) -> tuple[_Plan, ContractInUse] | str:
    """The test's plan and contract, or the one-line problem that stops it (failed outside
    any ``except``, so pytest shows the line and no chained traceback)."""
    from contracttest.checker import UnknownRule, resolve_rules
    from contracttest.errors import ContractTestError

    run = request.config.stash[_RUN]
    skip, name = marker(request.node)
    path = cassette_path(settings.cassette_dir, request.node, name)
    mode = settings.record_mode
    exists = path.is_file() and path.stat().st_size > 0
    live = mode in ("all", "rewrite", "new_episodes") or (mode == "once" and not exists)
    access = dataclasses.replace(
        settings.access(REPLAY_URL), password=settings.password or "replayed"
    )
    problem = ""
    try:
        resolve_rules((), sorted(skip))
        if live:
            access = _live_engine(request, settings)
            run.contracts.pin(settings, access)
        in_use = run.contracts.for_settings(settings)
    except UnknownRule as exc:
        problem = f"contracttest: @pytest.mark.contract: {exc}"
    except ContractTestError as exc:
        problem = f"contracttest: {exc}"
    if problem:
        return problem
    if not live and in_use.url:
        access = dataclasses.replace(access, url=in_use.url)
    shown = display(path, request.config.rootpath)
    return _Plan(path, shown, live, access, skip), in_use


def _open_cassette(
    stack: ExitStack,
    request: pytest.FixtureRequest,
    settings: Settings,
    plan: _Plan,
    record: TestRecord,
) -> RecordingCassette:
    """Enter the test's cassette (and, when it replays, block the network)."""
    from contracttest.errors import ContractTestError
    from contracttest.recording import RecordingCassette, network_blocked

    mode = settings.record_mode
    if not plan.live:
        stack.enter_context(network_blocked(f"record mode {mode} replays {plan.display}"))
    provenance = request.config.stash[_RUN].contracts.provenance(settings, record.contract)
    if plan.skip:  # the test accepts these rules; ``contracttest check`` honours it too
        provenance["skipped_rules"] = " ".join(skipped_rules(plan.skip))
    problem = ""
    try:
        cassette: RecordingCassette = stack.enter_context(
            RecordingCassette.use(
                path=str(plan.path),
                mode=mode,
                scrub=settings.scrub_config(),
                observer=record.observe,
                provenance=provenance,
                display=plan.display,
                record_command=command(request, settings, "once"),
                rerecord_command=command(request, settings, "rewrite"),
            )
        )
    except ContractTestError as exc:
        problem = str(exc)
    if problem:
        pytest.fail(problem, pytrace=False)
    return cassette


def _note_other_contract(
    record: TestRecord, provenance: dict[str, str], in_use: ContractInUse
) -> None:
    """A cassette recorded against another contract than the one it is checked against."""
    recorded = provenance.get("contract_hash")
    if not recorded or recorded == in_use.hash:
        return
    version = provenance.get("product_version", "")
    record.notes.append(
        f"{record.cassette}: recorded against contract {recorded[:19]}"
        f"{f' (engine {version})' if version else ''}, checked against "
        f"{in_use.hash[:19]} ({in_use.source})"
    )


def _live_engine(request: pytest.FixtureRequest, settings: Settings) -> Access:
    if settings.engine == SANDBOX:
        box: Sandbox = request.getfixturevalue("ovirt_sandbox")
        return dataclasses.replace(settings.access(box.url), password=box.password)
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
    return settings.access()


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

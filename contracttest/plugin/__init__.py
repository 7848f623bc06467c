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

What a test records is held until it has been torn down (``pytest_runtest_teardown``): only
then, knowing how its body ended (noted from its call report) and whether every finalizer
returned, does ``session.finish`` write the new cassette or leave the old one. An interrupted
test is never torn down that way, so it writes nothing. ``ovirt_cleanup`` (``cleanup``)
removes what the test created, before the cassette closes, so its requests are recorded too.

Nothing heavy is imported until a test asks for a fixture: pytest loads this module in
every run of every project that has contracttest installed.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Generator, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from contracttest.plugin.settings import Settings, add_options, read_settings

if TYPE_CHECKING:
    from contracttest.api import Engine
    from contracttest.plugin.cleanup import Cleanup
    from contracttest.plugin.contracts import ContractInUse, Contracts
    from contracttest.plugin.reporting import TestRecord, Totals
    from contracttest.plugin.sandbox import Sandbox
    from contracttest.recording import RecordingCassette

__all__ = ["Cleanup", "ContractInUse", "Sandbox", "Settings", "cassette_path"]


def __getattr__(name: str) -> object:
    """The public names that live in the plugin's other modules, loaded on first use."""
    homes = {
        "Cleanup": "cleanup",
        "ContractInUse": "contracts",
        "Sandbox": "sandbox",
        "cassette_path": "naming",
    }
    if name not in homes:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"{__name__}.{homes[name]}"), name)


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    add_options(parser, pluginmanager)


class _Run:
    """What one run shares: its settings, and (made when first needed) its contracts and
    tallies. A run that never uses the plugin makes neither."""

    __slots__ = ("_contracts", "_totals", "settings")

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._contracts: Contracts | None = None
        self._totals: Totals | None = None

    @property
    def contracts(self) -> Contracts:
        if self._contracts is None:
            from contracttest.plugin.contracts import Contracts

            self._contracts = Contracts()
        return self._contracts

    @property
    def totals(self) -> Totals:
        if self._totals is None:
            from contracttest.plugin.reporting import Totals

            self._totals = Totals()
        return self._totals


_RUN = pytest.StashKey[_Run]()
_RECORD: pytest.StashKey[TestRecord] = pytest.StashKey()
_CASSETTE: pytest.StashKey[RecordingCassette] = pytest.StashKey()
_CLEANUP: pytest.StashKey[Cleanup] = pytest.StashKey()
#: How the test's body ended: passed, skipped, failed or interrupted (absent: it never ran).
_BODY = pytest.StashKey[str]()


class _Reporter:
    """Per run, on the controller: sums the tests' tallies (pytest-xdist workers send their
    reports here like any other), prints the summary, writes the JSON report."""

    def __init__(self, run: _Run) -> None:
        self.run = run

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        data = getattr(report, "contracttest", None)
        if report.when == "teardown" and isinstance(data, dict):
            self.run.totals.add(report.nodeid, data)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.run._totals is None or not (self.run.totals.tests or self.run.totals.notes):
            return
        from contracttest.plugin.reporting import summary_lines

        terminalreporter.write_sep("=", "contracttest")
        for line in summary_lines(self.run.totals):
            terminalreporter.write_line(line)

    def pytest_sessionfinish(self) -> None:
        if self.run.settings.report is not None:
            from contracttest.plugin.reporting import write_report

            write_report(self.run.settings.report, self.run.totals)


@pytest.hookimpl(trylast=True)  # after pytest-recording has put its pycurl wrapper in place
def pytest_configure(config: pytest.Config) -> None:
    if "pycurl" in sys.modules:  # pytest-recording's wrapper may be there: see neighbours
        from contracttest.plugin.neighbours import keep_the_sdk_on_real_pycurl

        keep_the_sdk_on_real_pycurl(config)
    config.addinivalue_line(
        "markers",
        "contract(skip=[rule, ...], cassette=name): skip contract rules for this test, "
        "or name its cassette",
    )
    run = config.stash[_RUN] = _Run(read_settings(config))
    if not hasattr(config, "workerinput"):  # a pytest-xdist worker reports to its controller
        config.pluginmanager.register(_Reporter(run), "contracttest-reporter")
    if run.settings.crud:  # --contract-crud: its items, seed and header
        from contracttest.plugin.contract_crud import CrudItems

        crud = CrudItems(config, run.settings, run.contracts)
        config.pluginmanager.register(crud, "contracttest-crud")


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """A setting every test would trip on (a contract that cannot be loaded, an engine that
    refuses the login) stops the run once, as a usage error (exit 4), before any test; on
    the controller, so pytest-xdist workers never start."""
    config = session.config
    if hasattr(config, "workerinput"):
        return
    run = config.stash[_RUN]
    if run.settings.to_check:  # else nothing is loaded: a run without the plugin pays nothing
        from contracttest.plugin.session import check_settings

        problem = check_settings(run.settings, run.contracts)
        if problem:
            raise pytest.UsageError(problem)
    crud = config.pluginmanager.get_plugin("contracttest-crud")
    problem = crud.check() if crud is not None else None
    if problem:
        raise pytest.UsageError(problem)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Two tests must never share a cassette (same module name in two packages, a marker
    naming one cassette twice): refuse the run before either records over the other."""
    settings = config.stash[_RUN].settings
    seen: dict[Path, str] = {}
    for item in items:
        if not {"ovirt_engine", "ovirt_proxy"} & set(getattr(item, "fixturenames", ())):
            continue
        from contracttest.plugin.naming import cassette_path, marker

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


@pytest.fixture(scope="session")
def ovirt_sandbox(contracttest_config: Settings) -> Iterator[Sandbox]:
    """An embedded engine on a free loopback port, for the whole session. A test that uses it
    directly (ovirtsdk4, requests, ...) has its traffic checked against the engine's contract."""
    from contracttest.plugin.sandbox import running_sandbox

    with running_sandbox(contracttest_config) as box:
        yield box


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """A test that talks to the sandbox with a client of its own: the exchanges the sandbox
    served during the test are checked, as the ``engine`` fixture's are."""
    funcargs = getattr(item, "funcargs", {})
    box = funcargs.get("ovirt_sandbox")
    if box is None or _RECORD in item.stash:
        return (yield)
    start = len(box.tap.exchanges)
    try:
        return (yield)
    finally:
        from contracttest.checks import CassetteState
        from contracttest.plugin.naming import marker
        from contracttest.plugin.reporting import TestRecord

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


@pytest.fixture
def ovirt_engine(request: pytest.FixtureRequest, contracttest_config: Settings) -> Iterator[Engine]:
    """A client of the engine API whose every exchange is recorded or replayed through the
    test's cassette and checked against the contract."""
    from contracttest.api import Engine
    from contracttest.checks import CassetteState
    from contracttest.plugin.cleanup import Cleanup
    from contracttest.plugin.reporting import TestRecord

    settings = contracttest_config
    from contracttest.plugin.session import note_other_contract, open_cassette, prepare

    prepared = prepare(request, settings, request.config.stash[_RUN].contracts)
    if isinstance(prepared, str):
        pytest.fail(prepared, pytrace=False)
    plan, in_use = prepared
    checker = in_use.checker(plan.skip)
    record = TestRecord(plan.display, checker, in_use, settings.fail_on, plan.skip, CassetteState())
    observers: tuple[Callable[[Any, bool], None], ...] = ()
    recorded_provenance: dict[str, str] | None = None
    if settings.verify_against:
        from contracttest.plugin.session import verifier_for

        verifying = verifier_for(plan, in_use)
        if isinstance(verifying, str):
            pytest.fail(verifying, pytrace=False)
        record.verifier, recorded_provenance = verifying
        observers = (record.verifier.observe,)
    request.node.stash[_RECORD] = record
    if _BODY in request.node.stash:  # a rerun of the item starts afresh
        del request.node.stash[_BODY]
    cleanup = request.node.stash[_CLEANUP] = Cleanup()
    with ExitStack() as stack:
        contracts = request.config.stash[_RUN].contracts
        cassette = open_cassette(
            stack, request, settings, plan, record, contracts, (cleanup.observe, *observers)
        )
        request.node.stash[_CASSETTE] = cassette
        access = plan.access
        if not plan.live:
            note_other_contract(record, cassette.loaded_provenance, in_use)
            recorded_at = cassette.loaded_provenance.get("engine_url")
            if recorded_at:
                access = dataclasses.replace(access, url=recorded_at)
        provenance = None if plan.live else cassette.loaded_provenance  # the recording's
        if recorded_provenance is not None:  # verifying: speak as the recording did
            provenance = recorded_provenance
        contracts = request.config.stash[_RUN].contracts
        version = contracts.api_version(settings, in_use, provenance)
        client = access.client(keep=False, version=version)
        codec = None
        if settings.representation == "json":
            from contracttest.apijson import Codec

            codec = Codec(in_use.contract, in_use.schema)
        try:
            yield Engine(client, live=plan.live, codec=codec)
        finally:
            client.close()


@pytest.fixture
def ovirt_proxy(request: pytest.FixtureRequest, contracttest_config: Settings) -> Iterator[Any]:
    """A recording proxy for a client of the test's own (ovirtsdk4, curl): ``.url`` is the
    engine API through it (``.proxy_url`` for ``http_proxy``); its traffic is recorded into
    the test's cassette, replayed from it with no engine, and checked, as ``ovirt_engine``'s."""
    from contracttest.plugin.proxying import proxy_for_test

    run = request.config.stash[_RUN]
    with proxy_for_test(request, contracttest_config, run.contracts) as (access, tape, record):
        request.node.stash[_RECORD], request.node.stash[_CASSETTE] = record, tape
        if _BODY in request.node.stash:  # a rerun of the item starts afresh
            del request.node.stash[_BODY]
        yield access


@pytest.fixture
def ovirt_cleanup(request: pytest.FixtureRequest, ovirt_engine: Engine) -> Iterator[Cleanup]:
    """What the test creates through ``ovirt_engine`` (its ``session`` clients too) is
    removed when it ends, passed or failed, in an order the engine accepts (a NIC or a disk
    attachment before its VM, VMs before templates, ...). ``track(x)`` adds an element or
    href, ``keep(x)`` leaves one on the engine. Its requests go through the cassette like the
    test's own, so a replay sends them too."""
    cleanup = request.node.stash[_CLEANUP]
    yield cleanup
    from contracttest.recording import ReplayError

    try:
        cleanup.run(ovirt_engine)
    except ReplayError:
        if request.node.stash.get(_BODY, "") == "passed" or ovirt_engine.live:
            raise
        # A replay whose test did not pass: what it would remove was never recorded.


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, object, object]:
    """Once every finalizer has run: write the test's new recording, or keep the old one."""
    cassette = item.stash.get(_CASSETTE, None)
    if cassette is None:
        return (yield)
    from contracttest.plugin.session import finish

    settings = item.config.stash[_RUN].settings
    outcome = item.stash.get(_BODY, "")
    try:
        result = yield
    except Exception as exc:  # a finalizer failed (KeyboardInterrupt never gets here)
        if not isinstance(exc, pytest.exit.Exception):
            finish(cassette, item.stash[_RECORD], outcome, False, settings)
        raise
    finish(cassette, item.stash[_RECORD], outcome, True, settings)
    return result


@pytest.hookimpl(trylast=True)  # after pytest tore down what an interrupt left set up
def pytest_sessionfinish(session: pytest.Session) -> None:
    """The cassettes of interrupted tests, held and never written: the summary says so."""
    for item in session.items:
        cassette = item.stash.get(_CASSETTE, None)
        if cassette is not None and cassette.pending is not None:
            cassette.pending = None
            kept = "left as it was" if cassette.existed else "not written"
            note = f"{item.stash[_RECORD].cassette}: {kept}: the test was interrupted"
            session.config.stash[_RUN].totals.notes.append(note)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if (
        call.excinfo is not None
        and call.excinfo.errisinstance(TypeError)
        and "pycurl" in sys.modules
    ):
        from contracttest.plugin.neighbours import explain_pycurl

        explain_pycurl(report, str(call.excinfo.value))
    if call.when == "call" and _CASSETTE in item.stash:
        from contracttest.plugin.session import body_outcome

        item.stash[_BODY] = body_outcome(call)
    record = item.stash.get(_RECORD, None)
    if record is None:
        return report
    from contracttest.plugin.reporting import shape_report

    shape_report(record, report, call)
    return report

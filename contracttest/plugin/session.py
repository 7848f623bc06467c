"""One test's session with an engine: its plan (cassette, whether it records, as whom), the
contract it is checked against, its cassette opened with the checks (and the cleanup's watch)
as its observers, and, once the test has run, whether the new recording replaces the file.
Imported by the ``ovirt_engine`` fixture when a test asks for it."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from contracttest.plugin.contracts import ContractInUse, Contracts
from contracttest.plugin.naming import cassette_path, command, display, marker, skipped_rules
from contracttest.plugin.reporting import TestRecord
from contracttest.plugin.settings import SANDBOX, Settings

if TYPE_CHECKING:
    from contracttest.client import Access
    from contracttest.exchange import Exchange
    from contracttest.plugin.sandbox import Sandbox
    from contracttest.plugin.verifying import Verifier
    from contracttest.recording import Observer, RecordingCassette

REPLAY_URL = "https://engine.invalid/ovirt-engine/api"


@dataclass(frozen=True)
class Plan:
    """How one test talks to an engine: its cassette, whether it records, and as whom."""

    path: Path
    display: str
    live: bool
    access: Access
    skip: frozenset[str]


def prepare(
    request: pytest.FixtureRequest, settings: Settings, contracts: Contracts
) -> tuple[Plan, ContractInUse] | str:
    """The test's plan and contract, or the one-line problem that stops it (failed outside
    any ``except``, so pytest shows the line and no chained traceback)."""
    from contracttest.checker import UnknownRule, resolve_rules
    from contracttest.errors import ContractTestError

    skip, name = marker(request.node)
    path = cassette_path(settings.cassette_dir, request.node, name)
    mode = settings.record_mode
    exists = path.is_file() and path.stat().st_size > 0
    live = mode in ("all", "rewrite", "new_episodes") or (mode == "once" and not exists)
    verifying = bool(settings.verify_against)
    if verifying:
        if not exists:
            shown = display(path, request.config.rootpath)
            return f"contracttest: {shown}: no cassette, nothing to verify against"
        live = True
    access = dataclasses.replace(
        settings.access(REPLAY_URL), password=settings.password or "replayed"
    )
    problem = ""
    try:
        resolve_rules((), sorted(skip))
        if verifying:
            access = verified_engine(request, settings)  # never pinned: nothing is written
        elif live:
            access = live_engine(request, settings)
            contracts.pin(settings, access)
        in_use = contracts.for_settings(settings)
    except UnknownRule as exc:
        problem = f"contracttest: @pytest.mark.contract: {exc}"
    except ContractTestError as exc:
        problem = f"contracttest: {exc}"
    if problem:
        return problem
    if not live and in_use.url:
        access = dataclasses.replace(access, url=in_use.url)
    shown = display(path, request.config.rootpath)
    return Plan(path, shown, live, access, skip), in_use


def open_cassette(
    stack: ExitStack,
    request: pytest.FixtureRequest,
    settings: Settings,
    plan: Plan,
    record: TestRecord,
    contracts: Contracts,
    observers: Sequence[Observer] = (),
) -> RecordingCassette:
    """Enter the test's cassette (and, when it replays, block the network). What it records
    is held until ``finish`` says whether the test completed."""
    from contracttest.errors import ContractTestError
    from contracttest.offline import network_blocked
    from contracttest.recording import RecordingCassette

    # Verifying records into memory only: ``finish`` drops what it holds.
    mode = "all" if settings.verify_against else settings.record_mode
    if not plan.live:
        stack.enter_context(network_blocked(f"record mode {mode} replays {plan.display}"))
    provenance = contracts.provenance(settings, record.contract)
    if plan.skip:  # the test accepts these rules; ``contracttest check`` honours it too
        provenance["skipped_rules"] = " ".join(skipped_rules(plan.skip))
    watchers = (record.observe, *observers)

    def observe(exchange: Exchange, recorded: bool) -> None:
        for watcher in watchers:
            watcher(exchange, recorded)

    problem = ""
    try:
        cassette: RecordingCassette = stack.enter_context(
            RecordingCassette.use(
                path=str(plan.path),
                mode=mode,
                scrub=settings.scrub_config(),
                observer=observe,
                provenance=provenance,
                display=plan.display,
                record_command=command(request, settings, "once"),
                rerecord_command=command(request, settings, "rewrite"),
                hold=True,
            )
        )
    except ContractTestError as exc:
        problem = str(exc)
    if problem:
        pytest.fail(problem, pytrace=False)
    return cassette


#: How a test's body ended when its recording is whole, and replaces the cassette.
COMPLETE = ("passed", "skipped")


def finish(
    cassette: RecordingCassette,
    record: TestRecord,
    outcome: str,
    torn_down: bool,
    settings: Settings,
) -> None:
    """Once the test has run and been torn down: write its new recording, or leave the
    cassette as it was and say so. ``outcome`` is how the body ended (``passed``,
    ``skipped``, ``failed``, ``interrupted``, or ``""``: it never ran, its setup failed);
    ``torn_down``: every finalizer returned. Only a test that completed replaces its
    cassette: one that failed does with ``--record-failed``, one that never ran its body or
    was interrupted never does."""
    from contracttest.errors import CassetteError

    if record.verifier is not None:  # --verify-against: the cassette is never rewritten
        record.verifier.finish()
        cassette.pending = None
        return
    if cassette.pending is None:
        return
    failed = outcome == "failed" or (outcome in COMPLETE and not torn_down)
    if (outcome in COMPLETE and torn_down) or (failed and settings.record_failed):
        try:
            cassette.commit()
        except OSError as exc:
            problem = exc.strerror or str(exc)
            message = f"the new recording was not written: {problem}"
            raise CassetteError(record.cassette, message) from None
        return
    cassette.pending = None
    if failed:
        why = "the test failed while recording (--record-failed writes such recordings)"
    elif outcome == "interrupted":
        why = "the test was interrupted"
    else:
        why = "the test did not run (its setup failed)"
    kept = "left as it was" if cassette.existed else "not written"
    record.notes.append(f"{record.cassette}: {kept}: {why}")


def note_other_contract(
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


def check_settings(settings: Settings, contracts: Contracts) -> str | None:
    """The one-line problem with the run's settings that every test would meet (a contract
    that cannot be loaded, an engine that refuses the login), or None: said once, as a usage
    error, before any test runs, instead of once per test."""
    from contracttest.errors import ContractTestError

    try:
        if settings.records_remotely:
            access = settings.access()
            if access.password is None:
                return (
                    "contracttest: recording against an engine needs --engine-password "
                    "(or OVIRT_PASSWORD)"
                )
            contracts.pin(settings, access)
        if settings.contract:
            contracts.for_settings(settings)
    except ContractTestError as exc:
        return f"contracttest: {exc}"
    return None


def live_engine(request: pytest.FixtureRequest, settings: Settings) -> Access:
    if settings.engine == SANDBOX:
        box: Sandbox = request.getfixturevalue("ovirt_sandbox")
        return dataclasses.replace(settings.access(box.url), password=box.password)
    if not settings.engine:
        pytest.fail(
            f"contracttest: record mode {settings.record_mode} records, and needs an engine: "
            "--engine URL (or OVIRT_URL), or --engine sandbox for the embedded one",
            pytrace=False,
        )
    access = settings.access()  # the password may come in the URL's userinfo
    if access.password is None:
        pytest.fail(
            "contracttest: recording against an engine needs --engine-password (or OVIRT_PASSWORD)",
            pytrace=False,
        )
    return access


def verified_engine(request: pytest.FixtureRequest, settings: Settings) -> Access:
    """How to reach the engine ``--verify-against`` names: the sandbox, or a URL logged in
    to with the ``--engine-*`` options."""
    against = settings.verify_against or ""
    if against == SANDBOX:
        box: Sandbox = request.getfixturevalue("ovirt_sandbox")
        return dataclasses.replace(settings.access(box.url), password=box.password)
    access = settings.access(against)
    if access.password is None:
        pytest.fail(
            "contracttest: --verify-against an engine needs --engine-password (or OVIRT_PASSWORD)",
            pytrace=False,
        )
    return access


def verifier_for(plan: Plan, in_use: ContractInUse) -> tuple[Verifier, dict[str, str]] | str:
    """The test's recorded exchanges to verify the live run against, and the recording's
    provenance; or the one-line problem with its cassette."""
    from contracttest.cassette import cassette_from_data
    from contracttest.errors import ContractTestError
    from contracttest.plugin.verifying import Verifier
    from contracttest.recording import METADATA_KEY
    from contracttest.yamlfile import load_yaml, read_cassette_file

    try:
        data = load_yaml(read_cassette_file(str(plan.path), plan.display), plan.display)
        recorded = cassette_from_data(data, plan.display)
    except ContractTestError as exc:
        return f"contracttest: {exc}"
    ours = data.get(METADATA_KEY) if isinstance(data, dict) else None
    provenance = {str(k): str(v) for k, v in ours.items()} if isinstance(ours, dict) else {}
    return Verifier.of(plan.display, recorded.exchanges, in_use.schema), provenance


def body_outcome(call: pytest.CallInfo[None]) -> str:
    """How a test's body ended, whatever a plugin then makes of its report (xfail, ...)."""
    if call.excinfo is None:
        return "passed"
    if call.excinfo.errisinstance(KeyboardInterrupt):  # with --pdb, pytest reports it
        return "interrupted"
    return "skipped" if call.excinfo.errisinstance(pytest.skip.Exception) else "failed"

"""The ``ovirt_proxy`` fixture's work: a recording proxy (``contracttest.proxy``) for one
test, so that a client the plugin cannot see (ovirtsdk4 through pycurl, curl, another
language's SDK) records into the test's own cassette and replays from it in CI.

The test's plan is the ``ovirt_engine`` fixture's (``session.prepare``: its cassette, whether
it records, against which engine, pinned); recording, the proxy relays to that engine;
replaying, it has no engine to reach at all. Every exchange goes to the test's record (its
checks, its report), and the cassette is held until the test has been torn down, then
written by ``session.finish`` as the ``ovirt_engine`` fixture's is.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from contracttest.plugin.contracts import Contracts
from contracttest.plugin.naming import skipped_rules
from contracttest.plugin.reporting import TestRecord
from contracttest.plugin.session import prepare
from contracttest.plugin.settings import Settings

if TYPE_CHECKING:
    from contracttest.recording import RecordingCassette


@dataclass(frozen=True)
class ProxyAccess:
    """What a test gives its client: ``url`` (the engine API through the proxy, for a
    client's engine URL), ``proxy_url`` (for ``http_proxy``), ``user`` and ``password``
    (replaying: any password will do), and whether it records (``live``)."""

    url: str
    proxy_url: str
    user: str
    password: str
    live: bool


@contextmanager
def proxy_for_test(
    request: pytest.FixtureRequest, settings: Settings, contracts: Contracts
) -> Iterator[tuple[ProxyAccess, RecordingCassette, TestRecord]]:
    from contracttest.checks import CassetteState
    from contracttest.errors import ContractTestError
    from contracttest.proxy import Watch, open_proxy

    if "ovirt_engine" in request.fixturenames:
        pytest.fail(
            "contracttest: a test uses ovirt_engine or ovirt_proxy, not both: they would record "
            "into one cassette",
            pytrace=False,
        )
    if settings.verify_against:  # it compares ovirt_engine's exchanges; never rewrites
        pytest.skip("contracttest: --verify-against does not verify ovirt_proxy tests yet")
    prepared = prepare(request, settings, contracts)
    if isinstance(prepared, str):
        pytest.fail(prepared, pytrace=False)
    plan, in_use = prepared
    checker = in_use.checker(plan.skip)
    state = CassetteState()
    record = TestRecord(plan.display, checker, in_use, settings.fail_on, plan.skip, state)
    provenance = contracts.provenance(settings, in_use)
    if plan.skip:
        provenance["skipped_rules"] = " ".join(skipped_rules(plan.skip))
    problem = ""
    try:
        opened = open_proxy(
            "record" if plan.live else "replay",
            watch=Watch(None, also=(record.observe,)),  # the record checks, as for ovirt_engine
            cassette=plan.path,
            target=plan.access if plan.live else None,
            scrub=settings.scrub_config(),
            provenance=provenance,
            display=plan.display,
            hold=True,
        )
        proxy = opened.__enter__()
    except ContractTestError as exc:
        problem = f"contracttest: {exc}"
    if problem:
        pytest.fail(problem, pytrace=False)
    try:
        assert proxy.tape is not None
        password = plan.access.password or "replayed"
        api = proxy.url + urlsplit(plan.access.url).path.rstrip("/")  # as it was recorded
        access = ProxyAccess(api, proxy.url, plan.access.user, password, plan.live)
        yield access, proxy.tape.cassette, record
    finally:
        opened.__exit__(None, None, None)

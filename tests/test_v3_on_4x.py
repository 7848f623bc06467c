"""v3 traffic of a 4.x engine: what its v4 model lists is a warning, what nothing has an error.

A real 4.x engine answering ``Version: 3`` requests renders its v4 model: an entity's
``<actions>`` and the API root's collection links name actions and collections its v3 RSDL
lacks. Each case starts from a real exchange of the corpus (a 4.x engine, or a 3.6/4.x one,
spoken to with ``Version: 3``), checked against the v3-on-4.x contract, and adds one link.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import cache
from pathlib import Path

import pytest
from lxml import etree

from contracttest import (
    Checker,
    Contract,
    Exchange,
    Severity,
    Violation,
    load_cassette,
    load_contract,
    load_schema,
)
from contracttest.checks.fallback import (
    BUNDLED,
    V4Model,
    applies,
    bundled_v4_contract,
)
from tests.corpus_contracts import RSDL, XSD

#: A real 4.x engine (its clusters are at version 4.2) spoken to with ``Version: 3``.
CLUSTER = ("manageiq-providers-ovirt__event_parser_parse_new_target.yml", 0)
#: An engine spoken to with ``Version: 3``: its API root, and one VM.
API_ROOT = ("manageiq-providers-ovirt__refresher_target_vm.yml", 0)
VM = ("manageiq-providers-ovirt__refresher_target_vm.yml", 5)
#: RHEV-M 3.1 under ``/api``: no 4.x engine answers there.
RHEVM_VM = ("deltacloud-rhevm__test_0004_must_allow_to_retrieve_single_instance.yml", 0)

CLUSTER_ID = "00000002-0002-0002-0002-00000000017a"
VM_ID = "4f6dd4c3-5241-494f-8afc-f1c67254bf77"

V3_CONTRACT = "v3-on-4.x"


@pytest.fixture(scope="module")
def exchange(corpus: Path) -> Callable[[tuple[str, int]], Exchange]:
    read = cache(load_cassette)

    def get(where: tuple[str, int]) -> Exchange:
        name, index = where
        return read(corpus / "cassettes" / "vcrpy" / name).exchanges[index]

    return get


@pytest.fixture(scope="module")
def v3(corpus: Path) -> tuple[Contract, object]:
    return load_contract(corpus / RSDL[V3_CONTRACT]), load_schema(corpus / XSD[V3_CONTRACT])


def checker(v3: tuple[Contract, object], **options: object) -> Checker:
    contract, schema = v3
    return Checker(contract, schema, **options)  # type: ignore[arg-type]


def with_links(exchange: Exchange, *links: tuple[str, str, str]) -> Exchange:
    """The exchange with links added to its body: (parent path, href, rel) each."""
    root = etree.fromstring(exchange.response.body)
    for parent, href, rel in links:
        holder = root if parent == "." else root.find(parent)
        assert holder is not None, f"the real body has no {parent}"
        etree.SubElement(holder, "link", href=href, rel=rel)
    body = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return replace(exchange, response=replace(exchange.response, body=body))


def with_version(exchange: Exchange, version: str | None) -> Exchange:
    headers = {k: v for k, v in exchange.request.headers.items() if k != "version"}
    if version is not None:
        headers["version"] = (version,)
    return replace(exchange, request=replace(exchange.request, headers=headers))


def href_findings(violations: list[Violation]) -> dict[str, Violation]:
    """The href violations, by the href they name."""
    return {v.received: v for v in violations if v.rule == "response.href"}


def about(violations: list[Violation], href: str) -> Violation:
    """The one href violation about ``href``."""
    (found,) = [v for v in violations if v.rule == "response.href" and v.received == href]
    return found


SYNC = f"/ovirt-engine/api/clusters/{CLUSTER_ID}/syncallnetworks"


def cluster_action(rel: str) -> tuple[str, str, str]:
    return "actions", f"/ovirt-engine/api/clusters/{CLUSTER_ID}/{rel}", rel


def test_the_real_exchanges_are_clean(
    v3: tuple[Contract, object], exchange: Callable[[tuple[str, int]], Exchange]
) -> None:
    for where in (CLUSTER, API_ROOT, VM):
        real = exchange(where)
        assert real.request.header("version") == "3"
        found = checker(v3).check_exchange(real)
        assert [v for v in found if v.severity is Severity.ERROR] == [], where


def test_v4_only_action_and_collection_are_warnings(
    v3: tuple[Contract, object], exchange: Callable[[tuple[str, int]], Exchange]
) -> None:
    check = checker(v3)
    # syncallnetworks: a cluster action of the v4 model (4.2+), not of the v3 RSDL
    cluster = with_links(exchange(CLUSTER), cluster_action("syncallnetworks"))
    action = about(check.check_exchange(cluster), SYNC)
    assert action.severity is Severity.WARNING
    assert action.message == (
        "action 'syncallnetworks' of <cluster> is not in the RSDL in use; "
        "the engine's v4 model has it"
    )
    assert action.xpath == "/cluster/actions/link[2]"
    assert "v4 model" in action.hint
    # previewsnapshot: the v4 name of the v3 preview_snapshot action of a VM
    vm = with_links(
        exchange(VM),
        ("actions", f"/ovirt-engine/api/vms/{VM_ID}/previewsnapshot", "previewsnapshot"),
    )
    vm_action = about(check.check_exchange(vm), f"/ovirt-engine/api/vms/{VM_ID}/previewsnapshot")
    assert vm_action.severity is Severity.WARNING
    assert "action 'previewsnapshot' of <vm>" in vm_action.message
    # affinitylabels: an API-root collection of the v4 model (4.1+)
    root = with_links(
        exchange(API_ROOT), (".", "/ovirt-engine/api/affinitylabels", "affinitylabels")
    )
    collection = about(check.check_exchange(root), "/ovirt-engine/api/affinitylabels")
    assert collection.severity is Severity.WARNING
    assert collection.message == (
        "href /ovirt-engine/api/affinitylabels is not in the RSDL in use; "
        "the engine's v4 model has it"
    )


def test_what_nothing_has_stays_an_error(
    v3: tuple[Contract, object], exchange: Callable[[tuple[str, int]], Exchange]
) -> None:
    check = checker(v3)
    cluster = with_links(
        exchange(CLUSTER), cluster_action("teleport"), cluster_action("syncallnetworks")
    )
    found = href_findings(check.check_exchange(cluster))
    teleport = found[f"/ovirt-engine/api/clusters/{CLUSTER_ID}/teleport"]
    assert teleport.severity is Severity.ERROR
    assert teleport.message == "action 'teleport' of <cluster> is not an action in the RSDL"
    sync = found[f"/ovirt-engine/api/clusters/{CLUSTER_ID}/syncallnetworks"]
    assert sync.severity is Severity.WARNING
    root = with_links(exchange(API_ROOT), (".", "/ovirt-engine/api/teleporters", "teleporters"))
    collection = about(check.check_exchange(root), "/ovirt-engine/api/teleporters")
    assert collection.severity is Severity.ERROR
    assert "does not resolve to an RSDL GET link" in collection.message


@pytest.mark.parametrize(
    ("version", "severity"),
    [("3", Severity.WARNING), (None, Severity.WARNING), ("4", Severity.ERROR)],
)
def test_the_request_version_decides_and_order_does_not(
    v3: tuple[Contract, object],
    exchange: Callable[[tuple[str, int]], Exchange],
    version: str | None,
    severity: Severity,
) -> None:
    """v4 asked for: no v3 answer, so no excuse. The same body under the other version,
    checked before by the same checker, lends nothing."""
    cluster = with_links(exchange(CLUSTER), cluster_action("syncallnetworks"))
    asked = with_version(cluster, version)
    other = with_version(cluster, "4" if version != "4" else "3")
    alone = checker(v3).check_exchange(asked)
    shared = checker(v3)
    shared.check_exchange(other)
    assert shared.check_exchange(asked) == alone
    assert about(alone, SYNC).severity is severity


def test_no_fallback_under_api_or_without_recorded_headers(
    v3: tuple[Contract, object], exchange: Callable[[tuple[str, int]], Exchange]
) -> None:
    cluster = with_links(exchange(CLUSTER), cluster_action("syncallnetworks"))
    unrecorded = replace(cluster, request=replace(cluster.request, headers={}))
    assert about(checker(v3).check_exchange(unrecorded), SYNC).severity is Severity.ERROR
    contract = v3[0]
    rhevm = exchange(RHEVM_VM)
    assert not applies(contract, rhevm, "/api")
    assert applies(contract, with_version(rhevm, "3"), "/api")
    assert applies(contract, cluster, "/ovirt-engine/api")
    assert not applies(contract, cluster, "/ovirt-engine/api/v4")  # v4, whatever it says
    assert not applies(bundled_v4_contract(), cluster, "/ovirt-engine/api")


def test_without_a_v4_model_nothing_is_excused(
    v3: tuple[Contract, object], exchange: Callable[[tuple[str, int]], Exchange]
) -> None:
    cluster = with_links(exchange(CLUSTER), cluster_action("syncallnetworks"))
    assert about(checker(v3, v4=None).check_exchange(cluster), SYNC).severity is Severity.ERROR


def test_the_v4_model_is_read_only_when_an_href_needs_it(
    v3: tuple[Contract, object], exchange: Callable[[tuple[str, int]], Exchange]
) -> None:
    loads: list[Contract] = []

    def load() -> Contract:
        loads.append(bundled_v4_contract())
        return loads[-1]

    model = V4Model(load)
    check = checker(v3, v4=model)
    for where in (CLUSTER, API_ROOT, VM):
        check.check_exchange(exchange(where))
    assert not model.loaded and loads == []
    cluster = with_links(exchange(CLUSTER), cluster_action("syncallnetworks"))
    check.check_exchange(cluster)
    check.check_exchange(with_links(exchange(CLUSTER), cluster_action("upgrade")))
    assert model.loaded and len(loads) == 1


def test_a_v4_contract_can_be_passed_in(
    v3: tuple[Contract, object], exchange: Callable[[tuple[str, int]], Exchange]
) -> None:
    cluster = with_links(exchange(CLUSTER), cluster_action("syncallnetworks"))
    found = checker(v3, v4=bundled_v4_contract()).check_exchange(cluster)
    assert about(found, SYNC).severity is Severity.WARNING
    assert checker(v3).v4 is BUNDLED

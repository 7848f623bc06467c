"""The state rules: what a cassette deleted stays gone, what it created can be found, and what
hangs below a deleted entity is gone with it; whichever of the two rules a run selects, the
cassette's state is kept the same way (a rule left out never makes the other one wrong)."""

from __future__ import annotations

import pytest

from contracttest import Checker, Exchange, load_contract, load_schema
from contracttest.exchange import Request, Response
from contracttest.loading import bundled_contract

API = "/ovirt-engine/api"
XML = {"content-type": ("application/xml",)}
BOTH = ("state.use-after-delete", "state.created-not-found")


@pytest.fixture(scope="module")
def checkers() -> dict[tuple[str, ...], Checker]:
    rsdl, xsd = bundled_contract()
    contract, schema = load_contract(rsdl), load_schema(xsd)
    return {rules: Checker(contract, schema, rules) for rules in (BOTH, BOTH[:1], BOTH[1:])}


def _add(path: str, tag: str, href: str) -> tuple[Request, Response]:
    body = f'<{tag} href="{API}/{href}" id="{href.rpartition("/")[2]}"/>'.encode()
    return Request("POST", f"{API}/{path}", XML, f"<{tag}/>".encode()), Response(
        201, "Created", {**XML, "location": (f"{API}/{href}",)}, body
    )


def _get(path: str, status: int) -> tuple[Request, Response]:
    body = b"<fault><reason>Not Found</reason></fault>" if status == 404 else b""
    return Request("GET", f"{API}/{path}"), Response(status, "", XML, body)


def _delete(path: str) -> tuple[Request, Response]:
    return Request("DELETE", f"{API}/{path}"), Response(200, "OK", XML, b"")


def _rules_said(checker: Checker, steps: list[tuple[Request, Response]]) -> list[tuple[int, str]]:
    exchanges = [Exchange(req, resp, index) for index, (req, resp) in enumerate(steps)]
    return [
        (v.index, v.rule) for v in checker.check_exchanges(exchanges) if v.rule.startswith("state.")
    ]


VM, NIC = "vms/v1", "vms/v1/nics/n1"


@pytest.mark.parametrize("rules", [BOTH, BOTH[:1], BOTH[1:]], ids=["both", "delete", "create"])
def test_what_hangs_below_a_deleted_entity_is_gone_with_it(
    checkers: dict[tuple[str, ...], Checker], rules: tuple[str, ...]
) -> None:
    steps = [
        _add("vms", "vm", VM),
        _add(f"{VM}/nics", "nic", NIC),
        _delete(VM),
        _get(NIC, 404),  # rightly gone: no alarm of either rule
        _get(VM, 404),
    ]
    assert _rules_said(checkers[rules], steps) == []


@pytest.mark.parametrize("rules", [BOTH, BOTH[1:]], ids=["both", "create-only"])
def test_a_deleted_creation_is_not_expected_whichever_rules_run(
    checkers: dict[tuple[str, ...], Checker], rules: tuple[str, ...]
) -> None:
    steps = [_add("vms", "vm", VM), _delete(VM), _get(VM, 404)]
    assert _rules_said(checkers[rules], steps) == []


def test_a_creation_not_found_and_a_deletion_found_are_told(
    checkers: dict[tuple[str, ...], Checker],
) -> None:
    steps = [
        _add("vms", "vm", VM),
        _get(VM, 404),  # created, then not found
        _add(f"{VM}/nics", "nic", NIC),
        _delete(NIC),
        _get(NIC, 200),  # deleted, then found
        _delete(VM),
        _get(f"{VM}/nics", 200),  # below a deleted entity, found
    ]
    said = _rules_said(checkers[BOTH], steps)
    assert said == [
        (1, "state.created-not-found"),
        (4, "state.use-after-delete"),
        (6, "state.use-after-delete"),
    ]
    # each rule alone says its own part of it, the same
    assert _rules_said(checkers[BOTH[:1]], steps) == [s for s in said if s[1] == BOTH[0]]
    assert _rules_said(checkers[BOTH[1:]], steps) == [s for s in said if s[1] == BOTH[1]]

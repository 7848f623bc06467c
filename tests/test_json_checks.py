"""JSON bodies go through the same rules as XML: real shapes check clean against the bundled
v4 contract, and one seeded defect per rule that applies is caught, under its rule."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import cache
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracttest import Checker, load_contract, load_schema
from contracttest.exchange import Exchange, Request, Response
from contracttest.jsonmodel import Kind, date_text, epoch_ms, kind, to_json
from contracttest.jsontree import read_json
from contracttest.loading import bundled_contract
from contracttest.rules import Severity
from tests import json_bodies as jb

JSON = {"content-type": ("application/json",)}
BASE = "https://engine.example.com/ovirt-engine/api/"
VM = f"vms/{jb.VM}"
DATUM = "statistic[1]/values/value[1]/datum"


@cache
def checker() -> Checker:
    rsdl, xsd = bundled_contract()
    return Checker(load_contract(rsdl), load_schema(xsd))


def check(
    method: str,
    path: str,
    status: int,
    body: object,
    request: object = None,
    media: str = "application/json",
) -> list[tuple[str, str, str]]:
    data = body if isinstance(body, bytes) else jb.jackson(body)
    headers = {"accept": ("application/json",)}
    sent = b""
    if request is not None:
        headers["content-type"] = ("application/json",)
        sent = request if isinstance(request, bytes) else json.dumps(request).encode()
    exchange = Exchange(
        Request(method, BASE + path, headers, sent),
        Response(status, "", {"content-type": (media,)}, data),
    )
    return [(v.rule, str(v.severity), v.xpath) for v in checker().check_exchanges([exchange])]


EXCERPTS = [
    ("GET", VM, 200, jb.vm, None),
    ("POST", f"{VM}/start", 409, jb.failed_start, {}),
    ("GET", f"{VM}/statistics", 200, jb.statistics, None),
    ("GET", "hosts", 200, jb.hosts, None),
    ("GET", "networks", 200, jb.networks, None),
    ("GET", "vms", 200, dict, None),  # an empty collection: {}
]


@pytest.mark.parametrize(("method", "path", "status", "body", "sent"), EXCERPTS)
def test_real_json_shapes_check_clean(
    method: str, path: str, status: int, body: Callable[[], object], sent: object
) -> None:
    assert check(method, path, status, body(), sent) == []


def _set(path: str, value: object) -> Callable[[Any], None]:
    def edit(document: Any) -> None:
        *parents, last = path.split("/")
        for key in parents:
            document = document[int(key)] if isinstance(document, list) else document[key]
        document[last] = value

    return edit


def _vm(path: str, value: object) -> dict[str, object]:
    return jb.seeded(jb.vm(), _set(path, value))


_ACTIONS_SCHEMA_CASES = [
    # (name, method, path, status, body, request, media, expected (rule, severity, xpath))
    ("root wrapper", "GET", VM, 200, {"vm": jb.vm()}, None, "application/json",
     ("json.root-wrapper", "error", "/vm")),
    ("boolean literal", "GET", VM, 200, _vm("run_once", False), None, "application/json",
     ("json.scalar", "error", "/vm/run_once")),
    ("32-bit integer as number", "GET", VM, 200, _vm("cpu/topology/cores", 1), None,
     "application/json", ("json.scalar", "error", "/vm/cpu/topology/cores")),
    ("64-bit integer as number (before 4.2.3)", "GET", VM, 200, _vm("memory", 268435456),
     None, "application/json", ("json.scalar", "warning", "/vm/memory")),
    ("null", "GET", VM, 200, _vm("description", None), None, "application/json",
     ("json.null", "error", "/vm/description")),
    ("decimal as string", "GET", f"{VM}/statistics", 200,
     jb.seeded(jb.statistics(), _set("statistic/0/values/value/0/datum", "4.3")), None,
     "application/json", ("json.scalar", "error", f"/statistics/{DATUM}")),
    ("date as text", "GET", VM, 200, _vm("start_time", "2026-09-15T10:30:00Z"), None,
     "application/json", ("json.scalar", "error", "/vm/start_time")),
    ("nested list without wrapper", "GET", VM, 200, _vm("os/boot/devices", ["hd"]), None,
     "application/json", ("json.shape", "error", "/vm/os/boot/devices")),
    ("array for one element", "GET", VM, 200, _vm("cpu", [jb.vm()["cpu"]]), None,
     "application/json", ("json.shape", "error", "/vm/cpu")),
    ("upper-case enumeration", "GET", VM, 200, _vm("status", "UP"), None, "application/json",
     ("response.schema", "error", "/vm/status")),
    ("boolean text", "GET", VM, 200, _vm("stateless", "yes"), None, "application/json",
     ("response.schema", "error", "/vm/stateless")),
    ("unknown key", "GET", VM, 200, _vm("colour", "blue"), None, "application/json",
     ("response.schema", "warning", "/vm/colour")),
    ("broken link", "GET", VM, 200, _vm("link/0/href", "/ovirt-engine/api/nowhere/1"), None,
     "application/json", ("response.href", "error", "/vm/link[1]")),
    ("fault without detail", "GET", VM, 400, {"reason": "Operation Failed"}, None,
     "application/json", ("response.fault", "error", "/fault")),
    ("malformed JSON", "GET", VM, 200, b'{"name": ', None, "application/json",
     ("response.body.type", "error", "/")),
    ("JSON as XML", "GET", VM, 200, jb.vm(), None, "application/xml",
     ("response.content-type", "error", "")),
    ("unreadable body", "GET", VM, 200, b"name: lab-vm1\n", None, "text/yaml",
     ("body.unreadable", "warning", "/")),
    ("request wrapper", "POST", f"{VM}/start", 200, {"status": "complete"}, {"action": {}},
     "application/json", ("json.root-wrapper", "error", "/action")),
    ("request lacks a parameter", "POST", "vms", 400, {"reason": "Incomplete parameters",
     "detail": "Vm [cluster] required for add"}, {"name": "x"}, "application/json",
     ("request.parameters.required", "error", "/vm")),
    ("request literal (accepted)", "POST", f"{VM}/start", 200, {"status": "complete"},
     {"async": False}, "application/json", ("json.scalar", "warning", "/action/async")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "status", "body", "sent", "media", "expected"),
    [case[1:] for case in _ACTIONS_SCHEMA_CASES],
    ids=[case[0] for case in _ACTIONS_SCHEMA_CASES],
)
def test_a_seeded_defect_is_caught_under_its_rule(
    method: str,
    path: str,
    status: int,
    body: object,
    sent: object,
    media: str,
    expected: tuple[str, str, str],
) -> None:
    found = check(method, path, status, body, sent, media)
    assert expected in found, found


def test_every_json_rule_has_a_seeded_defect() -> None:
    seeded = {case[-1][0] for case in _ACTIONS_SCHEMA_CASES}
    json_rules = {"json.root-wrapper", "json.scalar", "json.null", "json.shape", "body.unreadable"}
    assert json_rules <= seeded


def test_state_rules_follow_json_traffic() -> None:
    deleted = Exchange(Request("DELETE", BASE + VM, {}), Response(200, "", JSON, b""))
    found = Exchange(Request("GET", BASE + VM, {}), Response(200, "", JSON, jb.jackson(jb.vm())))
    rules = [v.rule for v in checker().check_exchanges([deleted, found])]
    assert rules == ["state.use-after-delete"]


def test_the_bundled_contract_types_64_bit_members_by_the_metamodel_list() -> None:
    schema = checker().schema
    assert kind(schema, "VM", "memory", "xs:long") is Kind.LONG
    assert kind(schema, "MemoryPolicy", "guaranteed", "xs:long") is Kind.LONG
    assert kind(schema, "CpuTopology", "cores", "xs:long") is Kind.INTEGER
    assert kind(schema, "Value", "datum", "xs:decimal") is Kind.NUMBER
    assert kind(schema, "VM", "start_time", "xs:dateTime") is Kind.DATE


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=-(10**12), max_value=10**13))
def test_dates_round_trip_through_milliseconds(milliseconds: int) -> None:
    text = date_text(milliseconds)
    assert text is not None
    assert epoch_ms(text) == milliseconds


def test_xml_to_json_and_back_is_the_same_document() -> None:
    """The engine's rendering and the checks' reading are one mapping: a JSON excerpt read
    into its document and rendered back is the excerpt."""
    schema = checker().schema
    for body, root in (
        (jb.vm(), "vm"),
        (jb.statistics(), "statistics"),
        (jb.networks(), "networks"),
    ):
        element, notes = read_json(jb.jackson(body), root, schema)
        assert notes == ()
        assert to_json(element, schema) == _sorted(body)
    # an empty list written [] (a lazy getter touched) reads as no items: rendered {}
    element, _ = read_json(jb.jackson(jb.hosts()), "hosts", schema)
    host = to_json(element, schema)["host"]
    assert host[0]["hardware_information"] == {"supported_rng_sources": {}}  # type: ignore[index]


def _sorted(value: object) -> object:
    """What Jackson's key order does not change: the same keys and values."""
    if isinstance(value, dict):
        return {key: _sorted(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_sorted(item) for item in value]
    return value


@pytest.mark.parametrize("depth", [300, 5000])
def test_a_deeply_nested_json_body_is_one_finding(depth: int) -> None:
    body = b'{"a":' * depth + b"1" + b"}" * depth
    found = check("GET", VM, 200, body)
    assert found == [("response.body.type", "error", "/")]


def test_a_json_finding_is_a_warning_or_error_as_documented() -> None:
    from contracttest.rules import RULES

    assert RULES["body.unreadable"].severity is Severity.WARNING
    assert all(RULES[r].severity is Severity.ERROR for r in RULES if r.startswith("json."))


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40), st.text(max_size=40), st.text(max_size=20))
def test_any_string_reads_into_the_document_as_the_engine_would_write_it(
    name: str, href: str, key: str
) -> None:
    """Markup, quotes, line ends and characters XML cannot hold, in values and keys: the
    document holds each value (those characters as U+FFFD, as the engine's own rendering
    does), and a key that cannot be an element name is a json.shape finding, never a crash."""
    other = key if key not in ("", "name", "href") else "k"
    body = json.dumps({"name": name, "href": href, other: "v"}).encode()
    element, notes = read_json(body, "vm", checker().schema)
    assert element.findtext("name") == _NOT_XML.sub("\ufffd", name)
    assert element.get("href") == _NOT_XML.sub("\ufffd", href)
    assert all(finding.rule in ("json.shape", "response.schema") for finding in notes)


def test_a_body_shaped_like_json_that_is_not_is_no_json() -> None:
    """A console file starts with ``[``: reported as unreadable, not as broken JSON."""
    found = check("GET", VM, 200, b"[virt-viewer]\ntype=spice\n", media="application/x-virt-viewer")
    assert ("body.unreadable", "warning", "/") in found
    assert not any(rule.startswith(("json.", "response.content-type")) for rule, _, _ in found)

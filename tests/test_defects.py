"""Seeded defects: real exchanges from the corpus, each broken in one known way.

Every case replays a few real deltacloud-rhevm exchanges (RHEV-M 3.1/3.2, checked against the
nearest contract, 3.3) twice: as recorded, where the rule under test must stay silent, and
with one defect seeded into an in-memory copy, where that rule must fire at the seeded
exchange. Copies are made with ``dataclasses.replace``; the corpus is only read.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import pytest
from lxml import etree

from conftest import corpus_path
from contracttest import (
    RULES,
    Checker,
    Exchange,
    Severity,
    Violation,
    load_cassette,
    load_contract,
    load_schema,
)
from contracttest.jsonmodel import to_json
from contracttest.schema import Schema
from tests.corpus_contracts import RSDL, XSD, nearest

CREATE = "deltacloud-rhevm__test_0005_must_allow_to_create_a_new_instance_and_destroy_it.yml"
ONE_VM = "deltacloud-rhevm__test_0004_must_allow_to_retrieve_single_instance.yml"
ONE_TEMPLATE = "deltacloud-rhevm__test_0004_must_allow_to_retrieve_single_image.yml"
ALL_VMS = "deltacloud-rhevm__test_0002_must_return_list_of_instances.yml"
USED_TEMPLATE = (
    "deltacloud-rhevm__test_0005_must_throw_proper_exception_when_destroying_used_image.yml"
)

#: Real exchanges, by cassette and index, that the cases below start from.
POST_VM = (CREATE, 24)  # POST /api/vms -> 202 with the new <vm>
GET_CREATED_VM = (CREATE, 26)  # GET of the VM created at 24
DELETE_CREATED_VM = (CREATE, 28)  # DELETE of that VM -> 200, empty body
GET_VM = (ONE_VM, 0)  # GET /api/vms/{id} -> 200 <vm>
GET_TEMPLATE = (ONE_TEMPLATE, 1)  # GET /api/templates/{id} -> 200 <template>
LIST_VMS = (ALL_VMS, 1)  # GET /api/vms?search=... -> 200 <vms>
DELETE_TEMPLATE_FAULT = (USED_TEMPLATE, 2)  # DELETE /api/templates/{id} -> 400 <fault>

#: Rules about the body's content: their violations point into it with an xpath.
REPRESENTATION_RULES = frozenset({"response.schema", "response.href"})

Scenario = tuple[Exchange, ...]
Seed = Callable[[Scenario], Scenario]
Edit = Callable[[Exchange], Exchange]
XmlEdit = Callable[[etree._Element], None]


# --- editing XML bodies -------------------------------------------------------------------


def _one(root: etree._Element, path: str) -> etree._Element:
    found = root.find(path)
    assert found is not None, f"the real body has no {path}: the corpus changed?"
    return found


def set_attribute(path: str, name: str, value: str) -> XmlEdit:
    def edit(root: etree._Element) -> None:
        element = _one(root, path)
        assert element.get(name) is not None, f"{path} has no @{name} to change"
        element.set(name, value)

    return edit


def set_text(path: str, value: str) -> XmlEdit:
    def edit(root: etree._Element) -> None:
        _one(root, path).text = value

    return edit


def remove(path: str) -> XmlEdit:
    def edit(root: etree._Element) -> None:
        element = _one(root, path)
        parent = element.getparent()
        assert parent is not None
        parent.remove(element)

    return edit


def rename_root(tag: str) -> XmlEdit:
    def edit(root: etree._Element) -> None:
        root.tag = tag

    return edit


def append(tag: str, text: str) -> XmlEdit:
    def edit(root: etree._Element) -> None:
        etree.SubElement(root, tag).text = text

    return edit


def _edited(body: bytes, edits: tuple[XmlEdit, ...]) -> bytes:
    root = etree.fromstring(body)
    for edit in edits:
        edit(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


# --- editing exchanges --------------------------------------------------------------------


def request_xml(*edits: XmlEdit) -> Edit:
    def edit(exchange: Exchange) -> Exchange:
        body = _edited(exchange.request.body, edits)
        return replace(exchange, request=replace(exchange.request, body=body))

    return edit


def response_xml(*edits: XmlEdit) -> Edit:
    def edit(exchange: Exchange) -> Exchange:
        body = _edited(exchange.response.body, edits)
        return replace(exchange, response=replace(exchange.response, body=body))

    return edit


def uri(old: str, new: str) -> Edit:
    def edit(exchange: Exchange) -> Exchange:
        assert old in exchange.request.uri
        changed = exchange.request.uri.replace(old, new, 1)
        return replace(exchange, request=replace(exchange.request, uri=changed))

    return edit


def method(name: str) -> Edit:
    def edit(exchange: Exchange) -> Exchange:
        return replace(exchange, request=replace(exchange.request, method=name))

    return edit


def drop_request_header(name: str) -> Edit:
    def edit(exchange: Exchange) -> Exchange:
        assert name in exchange.request.headers, f"the real request has no {name}"
        headers = {k: v for k, v in exchange.request.headers.items() if k != name}
        return replace(exchange, request=replace(exchange.request, headers=headers))

    return edit


def answer(status: int | None = None, body: bytes | None = None, **headers: str | None) -> Edit:
    """Change the response: its status, its body, and headers (``content_type=...``)."""

    def edit(exchange: Exchange) -> Exchange:
        response = exchange.response
        changed = dict(response.headers)
        for key, value in headers.items():
            name = key.replace("_", "-")
            changed.pop(name, None)
            if value is not None:
                changed[name] = (value,)
        return replace(
            exchange,
            response=replace(
                response,
                status=response.status if status is None else status,
                body=response.body if body is None else body,
                headers=changed,
            ),
        )

    return edit


# --- the same bodies in JSON --------------------------------------------------------------

JsonEdit = Callable[[dict[str, object]], dict[str, object]]


@cache
def _schema_of_ones_vm() -> Schema:
    return load_schema(corpus_path() / XSD[nearest(ONE_VM)[0]])


def response_json(*edits: JsonEdit) -> Edit:
    """The response in the engine's JSON (``jsonmodel.to_json``), then edited."""

    def edit(exchange: Exchange) -> Exchange:
        value = to_json(etree.fromstring(exchange.response.body), _schema_of_ones_vm())
        for change in edits:
            value = change(value)
        body = json.dumps(value).encode()
        return answer(body=body, content_type="application/json")(exchange)

    return edit


def wrapped(root: str) -> JsonEdit:
    return lambda value: {root: value}


def set_key(key: str, new: object) -> JsonEdit:
    def edit(value: dict[str, object]) -> dict[str, object]:
        assert key in value, f"the real body has no {key}"
        return {**value, key: new}

    return edit


# --- seeding a scenario -------------------------------------------------------------------


def _apply(exchange: Exchange, edits: tuple[Edit, ...]) -> Exchange:
    for edit in edits:
        exchange = edit(exchange)
    return exchange


def last(*edits: Edit) -> Seed:
    """Seed the defect into the last exchange of the scenario."""

    def seed(scenario: Scenario) -> Scenario:
        return (*scenario[:-1], _apply(scenario[-1], edits))

    return seed


def each(*edits: Edit) -> Seed:
    """Apply the edits to every exchange of the scenario."""

    def seed(scenario: Scenario) -> Scenario:
        return tuple(_apply(exchange, edits) for exchange in scenario)

    return seed


def chain(*seeds: Seed) -> Seed:
    def seed(scenario: Scenario) -> Scenario:
        for step in seeds:
            scenario = step(scenario)
        return scenario

    return seed


def replay_first(*, at: int) -> Seed:
    """Append a copy of the scenario's first exchange, as interaction ``at``."""

    def seed(scenario: Scenario) -> Scenario:
        return (*scenario, replace(scenario[0], index=at))

    return seed


@dataclass(frozen=True)
class Defect:
    id: str
    exchanges: tuple[tuple[str, int], ...]  # real (cassette, index) pairs, replayed in order
    seed: Seed
    rule: str
    link: str  # the link the violation names; "" when none matched
    message: str = ""  # a part of the message, case-insensitive
    hint: str = ""  # a part of the hint, case-insensitive
    xpath: str = ""  # where in the body, when the rule points into one
    severity: Severity | None = None  # None: the rule's default
    at: int | None = None  # index of the exchange reported; None: the last one replayed

    @property
    def cassette(self) -> str:
        return self.exchanges[0][0]


GET_VM_LINK = "GET /api/vms/{vm:id} (get)"
GET_TEMPLATE_LINK = "GET /api/templates/{template:id} (get)"
ADD_VM_LINK = "POST /api/vms (add)"
CREATED_VM_ID = "2264ea80-3e1f-444c-a683-f26de2f89bc2"  # what POST_VM created
OTHER_ID = "00000000-0000-0000-0000-0000000000ff"
NOT_FOUND = answer(status=404, body=b"", content_type="text/html")

DEFECTS = [
    Defect(
        "dropped-required-parameter",
        (POST_VM,),
        last(request_xml(remove("cluster"))),
        "request.parameters.required",
        ADD_VM_LINK,
        message="lacks: vm.cluster.id|name",
        xpath="/vm",
    ),
    Defect(
        "wrong-request-root",
        (POST_VM,),
        last(request_xml(rename_root("template"))),
        "request.body.type",
        ADD_VM_LINK,
        message="<template>",
        xpath="/template",
    ),
    Defect(
        "wrong-response-root",
        (GET_VM,),
        last(response_xml(rename_root("template"))),
        "response.body.type",
        GET_VM_LINK,
        message="<template>",
        xpath="/template",
    ),
    Defect(
        "get-answered-201",
        (GET_VM,),
        last(answer(status=201)),
        "response.status",
        GET_VM_LINK,
        message="status 201",
    ),
    Defect(
        "delete-answered-204",
        (DELETE_CREATED_VM,),
        last(answer(status=204)),
        "response.status",
        "DELETE /api/vms/{vm:id} (delete)",
        message="status 204",
        hint="sdk",
    ),
    Defect(
        "href-full-url",
        (GET_VM,),
        last(
            response_xml(
                set_attribute(
                    "cluster",
                    "href",
                    "https://rhevm.example.com/api/clusters/b91b0346-4ba3-11e2-a3ac-0050568c6b2d",
                )
            )
        ),
        "response.href",
        GET_VM_LINK,
        message="not a path under the API prefix",
        xpath="/vm/cluster",
    ),
    Defect(
        "href-outside-api",
        (GET_VM,),
        last(
            response_xml(
                set_attribute(
                    "cluster", "href", "/elsewhere/clusters/b91b0346-4ba3-11e2-a3ac-0050568c6b2d"
                )
            )
        ),
        "response.href",
        GET_VM_LINK,
        message="not a path under the API prefix",
        xpath="/vm/cluster",
    ),
    Defect(
        "id-not-href-tail",
        (GET_VM,),
        last(response_xml(set_attribute("cluster", "id", OTHER_ID))),
        "response.href",
        GET_VM_LINK,
        message="not the last segment of its href",
        xpath="/vm/cluster",
    ),
    Defect(
        "root-id-not-href-tail",
        (GET_VM,),
        last(response_xml(set_attribute(".", "id", OTHER_ID))),
        "response.href",
        GET_VM_LINK,
        message="not the last segment of its href",
        xpath="/vm",
    ),
    Defect(
        "unknown-rel",
        (GET_VM,),
        last(response_xml(set_attribute("link[@rel='nics']", "rel", "bogus"))),
        "response.href",
        GET_VM_LINK,
        message="'bogus'",
        xpath="/vm/link[2]",
    ),
    Defect(
        "unknown-action",
        (GET_VM,),
        last(response_xml(set_attribute("actions/link[@rel='start']", "rel", "launch"))),
        "response.href",
        GET_VM_LINK,
        message="action 'launch'",
        xpath="/vm/actions/link[5]",
    ),
    Defect(
        "fault-lacks-reason",
        (DELETE_TEMPLATE_FAULT,),
        last(response_xml(remove("reason"))),
        "response.fault",
        "DELETE /api/templates/{template:id} (delete)",
        message="lacks <reason>",
        xpath="/fault",
    ),
    Defect(
        "fault-not-xml",
        (DELETE_TEMPLATE_FAULT,),
        last(answer(body=b"Cannot remove Template: in use.\n", content_type="text/plain")),
        "response.fault",
        "DELETE /api/templates/{template:id} (delete)",
        message="status 400",
        severity=Severity.ERROR,
    ),
    Defect(
        "201-without-location",
        (POST_VM,),
        last(answer(status=201, location=None)),
        "response.location",
        ADD_VM_LINK,
        message="without a Location",
    ),
    Defect(
        "201-with-wrong-location",
        (POST_VM,),
        last(answer(status=201, location=f"https://rhevm.example.com/api/vms/{OTHER_ID}")),
        "response.location",
        ADD_VM_LINK,
        message=OTHER_ID,
    ),
    Defect(
        "found-after-delete",
        (GET_CREATED_VM, DELETE_CREATED_VM),
        replay_first(at=29),
        "state.use-after-delete",
        GET_VM_LINK,
        message="after interaction 28 deleted it",
        at=29,
    ),
    Defect(
        "created-then-404",
        (POST_VM, GET_CREATED_VM),
        last(NOT_FOUND),
        "state.created-not-found",
        GET_VM_LINK,
        message="after interaction 24 created it",
    ),
    Defect(
        "created-then-404-via-the-api-alias",
        (POST_VM, GET_CREATED_VM),
        chain(each(uri("/api/", "/ovirt-engine/api/")), last(NOT_FOUND)),
        "state.created-not-found",
        "GET /api/vms/{vm:id} (get)",
        message="after interaction 24 created it",
    ),
    Defect(
        "undocumented-path",
        (LIST_VMS,),
        last(uri("/api/vms?", "/api/virtual_machines?")),
        "link.undocumented",
        "",
        message="/api/virtual_machines",
    ),
    Defect(
        "undocumented-method",
        (GET_VM,),
        last(method("PATCH")),
        "link.undocumented",
        "",
        message="PATCH is not documented",
    ),
    Defect(
        "content-type-dropped",
        (POST_VM,),
        last(drop_request_header("content-type")),
        "request.header.required",
        ADD_VM_LINK,
        message="Content-Type",
    ),
    Defect(
        "unknown-url-parameter",
        (LIST_VMS,),
        last(uri("/api/vms?", "/api/vms;maxx=5?")),
        "request.url.parameter",
        "GET /api/vms (get)",
        message="did you mean 'max'",
    ),
    Defect(
        "mistyped-url-parameter",
        (LIST_VMS,),
        last(uri("/api/vms?", "/api/vms;max=abc?")),
        "request.url.parameter",
        "GET /api/vms (get)",
        message="max='abc' is not a valid xs:int",
    ),
    Defect(
        "xml-as-text-plain",
        (GET_VM,),
        last(answer(content_type="text/plain")),
        "response.content-type",
        GET_VM_LINK,
        message="text/plain",
    ),
    Defect(
        "bad-boolean",
        (GET_TEMPLATE,),
        last(response_xml(set_text("stateless", "maybe"))),
        "response.schema",
        GET_TEMPLATE_LINK,
        message="xs:boolean",
        xpath="/template/stateless",
        severity=Severity.ERROR,
    ),
    Defect(
        "bad-integer",
        (GET_TEMPLATE,),
        last(response_xml(set_text("high_availability/priority", "high"))),
        "response.schema",
        GET_TEMPLATE_LINK,
        message="xs:int",
        xpath="/template/high_availability/priority",
        severity=Severity.ERROR,
    ),
    Defect(
        "bad-value-in-collection-member",
        (LIST_VMS,),
        last(response_xml(set_text("vm/memory", "lots"))),
        "response.schema",
        "GET /api/vms (get)",
        message="xs:long",
        xpath="/vms/vm[1]/memory",
        severity=Severity.ERROR,
    ),
    Defect(
        "bad-attribute-value",
        (GET_TEMPLATE,),
        last(response_xml(set_attribute("cpu/topology", "sockets", "one"))),
        "response.schema",
        GET_TEMPLATE_LINK,
        message="@sockets",
        xpath="/template/cpu/topology",
        severity=Severity.ERROR,
    ),
    Defect(
        "json-root-wrapper",
        (GET_VM,),
        last(response_json(wrapped("vm"))),
        "json.root-wrapper",
        GET_VM_LINK,
        message="wraps its vm",
        hint="without a root key",
        xpath="/vm",
    ),
    Defect(
        "json-boolean-literal",
        (GET_VM,),
        last(response_json(set_key("stateless", False))),
        "json.scalar",
        GET_VM_LINK,
        message="a boolean literal",
        xpath="/vm/stateless",
    ),
    Defect(
        "json-null",
        (GET_VM,),
        last(response_json(set_key("description", None))),
        "json.null",
        GET_VM_LINK,
        message="description is null",
        xpath="/vm/description",
    ),
    Defect(
        "json-array-for-one-element",
        (GET_VM,),
        last(response_json(lambda vm: {**vm, "cpu": [vm["cpu"]]})),
        "json.shape",
        GET_VM_LINK,
        message="cpu is an array",
        xpath="/vm/cpu",
    ),
    Defect(
        "yaml-body",
        (GET_VM,),
        last(answer(body=b"vm:\n  name: EVM\n", content_type="text/yaml")),
        "body.unreadable",
        GET_VM_LINK,
        message="neither XML nor JSON",
        xpath="/",
    ),
    Defect(
        "unknown-element",
        (GET_TEMPLATE,),
        last(response_xml(append("warp_drive", "true"))),
        "response.schema",
        GET_TEMPLATE_LINK,
        message="<warp_drive>",
        xpath="/template/warp_drive",
        severity=Severity.WARNING,
    ),
]


#: Variations a real engine may well answer with: the rule named must stay silent.
HARMLESS = [
    pytest.param(
        (GET_VM,),
        last(answer(content_type="application/xml; charset=UTF-8")),
        "response.content-type",
        id="xml-content-type-with-charset",
    ),
    pytest.param(
        (POST_VM,),
        last(answer(status=201, location=f"/api/vms/{CREATED_VM_ID}")),
        "response.location",
        id="201-with-path-location",
    ),
    pytest.param(
        (POST_VM,),
        last(answer(status=201, location=f"https://rhevm.example.com/api/vms/{CREATED_VM_ID}")),
        "response.location",
        id="201-with-url-location",
    ),
    pytest.param(
        (POST_VM,),
        chain(
            each(uri("/api/", "/ovirt-engine/api/")),
            last(
                answer(
                    status=201,
                    location=f"https://rhevm.example.com/ovirt-engine/api/vms/{CREATED_VM_ID}",
                )
            ),
        ),
        "response.location",
        id="201-with-location-under-the-request-prefix",
    ),
    pytest.param(
        (DELETE_CREATED_VM,),
        last(uri(CREATED_VM_ID, f"{CREATED_VM_ID};async=false")),
        "request.url.parameter",
        id="delete-with-declared-async-matrix",
    ),
    pytest.param(
        (LIST_VMS,),
        last(uri("/api/vms?", "/api/vms;case_sensitive=false;max=10?")),
        "request.url.parameter",
        id="list-with-declared-matrix-parameters",
    ),
    pytest.param(
        (GET_CREATED_VM, DELETE_CREATED_VM),
        chain(replay_first(at=29), last(NOT_FOUND)),
        "state.use-after-delete",
        id="gone-after-delete",
    ),
]


# --- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def checker_for(corpus: Path) -> Callable[[str], Checker]:
    """The checker of the contract nearest to a cassette, built once per contract."""

    @cache
    def build(key: str) -> Checker:
        return Checker(load_contract(corpus / RSDL[key]), load_schema(corpus / XSD[key]))

    return lambda cassette: build(nearest(cassette)[0])


@pytest.fixture(scope="module")
def recorded(corpus: Path) -> Callable[[tuple[str, int]], Exchange]:
    """A real exchange, by (cassette, index); each cassette is read once."""
    read = cache(load_cassette)

    def exchange(where: tuple[str, int]) -> Exchange:
        name, index = where
        found = read(corpus / "cassettes" / "vcrpy" / name).exchanges[index]
        assert found.index == index
        return found

    return exchange


def _checked(
    defect: Defect,
    checker_for: Callable[[str], Checker],
    recorded: Callable[[tuple[str, int]], Exchange],
) -> tuple[list[Violation], Exchange, list[Violation]]:
    """Violations of the real scenario; the seeded exchange and the seeded scenario's."""
    real = tuple(recorded(where) for where in defect.exchanges)
    seeded = defect.seed(real)
    at = seeded[-1].index if defect.at is None else defect.at
    checker = checker_for(defect.cassette)
    return (
        checker.check_exchanges(real),
        next(e for e in seeded if e.index == at),
        checker.check_exchanges(seeded),
    )


def _described(violations: list[Violation]) -> str:
    return "\n".join(f"{v.rule} #{v.index} {v.severity}: {v.message}" for v in violations)


# --- tests --------------------------------------------------------------------------------

with_defects = pytest.mark.parametrize(
    "defect",
    [pytest.param(d, id=d.id) for d in DEFECTS],
)


def test_every_rule_has_a_seeded_defect() -> None:
    assert {d.rule for d in DEFECTS} == set(RULES)
    assert len({d.id for d in DEFECTS}) == len(DEFECTS)


@with_defects
def test_seeded_defect_is_reported_and_the_real_exchange_is_not(
    defect: Defect,
    checker_for: Callable[[str], Checker],
    recorded: Callable[[tuple[str, int]], Exchange],
) -> None:
    before, exchange, after = _checked(defect, checker_for, recorded)

    assert not [v for v in before if v.rule == defect.rule], _described(before)
    found = [v for v in after if v.rule == defect.rule and v.index == exchange.index]
    assert found, f"no {defect.rule} among:\n{_described(after)}"
    matching = [v for v in found if defect.message.lower() in v.message.lower()]
    assert matching, f"no {defect.rule} message mentions {defect.message!r}:\n{_described(found)}"
    violation = matching[0]
    assert violation.severity == (defect.severity or RULES[defect.rule].severity)
    assert defect.hint.lower() in violation.hint.lower()


@with_defects
def test_violation_says_where_it_happened(
    defect: Defect,
    checker_for: Callable[[str], Checker],
    recorded: Callable[[tuple[str, int]], Exchange],
) -> None:
    _, exchange, after = _checked(defect, checker_for, recorded)
    found = [v for v in after if v.rule == defect.rule]
    assert found

    for violation in found:
        assert violation.index == exchange.index
        assert violation.cassette.endswith(defect.cassette)
        assert violation.method == exchange.request.method
        assert violation.uri == exchange.request.uri
        assert violation.link == defect.link
    if defect.xpath:
        assert defect.xpath in [v.xpath for v in found]
    if defect.rule in REPRESENTATION_RULES:
        body = etree.fromstring(exchange.response.body)
        for violation in found:
            assert violation.xpath.startswith("/")
            assert body.getroottree().xpath(violation.xpath), (
                f"{violation.xpath} selects nothing in the seeded body"
            )


@pytest.mark.parametrize(("exchanges", "seed", "rule"), HARMLESS)
def test_harmless_variation_is_not_reported(
    exchanges: tuple[tuple[str, int], ...],
    seed: Seed,
    rule: str,
    checker_for: Callable[[str], Checker],
    recorded: Callable[[tuple[str, int]], Exchange],
) -> None:
    varied = seed(tuple(recorded(where) for where in exchanges))
    violations = checker_for(exchanges[0][0]).check_exchanges(varied)

    assert not [v for v in violations if v.rule == rule], _described(violations)

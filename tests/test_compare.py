"""Comparing two responses by meaning (``contracttest.compare``): the pure core, directly.

Bodies here are real oVirt shapes (v3 and v4); the schema is the corpus 3.6 XSD where a test
needs types (``xs:dateTime`` masks, formats, what the contract announces). The properties
run over every XML response body of the real corpus cassettes: a body compared with itself,
its children shuffled at every level, has no difference.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from contracttest.cassette import load_cassette
from contracttest.compare import (
    BREAKING,
    COMPATIBLE,
    Comparer,
    Difference,
    IdMap,
    Masks,
    href_template,
)
from contracttest.errors import UsageError
from contracttest.exchange import Response
from contracttest.loading import load_schema
from contracttest.schema import Schema
from contracttest.xmlsafe import XMLProblem, parse
from tests.corpus_contracts import XSD, vcrpy_cassettes

XML = {"content-type": ("application/xml",)}
VM_A = "6e1c2b0a-1111-4a6e-9d53-3a1f4d2c7e01"
VM_B = "0f9d8c7b-2222-4b1a-8e2f-5c6d7e8f9a02"
PREFIX = "/ovirt-engine/api"


def response(body: str, status: int = 200, **headers: str) -> Response:
    all_headers = dict(XML)
    all_headers.update({k.replace("_", "-").lower(): (v,) for k, v in headers.items()})
    return Response(status, "", all_headers, body.encode())


def vm(vm_id: str, *fields: str, tag: str = "vm") -> str:
    href = f"{PREFIX}/vms/{vm_id}"
    return f'<{tag} href="{href}" id="{vm_id}">{"".join(fields)}</{tag}>'


def kinds(differences: list[Difference]) -> list[tuple[str, str, str]]:
    return [(d.kind, d.xpath, d.message) for d in differences]


@pytest.fixture(scope="module")
def schema36(corpus: Path) -> Schema:
    return load_schema(corpus / XSD["3.6"])


# -- noise ---------------------------------------------------------------------------------


def test_a_new_engine_s_ids_hrefs_dates_and_headers_are_noise(schema36: Schema) -> None:
    recorded = response(
        vm(VM_A, "<name>web</name>", "<creation_time>2016-03-01T12:00:00.000Z</creation_time>",
           f'<link href="{PREFIX}/vms/{VM_A}/nics" rel="nics"/>'),
        Date="Tue, 01 Mar 2016 12:00:00 GMT",
        Correlation_Id="a1",
        Set_Cookie="JSESSIONID=abc",
    )  # fmt: skip
    received = response(
        vm(VM_B, f'<link href="{PREFIX}/vms/{VM_B}/nics" rel="nics"/>', "<name>web</name>",
           "<creation_time>2026-11-28T23:38:15.000+00:00</creation_time>"),
        Date="Sat, 28 Nov 2026 23:38:15 GMT",
        Correlation_Id="b2",
        Set_Cookie="JSESSIONID=def",
    )  # fmt: skip
    comparer = Comparer(schema=schema36)
    assert comparer.compare(recorded, received) == []
    assert comparer.ids.get(VM_A) == VM_B  # learnt from the entity's id


def test_masks_come_from_the_xsd_types_not_from_the_element_names(schema36: Schema) -> None:
    """``creation_time`` is an ``xs:dateTime`` in the 3.6 XSD: masked. ``description`` is an
    ``xs:string``: a date there is a value like any other."""
    old = vm(VM_A, "<creation_time>2016-03-01T12:00:00Z</creation_time>",
             "<description>2016-03-01T12:00:00Z</description>")  # fmt: skip
    new = vm(VM_A, "<creation_time>2017-01-01T00:00:00Z</creation_time>",
             "<description>2017-01-01T00:00:00Z</description>")  # fmt: skip
    found = Comparer(schema=schema36).compare(response(old), response(new))
    assert kinds(found) == [(BREAKING, "/vm/description", "the value changed")]


def test_without_a_schema_values_that_look_like_dates_are_noise() -> None:
    old = vm(VM_A, "<when>2016-03-01T12:00:00Z</when>")
    new = vm(VM_A, "<when>2017-01-01T00:00:00+01:00</when>")
    assert Comparer().compare(response(old), response(new)) == []


def test_a_masked_value_still_keeps_its_format(schema36: Schema) -> None:
    old = vm(VM_A, "<creation_time>2016-03-01T12:00:00Z</creation_time>")
    new = vm(VM_A, "<creation_time>yesterday</creation_time>")
    found = Comparer(schema=schema36).compare(response(old), response(new))
    assert kinds(found) == [
        (BREAKING, "/vm/creation_time", "the value is no longer a valid xs:dateTime")
    ]


def test_statistics_values_are_masked_by_path_and_masks_are_configurable() -> None:
    def statistic(value: str, unit: str) -> str:
        return (
            f'<statistics><statistic id="{VM_A}"><name>memory.used</name>'
            f"<values type='INTEGER'><value><datum>{value}</datum></value></values>"
            f"<unit>{unit}</unit></statistic></statistics>"
        )

    old, new = response(statistic("1309638928", "BYTES")), response(statistic("81852362", "BYTES"))
    assert Comparer().compare(old, new) == []
    unmasked = Masks.of([], defaults=False)
    assert kinds(Comparer(unmasked).compare(old, new)) == [
        (BREAKING, "/statistics/statistic/values/value/datum", "the value changed")
    ]
    old, new = response(statistic("1", "BYTES")), response(statistic("1", "BITS"))
    assert len(Comparer().compare(old, new)) == 1  # the unit is not a statistics value
    assert Comparer(Masks.of(["statistic/unit"])).compare(old, new) == []


def test_mask_words_are_checked() -> None:
    masks = Masks.of(["header:X-Request-Id", "type:xs:duration", "/api/time", "vm/@foo"])
    assert "x-request-id" in masks.headers and "xs:duration" in masks.types
    assert masks.path_masked(("api", "time")) and not masks.path_masked(("vm", "api", "time"))
    assert masks.path_masked(("vms", "vm", "@foo"))
    for bad in ("header:", "type:", "", "a:b"):
        with pytest.raises(UsageError, match="--mask"):
            Masks.of([bad])


# -- order, lists, ids ---------------------------------------------------------------------


def test_lists_match_by_mapped_id_or_name_whatever_the_order() -> None:
    comparer = Comparer()
    comparer.ids.learn(VM_A, VM_B)
    other = "11111111-2222-4333-8444-555555555555"
    old = f"<vms>{vm(VM_A, '<name>a</name>')}{vm(other, '<name>b</name>')}</vms>"
    new = f"<vms>{vm(other, '<name>b</name>')}{vm(VM_B, '<name>a</name>')}</vms>"
    assert comparer.compare(response(old), response(new)) == []
    renamed = f"<vms>{vm(other, '<name>b</name>')}{vm(VM_B, '<name>c</name>')}</vms>"
    assert kinds(comparer.compare(response(old), response(renamed))) == [
        (BREAKING, "/vms/vm[name='a']/name", "the value changed")
    ]


def test_an_entity_missing_from_a_list_is_breaking_and_one_more_is_compatible() -> None:
    old = f"<vms>{vm(VM_A, '<name>a</name>')}</vms>"
    new = f"<vms>{vm(VM_B, '<name>b</name>')}</vms>"
    found = Comparer().compare(
        response(f"<vms>{vm(VM_A, '<name>a</name>')}{vm(VM_B, '<name>b</name>')}</vms>"),
        response(new),
    )
    assert kinds(found) == [(BREAKING, "/vms/vm[name='a']", "<vm> missing from the list")]
    found = Comparer().compare(response(old), response(old.replace("</vms>", vm(VM_B) + "</vms>")))
    assert [(d.kind, d.message) for d in found] == [(COMPATIBLE, "<vm> added to the list")]


def test_a_reference_to_another_entity_than_the_mapped_one_is_breaking() -> None:
    comparer = Comparer()
    comparer.ids.learn(VM_A, VM_B)
    nic = '<nic id="{nic}"><name>nic1</name><vm href="{prefix}/vms/{vm}" id="{vm}"/></nic>'
    old = nic.format(nic=VM_A[::-1], prefix=PREFIX, vm=VM_A)
    wrong = "99999999-8888-4777-8666-555555555555"
    found = comparer.compare(
        response(old), response(nic.format(nic=VM_A[::-1], prefix=PREFIX, vm=wrong))
    )
    assert [(d.kind, d.xpath) for d in found] == [(BREAKING, "/nic/vm/@id")]
    assert VM_B in found[0].message


def test_id_map_rewrites_whole_ids_in_uris_and_bodies() -> None:
    ids = IdMap()
    assert ids.learn(VM_A, VM_B) and ids.learn(VM_A, VM_B) and not ids.learn(VM_A, "x")
    assert ids.rewrite(f"{PREFIX}/vms/{VM_A}/nics?search=id%3D{VM_A}") == (
        f"{PREFIX}/vms/{VM_B}/nics?search=id%3D{VM_B}"
    )
    assert ids.rewrite(f"x{VM_A}") == f"x{VM_A}"  # inside a longer token: left alone
    body = f'<action><vm id="{VM_A}"/></action>'.encode()
    assert ids.rewrite_bytes(body) == f'<action><vm id="{VM_B}"/></action>'.encode()
    ids.learn_href(f"http://a:1{PREFIX}/vms/{VM_A[::-1]}", f"http://b:2{PREFIX}/vms/{VM_A[:1]}")
    assert ids.get(VM_A[::-1]) is None  # not an id there: nothing learnt


def test_an_id_that_is_not_one_token_is_rewritten_whole() -> None:
    ids = IdMap()
    ids.learn("Intel Nehalem Family", "Intel Skylake Family")
    body = b'<cpu id="Intel Nehalem Family"/><name>Intel Nehalem Family 2</name>'
    assert ids.rewrite_bytes(body).count(b"Skylake") == 2


def test_the_comparison_is_pure_core_no_io_no_edge() -> None:
    """Like the core (``tests/test_layers.py``): what the plugin calls per exchange imports
    no HTTP, files, YAML, vcrpy, pytest or edge module."""
    import ast

    import contracttest.compare

    forbidden = ("yaml", "vcr", "pytest", "http", "socket", "pathlib", "urllib.request")
    edges = ("client", "cassette", "interactions", "loading", "recording", "plugin", "cli")
    for module in sorted(Path(contracttest.compare.__file__).parent.glob("*.py")):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else ([node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
            )
            for name in names:
                assert name.split(".")[0] not in forbidden, (module.name, name)
                assert not name.startswith(tuple(f"contracttest.{e}" for e in edges)), name


def test_hrefs_compare_as_templates_and_a_changed_collection_is_breaking() -> None:
    ids = IdMap()
    assert href_template(f"{PREFIX}/vms/{VM_A}/nics", ids) == f"{PREFIX}/vms/{{id}}/nics"
    old = response(vm(VM_A), Location=f"http://old:1{PREFIX}/vms/{VM_A}")
    new = response(vm(VM_B, tag="vm").replace("/vms/", "/vm/"),
                   Location=f"http://new:2{PREFIX}/vm/{VM_B}")  # fmt: skip
    found = Comparer().compare(old, new)
    assert [(d.kind, d.xpath, d.message) for d in found] == [
        (BREAKING, "header:Location", "the href leads elsewhere (ids aside)"),
        (BREAKING, "/vm/@href", "the href leads elsewhere (ids aside)"),
    ]


def test_a_location_teaches_the_new_id() -> None:
    comparer = Comparer()
    old = Response(201, "Created", {"location": (f"http://old{PREFIX}/vms/{VM_A}",)}, b"")
    new = Response(201, "Created", {"location": (f"http://new{PREFIX}/vms/{VM_B}",)}, b"")
    assert comparer.compare(old, new) == []
    assert comparer.ids.get(VM_A) == VM_B


# -- classification --------------------------------------------------------------------------


def test_status_and_fault_changes_are_breaking() -> None:
    fault = "<fault><reason>Operation Failed</reason><detail>[Cannot stop VM]</detail></fault>"
    ok = response(vm(VM_A))
    found = Comparer().compare(ok, response(fault, 409))
    assert kinds(found) == [(BREAKING, "status", "a fault where there was success")]
    assert found[0].received == "409: Operation Failed [Cannot stop VM]"
    assert kinds(Comparer().compare(response(fault, 409), ok)) == [
        (BREAKING, "status", "success where there was a fault")
    ]
    assert kinds(Comparer().compare(response(vm(VM_A), 201), ok)) == [
        (BREAKING, "status", "the status changed")
    ]
    detail = fault.replace("[Cannot stop VM]", "[Cannot stop VM. VM is not running.]")
    assert kinds(Comparer().compare(response(fault, 409), response(detail, 409))) == [
        (BREAKING, "/fault/detail", "the value changed")
    ]


def test_additions_are_compatible_removals_and_format_changes_breaking(schema36: Schema) -> None:
    old = vm(VM_A, "<name>web</name>", "<memory>1073741824</memory>", "<comment>c</comment>")
    new = vm(VM_A, "<name>web</name>", "<memory>1 GiB</memory>", "<io><threads>1</threads></io>")
    new = new.replace(f'id="{VM_A}"', f'id="{VM_A}" extra="1"')
    found = Comparer(schema=schema36).compare(response(old), response(new))
    assert sorted((d.kind, d.xpath, d.announced) for d in found) == [
        (BREAKING, "/vm/comment", False),  # the 3.6 XSD still has it: not announced
        (BREAKING, "/vm/memory", False),
        (COMPATIBLE, "/vm/@extra", False),  # no such attribute in the XSD
        (COMPATIBLE, "/vm/io", True),  # a 3.6 element
    ]
    memory = next(d for d in found if d.xpath == "/vm/memory")
    assert memory.message == "the value is no longer a valid xs:long"


def test_a_value_that_became_a_structure_is_a_type_change() -> None:
    v3 = vm(VM_A, "<status><state>up</state></status>")
    v4 = vm(VM_A, "<status>up</status>")
    assert kinds(Comparer().compare(response(v3), response(v4))) == [
        (BREAKING, "/vm/status", "the type changed: a value became a structure, or the reverse")
    ]


def test_headers_compare_by_name_and_media_type() -> None:
    old = response("<vms/>", Content_Type="application/xml;charset=UTF-8", X_Old="1")
    new = response("<vms/>", Content_Type="application/xml", X_New="1")
    assert sorted(kinds(Comparer().compare(old, new))) == [
        (BREAKING, "header:X-Old", "header X-Old removed"),
        (COMPATIBLE, "header:X-New", "header X-New added"),
    ]
    html = response("<vms/>", Content_Type="text/html")
    assert kinds(Comparer().compare(old, html))[0] == (
        BREAKING, "header:Content-Type", "the media type changed"
    )  # fmt: skip


def test_json_bodies_compare_by_meaning_too() -> None:
    json_headers = {"content-type": ("application/json",)}

    def answer(text: str) -> Response:
        return Response(200, "", json_headers, text.encode())

    old = answer(json.dumps({"vm": [{"id": VM_A, "name": "a", "memory": 1}, {"name": "b"}]}))
    new = answer(json.dumps({"vm": [{"name": "b"}, {"memory": 1, "name": "a", "id": VM_B}]}))
    assert Comparer().compare(old, new) == []
    gone = answer(json.dumps({"vm": [{"name": "b"}, {"name": "a", "id": VM_B}]}))
    assert kinds(Comparer().compare(old, gone)) == [
        (BREAKING, "/json/vm[name='a']/memory", "element <memory> removed")
    ]


def test_bodies_that_appear_disappear_or_stop_being_xml() -> None:
    ok = response(vm(VM_A))
    assert kinds(Comparer().compare(response(""), ok)) == [
        (COMPATIBLE, "body", "a body where there was none")
    ]
    assert kinds(Comparer().compare(ok, response(""))) == [(BREAKING, "body", "the body is gone")]
    broken = Comparer().compare(ok, response("<vm><name>"))
    assert [(d.kind, d.xpath) for d in broken] == [(BREAKING, "body")]
    assert "not well-formed XML" in broken[0].message


def test_one_response_reports_at_most_a_bounded_number_of_differences() -> None:
    many = 500
    old = "<vms>" + "".join(f"<vm><name>n{i}</name></vm>" for i in range(many)) + "</vms>"
    found = Comparer().compare(response(old), response("<vms><vm><name>other</name></vm></vms>"))
    assert len(found) == 202  # 200, then one line each for what is left of each kind
    assert found[-2:] == [
        Difference(BREAKING, "", "", "", "300 more breaking difference(s) not listed"),
        Difference(COMPATIBLE, "", "", "", "1 more compatible difference(s) not listed"),
    ]


# -- properties over the real corpus -------------------------------------------------------


def _corpus_bodies(corpus: Path) -> list[bytes]:
    bodies: list[bytes] = []
    for path in vcrpy_cassettes(corpus):
        for exchange in load_cassette(path).exchanges:
            body = exchange.response.body
            if body.lstrip().startswith(b"<") and len(body) < 200_000:
                try:
                    parse(body)
                except XMLProblem:
                    continue
                bodies.append(body)
    return bodies


@pytest.fixture(scope="module")
def corpus_bodies(corpus: Path) -> list[bytes]:
    bodies = _corpus_bodies(corpus)
    assert len(bodies) > 100
    return bodies


def _shuffled(body: bytes, rng: random.Random) -> bytes:
    root = parse(body)
    for element in root.iter():
        kids = list(element)
        if len(kids) > 1:
            rng.shuffle(kids)
            element[:] = kids
    return etree.tostring(root)


@settings(max_examples=60)
@given(data=st.data())
def test_a_real_body_compared_with_itself_shuffled_has_no_difference(
    corpus_bodies: list[bytes], data: st.DataObject
) -> None:
    body = data.draw(st.sampled_from(corpus_bodies))
    rng = data.draw(st.randoms(use_true_random=False))
    received = Response(200, "", dict(XML), _shuffled(body, rng))
    assert Comparer().compare(Response(200, "", dict(XML), body), received) == []

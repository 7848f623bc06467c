"""The strategies and the values they draw, held to the contract's own model.

What ``from_link`` draws satisfies a parameter set as ``parameters.closest_gap`` (the core
the checks and the engine use) reads it; every value passes its XSD type's check; values
compare by XSD type; v3 enumerations are read from a real engine's ``/capabilities``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from contracttest.engine import bundled_contract
from contracttest.errors import ContractTestError
from contracttest.parameters import closest_gap
from contracttest.properties import (
    Entity,
    Representation,
    Unsatisfiable,
    enumerations_from_capabilities,
    from_link,
    from_simple_type,
    from_type,
    same_value,
)
from contracttest.properties.calls import Call, CallLog
from contracttest.properties.strategies import READ_ONLY, surface_of
from contracttest.properties.values import Field, find, mismatches
from contracttest.rsdl import Contract, Link, contract_from_bytes
from contracttest.schema import Schema, schema_from_bytes
from tests.corpus_contracts import RSDL, XSD

#: What a fresh engine holds, as references the bodies may name.
EXISTING = {
    "clusters": [Entity("c-1", "Default")],
    "datacenters": [Entity("d-1", "Default")],
    "templates": [Entity("t-1", "Blank")],
    "hosts": [Entity("h-1", "host1"), Entity("h-2", "host2")],
    "vms": [Entity("v-1", "vm1")],
    "storagedomains": [Entity("s-1", "data1")],
    "networks": [Entity("n-1", "ovirtmgmt")],
    "vnicprofiles": [Entity("p-1", "ovirtmgmt")],
    "tags": [Entity("g-1", "root")],
    "disks": [Entity("k-1", "disk1")],
}


@cache
def v4() -> tuple[Contract, Schema]:
    rsdl, xsd = bundled_contract()
    return contract_from_bytes(Path(rsdl).read_bytes()), schema_from_bytes(Path(xsd).read_bytes())


def add_links() -> list[Link]:
    contract, schema = v4()
    return [c.add for c in surface_of(contract, schema).collections.values()]


# -- values ----------------------------------------------------------------------------------


@settings(max_examples=300)
@given(st.data())
def test_every_simple_value_passes_its_xsd_check(data: st.DataObject) -> None:
    _, schema = v4()
    builtins = ["xs:int", "xs:long", "xs:unsignedShort", "xs:boolean", "xs:double"]
    names = [*sorted(schema.simple_types), *builtins, "xs:float", "xs:decimal", "xs:dateTime"]
    type_name = data.draw(st.sampled_from(names))
    value = data.draw(from_simple_type(schema, type_name))
    check = schema.value_check(type_name)
    assert check is None or check(value) is None, (type_name, value)
    assert same_value(schema, type_name, value, value)


@pytest.mark.parametrize(
    ("type_name", "sent", "received", "same"),
    [
        ("xs:int", "7", "007", True),
        ("xs:int", "7", "8", False),
        ("xs:double", "1", "1.0", True),
        ("xs:double", "0.1", "1.0E-1", True),
        ("xs:boolean", "true", "1", True),
        ("xs:boolean", "false", "true", False),
        ("VmStatus", "down", "DOWN", True),
        ("xs:dateTime", "2020-01-01T00:00:00Z", "2020-01-01T01:00:00.000+01:00", True),
        ("xs:string", "Web", "web", False),
        ("xs:string", "a b", "a b", True),
    ],
)
def test_values_compare_by_xsd_type(type_name: str, sent: str, received: str, same: bool) -> None:
    _, schema = v4()
    assert same_value(schema, type_name, sent, received) is same


def test_names_are_identifiers_and_strings_have_no_edge_space() -> None:
    @given(from_simple_type(None, "xs:string", field="name"), from_simple_type(None, "xs:string"))
    def check(name: str, text: str) -> None:
        assert name.startswith("ct-") and name.replace("-", "").replace("_", "").isalnum()
        assert text and text == text.strip()
        holder = etree.Element("x")
        holder.text = text  # lxml refuses what XML cannot hold
        assert etree.fromstring(etree.tostring(holder)).text == text

    check()


# -- from_type -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["VM", "Vm", "vm", "Cluster", "Disk", "NIC"])
def test_from_type_draws_valid_fields_and_nothing_the_server_owns(name: str) -> None:
    _, schema = v4()

    @settings(max_examples=30)
    @given(from_type(schema, name))
    def check(representation: Representation) -> None:
        element = representation.element()
        assert representation.type in schema.complex_types
        for field in representation.fields:
            assert not set(field.path) & READ_ONLY, field
            assert find(element, field.path) == field.value
            check_value = schema.value_check(field.type)
            assert check_value is None or check_value(field.value) is None, field

    check()


def test_from_type_names_what_it_does_not_know() -> None:
    _, schema = v4()
    with pytest.raises(ContractTestError, match=r"no complex type or element 'Vmm'.*VM"):
        from_type(schema, "Vmm")


# -- from_link -------------------------------------------------------------------------------


@pytest.mark.parametrize("link", add_links(), ids=lambda link: link.href)
def test_what_from_link_draws_satisfies_a_parameter_set(link: Link) -> None:
    contract, schema = v4()
    strategy = from_link(contract, link, schema=schema, references=EXISTING)

    @settings(max_examples=15)
    @given(strategy)
    def check(body: Representation) -> None:
        element = body.element()
        assert element.tag in schema.element_names(link.body_type or "")
        if link.parameter_sets:
            assert body.parameter_set is not None
            _, lacking = closest_gap(element, (link.parameter_sets[body.parameter_set],))
            assert lacking == [], (lacking, body)
        for field in body.fields:
            if field.refers is not None:
                assert field.refers in [e for es in EXISTING.values() for e in es]
                assert field.value in (field.refers.id, field.refers.name)
                continue
            check_value = schema.value_check(field.type)
            if field.checked and check_value is not None:
                assert check_value(field.value) is None, field
        assert mismatches(schema, _values(body), element) == []

    try:
        check()
    except Unsatisfiable as exc:  # a set that needs what EXISTING does not hold
        assert "needs an entity of" in str(exc)


def _values(body: Representation) -> tuple[Field, ...]:
    return tuple(f for f in body.fields if f.refers is None)


def _link(href: str, method: str = "POST") -> Link:
    contract, _ = v4()
    return next(link for link in contract.links if link.href == href and link.method == method)


def test_a_required_reference_to_nothing_is_unsatisfiable() -> None:
    contract, schema = v4()
    strategy = from_link(contract, _link("networks"), schema=schema, references={})

    @settings(max_examples=1)
    @given(strategy)
    def draw(body: Representation) -> None:
        raise AssertionError(f"drew {body}")

    needs = r"POST .*networks \(add\): .*data_center\.id\|name needs an entity of datacenters"
    with pytest.raises(Unsatisfiable, match=needs):
        draw()


def test_references_are_asked_when_drawn_and_may_be_made_then() -> None:
    contract, schema = v4()
    asked: list[tuple[str, bool]] = []

    def existing(collection: str, required: bool) -> list[Entity]:
        asked.append((collection, required))
        return [Entity(f"{collection}-made", "made")] if required else []

    strategy = from_link(contract, _link("vms"), schema=schema, references=existing)
    assert asked == []  # lazy: nothing asked until a value is drawn
    bodies: list[Representation] = []

    @settings(max_examples=5)
    @given(strategy)
    def draw(body: Representation) -> None:
        bodies.append(body)

    draw()
    assert ("clusters", True) in asked and ("templates", True) in asked
    for body in bodies:
        named = {f.refers.id for f in body.fields if f.refers is not None}
        assert body.parameter_set == 2 or {"clusters-made", "templates-made"} <= named


def test_include_exclude_and_only_choose_the_optional_parameters() -> None:
    contract, schema = v4()
    disks = _link("disks")

    @settings(max_examples=25)
    @given(from_link(contract, disks, schema=schema, include=("name",), exclude=("sparse",)))
    def named(body: Representation) -> None:
        paths = {f.path for f in body.fields}
        if body.parameter_set == 0:
            assert ("name",) in paths
        assert ("sparse",) not in paths

    named()
    start = _link("vms/{vm:id}/start")

    @settings(max_examples=25)
    @given(from_link(contract, start, schema=schema, only=("vm.initialization",)))
    def initialization(body: Representation) -> None:
        assert body.tag == "action"
        assert all(f.path[:2] == ("vm", "initialization") for f in body.fields)

    initialization()


def test_overrides_give_a_parameters_values() -> None:
    contract, schema = v4()
    strategy = from_link(
        contract, _link("tags"), schema=schema, overrides={"name": st.just("chosen")}
    )

    @settings(max_examples=10)
    @given(strategy)
    def check(body: Representation) -> None:
        assert find(body.element(), ("name",)) == "chosen"

    check()


def test_the_surface_finds_collections_and_leaves_views_out() -> None:
    contract, schema = v4()
    surface = surface_of(contract, schema)
    collections = surface.collections
    assert {"vms", "templates", "disks", "clusters", "datacenters", "networks", "tags",
            "vms/nics", "vms/diskattachments"} <= set(collections)  # fmt: skip
    assert "datacenters/clusters" not in collections  # a view of clusters: an add attaches
    assert "vms/tags" not in collections
    vms = collections["vms"]
    assert (vms.element, vms.entity_type, vms.searchable) == ("vm", "VM", True)
    assert vms.action("start") is not None and "nics" in vms.subcollections
    assert collections["vms/nics"].owner == "vms" and collections["vms/nics"].followable
    add = vms.add.parameter_sets[0].parameters
    kinds = {p.name: surface.slot("VM", p).kind for p in add}
    assert kinds["vm.cluster.id|name"] == "reference"
    assert kinds["vm.name"] == "value"
    assert kinds["vm.custom_properties.custom_property"] == "collection"
    assert kinds["vm.os.initRd"] == "unknown"  # the XSD says initrd: dropped by the engine


# -- v3: what the engine accepts --------------------------------------------------------------


def test_v3_enumerations_come_from_a_real_engines_capabilities(corpus: Path) -> None:
    from contracttest.xmlsafe import parse

    schema = schema_from_bytes((corpus / XSD["3.6"]).read_bytes())
    capabilities = next((corpus / "rsdl-source").glob("v3_capabilities_*.xml"))
    found = enumerations_from_capabilities(parse(capabilities.read_bytes()), schema)
    assert found[("VM", "type")] == {"desktop", "server"}
    assert found[("Disk", "format")] == {"cow", "raw"}
    assert found[("NIC", "interface")] >= {"e1000", "virtio", "rtl8139"}
    assert found[("WatchDog", "action")] >= {"none", "reset", "poweroff", "pause"}

    contract = contract_from_bytes((corpus / RSDL["3.6"]).read_bytes())
    add = next(link for link in contract.links if link.href == "vms" and link.method == "POST")
    strategy = from_link(contract, add, schema=schema, references=EXISTING, enumerations=found,
                         include=("type",))  # fmt: skip

    @settings(max_examples=20)
    @given(strategy)
    def check(body: Representation) -> None:
        for field in body.fields:
            if field.path == ("type",):
                assert field.value in {"desktop", "server"}

    check()


# -- what a failure shows ---------------------------------------------------------------------


def test_a_reproduction_names_created_ids_by_variable() -> None:
    log = CallLog()
    new = "5f1c6a43-0000-4000-8000-000000000001"
    log.record(Call("POST", "vms", (), b'<vm><name>a{b}"c</name></vm>', "201-created",
                    status=201, expected=(201, 202), binds=log.bind(new, "vm")))  # fmt: skip
    log.record(Call("GET", f"vms/{new}", (("follow", "nics"),), status=200, expected=(200,)))
    log.record(Call("GET", "vms", credentials=False, status=200, expected=(401,)))
    source = log.as_test("vms crud.listed", "crud.listed", f"vms/{new} broke it", "True")
    compile(source, "<test>", "exec")
    assert "def test_vms_crud_listed(ovirt_engine):" in source
    assert 'vm_1 = reply.root.get("id")' in source
    assert 'f"vms/{vm_1}"' in source and new not in source.split('"""')[2]
    assert "anonymous.request('GET', 'vms')" in source and "assert reply.status == 401" in source
    assert log.lines()[1] == "  2. GET vms/<vm_1>?follow=nics  -> 200"
    assert log.lines()[2].endswith("-> 200 (expected 401)")

"""The entity XSD model: real schemas load, inheritance is resolved, values are checked."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from contracttest import ContractError, Schema, load_schema
from contracttest.schema import UNBOUNDED, iter_types, schema_from_bytes
from tests.corpus_contracts import RSDL, XSD

API_XSDS = tuple(XSD)


@functools.cache
def _load(path: str) -> Schema:
    return load_schema(path)


def real(corpus: Path, key: str) -> Schema:
    return _load(str(corpus / XSD[key]))


@pytest.mark.parametrize("key", API_XSDS)
def test_api_xsd_loads(corpus: Path, key: str) -> None:
    schema = real(corpus, key)
    assert schema.source == str(corpus / XSD[key])
    assert len(schema.elements) > 200
    assert len(schema.complex_types) > 200
    assert {"vm", "vms", "cluster", "host", "fault", "action", "api"} <= set(schema.elements)
    assert list(iter_types(schema)) == list(schema.complex_types)


@pytest.mark.parametrize("key", API_XSDS)
@pytest.mark.parametrize(
    ("child", "type_name"),
    [
        ("name", "xs:string"),
        ("description", "xs:string"),
        ("memory", "xs:long"),
        ("cluster", "Cluster"),
        ("template", "Template"),
        ("status", "Status"),
        ("stateless", "xs:boolean"),
        ("creation_time", "xs:dateTime"),
        ("actions", "Actions"),
        ("link", "Link"),
    ],
)
def test_vm_children_have_types(corpus: Path, key: str, child: str, type_name: str) -> None:
    vm = real(corpus, key).complex_types["VM"]
    assert vm.children[child].type == type_name
    assert vm.children[child].name == child


@pytest.mark.parametrize("key", API_XSDS)
def test_inheritance_is_resolved(corpus: Path, key: str) -> None:
    schema = real(corpus, key)
    base = schema.complex_types["BaseResource"]
    vm = schema.complex_types["VM"]
    assert {"name", "description", "link", "actions"} <= set(base.children)
    assert set(base.children) <= set(vm.children)
    assert set(base.attributes) == {"id", "href"}
    assert {"id", "href"} <= set(vm.attributes)
    assert vm.attributes["id"].type == "xs:string" and not vm.attributes["id"].required
    assert vm.children["link"].max_occurs == UNBOUNDED
    assert vm.children["name"].min_occurs == 0
    # inherited through VmBase as well
    assert {"memory", "os", "cpu"} <= set(vm.children)
    assert not vm.open


@pytest.mark.parametrize("key", API_XSDS)
def test_collections_and_element_names(corpus: Path, key: str) -> None:
    schema = real(corpus, key)
    assert schema.element_names("VMs") == ("vms",)
    assert schema.element_names("VM") == ("vm",)
    assert schema.element_names("NoSuchType") == ()
    vms = schema.complex_types["VMs"]
    assert vms.children["vm"].type == "VM"
    assert vms.children["vm"].max_occurs == UNBOUNDED
    assert schema.elements["vms"] == "VMs"


def test_groups_are_resolved(corpus: Path) -> None:
    schema = real(corpus, "3.6")
    action = schema.complex_types["Action"]
    # from xs:group ActionParameterGroup and ActionResponseGroup
    assert {"grace_period", "root_password", "iscsi_target", "power_management"} <= set(
        action.children
    )
    assert action.children["iscsi_target"].max_occurs == UNBOUNDED
    # a group referencing another group (NfsStorage -> FileStorageConnection)
    assert "nfs_version" in schema.complex_types["StorageConnection"].children


def test_simple_content(corpus: Path) -> None:
    manager = real(corpus, "3.6").complex_types["StorageManager"]
    assert manager.text_type == "xs:boolean"
    assert manager.attributes["priority"].type == "xs:int"
    assert manager.children == {}


@pytest.mark.parametrize("key", API_XSDS)
def test_enumerations(corpus: Path, key: str) -> None:
    schema = real(corpus, key)
    statistic_type = schema.simple_types["StatisticType"]
    assert statistic_type.base == "xs:string"
    assert statistic_type.enumeration == frozenset({"GAUGE", "COUNTER"})
    assert schema.complex_types["Statistic"].children["type"].type == "StatisticType"
    assert "PERCENT" in (schema.simple_types["StatisticUnit"].enumeration or ())


def test_value_check_int(corpus: Path) -> None:
    check = real(corpus, "3.6").value_check("xs:int")
    assert check is not None
    assert check("12") is None
    assert check("x") == "a valid xs:int (-2147483648 to 2147483647)"


@pytest.mark.parametrize(
    ("type_name", "valid", "invalid"),
    [
        ("xs:int", ["12", "-3", "+7", " 12 ", "0"], ["x", "", "1.5", "12a", "1 2"]),
        ("xs:long", ["8589934592", "-1"], ["8G", "1e3", ""]),
        ("xs:short", ["5"], ["five"]),
        ("xs:unsignedShort", ["0", "65535", "+1"], ["-1", "x"]),
        ("xs:unsignedInt", ["4294967295"], ["-4"]),
        ("xs:boolean", ["true", "false", "1", "0", " true "], ["True", "yes", "t", "", "2"]),
        ("xs:double", ["1.5", "-2", "1e5", "1.5E-3", "INF", "-INF", "NaN", ".5"], ["x", "1,5"]),
        ("xs:decimal", ["3.14"], ["pi"]),
        (
            "xs:dateTime",
            [
                "2016-05-01T12:00:00.000+03:00",
                "2016-05-01T12:00:00Z",
                "2016-05-01T12:00:00",
                "2013-04-18T15:46:53.271-04:00",
            ],
            ["2016-05-01", "2016-05-01 12:00:00", "yesterday", "", "1462100000"],
        ),
        ("xs:date", ["2016-05-01", "2016-05-01Z"], ["2016-05-01T12:00:00"]),
        ("StatisticType", ["GAUGE", "COUNTER"], ["gauge", "RATE", ""]),
        ("StatisticUnit", ["PERCENT", "BYTES_PER_SECOND"], ["%"]),
    ],
)
def test_value_checks(corpus: Path, type_name: str, valid: list[str], invalid: list[str]) -> None:
    check = real(corpus, "3.6").value_check(type_name)
    assert check is not None
    for text in valid:
        assert check(text) is None, (type_name, text)
    for text in invalid:
        expected = check(text)
        assert expected is not None, (type_name, text)
        assert type_name in expected or expected.startswith("one of: ")


def test_enumeration_check_names_the_values(corpus: Path) -> None:
    check = real(corpus, "3.6").value_check("StatisticType")
    assert check is not None
    assert check("RATE") == "one of: COUNTER, GAUGE"


@pytest.mark.parametrize("type_name", ["xs:string", "VM", "Status", "NoSuchType", "xs:anyURI"])
def test_no_value_check_where_any_text_is_valid(corpus: Path, type_name: str) -> None:
    assert real(corpus, "3.6").value_check(type_name) is None


def test_value_check_is_cached(corpus: Path) -> None:
    schema = real(corpus, "3.6")
    assert schema.value_check("xs:int") is schema.value_check("xs:int")


@pytest.mark.parametrize(
    ("type_name", "text"),
    [
        ("xs:int", "2147483648"),
        ("xs:short", "40000"),
        ("xs:unsignedShort", "70000"),
    ],
)
def test_value_check_rejects_out_of_range_integers(corpus: Path, type_name: str, text: str) -> None:
    check = real(corpus, "3.6").value_check(type_name)
    assert check is not None
    assert check(text) is not None


# --- a small XSD of our own ------------------------------------------------------------------

SMALL_XSD = b"""<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="thing" type="Thing"/>
  <xs:element name="things" type="Things"/>
  <xs:element name="gadget">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="size" type="xs:int"/>
        <xs:element name="part" minOccurs="0" maxOccurs="unbounded">
          <xs:complexType>
            <xs:attribute name="weight" type="xs:double"/>
          </xs:complexType>
        </xs:element>
      </xs:sequence>
    </xs:complexType>
  </xs:element>
  <xs:element name="colour">
    <xs:simpleType>
      <xs:restriction base="xs:string">
        <xs:enumeration value="red"/>
        <xs:enumeration value="blue"/>
      </xs:restriction>
    </xs:simpleType>
  </xs:element>
  <xs:complexType name="Things">
    <xs:sequence>
      <xs:element ref="thing" minOccurs="0" maxOccurs="unbounded"/>
    </xs:sequence>
  </xs:complexType>
  <xs:complexType name="Thing">
    <xs:complexContent>
      <xs:extension base="Base">
        <xs:sequence>
          <xs:group ref="Extras"/>
          <xs:element ref="later" minOccurs="0"/>
          <xs:element name="extra" type="Open" minOccurs="0"/>
        </xs:sequence>
        <xs:attribute name="state">
          <xs:simpleType>
            <xs:restriction base="xs:string">
              <xs:enumeration value="up"/>
              <xs:enumeration value="down"/>
            </xs:restriction>
          </xs:simpleType>
        </xs:attribute>
      </xs:extension>
    </xs:complexContent>
  </xs:complexType>
  <xs:complexType name="Base">
    <xs:sequence>
      <xs:element name="name" type="xs:string" minOccurs="0"/>
      <xs:choice>
        <xs:element name="count" type="xs:unsignedInt"/>
        <xs:element name="enabled" type="xs:boolean"/>
      </xs:choice>
    </xs:sequence>
    <xs:attribute name="id" type="xs:string" use="required"/>
  </xs:complexType>
  <xs:group name="Extras">
    <xs:sequence>
      <xs:element name="when" type="xs:dateTime" minOccurs="0" maxOccurs="3"/>
    </xs:sequence>
  </xs:group>
  <xs:complexType name="Open">
    <xs:sequence>
      <xs:any processContents="lax" minOccurs="0" maxOccurs="unbounded"/>
    </xs:sequence>
  </xs:complexType>
  <xs:element name="later" type="Later"/>
  <xs:complexType name="Later">
    <xs:simpleContent>
      <xs:extension base="xs:long">
        <xs:attribute name="unit" type="xs:string"/>
      </xs:extension>
    </xs:simpleContent>
  </xs:complexType>
</xs:schema>
"""


@pytest.fixture(scope="module")
def small() -> Schema:
    return schema_from_bytes(SMALL_XSD, "small.xsd")


def test_small_xsd_elements(small: Schema) -> None:
    assert small.source == "small.xsd"
    assert small.elements["thing"] == "Thing"
    assert small.elements["later"] == "Later"
    assert small.element_names("Thing") == ("thing",)
    assert small.element_names("Things") == ("things",)


def test_small_xsd_extension_group_choice_and_ref(small: Schema) -> None:
    thing = small.complex_types["Thing"]
    assert {name: child.type for name, child in thing.children.items()} == {
        "name": "xs:string",
        "count": "xs:unsignedInt",
        "enabled": "xs:boolean",
        "when": "xs:dateTime",
        "later": "Later",
        "extra": "Open",
    }
    assert thing.children["when"].max_occurs == 3
    assert thing.children["count"].min_occurs == 1
    assert thing.attributes["id"].required
    assert small.complex_types["Things"].children["thing"].type == "Thing"


def test_small_xsd_inline_attribute_enumeration(small: Schema) -> None:
    state = small.complex_types["Thing"].attributes["state"]
    check = small.value_check(state.type)
    assert check is not None
    assert check("up") is None
    assert check("sideways") == "one of: down, up"


def test_small_xsd_anonymous_types(small: Schema) -> None:
    gadget_type = small.elements["gadget"]
    gadget = small.complex_types[gadget_type]
    assert gadget.children["size"].type == "xs:int"
    part = small.complex_types[gadget.children["part"].type]
    assert part.attributes["weight"].type == "xs:double"
    assert gadget.children["part"].max_occurs == UNBOUNDED
    colour = small.value_check(small.elements["colour"])
    assert colour is not None
    assert colour("red") is None and colour("green") == "one of: blue, red"


def test_small_xsd_open_and_simple_content(small: Schema) -> None:
    assert small.complex_types["Open"].open
    assert not small.complex_types["Thing"].open
    later = small.complex_types["Later"]
    assert later.text_type == "xs:long"
    assert set(later.attributes) == {"unit"}


# --- input that is not an XSD ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "not well-formed XML"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not well-formed XML"),
        (b"<rsdl><links/></rsdl>", "root element is <rsdl>"),
        (b"<schema/>", "root element is <schema>"),
    ],
)
def test_not_an_xsd(tmp_path: Path, data: bytes, problem: str) -> None:
    path = tmp_path / "schema.xsd"
    path.write_bytes(data)
    with pytest.raises(ContractError) as caught:
        load_schema(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and "\n" not in message
    assert problem in message


def test_an_rsdl_is_not_an_xsd(corpus: Path) -> None:
    source = corpus / RSDL["3.6"]
    with pytest.raises(ContractError, match=r"not an XML schema \(root element is <rsdl>"):
        load_schema(source)


@pytest.mark.parametrize("name", ["absent.xsd", ""])
def test_missing_or_directory_xsd(tmp_path: Path, name: str) -> None:
    source = tmp_path / name if name else tmp_path
    with pytest.raises(ContractError) as caught:
        load_schema(source)
    assert str(caught.value).startswith(f"{source}: ")
    assert "\n" not in str(caught.value)

"""What the CRUD machines found the embedded engine doing wrong, held fixed over real HTTP.

Each case is a promise the engine broke before (see ``contracttest/properties``): references
below the first level were not resolved; attributes the XSD types were not checked; an
update replaced a structure the XSD types as one (v3's ``<os type="..">``, ``<cpu id="..">``,
``<storage>`` holding ``<logical_unit>``s) instead of merging it, and merged a one-item list
instead of replacing it; an entity's own attributes (v3 ``<qos type="..">``) were not
rendered; v3 NUMA nodes were rendered as host NUMA nodes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from contracttest.api import Engine
from tests.corpus_contracts import RSDL, XSD
from tests.crud_engines import serving

BLANK = '<template id="00000000-0000-0000-0000-000000000000"/>'


@pytest.fixture
def v4() -> Iterator[Engine]:
    with serving() as (api, _):
        yield api


@pytest.fixture
def v36(corpus: Path) -> Iterator[Engine]:
    with serving(corpus / RSDL["3.6"], corpus / XSD["3.6"], version=3) as (api, _):
        yield api


def _vm(api: Engine, name: str, more: str = "") -> str:
    cluster = api.list("clusters", search="name=Default")[0].get("id")
    body = f'<vm><name>{name}</name><cluster id="{cluster}"/>{BLANK}{more}</vm>'
    return f"vms/{api.add('vms', body).get('id')}"


def test_a_reference_below_the_first_level_is_resolved(v4: Engine) -> None:
    host = v4.list("hosts")[0]
    path = _vm(v4, "placed", "<placement_policy><hosts><host><name>host1</name></host></hosts>"
                             "</placement_policy>")  # fmt: skip
    placed = v4.get(path).find("placement_policy/hosts/host")
    assert placed is not None and placed.get("id") == host.get("id")
    with pytest.raises(Engine.Error) as refused:
        _vm(v4, "nowhere", "<placement_policy><hosts><host><name>nohost</name></host></hosts>"
                           "</placement_policy>")  # fmt: skip
    assert refused.value.status == 400 and "nohost" in refused.value.detail


def test_an_update_replaces_a_list_of_one(v4: Engine) -> None:
    path = _vm(v4, "props", "<custom_properties><custom_property><name>a</name><value>1</value>"
                            "</custom_property></custom_properties>")  # fmt: skip
    v4.update(path, "<vm><custom_properties><custom_property><name>b</name></custom_property>"
                    "</custom_properties></vm>")  # fmt: skip
    properties = v4.get(path).findall("custom_properties/custom_property")
    assert [(p.findtext("name"), p.findtext("value")) for p in properties] == [("b", None)]


def test_a_v3_attribute_outside_its_type_is_refused(v36: Engine) -> None:
    body = (
        "<cluster><name>c</name><data_center><name>Default</name></data_center>"
        '<version major="three" minor="6"/><cpu id="Intel Nehalem Family"/></cluster>'
    )
    with pytest.raises(Engine.Error) as refused:
        v36.add("clusters", body)
    assert refused.value.status == 400 and "three" in refused.value.detail


def test_a_v3_update_merges_what_the_xsd_types_as_a_structure(v36: Engine) -> None:
    path = _vm(v36, "merged", "<os><kernel>k</kernel></os>")
    v36.update(path, '<vm><os type="rhel_7x64"/></vm>')
    os = v36.get(path).find("os")
    assert os is not None and os.get("type") == "rhel_7x64" and os.findtext("kernel") == "k"
    v36.update(path, '<vm><os><boot dev="hd"/><boot dev="cdrom"/></os></vm>')
    os = v36.get(path).find("os")
    assert os is not None and os.findtext("kernel") == "k" and os.get("type") == "rhel_7x64"
    assert [b.get("dev") for b in os.findall("boot")] == ["hd", "cdrom"]
    cluster = v36.list("clusters")[0].get("href", "")
    v36.update(cluster, "<cluster><cpu><architecture>x86_64</architecture></cpu></cluster>")
    cpu = v36.get(cluster).find("cpu")
    assert cpu is not None and cpu.get("id") == "Intel Nehalem Family"


def test_v3_attributes_and_numa_nodes_are_rendered_as_sent(v36: Engine) -> None:
    dc = v36.list("datacenters")[0].get("id")
    qos = v36.add(f"datacenters/{dc}/qoss", '<qos type="storage"><name>q</name></qos>')
    assert v36.get(qos.get("href", "")).get("type") == "storage"
    path = _vm(v36, "numa")
    node = v36.add(f"{path}/numanodes", '<vm_numa_node><index>0</index><memory>1024</memory>'
                   '<cpu><cores><core index="0"/></cores></cpu></vm_numa_node>')  # fmt: skip
    assert node.tag == "vm_numa_node"
    assert [n.tag for n in v36.list(f"{path}/numanodes")] == ["vm_numa_node"]

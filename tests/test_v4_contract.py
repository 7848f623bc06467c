"""The bundled oVirt v4 contract (``contracttest/contracts/v4``): complete, and true to real v4
engines.

It loads cleanly, documents the resources and actions real clients use, its XSD describes
the v4 representation (simple ``<status>``, ``<version>`` and statistics as elements, only
``id``/``href`` attributes), and the real 4.2/4.3 recordings of the corpus check against it
without a single error.
"""

from __future__ import annotations

import functools
import importlib.util
import sys
from importlib.resources import files
from pathlib import Path

import pytest
from lxml import etree

from conftest import ROOT, corpus_path
from contracttest import (
    Checker,
    Contract,
    Schema,
    Severity,
    Violation,
    load_cassette,
    load_contract,
)
from contracttest import load_schema as load_xsd
from contracttest.checks.context import element_matches_type
from contracttest.schema import UNBOUNDED
from tests.corpus_contracts import nearest, vcrpy_cassettes

BUNDLED = Path(str(files("contracttest") / "contracts" / "v4"))
VCRPY = corpus_path() / "cassettes" / "vcrpy"
V4_NAMES = (
    [p.name for p in vcrpy_cassettes(corpus_path()) if nearest(p)[1] == "v4"]
    if VCRPY.is_dir()
    else []
)


@functools.cache
def contract() -> Contract:
    return load_contract(BUNDLED / "rsdl.xml")


@functools.cache
def schema() -> Schema:
    return load_xsd(BUNDLED / "api.xsd")


# --------------------------------------------------------------------------- loading


def test_the_contract_loads_without_warnings() -> None:
    loaded = contract()
    assert loaded.warnings == ()
    assert loaded.version == "4.5"
    assert loaded.prefix == "/ovirt-engine/api"
    assert not loaded.served_form  # the build-time form: hrefs relative to the prefix
    assert len(loaded.links) > 850
    assert loaded.schema_href == "?schema"


def test_the_schema_loads_and_is_a_valid_xsd() -> None:
    loaded = schema()
    assert len(loaded.elements) > 400
    etree.XMLSchema(etree.parse(str(BUNDLED / "api.xsd")))  # raises when invalid


def test_the_files_are_what_the_generator_writes() -> None:
    """Edit ``tools/v4_model.json`` or ``tools/build_v4_contract.py``, then regenerate."""
    script = ROOT / "tools" / "build_v4_contract.py"
    spec = importlib.util.spec_from_file_location("build_v4_contract", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    try:
        spec.loader.exec_module(module)
        assert module.main(["--check"]) == 0, "run: python3 tools/build_v4_contract.py"
    finally:
        del sys.modules[spec.name]


# --------------------------------------------------------------------------- coverage

#: (method, href, rel, body type, response type)
EXPECTED = [
    ("GET", "vms", "get", None, "VMs"),
    ("POST", "vms", "add", "VM", "VM"),
    ("GET", "vms/{vm:id}", "get", None, "VM"),
    ("PUT", "vms/{vm:id}", "update", "VM", "VM"),
    ("DELETE", "vms/{vm:id}", "delete", None, None),
    ("GET", "vms/{vm:id}/nics", "get", None, "Nics"),
    ("POST", "vms/{vm:id}/nics", "add", "NIC", "NIC"),
    ("GET", "vms/{vm:id}/nics/{nic:id}", "get", None, "NIC"),
    ("GET", "vms/{vm:id}/nics/{nic:id}/statistics", "get", None, "Statistics"),
    ("GET", "vms/{vm:id}/diskattachments", "get", None, "DiskAttachments"),
    ("POST", "vms/{vm:id}/diskattachments", "add", "DiskAttachment", "DiskAttachment"),
    ("GET", "vms/{vm:id}/diskattachments/{diskattachment:id}", "get", None, "DiskAttachment"),
    ("GET", "vms/{vm:id}/snapshots", "get", None, "Snapshots"),
    ("POST", "vms/{vm:id}/snapshots", "add", "Snapshot", "Snapshot"),
    ("GET", "vms/{vm:id}/snapshots/{snapshot:id}/disks", "get", None, "Disks"),
    ("GET", "vms/{vm:id}/statistics", "get", None, "Statistics"),
    ("GET", "vms/{vm:id}/statistics/{statistic:id}", "get", None, "Statistic"),
    ("GET", "vms/{vm:id}/cdroms", "get", None, "CdRoms"),
    ("GET", "vms/{vm:id}/reporteddevices", "get", None, "ReportedDevices"),
    ("GET", "vms/{vm:id}/applications", "get", None, "Applications"),
    ("GET", "vms/{vm:id}/permissions", "get", None, "Permissions"),
    ("GET", "vms/{vm:id}/tags", "get", None, "Tags"),
    ("POST", "vms/{vm:id}/start", "start", "Action", "Action"),
    ("POST", "vms/{vm:id}/stop", "stop", "Action", "Action"),
    ("POST", "vms/{vm:id}/shutdown", "shutdown", "Action", "Action"),
    ("POST", "vms/{vm:id}/suspend", "suspend", "Action", "Action"),
    ("POST", "vms/{vm:id}/reboot", "reboot", "Action", "Action"),
    ("POST", "vms/{vm:id}/migrate", "migrate", "Action", "Action"),
    ("POST", "vms/{vm:id}/previewsnapshot", "previewsnapshot", "Action", "Action"),
    ("GET", "templates", "get", None, "Templates"),
    ("GET", "templates/{template:id}", "get", None, "Template"),
    ("GET", "templates/{template:id}/nics", "get", None, "Nics"),
    ("GET", "templates/{template:id}/diskattachments", "get", None, "DiskAttachments"),
    ("GET", "clusters", "get", None, "Clusters"),
    ("GET", "clusters/{cluster:id}", "get", None, "Cluster"),
    ("GET", "clusters/{cluster:id}/affinitygroups", "get", None, "AffinityGroups"),
    ("GET", "clusters/{cluster:id}/networkfilters", "get", None, "NetworkFilters"),
    ("GET", "datacenters", "get", None, "DataCenters"),
    ("GET", "datacenters/{datacenter:id}", "get", None, "DataCenter"),
    ("GET", "datacenters/{datacenter:id}/clusters", "get", None, "Clusters"),
    ("GET", "datacenters/{datacenter:id}/storagedomains", "get", None, "StorageDomains"),
    ("GET", "datacenters/{datacenter:id}/networks", "get", None, "Networks"),
    ("GET", "hosts", "get", None, "Hosts"),
    ("GET", "hosts/{host:id}", "get", None, "Host"),
    ("GET", "hosts/{host:id}/nics", "get", None, "HostNics"),
    ("GET", "hosts/{host:id}/nics/{nic:id}", "get", None, "HostNIC"),
    ("GET", "hosts/{host:id}/nics/{nic:id}/statistics", "get", None, "Statistics"),
    ("GET", "hosts/{host:id}/statistics", "get", None, "Statistics"),
    ("GET", "hosts/{host:id}/networkattachments", "get", None, "NetworkAttachments"),
    ("POST", "hosts/{host:id}/activate", "activate", "Action", "Action"),
    ("POST", "hosts/{host:id}/deactivate", "deactivate", "Action", "Action"),
    ("GET", "storagedomains", "get", None, "StorageDomains"),
    ("GET", "storagedomains/{storagedomain:id}/disks", "get", None, "Disks"),
    ("GET", "storagedomains/{storagedomain:id}/files", "get", None, "Files"),
    ("GET", "disks", "get", None, "Disks"),
    ("GET", "disks/{disk:id}", "get", None, "Disk"),
    ("GET", "disks/{disk:id}/statistics", "get", None, "Statistics"),
    ("GET", "networks", "get", None, "Networks"),
    ("GET", "networks/{network:id}/vnicprofiles", "get", None, "VnicProfiles"),
    ("GET", "vnicprofiles", "get", None, "VnicProfiles"),
    ("GET", "tags", "get", None, "Tags"),
    ("GET", "jobs", "get", None, "Jobs"),
    ("GET", "users", "get", None, "Users"),
    ("GET", "events", "get", None, "Events"),
    ("GET", "operatingsystems", "get", None, "OperatingSystemInfos"),
    ("GET", "vmpools", "get", None, "VmPools"),
    ("GET", "permissions", "get", None, "Permissions"),
    ("GET", "networkfilters", "get", None, "NetworkFilters"),
    ("GET", "externalhostproviders", "get", None, "ExternalHostProviders"),
    ("GET", "openstacknetworkproviders/{openstacknetworkprovider:id}", "get", None, None),
]


@pytest.mark.parametrize(("method", "href", "rel", "body", "response"), EXPECTED)
def test_the_contract_documents(
    method: str, href: str, rel: str, body: str | None, response: str | None
) -> None:
    link = contract().router.route(method, href.split("/"))
    assert link is not None, f"no {method} {href}"
    assert (link.href, link.rel, link.body_type) == (href, rel, body)
    if response is not None or method == "DELETE":
        assert link.response_type == response


def test_writes_need_a_content_type_and_url_parameters_are_in_the_query() -> None:
    for link in contract().links:
        if link.method in ("POST", "PUT"):
            headers = {h.name: h for h in link.headers}
            assert headers["Content-Type"].required, link.describe()
        if link.rel == "add":
            assert {h.name for h in link.headers} >= {"Expect", "Correlation-Id"}
        assert all(p.context == "query" for p in link.url_parameters), link.describe()


def test_collections_take_the_v4_query_parameters() -> None:
    vms = contract().router.route("GET", ["vms"])
    assert vms is not None
    assert {(p.name, p.type) for p in vms.url_parameters} >= {
        ("search", "xs:string"),
        ("max", "xs:int"),
        ("case_sensitive", "xs:boolean"),
        ("follow", "xs:string"),
        ("all_content", "xs:boolean"),
        ("filter", "xs:boolean"),
    }


def test_body_parameter_sets_come_from_the_engine_metadata() -> None:
    add = contract().router.route("POST", ["vms"])
    assert add is not None and add.parameter_sets
    required = {p.name for p in add.parameter_sets[0].required}
    assert required == {"vm.name", "vm.cluster.id|name", "vm.template.id|name"}
    start = contract().router.route("POST", ["vms", "1", "start"])
    assert start is not None
    names = {p.name for s in start.parameter_sets for p in s.parameters}
    assert {"action.async", "action.use_cloud_init", "action.pause"} <= names


def test_every_declared_type_is_a_global_element_of_the_schema() -> None:
    """What ``request.body.type`` and ``response.body.type`` compare root tags with."""
    loaded = schema()
    declared = {t for link in contract().links for t in (link.body_type, link.response_type)}
    declared.add(contract().root_link.response_type)
    declared.discard(None)
    missing = sorted(t for t in declared if t and not loaded.element_names(t))
    assert missing == []
    assert element_matches_type("api", "API", loaded)
    assert element_matches_type("host_nics", "HostNics", loaded)
    assert element_matches_type("operating_systems", "OperatingSystemInfos", loaded)


def test_every_resource_path_can_be_read() -> None:
    """Each path that takes an add, update or delete is also a GET, so hrefs to it resolve;
    but for what v4 engines only take: imports, and the removal of an affinity group member.
    """
    readable = {link.href for link in contract().links if link.method == "GET"}
    unread = {link.href for link in contract().links if not link.is_action} - readable
    assert {href for href in unread if "/affinitygroups/{affinitygroup:id}/" not in href} == {
        "externaltemplateimports",
        "externalvmimports",
    }
    members = [href.rpartition("/") for href in unread if "/" in href]
    assert {segment for _, _, segment in members} == {
        "{vm:id}",
        "{host:id}",
        "{vmlabel:id}",
        "{hostlabel:id}",
    }


# --------------------------------------------------------------------------- schema


def child_type(type_name: str, child: str) -> str:
    return schema().complex_types[type_name].children[child].type


def enumeration(type_name: str) -> frozenset[str]:
    found = schema().simple_types[type_name].enumeration
    assert found is not None
    return found


def test_entities_have_only_id_and_href_attributes() -> None:
    for name, ctype in schema().complex_types.items():
        allowed = {"href", "rel"} if name == "Link" else {"href", "id"}
        assert set(ctype.attributes) <= allowed, name
    assert set(schema().complex_types["VM"].attributes) == {"href", "id"}


def test_entities_share_the_base_resource() -> None:
    vm = schema().complex_types["VM"]
    assert {"name", "description", "comment", "actions", "link"} <= set(vm.children)
    assert vm.children["link"].max_occurs == UNBOUNDED
    assert child_type("Actions", "link") == "Link"
    assert set(schema().complex_types["Link"].attributes) == {"href", "rel"}


@pytest.mark.parametrize(
    ("element", "item"),
    [
        ("vms", "vm"),
        ("nics", "nic"),
        ("host_nics", "host_nic"),
        ("statistics", "statistic"),
        ("disk_attachments", "disk_attachment"),
        ("data_centers", "data_center"),
    ],
)
def test_collections_hold_their_items_unbounded(element: str, item: str) -> None:
    collection = schema().complex_types[schema().elements[element]]
    assert collection.children[item].max_occurs == UNBOUNDED
    assert collection.children[item].type == schema().elements[item]


def test_status_is_a_simple_v4_enumeration() -> None:
    assert child_type("VM", "status") == "VmStatus"
    assert {"up", "down", "suspended", "powering_up", "image_locked"} <= enumeration("VmStatus")
    assert {"up", "maintenance", "non_responsive"} <= enumeration(child_type("Host", "status"))
    assert {"ok", "locked", "illegal"} <= enumeration(child_type("Disk", "status"))
    assert "active" in enumeration(child_type("StorageDomain", "status"))
    assert "up" in enumeration(child_type("DataCenter", "status"))


def test_references_and_inlined_collections_are_typed_by_the_entity() -> None:
    assert child_type("VM", "cluster") == "Cluster"
    assert child_type("VM", "template") == "Template"
    assert child_type("VM", "nics") == "Nics"
    assert child_type("VM", "disk_attachments") == "DiskAttachments"
    assert child_type("VM", "statistics") == "Statistics"
    assert child_type("Host", "nics") == "HostNics"


def test_enumerations_of_the_v4_model() -> None:
    assert {"server", "desktop", "high_performance"} <= enumeration(child_type("VM", "type"))
    assert enumeration(child_type("Disk", "format")) == {"cow", "raw"}
    assert "virtio_scsi" in enumeration(child_type("DiskAttachment", "interface"))
    assert {"virtio", "e1000", "rtl8139"} <= enumeration(child_type("NIC", "interface"))
    assert {"nfs", "iscsi", "fcp"} <= enumeration(child_type("HostStorage", "type"))
    assert {"data", "iso", "export"} <= enumeration(child_type("StorageDomain", "type"))


def test_version_is_made_of_elements() -> None:
    version = schema().complex_types[child_type("ProductInfo", "version")]
    assert {"build", "full_version", "major", "minor", "revision"} <= set(version.children)
    assert version.children["major"].type == "xs:long"


def test_statistics_carry_kind_type_unit_and_values() -> None:
    assert enumeration(child_type("Statistic", "kind")) == {"counter", "gauge"}
    assert {"integer", "decimal", "string"} <= enumeration(child_type("Statistic", "type"))
    assert {"bytes", "percent", "none", "bits_per_second"} <= enumeration(
        child_type("Statistic", "unit")
    )
    values = schema().complex_types[child_type("Statistic", "values")]
    assert values.children["value"].max_occurs == UNBOUNDED
    assert child_type("Value", "datum") == "xs:decimal"
    assert {"vm", "host", "nic", "host_nic", "disk"} <= set(
        schema().complex_types["Statistic"].children
    )


def test_action_fault_and_api() -> None:
    action = schema().complex_types["Action"]
    assert action.children["status"].type == "xs:string"
    assert child_type("Action", "fault") == "Fault"
    assert child_type("Action", "job") == "Job"
    assert child_type("Action", "async") == "xs:boolean"
    assert {"vm", "host", "storage_domain", "disk", "force"} <= set(action.children)
    initialization = schema().complex_types[child_type("VM", "initialization")]
    assert {"custom_script", "user_name", "root_password", "host_name"} <= set(
        initialization.children
    )
    assert {"nic_configurations", "dns_servers", "cloud_init"} <= set(initialization.children)
    cloud_init = schema().complex_types[child_type("Initialization", "cloud_init")]
    assert {"files", "users", "network_configuration"} <= set(cloud_init.children)
    assert set(schema().complex_types["Fault"].children) == {"reason", "detail"}
    api = schema().complex_types[schema().elements["api"]]
    assert {"link", "product_info", "special_objects", "summary", "time"} <= set(api.children)
    assert {"authenticated_user", "effective_user"} <= set(api.children)
    assert api.children["link"].max_occurs == UNBOUNDED
    assert {"name", "vendor", "version"} <= set(schema().complex_types["ProductInfo"].children)
    special = schema().complex_types[child_type("API", "special_objects")]
    assert set(special.children) >= {"blank_template", "root_tag"}


# --------------------------------------------------------------------------- real traffic


@functools.cache
def checker() -> Checker:
    return Checker(contract(), schema())


@functools.cache
def violations(corpus: Path, name: str) -> tuple[Violation, ...]:
    """One cassette's violations against the bundled contract, computed once."""
    cassette = load_cassette(corpus / "cassettes" / "vcrpy" / name)
    return tuple(checker().check_cassette(cassette))


#: Without the corpus, one placeholder: the ``corpus`` fixture then skips with its reason.
@pytest.mark.parametrize("name", V4_NAMES or ["(no corpus)"])
def test_real_v4_recordings_have_no_errors(corpus: Path, name: str) -> None:
    found = violations(corpus, name)
    errors = [(v.index, v.rule, v.message) for v in found if v.severity is Severity.ERROR]
    assert errors == []
    # every element, href, link and action of the real answers is known to the contract
    unknown = [(v.index, v.rule, v.message) for v in found if v.rule != "response.fault"]
    assert unknown == []


def test_the_v4_corpus_is_all_checked(corpus: Path) -> None:
    assert len(V4_NAMES) == 18


def test_the_only_findings_are_empty_404_bodies(corpus: Path) -> None:
    """A v4 GET of an unknown id answers 404 with an empty body (3 times in the corpus): real
    engine behaviour, at most a warning."""
    found = [v for name in V4_NAMES for v in violations(corpus, name)]
    assert len(found) <= 3
    for violation in found:
        assert (violation.rule, violation.severity) == ("response.fault", Severity.WARNING)
        assert "404 with an empty body" in violation.message


def test_the_sample_session_checks_clean() -> None:
    """The project's own v4 sample (a VM's life cycle) against the bundled contract."""
    cassette = load_cassette(ROOT / "cassettes" / "sample" / "session.yaml")
    assert checker().check_cassette(cassette) == []

"""``contracttest diff``: what changed between two contracts, and how it is reported.

The real contracts of the corpus are diffed pair by pair, and a sample of every change class
each pair shows is asserted against what the two documents say (each sample was checked by
hand with grep in both files; the comment says what the documents hold). A contract against
itself, and the 3.6 contract against the form the embedded engine serves it in, show no
change. Every class of the catalogue is triggered by a small contract pair of its own.
"""

from __future__ import annotations

import ast
import base64
import dataclasses
import http.client
import itertools
import json
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from contracttest.cli import main
from contracttest.diff import CATALOGUE, Change, Severity, diff_contracts, parse_ignore
from contracttest.diff.render import WIDTH, as_json, as_junit, as_text
from contracttest.diff.routes import route_key
from contracttest.engine import EngineServer, open_engine
from contracttest.errors import InputError
from contracttest.loading import bundled_contract, load_contract, load_schema
from contracttest.rsdl import Contract, contract_from_bytes
from contracttest.schema import Schema, schema_from_bytes
from tests.corpus_contracts import RSDL, XSD
from tests.test_layers import FORBIDDEN

ROOT = Path(__file__).resolve().parent.parent
VERSIONS = ("3.3", "3.4", "3.5", "3.6", "v3-on-4.x")
PAIRS = list(itertools.pairwise(VERSIONS))

# -- the real contracts --------------------------------------------------------------------


@pytest.fixture(scope="module")
def real(corpus: Path) -> dict[str, tuple[Contract, Schema]]:
    return {v: (load_contract(corpus / RSDL[v]), load_schema(corpus / XSD[v])) for v in VERSIONS}


@pytest.fixture(scope="module")
def diffs(real: dict[str, tuple[Contract, Schema]]) -> dict[tuple[str, str], tuple[Change, ...]]:
    found = {}
    for old, new in [*PAIRS, *((b, a) for a, b in PAIRS)]:
        (old_rsdl, old_xsd), (new_rsdl, new_xsd) = real[old], real[new]
        found[old, new] = diff_contracts(old_rsdl, new_rsdl, old_xsd, new_xsd)
    return found


#: Per pair: change id -> (severity, words of its message). Checked by hand in both files.
FACTS: dict[tuple[str, str], dict[str, tuple[str, str]]] = {
    ("3.3", "3.4"): {
        # 3.3 has <link href="/api/groups/{group:id}/roles" rel="add">; 3.4 none
        "link-removed:POST groups/{group:id}/roles": ("breaking", "(add) is gone"),
        # 3.4 only: .../networks/{network:id}/labels rel="get"
        "link-added:GET datacenters/{datacenter:id}/networks/{network:id}/labels": ("info", ""),
        "action-added:POST clusters/{cluster:id}/glustervolumes/{glustervolume:id}/bricks"
        "/stopmigrate": ("info", "(stopmigrate)"),
        # 3.4 setoption: <parameter required="true" type="xs:long"> action.grace_period.expiry
        "parameter-required-added:POST clusters/{cluster:id}/glustervolumes/{glustervolume:id}"
        "/setoption body action.grace_period.expiry": ("breaking", "required, xs:long"),
        # 3.3 PUT hosts/{host:id}/nics/{nic:id} names hostnic.ip.mtu; 3.4 does not
        "parameter-removed:PUT hosts/{host:id}/nics/{nic:id} body hostnic.ip.mtu": (
            "warning",
            "was optional",
        ),
        # 3.3 datacenter.storage_type required="true"; 3.4 required="false", <deprecated>
        "parameter-deprecated:POST datacenters body datacenter.storage_type": ("warning", ""),
        "parameter-now-optional:POST datacenters body datacenter.storage_type": ("info", ""),
        # tag.parent.tag.name -> tag.parent.tag.id|name
        "parameter-alternatives-added:PUT tags/{tag:id} body tag.parent.tag.id|name": (
            "info",
            "id also taken",
        ),
        # 3.3 disks/{disk:id}/export: Content-Type required="true"; 3.4's link has no headers
        "header-removed:POST disks/{disk:id}/export header Content-Type": (
            "warning",
            "was required",
        ),
        "header-added:GET vms/{vm:id} header All-Content": ("info", "optional"),
        # 3.4: <parameter required="false" type="xs:boolean" context="matrix"> force
        "url-parameter-added:POST clusters/{cluster:id}/glustervolumes url force": (
            "info",
            ";force (matrix)",
        ),
        # 3.3 <xs:element name="glusterhooks" type="GlusterHooks"/>, 3.4 name="gluster_hooks"
        "root-element-renamed:<glusterhooks>": ("breaking", "now <gluster_hooks>"),
        # GlusterClient bytes_read: xs:int (3.3), xs:long (3.4)
        "element-type-changed:GlusterClient/bytes_read": ("breaking", "xs:int -> xs:long"),
        # ValueType gains <xs:enumeration value="STRING"/> (statistics values: responses)
        "response-enum-value-added:ValueType=STRING": ("warning", "a server may return it"),
        "type-added:Label": ("info", "new"),
        "root-element-added:<label>": ("info", "Label"),
        "element-added:Initialization/regenerate_ssh_keys": ("info", "xs:boolean"),
    },
    ("3.4", "3.5"): {
        # DELETE storageconnections/{id}: <body><type>Host</type> (3.4), Action (3.5)
        "body-type-changed:DELETE storageconnections/{storageconnection:id}": (
            "breaking",
            "Host -> Action",
        ),
        # 3.5 adds a set with storagedomain.import
        "parameter-set-added:POST storagedomains body set(host.id|name, import, storage.type, "
        "type)": ("info", "7 parameters"),
        # datacenter.local: required="false" (3.4), required="true" (3.5)
        "parameter-now-required:POST datacenters body datacenter.local": ("breaking", ""),
        # 3.4's templates/{template:id}/watchdogs add has no headers nor parameters
        "parameter-required-added:POST templates/{template:id}/watchdogs body watchdog.action": (
            "breaking",
            "required",
        ),
        "header-required-added:POST templates/{template:id}/watchdogs header Content-Type": (
            "breaking",
            "application/xml|json",
        ),
        "url-parameter-removed:GET storagedomains/{storagedomain:id}/disks/{disk:id} url "
        "unregistered": ("warning", ";unregistered (matrix)"),
        # response <type>BaseResource</type> (3.4), Image (3.5): Image extends BaseResource
        "response-type-specialised:GET storagedomains/{storagedomain:id}/images/{image:id}": (
            "warning",
            "returns Image, not BaseResource",
        ),
        # 3.5 lists the link twice: GlusterVolumeProfileDetails and GlusterVolume
        "response-type-added:GET clusters/{cluster:id}/glustervolumes/{glustervolume:id} "
        "response GlusterVolumeProfileDetails": ("warning", ""),
        # Fault: <xs:element name="detail" type="xs:string"/> -> minOccurs="0"
        "element-occurrence-changed:Fault/detail": ("warning", "1..1 -> 0..1"),
        # SchedulingPolicy extends BaseResource in 3.5 (whose attributes are id and href)
        "attribute-added:SchedulingPolicy@id": ("info", ""),
        "link-added:GET instancetypes/{instancetype:id}/watchdogs": ("info", ""),
    },
    ("3.5", "3.6"): {
        "link-removed:DELETE vms/{vm:id}/cdroms/{cdrom:id}": ("breaking", "(delete) is gone"),
        # 3.5 {schedulingpolicie:id}, 3.6 {schedulingpolicy:id}: one route; 3.6 adds a
        # <header required="true"> Content-Type to it
        "header-required-added:DELETE schedulingpolicies/{schedulingpolicy:id} header "
        "Content-Type": ("breaking", "required"),
        # DELETE vms/{vm:id}: Content-Type required="false" (3.5), "true" (3.6)
        "header-now-required:DELETE vms/{vm:id} header Content-Type": ("breaking", ""),
        # PUT iscsibonds/{id}: Expect 201-created (3.5), 202-accepted (3.6)
        "header-value-changed:PUT datacenters/{datacenter:id}/iscsibonds/{iscsibond:id} header "
        "Expect": ("warning", "'201-created' -> '202-accepted'"),
        "url-parameter-removed:GET hosts/{host:id}/statistics url max": ("warning", ""),
        # GET hosts/{host:id}: force gains <deprecated>true</deprecated>
        "url-parameter-deprecated:GET hosts/{host:id} url force": ("warning", ""),
        # PUT storagedomains/{id}: storagedomain.host.id|name -> storagedomain.host.id
        "parameter-alternatives-removed:PUT storagedomains/{storagedomain:id} body "
        "storagedomain.host.id": ("breaking", "name no longer taken"),
        "response-type-specialised:GET storagedomains/{storagedomain:id}/disksnapshots/"
        "{disksnapshot:id}": ("warning", "DiskSnapshot, not BaseResource"),
        # Value: detail minOccurs="1" (3.5), minOccurs="0" (3.6)
        "element-occurrence-changed:Value/detail": ("warning", ""),
        "link-added:GET macpools": ("info", ""),
    },
    ("3.6", "v3-on-4.x"): {
        "link-removed:DELETE templates/{template:id}/nics/{nic:id}": ("breaking", ""),
        # clusters add: cluster.scheduling_policy.id|name (3.6), cluster.scheduling_policy.id
        "parameter-alternatives-removed:POST clusters body cluster.scheduling_policy.id": (
            "breaking",
            "name no longer taken",
        ),
        # vms/{vm:id}/start: 26 initialization parameters (3.6), 9 (v3-on-4.x)
        "parameter-removed:POST vms/{vm:id}/start body action.vm.initialization.host_name": (
            "warning",
            "was optional",
        ),
        "url-parameter-removed:POST hosts/{host:id}/deactivate url stop_gluster_service": (
            "warning",
            "",
        ),
        # Balances: ref="balance" maxOccurs="1" (3.6), "unbounded" (4.x)
        "element-occurrence-changed:Balances/balance": ("warning", "0..1 -> 0..unbounded"),
    },
}

#: The counts per class (what issue 13 records); a change of heuristics shows here.
COUNTS: dict[tuple[str, str], dict[str, int]] = {
    ("3.3", "3.4"): {
        "link-removed": 4,
        "parameter-required-added": 2,
        "root-element-renamed": 1,
        "element-type-changed": 2,
        "parameter-removed": 2,
        "parameter-deprecated": 2,
        "header-removed": 3,
        "response-enum-value-added": 1,
        "link-added": 82,
        "action-added": 13,
        "parameter-added": 137,
        "parameter-now-optional": 1,
        "parameter-alternatives-added": 1,
        "header-added": 6,
        "url-parameter-added": 3,
        "type-added": 15,
        "root-element-added": 14,
        "element-added": 44,
    },
    ("3.4", "3.5"): {
        "body-type-changed": 2,
        "parameter-required-added": 4,
        "parameter-now-required": 1,
        "header-required-added": 3,
        "parameter-removed": 10,
        "parameter-deprecated": 16,
        "url-parameter-removed": 1,
        "response-type-specialised": 1,
        "response-type-added": 2,
        "element-occurrence-changed": 1,
        "link-added": 98,
        "action-added": 18,
        "parameter-set-added": 2,
        "parameter-added": 132,
        "parameter-now-optional": 2,
        "header-added": 8,
        "url-parameter-added": 5,
        "type-added": 62,
        "root-element-added": 63,
        "element-added": 92,
        "attribute-added": 2,
    },
    ("3.5", "3.6"): {
        "link-removed": 2,
        "parameter-required-added": 5,
        "parameter-alternatives-removed": 1,
        "header-required-added": 79,
        "header-now-required": 3,
        "parameter-removed": 15,
        "parameter-deprecated": 5,
        "header-value-changed": 1,
        "url-parameter-removed": 8,
        "url-parameter-deprecated": 1,
        "response-type-specialised": 1,
        "element-occurrence-changed": 1,
        "link-added": 139,
        "action-added": 20,
        "parameter-added": 180,
        "parameter-now-optional": 3,
        "parameter-alternatives-added": 18,
        "header-added": 66,
        "url-parameter-added": 209,
        "type-added": 84,
        "root-element-added": 74,
        "element-added": 204,
        "attribute-added": 4,
    },
    ("3.6", "v3-on-4.x"): {
        "link-removed": 1,
        "parameter-alternatives-removed": 2,
        "parameter-removed": 27,
        "url-parameter-removed": 1,
        "element-occurrence-changed": 1,
    },
}


@pytest.mark.parametrize("pair", PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_real_upgrades_show_what_the_documents_say(
    diffs: dict[tuple[str, str], tuple[Change, ...]], pair: tuple[str, str]
) -> None:
    found = {change.id: change for change in diffs[pair]}
    for change_id, (severity, words) in FACTS[pair].items():
        assert change_id in found, f"{pair}: {change_id} missing"
        change = found[change_id]
        assert str(change.severity) == severity, change
        assert words in change.message, change
    assert dict(Counter(change.kind for change in diffs[pair])) == COUNTS[pair]
    assert len(found) == len(diffs[pair]), "every id is one change"


def test_the_api_prefix_and_variable_names_match_links(
    diffs: dict[tuple[str, str], tuple[Change, ...]], real: dict[str, tuple[Contract, Schema]]
) -> None:
    """3.3 serves under /api, 3.4 under /ovirt-engine/api; 3.5 names a variable
    {schedulingpolicie:id}, 3.6 {schedulingpolicy:id}: neither makes a link removed."""
    assert real["3.3"][0].prefix == "/api" and real["3.4"][0].prefix == "/ovirt-engine/api"
    removed = [c for c in diffs["3.3", "3.4"] if c.kind == "link-removed"]
    assert len(removed) == 4  # of 408 links
    assert any("{schedulingpolicie:id}" in link.href for link in real["3.5"][0].links)
    assert not [
        c for c in diffs["3.5", "3.6"] if "schedulingpolicies" in c.where and "link" in c.kind
    ]


@pytest.mark.parametrize("pair", PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_a_diff_read_backwards(
    diffs: dict[tuple[str, str], tuple[Change, ...]], pair: tuple[str, str]
) -> None:
    """What one direction removes, the other adds, at the same place."""
    old, new = pair
    for kind in ("link", "action", "type", "root-element", "element", "attribute"):
        for way, back in (("removed", "added"), ("added", "removed")):
            forth = {c.where for c in diffs[old, new] if c.kind == f"{kind}-{way}"}
            assert forth == {c.where for c in diffs[new, old] if c.kind == f"{kind}-{back}"}
    for kind in ("header", "url-parameter", "parameter"):
        gone = {c.where for c in diffs[old, new] if c.kind == f"{kind}-removed"}
        added = (f"{kind}-added", f"{kind}-required-added")
        assert gone == {c.where for c in diffs[new, old] if c.kind in added}


@settings(max_examples=25)
@given(data=st.data())
def test_routes_dropped_are_exactly_the_links_removed(
    real: dict[str, tuple[Contract, Schema]], data: st.DataObject
) -> None:
    """Drop any routes from the 3.6 contract: the diff names those, and nothing else."""
    contract = real["3.6"][0]
    keys = sorted({route_key(link) for link in contract.links})
    dropped = set(data.draw(st.lists(st.sampled_from(keys), max_size=30, unique=True)))
    kept = tuple(link for link in contract.links if route_key(link) not in dropped)
    changes = diff_contracts(contract, dataclasses.replace(contract, links=kept))
    assert {c.kind for c in changes} <= {"link-removed", "action-removed"}
    assert len(changes) == len(dropped)
    named = {change.where for change in changes}
    assert {route_key(x) for x in contract.links if f"{x.method} {x.href}" in named} == dropped


def test_a_contract_against_itself(real: dict[str, tuple[Contract, Schema]]) -> None:
    for version in VERSIONS:
        contract, schema = real[version]
        assert diff_contracts(contract, contract, schema, schema) == ()


def test_the_served_form_of_the_36_contract_compares_equal(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The embedded engine serves the 3.6 contract as an engine does (absolute hrefs, a
    <version>); fetched over HTTP into a contract folder, it diffs clean against the file."""
    rsdl, xsd = corpus / RSDL["3.6"], corpus / XSD["3.6"]
    engine = open_engine(rsdl, xsd)
    served = tmp_path / "served"
    served.mkdir()
    try:
        with EngineServer(engine.handle) as server:
            for query, name in (("rsdl", "rsdl.xml"), ("schema", "api.xsd")):
                (served / name).write_bytes(_get(f"{server.base_url}{engine.prefix}?{query}"))
    finally:
        engine.close()
    contract = contract_from_bytes((served / "rsdl.xml").read_bytes())
    assert contract.served_form and contract.version == "3.6"
    assert b'href="/ovirt-engine/api/vms"' in (served / "rsdl.xml").read_bytes()
    assert not load_contract(rsdl).served_form
    code = main(["diff", str(rsdl), str(served), "--format", "json"])
    out = capsys.readouterr().out
    assert code == 0 and json.loads(out) == {
        "changes": [],
        "counts": {"breaking": 0, "warning": 0, "info": 0},
    }


def _get(url: str) -> bytes:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=60)
    login = base64.b64encode(b"admin@internal:ovirt").decode()
    try:
        connection.request(
            "GET", f"{parts.path}?{parts.query}", headers={"Authorization": f"Basic {login}"}
        )
        response = connection.getresponse()
        body = response.read()
        assert response.status == 200, body[:200]
        return body
    finally:
        connection.close()


def test_a_contract_named_by_url_with_a_login(capsys: pytest.CaptureFixture[str]) -> None:
    """NEW as an engine URL: fetched through the transport, logged in with --engine-*."""
    rsdl, _ = bundled_contract()
    engine = open_engine(password="Sekr3t-9q")
    try:
        with EngineServer(engine.handle) as server:
            url = f"{server.base_url}{engine.prefix}"
            code = main(["diff", str(rsdl), url, "--engine-password", "Sekr3t-9q"])
            refused = main(["diff", str(rsdl), url, "--engine-password", "wrong"])
    finally:
        engine.close()
    out, err = capsys.readouterr()
    assert code == 0 and "no change" in out
    assert refused == 2 and "login refused" in err and "wrong" not in err


# -- every class of the catalogue, on a small contract pair of its own ------------------------


def link(
    href: str,
    rel: str = "get",
    method: str = "GET",
    *,
    headers: str = "",
    url: str = "",
    body: str = "",
    response: str | None = None,
) -> str:
    request = f"<http_method>{method}</http_method>"
    request += f"<headers>{headers}</headers>" if headers else ""
    request += f"<url><parameters_set>{url}</parameters_set></url>" if url else ""
    request += f"<body>{body}</body>"
    answer = f"<response><type>{response}</type></response>" if response else ""
    return f'<link href="{href}" rel="{rel}"><request>{request}</request>{answer}</link>'


def header(name: str, *, required: bool = False, value: str = "true|false") -> str:
    flag = str(required).lower()
    return f'<header required="{flag}"><name>{name}</name><value>{value}</value></header>'


def url_parameter(
    name: str,
    type_name: str = "xs:boolean",
    *,
    context: str = "matrix",
    required: bool = False,
    deprecated: bool = False,
) -> str:
    flags = "<deprecated>true</deprecated>" if deprecated else ""
    return (
        f'<parameter required="{str(required).lower()}" type="{type_name}" context="{context}">'
        f"<name>{name}</name><value>x</value>{flags}</parameter>"
    )


def body(type_name: str, *sets: str) -> str:
    return f"<type>{type_name}</type>" + "".join(
        f"<parameters_set>{s}</parameters_set>" for s in sets
    )


def parameter(
    name: str, type_name: str = "xs:string", *, required: bool = False, deprecated: bool = False
) -> str:
    flags = "<deprecated>true</deprecated>" if deprecated else ""
    return (
        f'<parameter required="{str(required).lower()}" type="{type_name}">'
        f"<name>{name}</name>{flags}</parameter>"
    )


def rsdl(*links: str, general: str = "", href: str = "?rsdl") -> Contract:
    top = f"<general><request><headers>{general}</headers></request></general>" if general else ""
    document = f'<rsdl href="{href}" rel="rsdl">{top}<links>{"".join(links)}</links></rsdl>'
    return contract_from_bytes(document.encode(), "<test>")


def xsd(*parts: str) -> Schema:
    namespace = 'xmlns:xs="http://www.w3.org/2001/XMLSchema"'
    return schema_from_bytes(f"<xs:schema {namespace}>{''.join(parts)}</xs:schema>".encode())


def complex_type(name: str, *elements: str, attributes: str = "") -> str:
    return (
        f'<xs:complexType name="{name}"><xs:sequence>{"".join(elements)}</xs:sequence>'
        f"{attributes}</xs:complexType>"
    )


def element(name: str, type_name: str = "xs:string", occurs: str = "") -> str:
    return f'<xs:element name="{name}" type="{type_name}" minOccurs="0" {occurs}/>'


def enumeration(name: str, *values: str) -> str:
    kids = "".join(f'<xs:enumeration value="{v}"/>' for v in values)
    restriction = f'<xs:restriction base="xs:string">{kids}</xs:restriction>'
    return f'<xs:simpleType name="{name}">{restriction}</xs:simpleType>'


@dataclass(frozen=True)
class Case:
    old: Contract
    new: Contract
    expected: frozenset[str]
    old_schema: Schema | None = None
    new_schema: Schema | None = None

    def changes(self) -> tuple[Change, ...]:
        return diff_contracts(self.old, self.new, self.old_schema, self.new_schema)


START = "vms/{vm:id}/start"
_A = "application/xml|json"

CASES = {
    "links": Case(
        rsdl(link("vms"), link(START, "start", "POST", body=body("Action"))),
        rsdl(link("hosts"), link("vms/{id}/stop", "stop", "POST", body=body("Action"))),
        frozenset(
            {
                "link-removed:GET vms",
                "action-removed:POST vms/{vm:id}/start",
                "link-added:GET hosts",
                "action-added:POST vms/{id}/stop",
            }
        ),
    ),
    "rels": Case(
        rsdl(link("vms/{vm:id}", "get")),
        rsdl(link("vms/{vm:id}", "show")),
        frozenset({"rel-removed:GET vms/{vm:id} (get)", "rel-added:GET vms/{vm:id} (show)"}),
    ),
    "bodies": Case(
        rsdl(
            link("vms/{vm:id}", "update", "PUT", body=body("VM")),
            link("vms/{vm:id}", "delete", "DELETE", body=body("Action")),
            link("vms/{vm:id}", "delete", "DELETE", body=body("Host")),
        ),
        rsdl(
            link("vms/{vm:id}", "update", "PUT", body=body("Host")),
            link("vms/{vm:id}", "delete", "DELETE", body=body("Action")),
            link("vms/{vm:id}", "delete", "DELETE", body=body("VM")),
        ),
        frozenset(
            {
                "body-type-changed:PUT vms/{vm:id}",
                "body-type-removed:DELETE vms/{vm:id} body Host",
                "body-type-added:DELETE vms/{vm:id} body VM",
            }
        ),
    ),
    "responses": Case(
        rsdl(
            link("vms", response="VMs"),
            link("hosts", response="Host"),
            link("hosts", response="Hosts"),
        ),
        rsdl(
            link("vms", response="Hosts"),
            link("hosts", response="Hosts"),
            link("hosts", response="Fault"),
        ),
        frozenset(
            {
                "response-type-changed:GET vms",
                "response-type-removed:GET hosts response Host",
                "response-type-added:GET hosts response Fault",
            }
        ),
    ),
    "a richer response type": Case(
        rsdl(link("images/{image:id}", response="BaseResource")),
        rsdl(link("images/{image:id}", response="Image")),
        frozenset({"response-type-specialised:GET images/{image:id}", "type-added:Image"}),
        xsd(complex_type("BaseResource", element("name"))),
        xsd(
            complex_type("BaseResource", element("name")),
            complex_type("Image", element("name"), element("size", "xs:long")),
        ),
    ),
    "headers": Case(
        rsdl(
            link(
                "vms",
                "add",
                "POST",
                headers=header("Expect", value="201-created")
                + header("Filter")
                + header("Correlation-Id", required=True)
                + header("Content-Type", value=_A),
            ),
            general=header("Session-TTL"),
        ),
        rsdl(
            link(
                "vms",
                "add",
                "POST",
                headers=header("Expect", value="202-accepted")
                + header("Correlation-Id")
                + header("Content-Type", required=True, value=_A)
                + header("Prefer", required=True)
                + header("All-Content"),
            )
        ),
        frozenset(
            {
                "header-value-changed:POST vms header Expect",
                "header-removed:POST vms header Filter",
                "header-now-optional:POST vms header Correlation-Id",
                "header-now-required:POST vms header Content-Type",
                "header-required-added:POST vms header Prefer",
                "header-added:POST vms header All-Content",
                "header-removed:* (every request) header Session-TTL",
            }
        ),
    ),
    "url parameters": Case(
        rsdl(
            link(
                "vms",
                url=url_parameter("max", "xs:int")
                + url_parameter("case_sensitive")
                + url_parameter("search", "xs:string", context="query", required=True)
                + url_parameter("all_content")
                + url_parameter("follow", "xs:string", required=True)
                + url_parameter("current"),
            )
        ),
        rsdl(
            link(
                "vms",
                url=url_parameter("max", "xs:long", context="query")
                + url_parameter("case_sensitive", deprecated=True, required=True)
                + url_parameter("search", "xs:string", context="query")
                + url_parameter("filter", required=True)
                + url_parameter("async")
                + url_parameter("current"),
            )
        ),
        frozenset(
            {
                "url-parameter-type-changed:GET vms url max",
                "url-parameter-moved:GET vms url max",
                "url-parameter-now-required:GET vms url case_sensitive",
                "url-parameter-deprecated:GET vms url case_sensitive",
                "url-parameter-now-optional:GET vms url search",
                "url-parameter-removed:GET vms url all_content",
                "url-parameter-removed:GET vms url follow",
                "url-parameter-required-added:GET vms url filter",
                "url-parameter-added:GET vms url async",
            }
        ),
    ),
    "parameters": Case(
        rsdl(
            link(
                "vms",
                "add",
                "POST",
                body=body(
                    "VM",
                    parameter("vm.name", required=True)
                    + parameter("vm.cluster.id|name", required=True)
                    + parameter("vm.memory", "xs:int")
                    + parameter("vm.cpu.cores", "xs:int", required=True)
                    + parameter("vm.description")
                    + parameter("vm.os.type")
                    + parameter("vm.template.id"),
                    parameter("vm.snapshot.id", required=True),
                ),
            )
        ),
        rsdl(
            link(
                "vms",
                "add",
                "POST",
                body=body(
                    "VM",
                    parameter("vmx.name", required=True)
                    + parameter("vm.cluster.id", required=True)
                    + parameter("vm.memory", "xs:long", required=True)
                    + parameter("vm.cpu.cores", "xs:int")
                    + parameter("vm.os.type", deprecated=True)
                    + parameter("vm.template.id|name")
                    + parameter("vm.placement.host.id", required=True)
                    + parameter("vm.comment"),
                    parameter("vm.initialization.cloud_init", "xs:boolean", required=True),
                ),
            )
        ),
        frozenset(
            {
                "parameter-alternatives-removed:POST vms body vm.cluster.id",
                "parameter-type-changed:POST vms body vm.memory",
                "parameter-now-required:POST vms body vm.memory",
                "parameter-now-optional:POST vms body vm.cpu.cores",
                "parameter-removed:POST vms body vm.description",
                "parameter-deprecated:POST vms body vm.os.type",
                "parameter-alternatives-added:POST vms body vm.template.id|name",
                "parameter-required-added:POST vms body vm.placement.host.id",
                "parameter-added:POST vms body vm.comment",
                "parameter-set-removed:POST vms body set(snapshot.id)",
                "parameter-set-added:POST vms body set(initialization.cloud_init)",
            }
        ),
    ),
    "types and global elements": Case(
        rsdl(),
        rsdl(),
        frozenset(
            {
                "type-removed:Tag",
                "type-added:Label",
                "root-element-removed:<tag>",
                "root-element-added:<label>",
                "root-element-renamed:<glusterhooks>",
                "root-element-type-changed:<host>",
            }
        ),
        xsd(
            complex_type("Tag"),
            complex_type("Host"),
            complex_type("Hooks"),
            '<xs:element name="tag" type="Tag"/><xs:element name="host" type="Host"/>',
            '<xs:element name="glusterhooks" type="Hooks"/>',
        ),
        xsd(
            complex_type("Label"),
            complex_type("Host"),
            complex_type("Hooks"),
            '<xs:element name="label" type="Label"/><xs:element name="host" type="Hooks"/>',
            '<xs:element name="gluster_hooks" type="Hooks"/>',
        ),
    ),
    "elements and attributes": Case(
        rsdl(),
        rsdl(),
        frozenset(
            {
                "element-removed:VM/origin",
                "element-added:VM/comment",
                "element-renamed:VM/overcommit",
                "element-type-changed:VM/memory",
                "element-occurrence-changed:VM/nics",
                "attribute-removed:VM@href",
                "attribute-added:VM@rel",
                "attribute-type-changed:VM@id",
                "attribute-occurrence-changed:VM@name",
                "attribute-to-element:VM@major",
                "element-to-attribute:VM/minor",
                "text-type-changed:Amount/text()",
            }
        ),
        xsd(
            complex_type(
                "VM",
                element("origin"),
                element("overcommit", "Overcommit"),
                element("memory", "xs:int"),
                element("nics", "Nic"),
                element("minor", "xs:int"),
                attributes='<xs:attribute name="href" type="xs:string"/>'
                '<xs:attribute name="id" type="xs:string"/>'
                '<xs:attribute name="name" type="xs:string"/>'
                '<xs:attribute name="major" type="xs:int"/>',
            ),
            complex_type("Overcommit"),
            complex_type("Nic"),
            '<xs:complexType name="Amount"><xs:simpleContent><xs:extension base="xs:int"/>'
            "</xs:simpleContent></xs:complexType>",
        ),
        xsd(
            complex_type(
                "VM",
                element("comment"),
                element("over_commit", "Overcommit"),
                element("memory", "xs:long"),
                element("nics", "Nic", 'maxOccurs="unbounded"'),
                element("major", "xs:int"),
                attributes='<xs:attribute name="rel" type="xs:string"/>'
                '<xs:attribute name="id" type="xs:long"/>'
                '<xs:attribute name="name" type="xs:string" use="required"/>'
                '<xs:attribute name="minor" type="xs:int"/>',
            ),
            complex_type("Overcommit"),
            complex_type("Nic"),
            '<xs:complexType name="Amount"><xs:simpleContent><xs:extension base="xs:long"/>'
            "</xs:simpleContent></xs:complexType>",
        ),
    ),
    "enumerations by direction": Case(
        rsdl(
            link(START, "start", "POST", body=body("Action", parameter("action.mode"))),
            link("vms/{vm:id}", response="VM"),
        ),
        rsdl(
            link(START, "start", "POST", body=body("Action", parameter("action.mode"))),
            link("vms/{vm:id}", response="VM"),
        ),
        frozenset(
            {
                "request-enum-value-removed:Mode=a",
                "request-enum-value-added:Mode=c",
                "response-enum-value-removed:State=down",
                "response-enum-value-added:State=paused",
                "request-enum-value-removed:Unused=x",
                "response-enum-value-removed:Unused=x",
            }
        ),
        xsd(
            complex_type("Action", element("mode", "Mode")),
            complex_type("VM", element("state", "State")),
            enumeration("Mode", "a", "b"),
            enumeration("State", "up", "down"),
            enumeration("Unused", "x", "y"),
        ),
        xsd(
            complex_type("Action", element("mode", "Mode")),
            complex_type("VM", element("state", "State")),
            enumeration("Mode", "b", "c"),
            enumeration("State", "up", "paused"),
            enumeration("Unused", "y"),
        ),
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_each_change_class(name: str) -> None:
    case = CASES[name]
    assert {change.id for change in case.changes()} == case.expected
    reverse = diff_contracts(case.new, case.old, case.new_schema, case.old_schema)
    assert len(reverse) >= 1  # and backwards there is something to say too


def test_every_class_has_a_case() -> None:
    shown = {change.kind for case in CASES.values() for change in case.changes()}
    assert shown == set(CATALOGUE)


def test_severities_are_judged_by_direction() -> None:
    changes = {change.id: change for change in CASES["enumerations by direction"].changes()}
    assert changes["request-enum-value-removed:Mode=a"].severity is Severity.BREAKING
    assert changes["response-enum-value-added:State=paused"].severity is Severity.WARNING
    assert changes["request-enum-value-added:Mode=c"].severity is Severity.INFO
    assert changes["response-enum-value-removed:State=down"].severity is Severity.INFO


def test_forms_prefixes_and_variable_names_are_not_changes() -> None:
    built = rsdl(link("vms/{vm:id}/nics/{nic:id}"), link("vms", "add", "POST", body=body("VM")))
    served = rsdl(
        link("/api/vms/{id}/nics/{nic_id}"),
        link("/api/vms", "add", "POST", body=body("VM")),
        href="/api?rsdl",
    )
    assert served.served_form and served.prefix == "/api"
    assert diff_contracts(built, served) == ()


# -- the renderings ------------------------------------------------------------------------

JUNIT_XSD = b"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="testsuites">
    <xs:complexType>
      <xs:sequence><xs:element ref="testsuite" maxOccurs="unbounded"/></xs:sequence>
      <xs:attributeGroup ref="counts"/>
    </xs:complexType>
  </xs:element>
  <xs:element name="testsuite">
    <xs:complexType>
      <xs:sequence><xs:element ref="testcase" minOccurs="0" maxOccurs="unbounded"/></xs:sequence>
      <xs:attributeGroup ref="counts"/>
    </xs:complexType>
  </xs:element>
  <xs:element name="testcase">
    <xs:complexType>
      <xs:choice minOccurs="0" maxOccurs="unbounded">
        <xs:element name="failure" type="problem"/>
        <xs:element name="error" type="problem"/>
        <xs:element name="skipped" type="problem"/>
        <xs:element name="system-out" type="xs:string"/>
        <xs:element name="system-err" type="xs:string"/>
      </xs:choice>
      <xs:attribute name="name" type="xs:string" use="required"/>
      <xs:attribute name="classname" type="xs:string" use="required"/>
      <xs:attribute name="time" type="xs:decimal"/>
    </xs:complexType>
  </xs:element>
  <xs:complexType name="problem">
    <xs:simpleContent>
      <xs:extension base="xs:string">
        <xs:attribute name="message" type="xs:string"/>
        <xs:attribute name="type" type="xs:string"/>
      </xs:extension>
    </xs:simpleContent>
  </xs:complexType>
  <xs:attributeGroup name="counts">
    <xs:attribute name="name" type="xs:string" use="required"/>
    <xs:attribute name="tests" type="xs:nonNegativeInteger" use="required"/>
    <xs:attribute name="failures" type="xs:nonNegativeInteger" use="required"/>
    <xs:attribute name="errors" type="xs:nonNegativeInteger"/>
    <xs:attribute name="skipped" type="xs:nonNegativeInteger"/>
    <xs:attribute name="time" type="xs:decimal"/>
  </xs:attributeGroup>
</xs:schema>"""


def _junit(text: str) -> etree._Element:
    """The document, valid against the JUnit schema CI tools read, its counts adding up."""
    root = etree.fromstring(text.encode())
    schema = etree.XMLSchema(etree.fromstring(JUNIT_XSD))
    assert schema.validate(root), schema.error_log
    suites = root.findall("testsuite")
    assert int(root.get("tests", "")) == sum(int(s.get("tests", "")) for s in suites)
    assert int(root.get("failures", "")) == sum(int(s.get("failures", "")) for s in suites)
    for suite in suites:
        cases = suite.findall("testcase")
        assert int(suite.get("tests", "")) == len(cases)
        assert int(suite.get("failures", "")) == sum(
            1 for c in cases if c.find("failure") is not None
        )
    return root


def test_junit_for_a_real_upgrade(diffs: dict[tuple[str, str], tuple[Change, ...]]) -> None:
    changes = diffs["3.5", "3.6"]
    root = _junit(as_junit(changes, "3.5", "3.6", Severity.BREAKING))
    breaking = [c for c in changes if c.severity is Severity.BREAKING]
    assert int(root.get("tests", "")) == len(changes)
    assert int(root.get("failures", "")) == len(breaking)
    suite = root.find("testsuite[@name='link-removed']")
    assert suite is not None
    case = suite.find("testcase[@name='DELETE vms/{vm:id}/cdroms/{cdrom:id}']")
    assert case is not None and case.get("classname") == "contracttest.diff.link-removed"
    failure = case.find("failure")
    assert failure is not None and failure.get("type") == "breaking"
    assert "link-removed:DELETE vms/{vm:id}/cdroms/{cdrom:id}" in (failure.text or "")
    warning = _junit(as_junit(changes, "3.5", "3.6", Severity.WARNING))
    assert int(warning.get("failures", "")) == sum(
        1 for c in changes if c.severity is not Severity.INFO
    )


def test_junit_of_no_change_has_one_passing_test() -> None:
    root = _junit(as_junit((), "a", "b", Severity.BREAKING))
    assert root.get("tests") == "1" and root.get("failures") == "0"


def test_text_fits_a_terminal_and_groups_by_class(
    diffs: dict[tuple[str, str], tuple[Change, ...]],
) -> None:
    for pair, changes in diffs.items():
        text = as_text(changes, f"/some/long/path/{'x' * 80}/rsdl.xml", pair[1])
        assert max(len(line) for line in text.splitlines()) <= WIDTH, pair
    text = as_text(diffs["3.3", "3.4"], "3.3", "3.4")
    lines = text.splitlines()
    assert lines[1] == "333 change(s): 9 breaking, 8 warning, 316 info"
    assert "breaking: 9" in lines and "info: 316" in lines
    assert any(line.startswith("  link-removed: 4 (") for line in lines)
    assert "    <glusterhooks>: now <gluster_hooks> (GlusterHooks)" in lines


def test_json_has_exactly_the_documented_keys(
    diffs: dict[tuple[str, str], tuple[Change, ...]],
) -> None:
    document = json.loads(as_json(diffs["3.4", "3.5"]))
    assert set(document) == {"changes", "counts"}
    assert set(document["counts"]) == {"breaking", "warning", "info"}
    assert sum(document["counts"].values()) == len(document["changes"]) == 525
    for change in document["changes"]:
        assert set(change) == {"id", "severity", "where", "message"}
        assert change["severity"] in {"breaking", "warning", "info"}
        assert change["id"] == f"{change['id'].split(':', 1)[0]}:{change['where']}"
        assert change["id"].split(":", 1)[0] in CATALOGUE


# -- the command ---------------------------------------------------------------------------


def diff_args(corpus: Path, old: str, new: str, *extra: str) -> list[str]:
    return [
        "diff",
        str(corpus / RSDL[old]),
        str(corpus / RSDL[new]),
        "--old-schema",
        str(corpus / XSD[old]),
        "--new-schema",
        str(corpus / XSD[new]),
        *extra,
    ]


@pytest.mark.parametrize(
    ("pair", "extra", "code"),
    [
        (("3.6", "3.6"), ("--fail-on", "info"), 0),
        (("3.6", "v3-on-4.x"), (), 1),
        (("3.6", "v3-on-4.x"), ("--fail-on", "warning"), 1),
        (("v3-on-4.x", "3.6"), (), 0),  # backwards: only additions and relaxations
        (("v3-on-4.x", "3.6"), ("--fail-on", "info"), 1),
    ],
)
def test_exit_status(
    capsys: pytest.CaptureFixture[str],
    corpus: Path,
    pair: tuple[str, str],
    extra: tuple[str, ...],
    code: int,
) -> None:
    assert main(diff_args(corpus, *pair, *extra)) == code, capsys.readouterr().err


def test_an_ignore_file_accepts_known_changes(
    capsys: pytest.CaptureFixture[str], corpus: Path, tmp_path: Path
) -> None:
    ignore = tmp_path / "accepted.txt"
    ignore.write_text(
        "# reviewed for the 4.x upgrade\n"
        "link-removed:DELETE templates/{id}/nics/{id}   # variable names do not matter\n"
        "parameter-alternatives-removed:POST clusters body cluster.scheduling_policy.id\n"
        "parameter-alternatives-removed:PUT datacenters/{datacenter:id}/clusters/{cluster:id}"
        " body cluster.scheduling_policy.id\n"
        "\n"
        "element-added\n"
        "link-removed:GET nowhere\n"
    )
    code = main(diff_args(corpus, "3.6", "v3-on-4.x", "--ignore", str(ignore), "--format", "json"))
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert code == 0, captured.err
    assert document["counts"] == {"breaking": 0, "warning": 29, "info": 0}
    assert "'link-removed:GET nowhere' accepts no change" in captured.err
    assert "'element-added' accepts no change" in captured.err


def test_ignore_entries() -> None:
    ignore = parse_ignore(b"link-removed:GET vms/{vm:id}\nelement-added # all\n", "f")
    assert ignore.accepts(Change("link-removed", "GET vms/{id}", ""))
    assert not ignore.accepts(Change("link-removed", "GET vms", ""))
    assert ignore.accepts(Change("element-added", "VM/x", ""))


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (
            b"link-remove:GET vms\n",
            "line 1: unknown change class 'link-remove' (did you mean 'link-removed'?)",
        ),
        (b"# ok\n\nGET vms/{vm:id}\n", "line 3: unknown change class 'GET vms/{vm'"),
        (b"\xff\xfe", "not an ignore file (not UTF-8 text)"),
        (b"link-removed:GET \x00vms\n", "line 1: not a change id"),
    ],
)
def test_a_bad_ignore_file(content: bytes, problem: str, tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        parse_ignore(content, "accepted.txt")
    assert str(caught.value).startswith(f"accepted.txt: {problem}")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["diff", "missing.xml", "{new}"], "missing.xml: no such file"),
        (["diff", "{old}", "{new}", "--format", "yaml"], "argument --format: invalid choice"),
        (["diff", "{old}", "{new}", "--fail-on", "error"], "argument --fail-on: invalid choice"),
        (["diff", "{old}"], "the following arguments are required: NEW"),
        (["diff", "{old}", "{new}", "--ignore", "{bad}"], "line 1: unknown change class 'nope'"),
        (["diff", "{old}", "{new}", "--ignore", "absent.txt"], "absent.txt: no such file"),
        (["diff", "{old}", "{new}", "--old-schema", "{bad}"], "not an XML schema"),
    ],
)
def test_usage_errors_are_one_line(
    capsys: pytest.CaptureFixture[str],
    corpus: Path,
    tmp_path: Path,
    args: list[str],
    words: str,
) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("nope\n")
    names = {"old": str(corpus / RSDL["3.6"]), "new": str(corpus / RSDL["3.6"]), "bad": str(bad)}
    assert main([arg.format(**names) for arg in args]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("contracttest: error: "), captured.err
    assert words in lines[0]
    assert captured.out == ""


def test_as_a_subprocess(corpus: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "contracttest", *diff_args(corpus, "3.3", "3.4")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "333 change(s): 9 breaking, 8 warning, 316 info" in done.stdout.splitlines()
    missing = subprocess.run(
        [sys.executable, "-m", "contracttest", "diff", "nowhere.xml", "elsewhere.xml"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert missing.returncode == 2
    assert missing.stderr == "contracttest: error: nowhere.xml: no such file\n"


def test_without_an_xsd_the_types_are_not_compared(
    capsys: pytest.CaptureFixture[str], corpus: Path, tmp_path: Path
) -> None:
    old = tmp_path / "old.xml"
    old.write_bytes((corpus / RSDL["3.3"]).read_bytes())  # no api.xsd beside it
    code = main(["diff", str(old), str(corpus / RSDL["3.4"]), "--format", "json"])
    captured = capsys.readouterr()
    assert code == 1
    assert "no XSD for OLD (--old-schema): entity types not compared" in captured.err
    kinds = {c["id"].split(":", 1)[0] for c in json.loads(captured.out)["changes"]}
    assert "link-removed" in kinds and "root-element-renamed" not in kinds


# -- the layers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "module", ["catalogue", "compare", "ignore", "parameters", "render", "routes", "schemas"]
)
def test_the_diff_core_is_pure(module: str) -> None:
    path = ROOT / "contracttest" / "diff" / f"{module}.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    bad = sorted(n for n in names for f in FORBIDDEN if n == f or n.startswith(f + "."))
    assert not bad, f"diff/{module}.py imports {bad}"


def test_the_benchmark_runs_once(corpus: Path) -> None:
    """``benchmarks/bench_diff.py`` runs and reports; its budget is its own to judge."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_diff.py"), "--repeat", "1"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    assert done.returncode in (0, 1), done.stdout + done.stderr
    assert "3.6 -> v3-on-4.x: 775 and 774 links, 32 changes" in done.stdout
    assert "diff_contracts" in done.stdout and "ms wall" in done.stdout

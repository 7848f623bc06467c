"""The RSDL contract model: every real RSDL loads, defects are normalised, bad input is refused."""

from __future__ import annotations

import dataclasses
import functools
import urllib.error
from collections.abc import Callable, Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler
from pathlib import Path

import pytest

from contracttest import Contract, ContractError, Link, load_contract
from contracttest.rsdl import DEFAULT_PREFIX, KNOWN_TYPES, Parameter, contract_from_bytes
from tests.assertions import assert_one_line_error
from tests.corpus_contracts import LINK_COUNTS, RSDL, XSD
from tests.loopback import serving

ALL_KEYS = tuple(RSDL)

#: contract key -> (prefix, version, served form)
FORMS: dict[str, tuple[str, str | None, bool]] = {
    "3.3": ("/api", "3.3", True),
    "3.4": ("/ovirt-engine/api", "3.4", True),
    "3.5": ("/ovirt-engine/api", "3.5", True),
    "3.6": ("/ovirt-engine/api", None, False),
    "v3-on-4.x": ("/ovirt-engine/api", "3.6", False),
    "gluster": ("/ovirt-engine/api", "3.6", False),
}


@functools.cache
def _load(path: str) -> Contract:
    return load_contract(path)


def real(corpus: Path, key: str) -> Contract:
    return _load(str(corpus / RSDL[key]))


def find_link(contract: Contract, method: str, href: str) -> Link:
    found = [link for link in contract.links if link.method == method and link.href == href]
    assert found, f"no {method} {href} in {contract.source}"
    return found[0]


def walk(parameters: tuple[Parameter, ...]) -> Iterator[Parameter]:
    """Every parameter, nested collection members included."""
    for parameter in parameters:
        yield parameter
        for nested in parameter.parameter_sets:
            yield from walk(nested.parameters)


def all_parameters(link: Link) -> Iterator[Parameter]:
    for parameter_set in link.parameter_sets:
        yield from walk(parameter_set.parameters)


def find_parameter(link: Link, name: str) -> Parameter:
    found = [p for p in all_parameters(link) if p.name == name]
    assert found, f"no parameter {name} in {link.describe()}"
    return found[0]


# --- the six real RSDLs ---------------------------------------------------------------------


@pytest.mark.parametrize("key", ALL_KEYS)
def test_real_rsdl_link_count(corpus: Path, key: str) -> None:
    assert len(real(corpus, key).links) == LINK_COUNTS[key]


def test_link_counts_are_the_documented_ones() -> None:
    assert LINK_COUNTS == {
        "3.3": 408,
        "3.4": 500,
        "3.5": 618,
        "3.6": 775,
        "v3-on-4.x": 774,
        "gluster": 236,
    }


@pytest.mark.parametrize("key", ALL_KEYS)
def test_real_rsdl_prefix_version_and_form(corpus: Path, key: str) -> None:
    contract = real(corpus, key)
    prefix, version, served = FORMS[key]
    assert (contract.prefix, contract.version, contract.served_form) == (prefix, version, served)
    assert contract.major == (3 if version else None)
    assert contract.source == str(corpus / RSDL[key])


@pytest.mark.parametrize("key", ALL_KEYS)
def test_real_rsdl_hrefs_are_relative_to_the_prefix(corpus: Path, key: str) -> None:
    contract = real(corpus, key)
    for link in contract.links:
        assert link.href, link
        assert not link.href.startswith("/"), link.href
        assert "://" not in link.href
        assert link.prefix == contract.prefix
        assert link.template == f"{contract.prefix}/{link.href}"
        assert link.method in {"GET", "POST", "PUT", "DELETE"}
        assert link.describe() == f"{link.method} {link.template} ({link.rel})"


def test_served_33_templates_use_the_api_alias(corpus: Path) -> None:
    link = find_link(real(corpus, "3.3"), "GET", "vms/{vm:id}")
    assert link.template == "/api/vms/{vm:id}"
    assert link.segments == ("vms", "{vm:id}")
    assert link.response_type == "VM"


@pytest.mark.parametrize("key", ALL_KEYS)
def test_real_rsdl_root_link_and_rels(corpus: Path, key: str) -> None:
    contract = real(corpus, key)
    root = contract.root_link
    assert (root.href, root.method, root.response_type) == ("", "GET", "API")
    assert root.template == contract.prefix
    assert root not in contract.links
    assert list(contract.rels) == sorted(set(contract.rels))
    assert {"get", "add", "delete", "update"} <= set(contract.rels)


@pytest.mark.parametrize("key", ALL_KEYS)
def test_real_rsdl_types_are_normalised(corpus: Path, key: str) -> None:
    """After reading, no type holds a sentence, a trailing comma or the boolen typo."""
    contract = real(corpus, key)
    types = {p.type for link in contract.links for p in all_parameters(link)}
    types |= {u.type for link in contract.links for u in link.url_parameters}
    assert not {t for t in types if " " in t or t.endswith(",") or t == "xs:boolen"}
    # the one remaining oddity ('xs.string', 3.6 era) is kept, and warned about
    assert types - KNOWN_TYPES <= {"xs.string"}


@pytest.mark.parametrize(
    ("key", "method", "href", "parameter", "declared", "read_as"),
    [
        pytest.param(
            "3.3",
            "POST",
            "storagedomains/{storagedomain:id}/vms/{vm:id}/import",
            "action.clone",
            "'xs:boolen'",
            "xs:boolean",
            id="3.3-boolen",
        ),
        pytest.param(
            "3.4",
            "PUT",
            "vms/{vm:id}/disks/{disk:id}",
            "description",
            "type attribute holds text",
            "xs:string",
            id="3.4-sentence",
        ),
        pytest.param(
            "3.5",
            "PUT",
            "vms/{vm:id}/disks/{disk:id}",
            "description",
            "type attribute holds text",
            "xs:string",
            id="3.5-sentence",
        ),
        pytest.param(
            "3.6",
            "PUT",
            "clusters/{cluster:id}",
            "cluster.version.minor",
            "'xs:int,'",
            "xs:int",
            id="3.6-int-comma",
        ),
        pytest.param(
            "gluster",
            "PUT",
            "clusters/{cluster:id}",
            "cluster.version.minor",
            "'xs:int,'",
            "xs:int",
            id="gluster-int-comma",
        ),
    ],
)
def test_real_defects_are_normalised_with_a_warning(
    corpus: Path, key: str, method: str, href: str, parameter: str, declared: str, read_as: str
) -> None:
    contract = real(corpus, key)
    link = find_link(contract, method, href)
    assert find_parameter(link, parameter).type == read_as
    where = f"{method} {href} ({link.rel}) parameter {parameter}"
    matching = [w for w in contract.warnings if where in w]
    assert matching, contract.warnings
    assert all(declared in w and repr(read_as) in w for w in matching)
    assert all(w.startswith(contract.source + ": ") and "\n" not in w for w in matching)


@pytest.mark.parametrize(
    ("key", "boolen", "sentence", "int_comma"),
    [
        ("3.3", 4, 0, 0),
        ("3.4", 4, 1, 0),
        ("3.5", 7, 1, 0),
        ("3.6", 7, 0, 1),
        ("v3-on-4.x", 7, 0, 1),
        ("gluster", 0, 0, 1),
    ],
)
def test_real_defect_warning_counts(
    corpus: Path, key: str, boolen: int, sentence: int, int_comma: int
) -> None:
    warnings = real(corpus, key).warnings
    assert sum("'xs:boolen'" in w for w in warnings) == boolen
    assert sum("type attribute holds text" in w for w in warnings) == sentence
    assert sum("'xs:int,'" in w for w in warnings) == int_comma


def test_id_or_name_alternatives_become_tuples(corpus: Path) -> None:
    link = find_link(real(corpus, "3.6"), "POST", "vms")
    assert link.rel == "add"
    assert (link.body_type, link.response_type) == ("VM", "VM")
    assert not link.is_action
    required = [p for ps in link.parameter_sets for p in ps.required]
    assert any(p.path[-1] == ("id", "name") for p in required)
    cluster = find_parameter(link, "vm.cluster.id|name")
    assert cluster.path == (("cluster",), ("id", "name"))
    assert cluster.required
    assert find_parameter(link, "vm.name").path == (("name",),)
    assert find_parameter(link, "vm.quota.id").path == (("quota",), ("id",))


def test_parameter_sets_are_overloads_with_descriptions(corpus: Path) -> None:
    link = find_link(real(corpus, "3.6"), "POST", "vms")
    assert len(link.parameter_sets) >= 2
    descriptions = [ps.description for ps in link.parameter_sets]
    assert "add a virtual machine to the system from scratch" in descriptions
    for parameter_set in link.parameter_sets:
        assert all(p.required for p in parameter_set.required)
        assert set(parameter_set.required) <= set(parameter_set.parameters)


def test_nested_collection_parameters_carry_parameter_sets(corpus: Path) -> None:
    link = find_link(real(corpus, "3.6"), "POST", "vms")
    boot = find_parameter(link, "vm.os.boot")
    assert boot.is_collection
    assert boot.path == (("os",), ("boot",))
    assert [p.name for ps in boot.parameter_sets for p in ps.parameters] == ["boot.dev"]
    assert boot.parameter_sets[0].parameters[0].path == (("dev",),)
    payload = find_parameter(link, "vm.payloads.payload")
    files = [p for ps in payload.parameter_sets for p in ps.parameters if p.is_collection]
    assert [f.name for f in files] == ["payload.files.file"]
    assert {p.name for ps in files[0].parameter_sets for p in ps.parameters} == {
        "file.name",
        "file.content",
    }
    snapshots = [
        p for ps in link.parameter_sets for p in ps.parameters if p.name == "vm.snapshots.snapshot"
    ]
    assert snapshots and snapshots[0].required
    assert snapshots[0].parameter_sets[0].required[0].name == "snapshot.id"


@pytest.mark.parametrize(("key", "deprecated"), [("3.3", 2), ("3.5", 21), ("3.6", 28)])
def test_deprecated_flags(corpus: Path, key: str, deprecated: int) -> None:
    contract = real(corpus, key)
    flagged = [p for link in contract.links for p in all_parameters(link) if p.deprecated]
    assert len(flagged) == deprecated


def test_deprecated_flag_of_one_parameter(corpus: Path) -> None:
    link = find_link(real(corpus, "3.6"), "POST", "vms")
    assert find_parameter(link, "vm.timezone").deprecated
    assert not find_parameter(link, "vm.time_zone.name").deprecated


@pytest.mark.parametrize("key", ["3.3", "3.6", "v3-on-4.x"])
def test_url_parameters_with_context(corpus: Path, key: str) -> None:
    contract = real(corpus, key)
    listing = find_link(contract, "GET", "vms")
    parameters = {u.name: (u.type, u.context, u.required) for u in listing.url_parameters}
    assert parameters == {
        "search": ("xs:string", "query", False),
        "case_sensitive": ("xs:boolean", "matrix", False),
        "max": ("xs:int", "matrix", False),
    }
    delete = find_link(contract, "DELETE", "vms/{vm:id}")
    assert [(u.name, u.context) for u in delete.url_parameters] == [("async", "matrix")]
    contexts = {u.context for link in contract.links for u in link.url_parameters}
    assert contexts == {"matrix", "query"}


@pytest.mark.parametrize("key", ["3.6", "3.3"])
def test_headers(corpus: Path, key: str) -> None:
    contract = real(corpus, key)
    assert "Session-TTL" in {h.name for h in contract.general_headers}
    add = find_link(contract, "POST", "vms")
    content_type = [h for h in add.headers if h.name == "Content-Type"]
    assert content_type and content_type[0].required
    assert content_type[0].value == "application/xml|json"


# --- a tiny RSDL of our own, in both forms ---------------------------------------------------

TINY = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<rsdl href="{R}?rsdl" rel="rsdl">
  <description>tiny</description>
  {VERSION}
  <schema href="{R}?schema" rel="schema"><name>ovirt-engine-api-schema.xsd</name></schema>
  <general href="{P}*" rel="*">
    <request><headers>
      <header required="false"><name>Session-TTL</name><value>minutes</value></header>
    </headers></request>
  </general>
  <links>
    <link href="{P}vms" rel="get">
      <description>list the virtual machines</description>
      <request>
        <http_method>GET</http_method>
        <headers><header required="false"><name>Filter</name><value>true|false</value></header>
        </headers>
        <url><parameters_set>
          <parameter context="query" required="false" type="xs:string">
            <name>search</name><value>search query</value></parameter>
          <parameter context="matrix" required="false" type="xs:int">
            <name>max</name><value>max results</value></parameter>
        </parameters_set></url>
        <body/>
      </request>
      <response><type>VMs</type></response>
    </link>
    <link href="{P}vms" rel="add">
      <request>
        <http_method>POST</http_method>
        <headers><header required="true"><name>Content-Type</name>
          <value>application/xml|json</value></header></headers>
        <body>
          <type>VM</type>
          <parameters_set>
            <description>from scratch</description>
            <parameter required="true" type="xs:string"><name>vm.name</name></parameter>
            <parameter required="true" type="xs:string"><name>vm.cluster.id|name</name></parameter>
            <parameter required="false" type="xs:string"><name>vm.timezone</name>
              <deprecated>true</deprecated></parameter>
            <parameter required="false" type="collection"><name>vm.os.boot</name>
              <parameters_set>
                <parameter required="true" type="xs:string"><name>boot.dev</name></parameter>
              </parameters_set>
            </parameter>
          </parameters_set>
        </body>
      </request>
      <response><type>VM</type></response>
    </link>
    <link href="{P}vms/{vm:id}" rel="get">
      <request><http_method>GET</http_method></request>
      <response><type>VM</type></response>
    </link>
    <link href="{P}vms/{vm:id}" rel="delete">
      <request>
        <http_method>DELETE</http_method>
        <url><parameters_set>
          <parameter context="matrix" required="false" type="xs:boolean">
            <name>async</name><value>true|false</value></parameter>
        </parameters_set></url>
      </request>
    </link>
    <link href="{P}vms/{vm:id}/start" rel="start">
      <request><http_method>POST</http_method><body><type>Action</type></body></request>
      <response><type>Action</type></response>
    </link>
  </links>
</rsdl>
"""

VERSION_41 = '<version major="4" minor="1" build="0" revision="0"/>'


def tiny(path_prefix: str, version: str = "") -> bytes:
    """The tiny RSDL with hrefs starting with ``path_prefix`` ('' for the build-time form)."""
    rsdl_base = path_prefix.rstrip("/")
    text = TINY.replace("{R}", rsdl_base).replace("{P}", path_prefix)
    return text.replace("{VERSION}", version).encode()


@pytest.mark.parametrize(
    ("hrefs", "prefix"),
    [
        pytest.param("/ovirt-engine/api/", "/ovirt-engine/api", id="ovirt-engine-api"),
        pytest.param("/api/", "/api", id="api-alias"),
        pytest.param(
            "https://engine.example.com:8443/ovirt-engine/api/", "/ovirt-engine/api", id="url"
        ),
    ],
)
def test_tiny_rsdl_served_and_build_time_forms_give_the_same_links(hrefs: str, prefix: str) -> None:
    served = contract_from_bytes(tiny(hrefs, VERSION_41), "served.xml")
    build = contract_from_bytes(tiny(""), "build.xml")
    assert (served.served_form, served.prefix, served.version) == (True, prefix, "4.1")
    assert (build.served_form, build.prefix, build.version) == (False, DEFAULT_PREFIX, None)
    assert served.major == 4 and build.major is None
    assert [dataclasses.replace(link, prefix=DEFAULT_PREFIX) for link in served.links] == list(
        build.links
    )
    assert all(link.prefix == prefix for link in served.links)
    assert served.general_headers == build.general_headers
    assert served.warnings == build.warnings == ()
    assert build.schema_href == "?schema"
    assert served.schema_href.endswith("api?schema")


def test_tiny_rsdl_model() -> None:
    contract = contract_from_bytes(tiny(""), "tiny.xml")
    assert [(link.method, link.href, link.rel) for link in contract.links] == [
        ("GET", "vms", "get"),
        ("POST", "vms", "add"),
        ("GET", "vms/{vm:id}", "get"),
        ("DELETE", "vms/{vm:id}", "delete"),
        ("POST", "vms/{vm:id}/start", "start"),
    ]
    listing, add, _, delete, start = contract.links
    assert listing.description == "list the virtual machines"
    assert [(h.name, h.required) for h in listing.headers] == [("Filter", False)]
    assert [(u.name, u.type, u.context) for u in listing.url_parameters] == [
        ("search", "xs:string", "query"),
        ("max", "xs:int", "matrix"),
    ]
    assert listing.body_type is None and listing.response_type == "VMs"
    assert add.body_type == "VM" and add.parameter_sets[0].description == "from scratch"
    assert [p.name for p in add.parameter_sets[0].required] == ["vm.name", "vm.cluster.id|name"]
    name, cluster, timezone, boot = add.parameter_sets[0].parameters
    assert cluster.path == (("cluster",), ("id", "name"))
    assert timezone.deprecated and not name.deprecated
    assert boot.is_collection and boot.parameter_sets[0].parameters[0].required
    assert delete.url_parameters[0].type == "xs:boolean"
    assert start.is_action and not add.is_action
    assert contract.rels == ("add", "delete", "get", "start")


def test_tiny_rsdl_from_a_file_path_and_a_str(tmp_path: Path) -> None:
    path = tmp_path / "tiny.xml"
    path.write_bytes(tiny(""))
    assert load_contract(path).links == load_contract(str(path)).links
    assert load_contract(path).source == str(path)


@pytest.mark.parametrize(
    ("declared", "read_as", "warning"),
    [
        ("xs:boolen", "xs:boolean", "a typo in the RSDL"),
        ("xs:int,", "xs:int", "a typo in the RSDL"),
        ("xs:string;", "xs:string", "a typo in the RSDL"),
        ("the size of the disk", "xs:string", "type attribute holds text"),
        ("", "xs:string", "type attribute holds text"),
        ("xs:duration", "xs:duration", "unknown type"),
        ("xs:long", "xs:long", None),
        ("collection", "collection", None),
    ],
)
def test_tiny_rsdl_type_normalisation(declared: str, read_as: str, warning: str | None) -> None:
    doc = tiny("").replace(
        b'type="xs:string"><name>vm.name', f'type="{declared}"><name>vm.name'.encode()
    )
    contract = contract_from_bytes(doc, "typo.xml")
    assert contract.links[1].parameter_sets[0].parameters[0].type == read_as
    if warning is None:
        assert contract.warnings == ()
    else:
        assert len(contract.warnings) == 1
        assert contract.warnings[0].startswith("typo.xml: POST vms (add) parameter vm.name: ")
        assert warning in contract.warnings[0]


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def http_base(tmp_path: Path) -> Iterator[str]:
    """An HTTP server on 127.0.0.1 serving ``tmp_path`` (with the tiny RSDL as rsdl.xml)."""
    (tmp_path / "rsdl.xml").write_bytes(tiny("/ovirt-engine/api/", VERSION_41))
    with serving(partial(_QuietHandler, directory=str(tmp_path))) as base:
        yield base


def _close_http_error(error: BaseException) -> bool:
    """Close the HTTP error response chained to ``error``; whether it was still open."""
    context = error.__context__
    if isinstance(context, urllib.error.HTTPError) and context.fp is not None:
        was_open = not context.fp.closed
        context.close()
        return was_open
    return False


def test_rsdl_over_http(http_base: str) -> None:
    contract = load_contract(f"{http_base}/rsdl.xml")
    assert (len(contract.links), contract.version, contract.served_form) == (5, "4.1", True)
    assert contract.source == f"{http_base}/rsdl.xml"
    with pytest.raises(ContractError) as caught:
        load_contract(f"{http_base}/missing.xml")
    _close_http_error(caught.value)
    message = str(caught.value)
    assert message.startswith(f"{http_base}/missing.xml: cannot fetch")
    assert "404" in message and "\n" not in message


def test_failed_fetch_leaves_no_open_response(http_base: str) -> None:
    """An HTTP error is closed, not kept open (with its socket) behind the ContractError."""
    with pytest.raises(ContractError) as caught:
        load_contract(f"{http_base}/missing.xml")
    assert not _close_http_error(caught.value)


# --- input that is not an RSDL --------------------------------------------------------------

Maker = Callable[[pytest.FixtureRequest, Path], Path]


def _xsd(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    corpus: Path = request.getfixturevalue("corpus")
    return corpus / XSD["3.6"]


def _cassette(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    corpus: Path = request.getfixturevalue("corpus")
    return sorted((corpus / "cassettes" / "vcrpy").glob("*.yml"))[0]


def _write(data: bytes) -> Maker:
    def make(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
        path = tmp_path / "input.xml"
        path.write_bytes(data)
        return path

    return make


NOT_RSDL: dict[str, tuple[Maker, str]] = {
    "xsd": (_xsd, "root element is <schema>"),
    "cassette": (_cassette, "not well-formed XML"),
    "garbage": (_write(b"garbage \x00\xff\xfe not xml at all"), "not well-formed XML"),
    "empty": (_write(b""), "not well-formed XML"),
    "blank": (_write(b"  \n\n"), "not well-formed XML"),
    "truncated": (_write(b"<rsdl><links><link href='vms'>"), "not well-formed XML"),
    "no-links": (_write(b'<rsdl href="?rsdl"><description/></rsdl>'), "no <links> element"),
    "namespaced": (
        _write(b'<x:rsdl xmlns:x="urn:other"><links/></x:rsdl>'),
        "not an RSDL document",
    ),
    "html": (_write(b"<html><body>Unauthorized</body></html>"), "root element is <html>"),
    "entities": (
        _write(b'<!DOCTYPE rsdl [<!ENTITY x "y">]><rsdl><links/></rsdl>'),
        "declares XML entities",
    ),
    "missing": (lambda request, tmp_path: tmp_path / "absent.xml", "no such file"),
    "directory": (lambda request, tmp_path: tmp_path, "is a directory"),
}


@pytest.mark.parametrize("case", list(NOT_RSDL))
def test_not_an_rsdl_raises_one_line_contract_error(
    request: pytest.FixtureRequest, tmp_path: Path, case: str
) -> None:
    make, problem = NOT_RSDL[case]
    source = make(request, tmp_path)
    with pytest.raises(ContractError) as caught:
        load_contract(source)
    assert_one_line_error(caught.value, str(source), problem)

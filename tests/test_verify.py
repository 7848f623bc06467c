"""``contracttest verify``: the differential replay, over real HTTP on loopback.

A suite of our own is recorded through contracttest's recording (``RecordingCassette``, a
real vcrpy cassette file) against the embedded engine impersonating a 3.5 engine (the corpus
3.5 RSDL and XSD; a v3 client logging in with Basic, as the v3 SDK does), and another against
the bundled v4 contract (SSO, as ovirtsdk4 does). ``verify`` replays them:

* against a fresh engine of the same contract: nothing differs (new ids, hrefs, dates,
  statistics and job ids are masked, and the ids of what the replay creates are mapped);
* against the engine impersonating 3.6: the differences listed in ``HAND_CHECKED_36``, each
  looked up by hand in the corpus 3.5 and 3.6 RSDL and XSD (the comment beside it says where);
* against engines broken on purpose (``open_engine(defects=[...])``): each defect shows as
  the breaking difference ``DEFECTS`` names.

Then the outputs (JUnit parsed against a JUnit schema, text in 100 columns, the JSON keys),
usage errors (one line, exit status 2), secrets, and the per-exchange API the plugin uses.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from lxml import etree

from contracttest.api import Engine as Api
from contracttest.cassette import load_cassette
from contracttest.cli import main
from contracttest.client import Client
from contracttest.compare import Comparer
from contracttest.engine import DEFAULT_PASSWORD, EngineServer, open_engine
from contracttest.recording import RecordingCassette
from contracttest.verify.replay import Replayer
from contracttest.xmlsafe import parse
from tests.corpus_contracts import RSDL, XSD

ADMIN = "admin@internal"
ROOT = Path(__file__).resolve().parent.parent
DIFFERENCE_KEYS = {
    "kind", "cassette", "index", "method", "uri", "xpath", "recorded", "received", "message",
}  # fmt: skip

Suite = Callable[[Api], None]


# -- the recorded suites -------------------------------------------------------------------


def suite_v3(api: Api) -> None:
    """What a v3 client does: reads the collections, makes a VM with a NIC, a disk and a
    CD-ROM, starts and stops it, fails an add, deletes what it made."""
    api.get("")
    for collection in ("clusters", "datacenters", "hosts", "storagedomains", "networks",
                       "templates", "tags", "roles", "users", "vnicprofiles"):  # fmt: skip
        api.request("GET", collection)
    host = api.list("hosts")[0].get("id")
    for path in (f"hosts/{host}", f"hosts/{host}/nics", f"hosts/{host}/statistics"):
        api.request("GET", path)
    vm = api.add("vms", "<vm><name>web</name><cluster><name>Default</name></cluster>"
                 "<template><name>Blank</name></template><description>first</description>"
                 "<memory>1073741824</memory></vm>").get("id")  # fmt: skip
    api.get(f"vms/{vm}")
    api.update(f"vms/{vm}", "<vm><description>second</description></vm>")
    nic = api.add(f"vms/{vm}/nics", "<nic><name>nic1</name><interface>virtio</interface></nic>")
    api.request("GET", f"vms/{vm}/nics")
    api.request("GET", f"vms/{vm}/nics/{nic.get('id')}/statistics")
    api.request("POST", f"vms/{vm}/disks", "<disk><name>d1</name><provisioned_size>1073741824"
                "</provisioned_size><interface>virtio</interface><format>cow</format>"
                "<storage_domains><storage_domain><name>data1</name></storage_domain>"
                "</storage_domains></disk>")  # fmt: skip
    api.request("GET", f"vms/{vm}/disks")
    cdrom = api.add(f"vms/{vm}/cdroms", "<cdrom><file id='rhel.iso'/></cdrom>").get("id")
    api.request("DELETE", f"vms/{vm}/cdroms/{cdrom}")
    api.request("GET", f"vms/{vm}/cdroms")
    api.action(f"vms/{vm}", "start")
    api.get(f"vms/{vm}")
    api.request("GET", f"vms/{vm}/statistics")
    api.request("GET", "vms", search="name=web*")
    api.action(f"vms/{vm}", "stop")
    api.request("POST", "vms", "<vm><name>nocluster</name></vm>")
    api.request("DELETE", f"vms/{vm}/nics/{nic.get('id')}")
    api.request("DELETE", f"vms/{vm}")
    api.request("GET", f"vms/{vm}")


def suite_v4(api: Api) -> None:
    """What ovirtsdk4 does (SSO login): a VM's life, a refused add, reads after the delete."""
    api.get("")
    vm = api.add("vms", "<vm><name>web</name><cluster><name>Default</name></cluster>"
                 "<template><name>Blank</name></template><description>first</description>"
                 "<comment>c</comment></vm>").get("id")  # fmt: skip
    api.get(f"vms/{vm}")
    api.update(f"vms/{vm}", "<vm><description>second</description></vm>")
    api.get(f"vms/{vm}")
    nic = api.add(f"vms/{vm}/nics", "<nic><name>nic1</name></nic>").get("id")
    api.request("GET", f"vms/{vm}/nics/{nic}")
    api.action(f"vms/{vm}", "start")
    api.get(f"vms/{vm}")
    api.request("GET", "vms", search="name=web")
    api.action(f"vms/{vm}", "stop")
    api.request("POST", "vms", "<vm><name>nocluster</name></vm>")
    api.request("DELETE", f"vms/{vm}")
    api.request("GET", f"vms/{vm}")
    api.request("GET", f"vms/{vm}/nics/{nic}")
    api.request("GET", "vms", search="name=web")


@contextmanager
def serving(
    contract: Path | None = None, schema: Path | None = None, **options: Any
) -> Iterator[str]:
    """An embedded engine on a free loopback port; yields its API URL."""
    engine = open_engine(contract, schema, **options)
    try:
        with EngineServer(engine.handle) as server:
            yield f"{server.base_url}{engine.prefix}"
    finally:
        engine.close()


def record(path: Path, url: str, suite: Suite, *, login: str, version: int) -> Path:
    """Record ``suite`` against ``url`` into the cassette ``path`` (contracttest's recording:
    scrubbed, atomic, with its provenance)."""
    with RecordingCassette.use(path=str(path), mode="all", display=path.name):
        client = Client(url, ADMIN, DEFAULT_PASSWORD, login=login, version=version, keep=False)
        api = Api(client, live=True)
        suite(api)
        api.close()
    return path


@pytest.fixture(scope="module")
def contract35(corpus: Path) -> tuple[Path, Path]:
    return corpus / RSDL["3.5"], corpus / XSD["3.5"]


@pytest.fixture(scope="module")
def contract36(corpus: Path) -> tuple[Path, Path]:
    return corpus / RSDL["3.6"], corpus / XSD["3.6"]


@pytest.fixture(scope="module")
def cassette35(tmp_path_factory: pytest.TempPathFactory, contract35: tuple[Path, Path]) -> Path:
    path = tmp_path_factory.mktemp("verify") / "suite35.yaml"
    with serving(*contract35) as url:
        return record(path, url, suite_v3, login="basic", version=3)


@pytest.fixture(scope="module")
def cassette_v4(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("verify") / "suite4.yaml"
    with serving() as url:
        return record(path, url, suite_v4, login="sso", version=4)


def verify(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``contracttest verify ARGS`` in-process: (exit status, stdout, stderr)."""
    code = main(["verify", *args])
    out, err = capsys.readouterr()
    return code, out, err


def verify_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code, out, err = verify(capsys, *args, "--format", "json")
    assert code in (0, 1), err
    document = json.loads(out)
    assert isinstance(document, dict)
    return code, document


def against36(contract36: tuple[Path, Path]) -> tuple[str, ...]:
    return "--against", "sandbox", "--contract", str(contract36[0]), "--schema", str(contract36[1])


# -- 1. the same engine, then 3.6 ----------------------------------------------------------


def test_a_fresh_engine_of_the_same_version_shows_no_difference(
    capsys: pytest.CaptureFixture[str], cassette35: Path, contract35: tuple[Path, Path]
) -> None:
    rsdl, xsd = contract35
    code, document = verify_json(
        capsys, str(cassette35), "--against", "sandbox", "--contract", str(rsdl), "--schema",
        str(xsd), "--fail-on", "compatible",
    )  # fmt: skip
    assert document["differences"] == [] and document["violations"] == []
    assert document["counts"] == {"breaking": 0, "compatible": 0}
    assert document["exchanges"] == len(load_cassette(cassette35).exchanges) == 35
    assert code == 0


def test_the_noise_was_there_and_was_masked(
    cassette35: Path, contract35: tuple[Path, Path]
) -> None:
    """Per exchange, through the API the plugin uses: the new engine's bodies differ from the
    recorded ones byte for byte (new ids, hrefs, statistics, job ids), the replay maps the ids
    of what it created, and nothing differs by meaning."""
    cassette = load_cassette(cassette35)
    recorded_time = parse(cassette.exchanges[0].response.body).findtext("time") or ""
    recorded_second = datetime.fromisoformat(recorded_time).timestamp()
    while time.time() < recorded_second + 1:  # a second at least between the two <time>s
        time.sleep(0.05)
    with serving(*contract35) as url:
        client = Client(url, ADMIN, DEFAULT_PASSWORD, login="basic", version=3, keep=False)
        replayer = Replayer(client, Comparer())
        replayed = [replayer.replay(exchange) for exchange in cassette.exchanges]
        client.close()
    assert all(r is not None and r.found == [] for r in replayed)
    changed = [r for r in replayed if r is not None and r.received.response.body != (
        r.recorded.response.body)]  # fmt: skip
    assert len(changed) >= 15
    root = replayed[0]
    assert root is not None and parse(root.received.response.body).findtext("time") != (
        recorded_time
    )  # the API root's <time>, an xs:dateTime: masked
    assert root.received.response.header("date") != root.recorded.response.header("date")
    recorded_vm = next(e for e in cassette.exchanges if e.request.method == "POST")
    vm_id = recorded_vm.response.body.split(b' id="', 1)[1].split(b'"', 1)[0].decode()
    new_id = replayer.comparer.ids.get(vm_id)
    assert new_id is not None and new_id != vm_id
    assert len(replayer.comparer.ids) >= 4  # the VM, its NIC, disk and CD-ROM (and jobs)
    deleted = replayed[-2]
    assert deleted is not None and new_id in deleted.received.request.uri  # mapped, not replayed


#: The differences between what the embedded engine answers the v3 suite as 3.5 and as 3.6,
#: each looked up by hand: (method, end of the recorded path, kind, xpath, message, verdict).
HAND_CHECKED_36 = {
    # rsdl_3.6 has no DELETE link for vms/{vm:id}/cdroms/{cdrom:id} (3.5 has one): 405 now
    ("DELETE", "/vms/{id}/cdroms/{id}", "breaking", "status", "a fault where there was success",
     "announced"),
    # the seeded Default cluster's compatibility version is the engine's own: 3.5 -> 3.6 (a
    # fresh engine's data, not an upgraded one's: a real upgrade keeps 3.5 until changed)
    ("GET", "/clusters", "breaking", "/clusters/cluster/version/@minor", "the value changed",
     "unannounced"),
    # rsdl_3.6 adds POST clusters/{cluster:id}/resetemulatedmachine: the cluster has actions
    ("GET", "/clusters", "compatible", "/clusters/cluster/actions", "element <actions> added",
     "announced"),
    # rsdl_3.6 adds the top-level collections icons, operatingsystems and macpools
    ("GET", "/api", "compatible", "/api/link[@rel='icons']", "<link> added to the list",
     "announced"),
    ("GET", "/api", "compatible", "/api/link[@rel='operatingsystems']",
     "<link> added to the list", "announced"),
    ("GET", "/api", "compatible", "/api/link[@rel='macpools']", "<link> added to the list",
     "announced"),
    # rsdl_3.6 adds the VM actions freezefilesystems and thawfilesystems, and hostdevices
    ("GET", "/vms/{id}", "compatible", "/vm/actions/link[@rel='freezefilesystems']",
     "<link> added to the list", "announced"),
    ("GET", "/vms/{id}", "compatible", "/vm/actions/link[@rel='thawfilesystems']",
     "<link> added to the list", "announced"),
    ("GET", "/vms/{id}", "compatible", "/vm/link[@rel='hostdevices']",
     "<link> added to the list", "announced"),
    # rsdl_3.6 adds hosts/{host:id}/networkattachments and the setupnetworks action
    ("GET", "/hosts/{id}", "compatible", "/host/link[@rel='networkattachments']",
     "<link> added to the list", "announced"),
    ("GET", "/hosts/{id}", "compatible", "/host/actions/link[@rel='setupnetworks']",
     "<link> added to the list", "announced"),
    # api_3.6.xsd adds <vms> to Disk (the VMs a disk is attached to): the engine fills it
    ("POST", "/vms/{id}/disks", "compatible", "/disk/vms", "element <vms> added", "announced"),
    # the CD-ROM the 3.6 engine would not delete is still listed
    ("GET", "/vms/{id}/cdroms", "compatible", "/cdroms/cdrom", "element <cdrom> added",
     "announced"),
}  # fmt: skip


def _generic(uri: str) -> str:
    """The end of a request path with its ids as ``{id}``: ``.../vms/{id}/disks``."""
    path = uri.split("?", 1)[0].split("/ovirt-engine", 1)[-1].removeprefix("/api")
    parts = ["{id}" if len(p) == 36 and p.count("-") == 4 else p for p in path.split("/")]
    return "/".join(parts) or "/api"


def _seen(document: dict[str, Any]) -> set[tuple[str, ...]]:
    return {
        (d["method"], _generic(d["uri"]), d["kind"], d["xpath"], d["message"], d["contract"])
        for d in document["differences"]
    }


def test_a_3_5_suite_against_3_6_lists_the_real_differences(
    capsys: pytest.CaptureFixture[str], cassette35: Path, contract36: tuple[Path, Path]
) -> None:
    code, document = verify_json(capsys, str(cassette35), *against36(contract36))
    assert code == 1  # breaking differences, and --fail-on breaking by default
    seen = _seen(document)
    breaking = {d for d in seen if d[2] == "breaking"}
    assert breaking == {d for d in HAND_CHECKED_36 if d[2] == "breaking"}
    assert seen >= HAND_CHECKED_36
    compatible = [d for d in document["differences"] if d["kind"] == "compatible"]
    assert len(compatible) > 40 and all(d["contract"] == "announced" for d in compatible)
    assert document["counts"] == {"breaking": 2, "compatible": len(compatible)}
    # the 3.6 engine answers the 405 without a <fault>: it breaks its own contract there
    assert [v["rule"] for v in document["violations"]] == ["response.fault"]


def test_the_contract_the_engine_serves_classifies_when_none_is_given(
    capsys: pytest.CaptureFixture[str], cassette35: Path, contract36: tuple[Path, Path]
) -> None:
    """``--against URL`` without ``--contract``: the engine's ``?rsdl`` and ``?schema`` are
    fetched in the recording's API version, through the replay's own login."""
    with serving(*contract36, password="An0ther-pw") as url:
        code, document = verify_json(
            capsys, str(cassette35), "--against", url, "--engine-password", "An0ther-pw"
        )
    assert code == 1 and document["contract"] == f"served by {url}"
    assert _seen(document) >= HAND_CHECKED_36


# -- 2. defects ----------------------------------------------------------------------------

#: defect -> a difference it must cause: (method, end of path, xpath, message, verdict).
DEFECTS = {
    "wrong-status": ("POST", "/vms", "status", "the status changed", "violated"),
    "add-drops-field": ("POST", "/vms", "/vm/description", "element <description> removed",
                        "unannounced"),
    "update-ignores-field": ("PUT", "/vms/{id}", "/vm/description", "the value changed",
                             "unannounced"),
    "delete-leaves-entity": ("GET", "/vms/{id}", "status", "success where there was a fault",
                             "violated"),
    "orphan-subresources": ("GET", "/vms/{id}/nics/{id}", "status",
                            "success where there was a fault", "violated"),
    "missing-location": ("POST", "/vms", "header:Location", "header Location removed",
                         "violated"),
    "wrong-href": ("GET", "/vms/{id}", "/vm/@href", "the href leads elsewhere (ids aside)",
                   "violated"),
    "lifecycle-stuck": ("GET", "/vms/{id}", "/vm/status", "the value changed", "unannounced"),
    "no-fault-detail": ("POST", "/vms", "/fault/detail", "the value changed", "unannounced"),
}  # fmt: skip


def test_the_sound_engine_shows_no_difference(
    capsys: pytest.CaptureFixture[str], cassette_v4: Path
) -> None:
    with serving() as url:
        code, document = verify_json(capsys, str(cassette_v4), "--against", url,
                                     "--engine-password", DEFAULT_PASSWORD, "--fail-on",
                                     "compatible")  # fmt: skip
    assert code == 0 and document["differences"] == [] and document["violations"] == []
    assert document["skipped_logins"] == 2  # the recorded SSO login and logout
    assert document["exchanges"] == len(load_cassette(cassette_v4).exchanges) - 2


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_a_defect_is_a_breaking_difference(
    capsys: pytest.CaptureFixture[str], cassette_v4: Path, defect: str
) -> None:
    with serving(defects=[defect]) as url:
        code, document = verify_json(
            capsys, str(cassette_v4), "--against", url, "--engine-password", DEFAULT_PASSWORD
        )
    assert code == 1
    method, path, xpath, message, verdict = DEFECTS[defect]
    assert (method, path, "breaking", xpath, message, verdict) in _seen(document), document


def test_a_stale_search_is_an_entity_added_to_a_list(
    capsys: pytest.CaptureFixture[str], cassette_v4: Path
) -> None:
    """The last search, after the delete, still finds the VM: one more entity in a list is
    compatible (a real engine lists other users' VMs too), so it fails ``--fail-on
    compatible`` and not the default."""
    with serving(defects=["search-stale"]) as url:
        # a broken engine says so in its product name: masked here, to see the rest
        args = (str(cassette_v4), "--against", url, "--engine-password", DEFAULT_PASSWORD,
                "--mask", "/api/product_info/name")  # fmt: skip
        code, document = verify_json(capsys, *args)
        strict, _ = verify_json(capsys, *args, "--fail-on", "compatible")
    added = ("GET", "/vms", "compatible", "/vms/vm", "element <vm> added", "announced")
    assert _seen(document) == {added}
    assert (code, strict) == (0, 1)


# -- 3. outputs and errors ------------------------------------------------------------------

#: JUnit's XML shape as CI servers read it (after Jenkins' junit-10.xsd): what they require.
JUNIT_XSD = b"""<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="testsuites">
    <xs:complexType><xs:sequence>
      <xs:element ref="testsuite" minOccurs="0" maxOccurs="unbounded"/>
    </xs:sequence>
      <xs:attribute name="name" type="xs:string"/>
      <xs:attribute name="tests" type="xs:nonNegativeInteger"/>
      <xs:attribute name="failures" type="xs:nonNegativeInteger"/>
      <xs:attribute name="errors" type="xs:nonNegativeInteger"/>
    </xs:complexType>
  </xs:element>
  <xs:element name="testsuite">
    <xs:complexType><xs:sequence>
      <xs:element ref="testcase" minOccurs="0" maxOccurs="unbounded"/>
    </xs:sequence>
      <xs:attribute name="name" type="xs:string" use="required"/>
      <xs:attribute name="tests" type="xs:nonNegativeInteger" use="required"/>
      <xs:attribute name="failures" type="xs:nonNegativeInteger"/>
      <xs:attribute name="errors" type="xs:nonNegativeInteger"/>
      <xs:attribute name="skipped" type="xs:nonNegativeInteger"/>
    </xs:complexType>
  </xs:element>
  <xs:element name="testcase">
    <xs:complexType><xs:sequence>
      <xs:element name="failure" minOccurs="0" maxOccurs="unbounded">
        <xs:complexType><xs:simpleContent><xs:extension base="xs:string">
          <xs:attribute name="message" type="xs:string"/>
          <xs:attribute name="type" type="xs:string"/>
        </xs:extension></xs:simpleContent></xs:complexType>
      </xs:element>
      <xs:element name="system-out" type="xs:string" minOccurs="0"/>
    </xs:sequence>
      <xs:attribute name="name" type="xs:string" use="required"/>
      <xs:attribute name="classname" type="xs:string" use="required"/>
    </xs:complexType>
  </xs:element>
</xs:schema>"""


def test_the_junit_report_parses_with_a_case_per_exchange(
    capsys: pytest.CaptureFixture[str], cassette35: Path, contract36: tuple[Path, Path]
) -> None:
    code, out, err = verify(capsys, str(cassette35), *against36(contract36), "--format", "junit")
    assert code == 1, err
    root = etree.fromstring(out.encode())
    etree.XMLSchema(etree.fromstring(JUNIT_XSD)).assertValid(root)
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [str(cassette35)]
    cases = suites[0].findall("testcase")
    assert len(cases) == int(suites[0].get("tests", "")) == 35 == int(root.get("tests", ""))
    failed = [c for c in cases if c.find("failure") is not None]
    assert len(failed) == 2 == int(suites[0].get("failures", ""))
    messages = sorted(c.find("failure").get("message", "") for c in failed)  # type: ignore[union-attr]
    assert messages == [
        "1 breaking difference(s): a fault where there was success",
        "1 breaking difference(s): the value changed",
    ]
    only_compatible = [
        c for c in cases if c.find("failure") is None and c.find("system-out") is not None
    ]
    assert only_compatible and "[compatible]" in (only_compatible[0].findtext("system-out") or "")
    import xml.etree.ElementTree as ElementTree  # the standard library's parser agrees

    assert ElementTree.fromstring(out).tag == "testsuites"


def test_the_text_report_fits_a_100_column_terminal(
    capsys: pytest.CaptureFixture[str], cassette35: Path, contract36: tuple[Path, Path]
) -> None:
    code, out, _ = verify(capsys, str(cassette35), *against36(contract36))
    assert code == 1
    lines = out.splitlines()
    assert max(map(len, lines)) <= 100
    assert "  [breaking] status: a fault where there was success (announced)" in lines
    assert "      received: 405 Method Not Allowed" in lines
    assert lines[-1].startswith("35 exchange(s) of 1 cassette(s) replayed: 2 breaking, ")


def test_the_json_document_keeps_the_keys_ci_scripts_read(
    capsys: pytest.CaptureFixture[str], cassette35: Path, contract36: tuple[Path, Path]
) -> None:
    _, document = verify_json(capsys, str(cassette35), *against36(contract36))
    assert {"exchanges", "differences", "counts"} <= set(document)
    assert isinstance(document["exchanges"], int)
    assert set(document["counts"]) == {"breaking", "compatible"}
    for difference in document["differences"]:
        assert set(difference) >= DIFFERENCE_KEYS
        assert difference["kind"] in ("breaking", "compatible")
        assert isinstance(difference["index"], int)
        assert all(isinstance(difference[k], str) for k in DIFFERENCE_KEYS - {"index"})


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["{cassette}"], "--against"),
        (["{cassette}", "--against", "sandbox", "--format", "xml"], "--format"),
        (["{missing}", "--against", "sandbox"], "missing.yaml"),
        (["{not_a_cassette}", "--against", "sandbox"], "notes.yaml"),
        (["{cassette}", "--against", "sandbox", "--mask", "a:b"], "--mask"),
        (["{cassette}", "--against", "sandbox", "--schema", "x.xsd"], "--schema"),
        (["{cassette}", "--against", "sandbox", "--contract", "{missing}"], "missing.yaml"),
        (["{cassette}", "--against", "http://127.0.0.1:{port}/ovirt-engine/api"], "127.0.0.1"),
        (["{cassette}", "--against", "ftp://engine/api"], "ftp://engine/api"),
        (["{cassette}", "--against", "{url}", "--engine-password", "wrong"], "--against"),
        (["{cassette35}", "--against", "{url35}", "--engine-password", "wrong"], "(401)"),
    ],
)
def test_usage_and_input_errors_are_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    cassette_v4: Path,
    cassette35: Path,
    contract35: tuple[Path, Path],
    args: list[str],
    names: str,
) -> None:
    """A refused login too: SSO says so at once (v4); Basic (the v3 SDK's way) only
    answers 401 to the first request, and the replay stops there."""
    (tmp_path / "notes.yaml").write_text("just: notes\n")
    values = {
        "cassette": str(cassette_v4),
        "cassette35": str(cassette35),
        "missing": str(tmp_path / "missing.yaml"),
        "not_a_cassette": str(tmp_path / "notes.yaml"),
        "port": str(_closed_port()),
    }
    with serving() as values["url"], serving(*contract35) as values["url35"]:
        code, out, err = verify(capsys, *(a.format(**values) for a in args))
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith("contracttest: error: "), err
    assert names in err and "Traceback" not in err


def test_no_secret_reaches_any_output(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A foreign cassette with a session id in its URIs and a password in a query, replayed
    against an engine named with its password in the URL: none of them is shown."""
    cassette = tmp_path / "foreign.yaml"
    uri = "http://rhevm.example.com/ovirt-engine/api/vms;jsessionid=S3SSION-1D?password=Pw-1n-qu3ry"
    cassette.write_text(yaml.safe_dump({"interactions": [{
        "request": {"method": "GET", "uri": uri, "body": None,
                    "headers": {"Authorization": ["Basic c2VjcmV0OnNlY3JldA=="]}},
        "response": {"status": {"code": 200, "message": "OK"},
                     "headers": {"Content-Type": ["application/xml"]},
                     "body": {"string": "<vms><vm id='1'><name>gone</name></vm></vms>"}},
    }]}))  # fmt: skip
    secrets = ("S3SSION-1D", "Pw-1n-qu3ry", "An0ther-pw", "c2VjcmV0OnNlY3JldA")
    with serving(password="An0ther-pw") as url:
        with_password = url.replace("http://", "http://admin%40internal:An0ther-pw@")
        for output in ("text", "json", "junit"):
            code, out, err = verify(capsys, str(cassette), "--against", with_password,
                                    "--format", output)  # fmt: skip
            assert code == 1, err  # the entity is gone: breaking
            assert not any(secret in out + err for secret in secrets), out + err


def test_the_command_runs_as_a_process_with_the_exit_status_it_reports(
    cassette_v4: Path,
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "contracttest", "verify", str(cassette_v4), "--against", "sandbox"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "breaking" in done.stdout.splitlines()[-1]


def test_the_benchmark_runs_once(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_verify.py"), "--vms", "2",
         "--repeat", "1"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ms per exchange" in done.stdout and "comparison" in done.stdout

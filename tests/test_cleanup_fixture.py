"""``ovirt_cleanup``: what a test created on a live engine is gone when the test ends, failed
or passed, removed in an order the engine accepts; the removals are recorded like the
test's own requests, and replay. A real engine on loopback that outlives the pytest run
under test, so what it still holds can be asked afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from contracttest.api import Engine
from contracttest.client import Client
from contracttest.engine import EngineServer, open_engine
from contracttest.exchange import request_target
from contracttest.plugin.cleanup import Cleanup, CleanupError
from tests.plugin_suite import COUNT_CONNECTIONS, outcomes, run
from tests.recording_suite import interactions

PASSWORD = "cleanup-pw"
DISK_SEARCH = "/ovirt-engine/api/disks?search="

LAB = """
import pytest

FAIL = {fail}
VM = (
    "<vm><name>{{name}}</name><cluster><name>Default</name></cluster>"
    "<template><name>{{template}}</name></template></vm>"
)
DISK = (
    "<disk_attachment><bootable>false</bootable><interface>virtio</interface>"
    "<active>true</active><disk><name>lab-disk</name><format>cow</format>"
    "<provisioned_size>1073741824</provisioned_size><storage_domains><storage_domain>"
    "<name>data1</name></storage_domain></storage_domains></disk></disk_attachment>"
)


def test_builds_a_lab(ovirt_engine, ovirt_cleanup):
    source = ovirt_engine.add("vms", VM.format(name="lab-source", template="Blank"))
    made_from = f"<name>lab-template</name><vm id='{{source.get('id')}}'/>"
    template = ovirt_engine.add("templates", f"<template>{{made_from}}</template>")
    vm = ovirt_engine.add("vms", VM.format(name="lab-vm", template="lab-template"))
    ovirt_engine.add(vm.get("href") + "/nics", "<nic><name>nic1</name></nic>")
    ovirt_engine.add(vm.get("href") + "/diskattachments", DISK)
    ovirt_engine.action(vm.get("href"), "start")
    tag = ovirt_engine.add("tags", "<tag><name>lab-tag</name></tag>")
    ovirt_engine.remove(tag.get("href"))  # the test removed it: not removed again
    assert ovirt_cleanup.pending[-1] == ovirt_engine.get(
        "disks", search="name=lab-disk"
    )[0].get("href")
    assert not FAIL, "the test fails with all of it still there"
"""

#: What the cleanup sends, by what it names (ids replaced by what the test created).
REMOVALS = [
    ("DELETE", "attachment"),
    ("DELETE", "nic"),
    ("GET", "vm"),
    ("POST", "vm/stop"),
    ("GET", "vm"),
    ("DELETE", "vm"),
    ("GET", "source"),
    ("DELETE", "source"),
    ("GET", "template"),
    ("DELETE", "template"),
    ("GET", "disk"),
    ("DELETE", "disk"),
    ("POST", "/ovirt-engine/services/sso-logout"),
]


@pytest.fixture
def engine_url() -> Iterator[str]:
    engine = open_engine(password=PASSWORD)
    with EngineServer(engine.handle) as server:
        yield f"{server.base_url}{engine.prefix}"
    engine.close()


def _left_on(url: str) -> dict[str, list[str]]:
    """The names of what the lab makes that the engine still has."""
    client = Client(url, "admin@internal", PASSWORD, keep=False)
    engine = Engine(client, live=True)
    try:
        return {
            kind: [
                name
                for element in engine.list(kind)
                if (name := element.findtext("name") or "").startswith("lab-")
            ]
            for kind in ("vms", "templates", "disks", "tags")
        }
    finally:
        engine.close()


def _removals(path: Path) -> list[tuple[str, str]]:
    """The cassette's requests after the test's last own one (its search for the disk),
    each href replaced by what the test created there."""
    items = interactions(path)
    names: dict[str, str] = {}
    for item in items:
        body = item["response"]["body"]["string"]
        if item["request"]["method"] != "POST" or not body.startswith("<"):
            continue
        root = etree.fromstring(body.encode())
        name = {"disk_attachment": "attachment", "nic": "nic", "template": "template"}.get(
            root.tag, {"lab-source": "source", "lab-vm": "vm"}.get(root.findtext("name") or "")
        )
        if name and root.get("href"):
            names[root.get("href")] = name
        if root.tag == "disk_attachment":
            names[root.find("disk").get("href")] = "disk"
    requests = [(i["request"]["method"], request_target(i["request"]["uri"])) for i in items]
    last_own = next(i for i, (_, t) in enumerate(requests) if t.startswith(DISK_SEARCH))
    shown: list[tuple[str, str]] = []
    for method, target in requests[last_own + 1 :]:
        for href in sorted(names, key=len, reverse=True):  # an owner's href is in its NIC's
            target = target.replace(href, names[href])
        if shown and shown[-1] == (method, target) and method == "GET":
            continue  # polled until the state was reached
        shown.append((method, target))
    return shown


def test_what_a_failed_test_created_is_removed_in_order(
    pytester: pytest.Pytester, engine_url: str
) -> None:
    engine = ("--engine", engine_url, "--engine-password", PASSWORD)
    pytester.makepyfile(test_lab=LAB.format(fail=True))
    pytester.makeconftest(COUNT_CONNECTIONS)
    failed = run(pytester, *engine, "--record-mode", "all", "--record-failed")
    assert outcomes(failed) == {"failed": 1}, failed.stdout.str()
    failed.stdout.fnmatch_lines(["*AssertionError: the test fails with all of it still there"])
    assert _left_on(engine_url) == {"vms": [], "templates": [], "disks": [], "tags": []}
    cassette = pytester.path / "cassettes/test_lab/test_builds_a_lab.yaml"
    assert _removals(cassette) == REMOVALS

    # Passing, on the same engine (the names are free again), then replayed with no engine.
    pytester.makepyfile(test_lab=LAB.format(fail=False))
    passed = run(pytester, *engine, "--record-mode", "all")
    assert outcomes(passed) == {"passed": 1}, passed.stdout.str()
    assert _left_on(engine_url) == {"vms": [], "templates": [], "disks": [], "tags": []}
    assert _removals(cassette) == REMOVALS
    replay = run(pytester)
    assert outcomes(replay) == {"passed": 1}, replay.stdout.str()
    replay.stdout.fnmatch_lines(["network connections: 0"])


BY_HAND = """
import pytest

VM = (
    "<vm><name>{name}</name><cluster><name>Default</name></cluster>"
    "<template><name>Blank</name></template></vm>"
)


def test_keeps_one_and_cannot_remove_another(ovirt_engine, ovirt_cleanup):
    kept = ovirt_engine.add("vms", VM.format(name="kept"))
    ovirt_engine.add("vms", VM.format(name="removed"))
    ovirt_cleanup.keep(kept)
    ovirt_cleanup.track("/ovirt-engine/api/jobs/no-such-job")


def test_sees_what_was_kept(ovirt_engine):
    names = [vm.findtext("name") for vm in ovirt_engine.list("vms")]
    assert "kept" in names and "removed" not in names
"""


def test_keep_track_and_what_the_engine_would_not_remove(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_hand=BY_HAND)
    result = run(pytester, "--engine", "sandbox", "--record-mode", "all")
    assert outcomes(result) == {"passed": 2, "errors": 1}, result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_keeps_one_and_cannot_remove_another*",
            "contracttest: ovirt_cleanup could not remove 1 entity the test created; "
            "the engine still has:",
            "  /ovirt-engine/api/jobs/no-such-job: DELETE answered 405*",
        ]
    )


def test_order_without_pytest(tmp_path: Path) -> None:
    """The order alone, from a real engine's answers: nested before their owner, VMs
    before templates before disks, the most recent first, what was removed left out."""
    engine = open_engine(password=PASSWORD)
    with EngineServer(engine.handle) as server:
        client = Client(f"{server.base_url}{engine.prefix}", "admin@internal", PASSWORD)
        api = Engine(client, live=True)
        vm = (
            "<vm><name>{}</name><cluster><name>Default</name></cluster>"
            "<template><name>Blank</name></template></vm>"
        )
        first = api.add("vms", vm.format("first"))
        disk = api.add(
            "disks",
            "<disk><name>d</name><format>cow</format><provisioned_size>1</provisioned_size>"
            "<storage_domains><storage_domain><name>data1</name></storage_domain>"
            "</storage_domains></disk>",
        )
        template = api.add(
            "templates", f"<template><name>t</name><vm id='{first.get('id')}'/></template>"
        )
        second = api.add("vms", vm.format("second"))
        nic = api.add(f"{second.get('href')}/nics", "<nic><name>n</name></nic>")
        gone = api.add("vms", vm.format("gone"))
        api.remove(gone.get("href"))
        cleanup = Cleanup()
        for exchange in client.exchanges:
            cleanup.observe(exchange, True)
        assert cleanup.pending == [
            nic.get("href"),
            second.get("href"),
            first.get("href"),
            template.get("href"),
            disk.get("href"),
        ]
        cleanup.run(api)
        assert cleanup.pending == []
        assert [v.findtext("name") for v in api.list("vms")] == []
        with pytest.raises(CleanupError):
            cleanup.track("/ovirt-engine/api/jobs/x")
            cleanup.run(api)
        api.close()
    engine.close()

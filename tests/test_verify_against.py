"""``--verify-against``: a suite recorded against the sandbox runs live again, against the
sandbox or an engine broken on purpose, each answer compared with the recorded one at its
place; the cassettes are never rewritten. Real pytest processes (pytester) and the real
embedded engine, on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from contracttest.engine import DEFAULT_PASSWORD, EngineServer, open_engine
from tests.plugin_suite import outcomes, run, write_suite
from tests.recording_suite import snapshot

PASSWORD = "s3cret-pw"
SANDBOX = ("--engine", "sandbox", "--engine-password", PASSWORD)
KEYS = {"test", "kind", "cassette", "index", "method", "uri", "xpath", "recorded", "received",
        "message"}  # fmt: skip

#: Tests with logic: the VM's href (and id) is read from the add's answer.
SUITE = """
VM = (
    "<vm><name>{name}</name><description>made here</description>"
    "<cluster><name>Default</name></cluster><template><name>Blank</name></template></vm>"
)


def test_vm(ovirt_engine):
    vm = ovirt_engine.add("vms", VM.format(name="verified-vm"))
    href = vm.get("href")
    assert ovirt_engine.get(href).findtext("name") == "verified-vm"
    ovirt_engine.remove(href)


def test_search(ovirt_engine):
    found = ovirt_engine.list("clusters", search="name=Default")
    assert [c.findtext("name") for c in found] == ["Default"]
"""


@contextmanager
def serving(defect: str) -> Iterator[str]:
    """An engine with ``defect`` on a free loopback port, in this process; its API URL."""
    engine = open_engine(defects=[defect])
    try:
        with EngineServer(engine.handle) as server:
            yield f"{server.base_url}{engine.prefix}"
    finally:
        engine.close()


def recorded(pytester: pytest.Pytester) -> dict[str, bytes]:
    write_suite(pytester, text=SUITE)
    result = run(pytester, *SANDBOX, "--record-mode", "once")
    assert outcomes(result) == {"passed": 2}, result.stdout.str()
    cassettes = snapshot(pytester.path / "cassettes")
    assert len(cassettes) == 2
    return cassettes


def report(pytester: pytest.Pytester) -> dict[str, object]:
    data = json.loads((pytester.path / "report.json").read_text())
    assert isinstance(data, dict)
    return data


def test_against_the_sandbox_nothing_breaks(pytester: pytest.Pytester) -> None:
    before = recorded(pytester)
    pin = sorted(p.name for p in (pytester.path / "cassettes").iterdir())
    result = run(
        pytester,
        "--verify-against",
        "sandbox",
        "--engine-password",
        PASSWORD,
        "--contract-report",
        "report.json",
    )
    out = result.stdout.str()
    assert outcomes(result) == {"passed": 2}, out
    assert "2 cassettes verified live: 0 breaking" in out
    assert snapshot(pytester.path / "cassettes") == before  # byte for byte
    assert sorted(p.name for p in (pytester.path / "cassettes").iterdir()) == pin
    data = report(pytester)
    assert data["verified"] == 2
    differences = data["differences"]
    assert isinstance(differences, list)
    assert not [d for d in differences if d["kind"] == "breaking"], differences


def test_the_ini_twin_and_xdist(pytester: pytest.Pytester) -> None:
    before = recorded(pytester)
    pytester.makeini(f"[pytest]\nverify_against = sandbox\nengine_password = {PASSWORD}\n")
    result = run(pytester, "-n", "2", "--contract-report", "report.json")
    assert outcomes(result) == {"passed": 2}, result.stdout.str()
    assert snapshot(pytester.path / "cassettes") == before
    assert report(pytester)["verified"] == 2


@pytest.mark.parametrize(
    ("defect", "xpath", "message"),
    [
        ("wrong-status", "status", "the status changed"),
        ("add-drops-field", "/vm/description", "element <description> removed"),
    ],
)
def test_against_a_broken_engine_the_test_fails(
    pytester: pytest.Pytester, defect: str, xpath: str, message: str
) -> None:
    before = recorded(pytester)
    with serving(defect) as url:
        result = run(
            pytester,
            "-n",
            "2",
            "--verify-against",
            url,
            "--engine-password",
            DEFAULT_PASSWORD,
            "--contract-report",
            "report.json",
        )
    out = result.stdout.str()
    assert outcomes(result) == {"passed": 1, "failed": 1}, out
    assert "FAILED test_api.py::test_vm" in out
    assert "differences from the recording in cassettes/test_api/test_vm.yaml" in out
    assert "[breaking] #" in out and "POST /ovirt-engine/api/vms" in out
    assert f"{xpath}: {message}" in out
    assert snapshot(pytester.path / "cassettes") == before
    differences = report(pytester)["differences"]
    assert isinstance(differences, list)
    mine = [d for d in differences if d["xpath"] == xpath and d["kind"] == "breaking"]
    assert mine and set(mine[0]) == KEYS, differences
    assert mine[0]["method"] == "POST" and mine[0]["test"] == "test_api.py::test_vm"


def test_no_cassette_nothing_to_verify(pytester: pytest.Pytester) -> None:
    write_suite(pytester, text=SUITE)
    result = run(pytester, "--verify-against", "sandbox", "--engine-password", PASSWORD)
    out = result.stdout.str()
    assert outcomes(result) == {"errors": 2}, out  # at setup, in one line each
    assert "no cassette, nothing to verify against" in out
    assert not (pytester.path / "cassettes").exists() or not snapshot(pytester.path / "cassettes")


def test_more_or_fewer_requests_than_recorded(pytester: pytest.Pytester) -> None:
    before = recorded(pytester)
    fewer = SUITE.replace("    ovirt_engine.remove(href)\n", "")
    more = SUITE.replace(
        '    assert [c.findtext("name") for c in found] == ["Default"]\n',
        '    assert [c.findtext("name") for c in found] == ["Default"]\n'
        '    ovirt_engine.get("datacenters")\n',
    )
    cut = "def test_search"
    write_suite(pytester, text=fewer[: fewer.index(cut)] + more[more.index(cut) :])
    result = run(pytester, "--verify-against", "sandbox", "--engine-password", PASSWORD)
    out = result.stdout.str()
    assert "the live run makes fewer requests than recorded: 2 of 3" in out, out
    assert "the live run makes more requests than the 1 recorded" in out, out
    assert "ERROR at teardown of test_vm" in out and "FAILED test_api.py::test_search" in out
    assert snapshot(pytester.path / "cassettes") == before

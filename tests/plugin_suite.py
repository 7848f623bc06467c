"""A small API suite for the plugin's own tests, written as a user would, and the way to run
it in a real pytest process (pytester, subprocess: the plugin loads from its entry point)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

SUITE = """
import pytest

VM = (
    "<vm><name>{name}</name><cluster><name>Default</name></cluster>"
    "<template><name>Blank</name></template></vm>"
)


def test_root(ovirt_engine):
    root = ovirt_engine.get("")
    assert root.tag == "api"
    assert root.find("product_info") is not None


def test_vm_life_cycle(ovirt_engine):
    vm = ovirt_engine.add("vms", VM.format(name="plugin-vm"))
    href = vm.get("href")
    assert ovirt_engine.get(href).findtext("name") == "plugin-vm"
    ovirt_engine.action(href, "start")
    assert ovirt_engine.wait_for_status(href, "up", interval=0.05).findtext("status") == "up"
    with pytest.raises(ovirt_engine.Error) as fault:
        ovirt_engine.action(href, "start")
    assert fault.value.status == 409
    ovirt_engine.action(href, "stop")
    ovirt_engine.wait_for_status(href, "down", interval=0.05)
    ovirt_engine.remove(href)
    assert ovirt_engine.request("GET", href).status == 404


def test_search(ovirt_engine):
    found = ovirt_engine.list("clusters", search="name=Default")
    assert [c.findtext("name") for c in found] == ["Default"]


def test_not_found(ovirt_engine):
    with pytest.raises(ovirt_engine.Error) as fault:
        ovirt_engine.get("vms/00000000-0000-0000-0000-000000000000")
    assert fault.value.status == 404
"""

#: Counts every TCP/UDP connection the test process opens (an audit hook sees them all).
COUNT_CONNECTIONS = """
import socket
import sys

CONNECTIONS = []


def _audit(event, args):
    if event == "socket.connect" and args[0].family in (socket.AF_INET, socket.AF_INET6):
        CONNECTIONS.append(args[1])


sys.addaudithook(_audit)


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line(f"network connections: {len(CONNECTIONS)}")
"""


def write_suite(pytester: pytest.Pytester, name: str = "test_api", text: str = SUITE) -> None:
    pytester.makepyfile(**{name: text})


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args, timeout=240)


ROOT = Path(__file__).resolve().parent.parent


def contracttest(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = ROOT
) -> subprocess.CompletedProcess[str]:
    """The command line, as a user runs it: no ``OVIRT_*`` from the caller's environment,
    ``env`` added."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("OVIRT_")}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "contracttest", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env=environment,
        check=False,
    )


def outcomes(result: pytest.RunResult) -> dict[str, int]:
    return {k: v for k, v in result.parseoutcomes().items() if k not in ("warnings", "warning")}


def summary(result: pytest.RunResult) -> list[str]:
    """The plugin's end-of-run summary, with what differs between record and replay (the
    recorded/replayed split, hashes) kept."""
    lines = result.outlines
    try:
        start = next(i for i, line in enumerate(lines) if re.match(r"=+ contracttest =+", line))
    except StopIteration:
        return []
    block = []
    for line in lines[start + 1 :]:
        if line.startswith("=") or line.startswith("network connections"):
            break
        block.append(line)
    return block


def cassettes(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*.yaml"))
        if p.is_file()
    }

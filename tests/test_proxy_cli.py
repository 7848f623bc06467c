"""``contracttest proxy`` as a user runs it: ``--check`` prints each violation as it happens
and a summary, and its exit status says whether there were errors; mistakes are one line
and exit status 2."""

from __future__ import annotations

import base64
import http.client
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.plugin_suite import ROOT, contracttest

BASIC = "Basic " + base64.b64encode(b"admin@internal:ovirt").decode()


@pytest.fixture
def broken_engine() -> Iterator[str]:
    """An engine whose hrefs are wrong on purpose (``wrong-href``): its API URL."""
    from contracttest.engine import EngineServer, open_engine

    served = open_engine(defects=["wrong-href"])
    try:
        with EngineServer(served.handle) as server:
            yield f"{server.base_url}{served.prefix}"
    finally:
        served.close()


def proxy_session(*words: str, requests: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
    """The proxy in its own process: the requests sent through it, then SIGTERM."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OVIRT_")}
    env["PYTHONPATH"] = str(ROOT)
    command = [sys.executable, "-m", "contracttest", "proxy", *words]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        first = process.stdout.readline()
        url = first.split(" at ", 1)[1].split()[0]
        host, port = url.split("//")[1].split("/")[0].split(":")
        for target in requests:
            connection = http.client.HTTPConnection(host, int(port), timeout=30)
            connection.request("GET", target, headers={"Authorization": BASIC, "Version": "4"})
            connection.getresponse().read()
            connection.close()
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    return subprocess.CompletedProcess(command, process.returncode, first + out, err)


def test_check_prints_violations_as_they_happen_and_fails(broken_engine: str) -> None:
    done = proxy_session(
        "--target", broken_engine, "--mode", "passthrough", "--check",
        requests=("/ovirt-engine/api/clusters",),
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "[error] response.href" in done.stderr
    assert "exchange:  #0 GET http://127.0.0.1:" in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("contracttest proxy: 1 exchange(s)")
    assert "error(s)" in done.stderr.strip().splitlines()[-1]


def test_a_clean_session_exits_0(tmp_path: Path) -> None:
    done = proxy_session(
        "--target", "sandbox", "--mode", "record", "--check",
        "--cassette", str(tmp_path / "c.yaml"),
        requests=("/ovirt-engine/api/clusters", "/ovirt-engine/api"),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "2 exchange(s), checked: 0 error(s), 0 warning(s)" in done.stderr
    assert "contracttest" in (tmp_path / "c.yaml").read_text()  # the provenance
    assert (tmp_path / "contract" / "pin.json").is_file()


@pytest.mark.parametrize(
    ("words", "says"),
    [
        (("--mode", "record", "--cassette", "c.yaml"), "--mode record needs --target"),
        (("--mode", "replay"), "--mode replay needs --cassette"),
        (("--mode", "replay", "--cassette", "absent.yaml"), "absent.yaml: no such cassette"),
        (("--mode", "bogus"), "invalid choice"),
        (("--port", "99999", "--mode", "passthrough", "--target", "sandbox"), "--port"),
        (("--mode", "passthrough", "--target", "ftp://x"), "not an http(s) URL"),
        (("--mode", "passthrough", "--target", "sandbox", "--host", "999.1.1.1"),
         "--host 999.1.1.1: cannot resolve it"),
        (("--mode", "record", "--target", "sandbox", "--cassette", "."), "is a folder"),
        (("--mode", "record", "--target", "sandbox", "--cassette", "/dev/null/c.yaml"),
         "cannot make its folder"),
        (("--mode", "record", "--target", "sandbox", "--cassette", "/proc/c.yaml"),
         "--cassette /proc/c.yaml: "),
    ],
)  # fmt: skip
def test_mistakes_are_one_line_and_exit_2(
    tmp_path: Path, words: tuple[str, ...], says: str
) -> None:
    done = contracttest("proxy", *words, cwd=tmp_path)
    assert done.returncode == 2, done
    assert says in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "Traceback" not in done.stderr


def test_a_cassette_that_is_not_one_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("interactions: [[[")
    done = contracttest("proxy", "--mode", "replay", "--cassette", "bad.yaml", cwd=tmp_path)
    assert done.returncode == 2 and "bad.yaml" in done.stderr, done
    assert len(done.stderr.strip().splitlines()) == 1

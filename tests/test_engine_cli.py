"""``contracttest serve`` and ``contracttest run`` as a user starts them: real processes."""

from __future__ import annotations

import base64
import json
import re
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from contracttest.loading import bundled_contract

COMMAND = [sys.executable, "-m", "contracttest"]


def assert_one_line_error(stderr: str, named: str) -> None:
    __tracebackhide__ = True
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("contracttest: error: "), stderr
    assert named in lines[0], stderr
    assert "Traceback" not in stderr
    assert "internal error" not in stderr


def start_serve(*args: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [*COMMAND, "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if "serving http://" not in line:
        _, stderr = stop(process)
        pytest.fail(f"serve did not start: {line}{stderr}")
    return process, line.split("serving ", 1)[1].split()[0]


def stop(process: subprocess.Popen[str]) -> tuple[int, str]:
    process.terminate()
    _, stderr = process.communicate(timeout=60)
    return process.returncode, stderr


def run(
    *args: str, timeout: float = 120, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *args], capture_output=True, text=True, timeout=timeout, check=False, cwd=cwd
    )


@pytest.fixture
def serving(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    process, url = start_serve("--data", str(tmp_path / "state"))
    try:
        yield process, url
    finally:
        stop(process)


def get(url: str, user: str = "admin@internal", password: str = "ovirt") -> bytes:
    request = urllib.request.Request(url)
    credentials = f"{user}:{password}".encode()
    request.add_header("Authorization", f"Basic {base64.b64encode(credentials).decode()}")
    with urllib.request.urlopen(request, timeout=60) as reply:
        data: bytes = reply.read()
        return data


def test_serve_prints_its_url_and_serves_the_bundled_contract(
    serving: tuple[subprocess.Popen[str], str],
) -> None:
    _, url = serving
    assert url.endswith("/ovirt-engine/api")
    assert b"<product_info>" in get(url)
    rsdl = get(f"{url}?rsdl")
    assert b'<rsdl href="/ovirt-engine/api?rsdl"' in rsdl
    assert b"<version " in rsdl
    assert b"<xs:schema" in get(f"{url}?schema")


def test_serve_stops_cleanly_on_sigterm_and_keeps_its_data(tmp_path: Path) -> None:
    state = tmp_path / "state"
    for attempt in range(2):
        process, url = start_serve("--data", str(state))
        tags = get(f"{url}/tags")
        if attempt == 0:
            request = urllib.request.Request(
                f"{url}/tags",
                data=b"<tag><name>kept</name></tag>",
                headers={"Content-Type": "application/xml"},
                method="POST",
            )
            request.add_header("Authorization", "Basic YWRtaW5AaW50ZXJuYWw6b3ZpcnQ=")
            with urllib.request.urlopen(request, timeout=60) as reply:
                assert reply.status == 201
        else:
            assert tags.count(b"<name>kept</name>") == 1
        status, stderr = stop(process)
        assert status == 0
        assert "Traceback" not in stderr


def test_serve_refuses_a_busy_port_in_one_line() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run("serve", "--port", str(port), timeout=30)
    assert result.returncode == 2
    assert_one_line_error(result.stderr, f"127.0.0.1:{port}")
    assert "cannot listen" in result.stderr


RSDL, XSD = (str(path) for path in bundled_contract())


def _mistakes(folder: Path) -> None:
    """The files the mistakes below name, in the folder ``serve`` runs in."""
    (folder / "file").write_text("a file, not a folder\n")
    (folder / "corrupt").mkdir()
    (folder / "corrupt/engine.sqlite3").write_bytes(bytes(range(256)) * 16)
    (folder / "nested/engine.sqlite3").mkdir(parents=True)
    (folder / "text.xml").write_text("not XML at all\n")
    (folder / "folder").mkdir()
    (folder / "alone.xml").write_bytes(Path(RSDL).read_bytes())  # no api.xsd beside it


@pytest.mark.parametrize(
    ("args", "named", "says"),
    [
        (["--port", "99999"], "--port", "0-65535"),
        (["--port", "-1"], "--port", "0-65535"),
        (["--port", "not-a-number"], "--port", "0-65535"),
        (["--host", "203.0.113.1"], "--host 203.0.113.1", "cannot listen"),
        (["--host", "nosuchhost.invalid"], "--host nosuchhost.invalid", "cannot resolve"),
        (["--host", "a..b"], "--host", "not a host name"),
        (["--data", "file"], "file", "not a folder"),
        (["--data", "file/state"], "file/state", "cannot create the data folder"),
        (["--data", "corrupt"], "corrupt/engine.sqlite3", "file is not a database"),
        (["--data", "nested"], "nested/engine.sqlite3", "a folder, not a database file"),
        (["--contract", "missing.xml"], "missing.xml", "no such file"),
        (["--contract", "missing.xml", "--schema", XSD], "missing.xml", "no such file"),
        (["--contract", RSDL, "--schema", "missing.xsd"], "missing.xsd", "no such file"),
        (["--contract", "alone.xml"], "alone.xml", "needs the contract's XSD too (--schema)"),
        (["--schema", XSD], "--schema", "give --contract with it"),
        (["--contract", "text.xml", "--schema", XSD], "text.xml", "not well-formed XML"),
        (["--contract", RSDL, "--schema", "text.xml"], "text.xml", "not well-formed XML"),
        (["--contract", XSD, "--schema", XSD], XSD, "not an RSDL document"),
        (["--contract", "folder", "--schema", XSD], "folder", "a folder without rsdl.xml"),
        (["--token-ttl", "-5"], "--token-ttl", "above 0"),
        (["--token-ttl", "0"], "--token-ttl", "above 0"),
        (["--token-ttl", "nan"], "--token-ttl", "above 0"),
        (["--token-ttl", "inf"], "--token-ttl", "above 0"),
        (["--password", ""], "--password", "must not be empty"),
    ],
)
def test_serve_mistakes_are_one_line_before_it_serves(
    args: list[str], named: str, says: str, tmp_path: Path
) -> None:
    _mistakes(tmp_path)
    result = run("serve", *args, timeout=30, cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    assert_one_line_error(result.stderr, named)
    assert says in result.stderr


def test_run_is_the_main_job_and_checks_clean() -> None:
    result = run("run")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "recording the example suite against the embedded engine" in result.stdout
    assert re.search(
        r"exchanges checked in (\d+) cassettes \(\1 recorded, 0 replayed\)", result.stdout
    )
    assert "no contract violations" in result.stdout
    assert re.search(r" \d\d passed", result.stdout) and " failed" not in result.stdout


def test_run_against_a_running_engine_pins_the_contract_it_serves(
    serving: tuple[subprocess.Popen[str], str], tmp_path: Path
) -> None:
    _, url = serving
    report = tmp_path / "report.json"
    result = run(
        "run",
        "--engine",
        url,
        "--engine-password",
        "ovirt",
        "--record-mode",
        "all",
        "--cassette-dir",
        str(tmp_path / "cassettes"),
        "--contract-report",
        str(report),
        "--",
        "-k",
        "lifecycle",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    document = json.loads(report.read_text())
    assert document["exchanges"] > 20
    assert document["violations"] == []
    assert document["cassettes"]["recorded"] == document["tests"]
    pin = json.loads((tmp_path / "cassettes/contract/pin.json").read_text())
    assert pin["engine_url"] == url


def test_run_with_a_wrong_password_fails_in_one_line(
    serving: tuple[subprocess.Popen[str], str],
) -> None:
    _, url = serving
    result = run("run", "--engine", url, "--engine-password", "wrong")
    assert result.returncode == 2
    assert_one_line_error(result.stderr, "SSO login refused")

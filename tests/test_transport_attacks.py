"""What a fresh pair of eyes found, as classes: a secret in any output (serve's banner, a
setting's repr, a violation's URI), a login that one front door takes and another ignores,
a CA file or a server that breaks the one-line rule, an answer cut off taken for a whole one.
Each test fails on the code before the fix."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from contracttest import loading
from contracttest.engine import EngineServer, open_engine
from contracttest.errors import ContractError
from contracttest.plugin.settings import Settings
from tests.plugin_suite import outcomes

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "cassettes" / "example"
PASSWORD = "Xq7-secret-Zp"


@pytest.fixture(scope="module")
def engine_url() -> Iterator[str]:
    engine = open_engine(password=PASSWORD)
    with EngineServer(engine.handle) as server:
        yield f"{server.base_url}{engine.prefix}"
    engine.close()


def with_login(url: str) -> str:
    return url.replace("://", f"://admin%40internal:{PASSWORD}@")


def contracttest(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OVIRT_")}
    return subprocess.run(
        [sys.executable, "-m", "contracttest", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env=env,
        check=False,
    )


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("contracttest: error: "), result.stderr
    assert "internal error" not in lines[0] and "Traceback" not in result.stderr
    assert all(c.isprintable() for c in lines[0]), repr(lines[0])
    return lines[0]


# --- secrets in output ------------------------------------------------------------------------


def test_serve_never_shows_the_login_of_a_contract_url(engine_url: str) -> None:
    for args in (
        ["--contract", with_login(engine_url)],
        ["--contract", engine_url, "--engine-password", PASSWORD],
    ):
        serve = subprocess.Popen(
            [sys.executable, "-m", "contracttest", "serve", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert serve.stdout is not None
            banner = serve.stdout.readline()
        finally:
            serve.terminate()
            _, err = serve.communicate(timeout=120)
        assert banner.startswith("contracttest engine: serving "), banner + err
        assert engine_url in banner
        assert PASSWORD not in banner + err


def test_settings_never_show_the_password() -> None:
    """pytest prints fixture values in a failing test's traceback."""
    assert PASSWORD not in repr(Settings(password=PASSWORD))


def test_check_shows_no_secret_a_foreign_cassette_holds(tmp_path: Path) -> None:
    uri = (
        f"https://admin%40internal:{PASSWORD}@engine.example.com/ovirt-engine/api/nothere"
        f";jsessionid=SESSION-{PASSWORD}?password={PASSWORD}"
    )
    (tmp_path / "foreign.yaml").write_text(
        "interactions:\n- request: {method: GET, uri: '" + uri + "', headers: {}, body: null}\n"
        "  response: {status: {code: 404, message: Not Found}, headers: {}, body: {string: ''}}\n"
    )
    for fmt in ("text", "json"):
        result = contracttest("check", str(tmp_path), "--format", fmt)
        assert result.returncode == 1, result.stderr
        assert "nothere" in result.stdout
        assert PASSWORD not in result.stdout + result.stderr


def test_the_shipped_samples_hold_no_credential() -> None:
    result = contracttest("scan-secrets", "cassettes/sample", "cassettes/sample-defects")
    assert result.returncode == 0, result.stdout


# --- a login taken alike by every front door ----------------------------------------------------


def test_a_schema_url_beside_an_rsdl_file(engine_url: str) -> None:
    result = contracttest(
        "check",
        str(EXAMPLE),
        "--contract",
        str(EXAMPLE / "contract" / "rsdl.xml"),
        "--schema",
        f"{engine_url}?schema",
        "--engine-password",
        PASSWORD,
    )
    assert result.returncode == 0, result.stderr
    assert f"schema {engine_url}?schema" in result.stdout


def test_the_plugin_fetches_a_contract_url_while_replaying(
    pytester: pytest.Pytester, engine_url: str
) -> None:
    pytester.makepyfile(
        test_contract="""
def test_contract(ovirt_contract):
    assert ovirt_contract.schema is not None
    assert len(ovirt_contract.links) > 800
"""
    )
    for login in (["--contract", with_login(engine_url)], ["--contract", engine_url]):
        extra = [] if "@" in login[1] else ["--engine-password", PASSWORD]
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *login, *extra)
        assert outcomes(result) == {"passed": 1}, result.stdout.str()
        assert PASSWORD not in result.stdout.str() + result.stderr.str()


def test_the_plugin_records_with_the_login_of_its_engine_url(
    pytester: pytest.Pytester, engine_url: str
) -> None:
    pytester.makepyfile(test_root="def test_root(ovirt_engine):\n    ovirt_engine.get('')\n")
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--engine", with_login(engine_url), "--record-mode", "all"
    )
    assert outcomes(result) == {"passed": 1}, result.stdout.str()
    written = "".join(
        path.read_text() for path in (pytester.path / "cassettes").rglob("*") if path.is_file()
    )
    assert PASSWORD not in written + result.stdout.str()


# --- files and servers that break the one-line rule -------------------------------------------


@pytest.mark.parametrize("kind", ["missing", "garbage", "folder", "fifo"])
def test_a_ca_file_that_cannot_be_used_is_one_line(tmp_path: Path, kind: str) -> None:
    ca = tmp_path / "ca.pem"
    if kind == "garbage":
        ca.write_text("not a certificate\n")
    elif kind == "folder":
        ca.mkdir()
    elif kind == "fifo":
        os.mkfifo(ca)
    line = one_error_line(
        contracttest(
            "contract",
            "https://127.0.0.1:9/ovirt-engine/api",
            "--engine-password",
            "x",
            "--engine-ca-file",
            str(ca),
        )
    )
    assert str(ca) in line


def _server(answer: Callable[[socket.socket], None]) -> Iterator[str]:
    listener = socket.create_server(("127.0.0.1", 0))
    done = threading.Event()

    def serve() -> None:
        while not done.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                answer(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/ovirt-engine/api"
    finally:
        done.set()
        listener.close()
        thread.join(timeout=30)


@pytest.fixture
def garbage_server() -> Iterator[str]:
    yield from _server(lambda conn: conn.sendall(b"\x00\xffGARBAGE NOT HTTP\r\n\x1b[2J\r\n\r\n"))


@pytest.fixture
def cut_off_server() -> Iterator[str]:
    yield from _server(
        lambda conn: conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n<rsdl>")
    )


def test_a_server_speaking_garbage_is_one_printable_line(garbage_server: str) -> None:
    for login in ([], ["--engine-password", PASSWORD]):
        line = one_error_line(contracttest("contract", f"{garbage_server}?rsdl", *login))
        assert garbage_server in line
        assert line.count(garbage_server) == 1


def test_an_answer_cut_off_is_not_a_whole_one(cut_off_server: str) -> None:
    line = one_error_line(contracttest("contract", f"{cut_off_server}?rsdl"))
    assert "cut off" in line


def test_a_trickling_server_stops_a_fetch_at_its_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The fetch reads at most a bound of bytes (``read(amt)``), which a cut connection
    ends short without an error: the deadline must still say so."""
    stop = threading.Event()

    def trickle(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
        while not stop.wait(0.05):
            try:
                conn.sendall(b"<")
            except OSError:
                return

    monkeypatch.setattr(loading, "FETCH_DEADLINE", 1.0)
    for url in _server(trickle):
        try:
            with pytest.raises(ContractError, match="no whole answer within 1 s"):
                loading.fetch(f"{url}?rsdl")
        finally:
            stop.set()


def test_an_unreadable_api_xsd_beside_is_reported(tmp_path: Path) -> None:
    rsdl, _ = loading.bundled_contract()
    (tmp_path / "rsdl.xml").write_bytes(rsdl.read_bytes())
    os.mkfifo(tmp_path / "api.xsd")
    line = one_error_line(contracttest("contract", str(tmp_path / "rsdl.xml")))
    assert str(tmp_path / "api.xsd") in line and "FIFO" in line


def test_a_bad_port_says_so() -> None:
    line = one_error_line(contracttest("contract", "http://127.0.0.1:99999/ovirt-engine/api"))
    assert "port" in line and line.count("127.0.0.1:99999") == 1

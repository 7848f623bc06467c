"""Contracts are named the same way everywhere, and fetched from an engine through the one
transport: an RSDL file (with ``api.xsd`` beside it), a contract folder, or an engine URL that
needs a login (the embedded engine), with credentials from options, the environment or the
URL, a CA file or none; no message ever shows a password."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from contracttest import loading
from contracttest.client import Access, public_url
from contracttest.errors import ContractError
from contracttest.loading import bundled_contract, locate
from contracttest.plugin.settings import Settings
from tests.loopback import engine_with_password, tls_engine
from tests.plugin_suite import contracttest, outcomes

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "cassettes" / "example"
PASSWORD = "Sekr3t-pw-9q"  # the test engine's, and what no message may show


@pytest.fixture(scope="module")
def engine_url() -> Iterator[str]:
    """The embedded engine: its ``?rsdl`` and ``?schema`` need a login, as a real one's do."""
    with engine_with_password(PASSWORD) as url:
        yield url


def contract_line(stdout: str) -> str:
    (line,) = [line for line in stdout.splitlines() if line.startswith("contract: ")]
    return line


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("contracttest: error: "), stderr
    assert "Traceback" not in stderr
    return lines[0]


# --- an engine's ?rsdl, with a login -----------------------------------------------------------


def test_an_engine_that_needs_a_login_says_so(engine_url: str) -> None:
    result = contracttest("check", str(EXAMPLE), "--contract", f"{engine_url}?rsdl")
    assert result.returncode == 2
    line = one_error_line(result.stderr)
    assert f"{engine_url}?rsdl" in line
    assert "refused the login (401)" in line and "--engine-password" in line


@pytest.mark.parametrize("how", ["options", "environment", "userinfo"])
def test_check_against_an_engine_that_needs_a_login(engine_url: str, how: str) -> None:
    """The example cassettes were recorded against the embedded engine: they check clean
    against the contract it serves, fetched logged in, however the credentials come."""
    url, args, env = f"{engine_url}?rsdl", [], {}
    if how == "options":
        args = ["--engine-user", "admin@internal", "--engine-password", PASSWORD]
    elif how == "environment":
        env = {"OVIRT_USERNAME": "admin@internal", "OVIRT_PASSWORD": PASSWORD}
    else:
        url = url.replace("://", f"://admin%40internal:{PASSWORD}@")
    result = contracttest("check", str(EXAMPLE), "--contract", url, *args, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert contract_line(result.stdout) == f"contract: {engine_url}; schema {engine_url}?schema"
    assert "0 error(s), 0 warning(s)" in result.stdout
    assert PASSWORD not in result.stdout + result.stderr


def test_a_wrong_password_is_named_never_shown(engine_url: str) -> None:
    wrong = "Wr0ng-pw-7x"
    for args in (
        ["--contract", engine_url, "--engine-password", wrong],
        ["--contract", engine_url.replace("://", f"://admin%40internal:{wrong}@")],
    ):
        result = contracttest("check", str(EXAMPLE), *args)
        assert result.returncode == 2
        line = one_error_line(result.stderr)
        assert "login refused" in line and "admin@internal" in line
        assert wrong not in result.stdout + result.stderr


def test_contract_summary_of_an_engine(engine_url: str) -> None:
    result = contracttest(
        "contract", engine_url, "--format", "json", env={"OVIRT_PASSWORD": PASSWORD}
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["source"] == f"{engine_url}?rsdl"
    assert summary["schema"]["source"] == f"{engine_url}?schema"
    assert summary["links"] > 800


def test_an_unreachable_engine_is_one_line() -> None:
    result = contracttest(
        "check", str(EXAMPLE), "--contract", f"http://admin:{PASSWORD}@127.0.0.1:9/api?rsdl"
    )
    assert result.returncode == 2
    line = one_error_line(result.stderr)
    assert "http://127.0.0.1:9/api?rsdl" in line
    assert PASSWORD not in result.stderr


@pytest.fixture(scope="module")
def tls_engine_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The embedded engine behind TLS, with a self-signed certificate for 127.0.0.1."""
    folder = tmp_path_factory.mktemp("tls")
    with tls_engine(folder, PASSWORD) as served:
        yield served


def test_tls_with_a_ca_file_or_insecure(tls_engine_url: tuple[str, Path]) -> None:
    url, cert = tls_engine_url
    login = {"OVIRT_PASSWORD": PASSWORD}
    refused = contracttest("contract", url, env=login)
    assert refused.returncode == 2
    assert "CERTIFICATE_VERIFY_FAILED" in one_error_line(refused.stderr)
    for args, env in (
        (["--engine-ca-file", str(cert)], login),
        ([], {**login, "OVIRT_CAFILE": str(cert)}),
        (["--engine-insecure"], login),
        ([], {**login, "OVIRT_INSECURE": "1"}),
    ):
        result = contracttest("contract", url, *args, env=env)
        assert result.returncode == 0, (args, env, result.stderr)
        assert result.stdout.startswith(f"contract: {url}?rsdl")


# --- files and folders ---------------------------------------------------------------------


def test_a_pinned_contract_folder_everywhere(tmp_path: Path) -> None:
    """The folder a recording pinned, named as the cassette folder or as the pin itself."""
    pinned = json.loads((EXAMPLE / "contract" / "pin.json").read_text())
    for where in (EXAMPLE, EXAMPLE / "contract"):
        result = contracttest("check", str(EXAMPLE), "--contract", str(where))
        assert result.returncode == 0, result.stderr
        line = contract_line(result.stdout)
        assert line.startswith(f"contract: pinned oVirt Engine {pinned['product_version']}")
        assert line.endswith(f"schema {EXAMPLE / 'contract' / 'api.xsd'}")
        summary = contracttest("contract", str(where), "--format", "json")
        assert summary.returncode == 0, summary.stderr
        assert json.loads(summary.stdout)["schema"] is not None


def test_without_contract_the_pinned_one_near_the_cassettes() -> None:
    result = contracttest("check", str(EXAMPLE))
    assert result.returncode == 0, result.stderr
    assert contract_line(result.stdout).startswith("contract: pinned oVirt Engine")


def test_an_rsdl_uses_the_api_xsd_beside_it(tmp_path: Path) -> None:
    rsdl, xsd = bundled_contract()
    beside = tmp_path / "with"
    beside.mkdir()
    shutil.copy(rsdl, beside / "rsdl-4.5.xml")
    shutil.copy(xsd, beside / "api.xsd")
    alone = tmp_path / "alone.xml"
    shutil.copy(rsdl, alone)

    result = contracttest("check", str(EXAMPLE), "--contract", str(beside / "rsdl-4.5.xml"))
    assert contract_line(result.stdout).endswith(f"schema {beside / 'api.xsd'}")
    result = contracttest("check", str(EXAMPLE), "--contract", str(alone))
    assert "no schema, so response.schema did not run" in contract_line(result.stdout)
    document = json.loads(
        contracttest("check", str(EXAMPLE), "--contract", str(alone), "--format", "json").stdout
    )
    assert document["contract"] == {"source": str(alone), "schema": None, "schema_checks": False}
    named = contracttest(
        "check", str(EXAMPLE), "--contract", str(alone), "--schema", str(beside / "api.xsd")
    )
    assert contract_line(named.stdout).endswith(f"schema {beside / 'api.xsd'}")


def test_a_folder_without_a_contract_is_one_line(tmp_path: Path) -> None:
    result = contracttest("check", str(EXAMPLE), "--contract", str(tmp_path))
    assert result.returncode == 2
    assert "a folder without rsdl.xml" in one_error_line(result.stderr)


# --- the one way to resolve them ---------------------------------------------------------------


def test_locate_names_every_kind_alike(tmp_path: Path) -> None:
    url = "https://engine.example.com/ovirt-engine/api"
    for given in (url, f"{url}?rsdl", f"{url}/?rsdl"):
        source = locate(given)
        assert (source.rsdl, source.schema, source.described) == (
            f"{url}?rsdl",
            f"{url}?schema",
            url,
        )
    secret = locate(f"https://admin:{PASSWORD}@engine.example.com/api?rsdl")
    assert PASSWORD not in secret.described
    bundled = locate(None, near=(tmp_path,))
    assert bundled.described == "the bundled v4 contract"
    assert locate(None, "other.xsd").schema == "other.xsd"


def test_access_precedence_and_no_secret_in_repr() -> None:
    env = {
        "OVIRT_USERNAME": "env-user@internal",
        "OVIRT_PASSWORD": "env-pw",
        "OVIRT_CAFILE": "/etc/env-ca.pem",
        "OVIRT_INSECURE": "yes",
    }
    url = "https://url-user:url-pw@engine.example.com/ovirt-engine/api"
    from_options = Access.resolve(url, user="opt@internal", password="opt-pw", environ=env)
    assert (from_options.user, from_options.password) == ("opt@internal", "opt-pw")
    assert from_options.url == "https://engine.example.com/ovirt-engine/api"
    from_env = Access.resolve(url, environ=env)
    assert (from_env.user, from_env.password, from_env.ca_file, from_env.insecure) == (
        "env-user@internal",
        "env-pw",
        "/etc/env-ca.pem",
        True,
    )
    from_url = Access.resolve(url, environ={})
    assert (from_url.user, from_url.password, from_url.insecure) == ("url-user", "url-pw", False)
    for access in (from_options, from_env, from_url):
        assert "pw" not in repr(access)
    assert public_url(url) == "https://engine.example.com/ovirt-engine/api"
    # the plugin's settings (shown in pytest's tracebacks) hold the URL and the password
    settings = Settings(engine=url, password="opt-pw")
    assert "pw" not in repr(settings)


def test_a_trickling_server_cannot_hold_a_fetch() -> None:
    """An engine that answers one byte at a time, forever, within every socket timeout: the
    fetch ends at its deadline with one line, instead of hanging."""
    import socket
    import threading

    from contracttest.client import Client, ClientError

    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def trickle() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n")
            while not stop.wait(0.05):
                try:
                    conn.sendall(b"<")
                except OSError:
                    return

    server = threading.Thread(target=trickle, daemon=True)
    server.start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/ovirt-engine/api"
    client = Client(url, "admin@internal", None, timeout=30, deadline=1.0)
    try:
        with pytest.raises(ClientError, match="no whole answer within 1 s"):
            client.request("GET", "/ovirt-engine/api?rsdl")
    finally:
        stop.set()
        listener.close()
        server.join(timeout=30)


def refused(result: subprocess.CompletedProcess[str]) -> str:
    """Exit 2 and one printable error line (a server's bytes escaped), which it returns."""
    assert result.returncode == 2, result.stdout + result.stderr
    line = one_error_line(result.stderr)
    assert "internal error" not in line
    assert all(c.isprintable() for c in line), repr(line)
    return line


def with_login(url: str) -> str:
    return url.replace("://", f"://admin%40internal:{PASSWORD}@")


# --- what a fresh pair of eyes found, as classes: each test fails on the code before the fix


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
    line = refused(
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
                if done.is_set():  # the poke that wakes ``accept`` at the end
                    return
                conn.recv(65536)
                answer(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/ovirt-engine/api"
    finally:
        done.set()
        # closing a listening socket does not wake a thread blocked in its ``accept``: a
        # connection does
        with contextlib.suppress(OSError):
            socket.create_connection(listener.getsockname(), timeout=5).close()
        thread.join(timeout=30)
        listener.close()


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
        line = refused(contracttest("contract", f"{garbage_server}?rsdl", *login))
        assert garbage_server in line
        assert line.count(garbage_server) == 1


def test_an_answer_cut_off_is_not_a_whole_one(cut_off_server: str) -> None:
    line = refused(contracttest("contract", f"{cut_off_server}?rsdl"))
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
    line = refused(contracttest("contract", str(tmp_path / "rsdl.xml")))
    assert str(tmp_path / "api.xsd") in line and "FIFO" in line


def test_a_bad_port_says_so() -> None:
    line = refused(contracttest("contract", "http://127.0.0.1:99999/ovirt-engine/api"))
    assert "port" in line and line.count("127.0.0.1:99999") == 1

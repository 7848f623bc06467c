"""The proxy under traffic and trouble: clients at once (each exchange recorded whole), an
engine that is down, a request the cassette does not hold, a proxy killed mid-traffic,
hostile requests, and no relay to any host but the target."""

from __future__ import annotations

import base64
import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from contracttest.cassette import load_cassette
from contracttest.client import Access
from contracttest.proxy import Proxy, Watch, open_proxy
from tests.loopback import engine_with_password
from tests.plugin_suite import ROOT

PASSWORD = "traffic-pw"
BASIC = "Basic " + base64.b64encode(f"admin@internal:{PASSWORD}".encode()).decode()
PREFIX = "/ovirt-engine/api"


@pytest.fixture(scope="module")
def engine_url() -> Iterator[str]:
    with engine_with_password(PASSWORD) as url:
        yield url


@contextmanager
def recording(url: str, cassette: Path, lines: list[str] | None = None) -> Iterator[Proxy]:
    watch = Watch(None, write=(lines if lines is not None else []).append)
    target = Access(url, password=PASSWORD)
    with open_proxy("record", watch=watch, cassette=cassette, target=target) as proxy:
        yield proxy


Sent = tuple[str, str, bytes, int, bytes]  # method, target, body sent; status, body got


def client_run(proxy: Proxy, k: int, rounds: int, log: list[Sent]) -> None:
    """One client: its own connection, its own tags, each made and read back."""
    host, port = proxy.server.address
    connection = http.client.HTTPConnection(host, port, timeout=30)
    headers = {"Authorization": BASIC, "Version": "4", "Content-Type": "application/xml"}
    try:
        for i in range(rounds):
            body = f"<tag><name>c{k}-{i}</name><description>{'x' * (k * 300)}</description></tag>"
            for method, target, data in (
                ("POST", f"{PREFIX}/tags", body.encode()),
                ("GET", f"{PREFIX}/tags?search=name%3Dc{k}-{i}", b""),
            ):
                connection.request(method, target, data or None, headers)
                answer = connection.getresponse()
                log.append((method, target, data, answer.status, answer.read()))
    finally:
        connection.close()


def test_four_clients_at_once_each_exchange_recorded_whole(engine_url: str, tmp_path: Path) -> None:
    cassette = tmp_path / "four.yaml"
    logs: list[list[Sent]] = [[] for _ in range(4)]
    with recording(engine_url, cassette) as proxy:
        threads = [
            threading.Thread(target=client_run, args=(proxy, k, 6, logs[k])) for k in range(4)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    recorded = load_cassette(cassette).exchanges
    assert len(recorded) == sum(map(len, logs)) == 48
    sent = {(m, t, b): (s, got) for log in logs for m, t, b, s, got in log}
    assert len(sent) == 48  # every request of every client differs
    for exchange in recorded:
        request, response = exchange.request, exchange.response
        target = request.uri.partition("127.0.0.1")[2].partition("/")[2]
        key = (request.method, "/" + target, request.body)
        assert key in sent, key
        assert (response.status, response.body) == sent.pop(key)
        assert request.header("authorization") == "Basic scrubbed-authorization"
    assert sent == {}
    for k, log in enumerate(logs):  # a client's exchanges in its own order
        mine = [e for e in recorded if f"c{k}-" in (e.request.uri + e.request.body.decode())]
        assert [(e.request.method, e.response.status) for e in mine] == [
            (m, s) for m, _, _, s, _ in log
        ]
        assert all(s in (200, 201) for *_, s, _ in log)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ask(proxy: Proxy, method: str, target: str, body: bytes = b"", **headers: str) -> tuple:
    host, port = proxy.server.address
    connection = http.client.HTTPConnection(host, port, timeout=30)
    try:
        connection.request(method, target, body or None, {"Authorization": BASIC, **headers})
        answer = connection.getresponse()
        return answer.status, answer.read().decode()
    finally:
        connection.close()


def test_a_target_that_is_down_is_a_502_and_a_console_line(tmp_path: Path) -> None:
    lines: list[str] = []
    down = f"http://127.0.0.1:{free_port()}{PREFIX}"
    with recording(down, tmp_path / "down.yaml", lines) as proxy:
        status, body = ask(proxy, "GET", f"{PREFIX}/vms")
    assert status == 502
    assert "<reason>Bad Gateway</reason>" in body and down.rpartition(PREFIX)[0] in body
    assert len(lines) == 1 and "GET /ovirt-engine/api/vms" in lines[0] and "502" in lines[0]
    assert not (tmp_path / "down.yaml").exists()  # nothing the engine said: nothing recorded


def test_a_request_not_in_the_cassette_is_a_fault_naming_the_nearest(
    engine_url: str, tmp_path: Path
) -> None:
    cassette = tmp_path / "small.yaml"
    with recording(engine_url, cassette) as proxy:
        assert ask(proxy, "GET", f"{PREFIX}/clusters?search=name%3DDefault")[0] == 200
    lines: list[str] = []
    with open_proxy("replay", watch=Watch(None, write=lines.append), cassette=cassette) as proxy:
        assert ask(proxy, "GET", f"{PREFIX}/clusters?search=name%3DDefault")[0] == 200
        status, body = ask(proxy, "GET", f"{PREFIX}/clusters?search=name%3DOther")
    assert status == 500
    assert "<reason>Not recorded</reason>" in body
    assert "nearest:   #0 GET /ovirt-engine/api/clusters?search=name%3DDefault" in body
    assert "differs:   query" in body
    assert len(lines) == 1 and "not in the cassette" in lines[0]


def test_no_relay_to_another_host_and_no_tunnel(engine_url: str, tmp_path: Path) -> None:
    with recording(engine_url, tmp_path / "relay.yaml") as proxy:
        for target in ("http://example.com/", "http://127.0.0.2:1/x", "https://evil.test/"):
            status, body = ask(proxy, "GET", target)
            assert status == 403 and "relays only to" in body, target
        status, body = ask(proxy, "CONNECT", "example.com:443")
        assert status == 501 and "CONNECT" in body
        # the target itself, named in full (a forward proxy's request), goes through
        assert ask(proxy, "GET", f"{engine_url}/clusters", Version="4")[0] == 200
    assert len(load_cassette(tmp_path / "relay.yaml").exchanges) == 1


def test_hostile_requests_do_not_hold_the_proxy(engine_url: str, tmp_path: Path) -> None:
    with recording(engine_url, tmp_path / "hostile.yaml") as proxy:
        host, port = proxy.server.address
        idle = [socket.create_connection((host, port)) for _ in range(20)]  # slowloris
        for sock in idle:
            sock.sendall(b"GET /ovirt-engine/api HTTP/1.1\r\nHost: x\r\n")
        huge = socket.create_connection((host, port))
        huge.sendall(
            f"POST {PREFIX}/tags HTTP/1.1\r\nHost: x\r\nContent-Length: {1 << 40}\r\n\r\n".encode()
        )
        assert b" 413 " in huge.recv(4096)
        bad = socket.create_connection((host, port))
        bad.sendall(b"\x00\x01garbage\r\n\r\n")
        assert bad.recv(4096).startswith(b"HTTP/1.1 400")
        assert ask(proxy, "GET", f"{PREFIX}/clusters", Version="4")[0] == 200  # still serving
        for sock in (*idle, huge, bad):
            sock.close()


def killed_mid_traffic(engine_url: str, cassette: Path, delay: float) -> None:
    """A recording proxy in its own process, killed (SIGKILL) ``delay`` seconds into a
    stream of requests."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OVIRT_PASSWORD": PASSWORD}
    command = [sys.executable, "-m", "contracttest", "proxy", "--target", engine_url]
    command += ["--mode", "record", "--cassette", str(cassette)]
    stop = threading.Event()
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
    ) as process:
        assert process.stdout is not None
        url = process.stdout.readline().decode().split(" at ", 1)[1].split()[0]
        host, port = url.split("//")[1].split("/")[0].split(":")

        def traffic() -> None:
            headers = {"Authorization": BASIC, "Content-Type": "application/xml"}
            for i in range(100000):
                if stop.is_set():
                    return
                connection = http.client.HTTPConnection(host, int(port), timeout=10)
                try:
                    body = f"<tag><name>k{delay}-{i}</name></tag>".encode()
                    connection.request("POST", f"{PREFIX}/tags", body, headers)
                    connection.getresponse().read()
                except OSError:
                    return
                finally:
                    connection.close()

        driver = threading.Thread(target=traffic)
        driver.start()
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        stop.set()
        driver.join()


def test_a_killed_proxy_leaves_the_old_cassette_or_a_new_one(
    engine_url: str, tmp_path: Path
) -> None:
    cassette = tmp_path / "killed.yaml"
    old = b"version: 1\ninteractions: []\n"
    found = []
    for delay in (0.05, 0.4, 1.0):
        cassette.write_bytes(old)
        killed_mid_traffic(engine_url, cassette, delay)
        data = cassette.read_bytes()
        if data == old:
            found.append("old")
            continue
        exchanges = load_cassette(cassette).exchanges  # whole: it parses
        assert exchanges and all(e.response.status == 201 for e in exchanges)
        assert PASSWORD.encode() not in data
        found.append("new")
    assert "new" in found  # what was recorded reached the disk before the kill


def test_a_target_that_cannot_be_relayed_is_a_400(engine_url: str, tmp_path: Path) -> None:
    with recording(engine_url, tmp_path / "raw.yaml") as proxy:
        host, port = proxy.server.address
        with socket.create_connection((host, port)) as sock:
            sock.sendall(f"GET {PREFIX}/vms/\xe9t\xe9 HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            assert sock.recv(4096).startswith(b"HTTP/1.1 400")
        assert ask(proxy, "GET", f"{PREFIX}/clusters", Version="4")[0] == 200


def test_an_https_target_is_trusted_as_the_plugin_trusts_it(tmp_path: Path) -> None:
    from tests.loopback import tls_engine

    with tls_engine(tmp_path, PASSWORD) as (url, cert):
        for trust, status in (({}, 502), ({"ca_file": str(cert)}, 200), ({"insecure": True}, 200)):
            lines: list[str] = []
            target = Access(url, password=PASSWORD, **trust)  # type: ignore[arg-type]
            watch = Watch(None, write=lines.append)
            cassette = tmp_path / "tls.yaml"
            with open_proxy("record", watch=watch, cassette=cassette, target=target) as proxy:
                assert ask(proxy, "GET", f"{PREFIX}/clusters", Version="4")[0] == status, trust
            assert bool(lines) == (status == 502), lines
    assert "https://127.0.0.1:" in load_cassette(cassette).exchanges[0].request.uri


def test_a_cassette_that_cannot_be_written_is_said_and_the_file_kept(
    engine_url: str, tmp_path: Path
) -> None:
    from contracttest.errors import CassetteError

    cassette = tmp_path / "kept.yaml"
    cassette.write_bytes(b"version: 1\ninteractions: []\n")
    cassette.chmod(0o444)
    lines: list[str] = []
    refused = pytest.raises(CassetteError, match=r"kept\.yaml: not written: the file is read")
    with refused, recording(engine_url, cassette, lines) as proxy:
        assert ask(proxy, "GET", f"{PREFIX}/clusters", Version="4")[0] == 200
        deadline = time.monotonic() + 10
        while not lines and time.monotonic() < deadline:
            time.sleep(0.01)
    assert lines and "kept.yaml: not written" in lines[0]
    assert cassette.read_bytes() == b"version: 1\ninteractions: []\n"


def test_a_request_recorded_several_times_replays_its_answers_in_order(
    engine_url: str, tmp_path: Path
) -> None:
    cassette = tmp_path / "polled.yaml"
    xml = {"Version": "4", "Content-Type": "application/xml"}
    with recording(engine_url, cassette) as proxy:
        status, body = ask(
            proxy, "POST", f"{PREFIX}/tags", b"<tag><name>polled</name></tag>", **xml
        )
        assert status == 201
        href = body.split('href="', 1)[1].split('"', 1)[0]
        seen = []
        for step in ("one", "two"):
            seen.append(ask(proxy, "GET", href, **xml))
            update = f"<tag><description>{step}</description></tag>".encode()
            assert ask(proxy, "PUT", href, update, **xml)[0] == 200
        seen.append(ask(proxy, "GET", href, **xml))
    with open_proxy("replay", watch=Watch(None), cassette=cassette) as proxy:
        played = [ask(proxy, "GET", href, **xml)]
        for step in ("one", "two"):
            update = f"<tag><description>{step}</description></tag>".encode()
            assert ask(proxy, "PUT", href, update, **xml)[0] == 200
            played.append(ask(proxy, "GET", href, **xml))
        played.append(ask(proxy, "GET", href, **xml))  # past the recording: the last again
    assert played[:3] == seen and played[3] == seen[2]
    assert "<description>two</description>" in seen[2][1]

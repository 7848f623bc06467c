"""The embedded engine over real HTTP on loopback.

Every test talks to an ``EngineServer`` on 127.0.0.1 (port 0) with ``http.client`` or a raw
socket, as a client of a real engine would. The v3 behaviour is checked against the corpus
3.6 contract (skipped where the corpus is absent); the v4 behaviour against the bundled v4
contract (skipped while ``contracttest/contracts/v4/rsdl.xml`` does not exist); tests that
hold for both run against each. A module server of each version is shared where state does
not matter (tests there use unique names and their own entities); tests that count what a
listing holds, need a short token lifetime or a data folder start a fresh engine.

What the engine cannot know is pinned as ``xfail(strict=True)`` with the evidence.
"""

from __future__ import annotations

import base64
import http.client
import json
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

import contracttest
from contracttest.engine import Engine, EngineServer, open_engine
from contracttest.xmlsafe import Element, parse

RSDL_36 = Path("rsdl") / "rsdl_3.6_pysdk_e99bbd10.xml"
XSD_36 = Path("xsd") / "api_3.6_pysdk_e99bbd10.xsd"
BUNDLED_RSDL = Path(contracttest.__file__).parent / "contracts" / "v4" / "rsdl.xml"

ADMIN = "admin@internal"
USER = "user@internal"
#: Not the default password, and with a colon: Basic splits user from password at the first.
PASSWORD = "s3cret:pass word"
SYNTAX = "Request syntactically incorrect."
SSO_TOKEN = "/ovirt-engine/sso/oauth/token"
SSO_LOGOUT = "/ovirt-engine/services/sso-logout"
NIC_STATISTICS = {"data.current.rx", "data.current.tx", "errors.total.rx", "errors.total.tx"}
TIMEOUT = 30.0  # no client call may wait longer than this for the engine (a hang's bound)

Contract = tuple[Path | None, Path | None]


# -- a small client ----------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    @property
    def xml(self) -> Element:
        return parse(self.body)

    @property
    def fault(self) -> tuple[str, str]:
        root = self.xml
        assert root.tag == "fault", self
        return root.findtext("reason") or "", root.findtext("detail") or ""

    def json(self) -> dict[str, str]:
        assert (self.header("Content-Type") or "").startswith("application/json"), self
        value = json.loads(self.body)
        assert isinstance(value, dict)
        return value

    def names(self) -> list[str]:
        return [child.findtext("name") or "" for child in self.xml]

    def __repr__(self) -> str:
        return f"<Reply {self.status} {dict(self.headers)} {self.body[:400]!r}>"


def basic(user: str, password: str = PASSWORD) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class Api:
    """One engine on loopback: keep-alive connections (one a thread), Basic admin by default."""

    def __init__(self, server: EngineServer, engine: Engine) -> None:
        self.server = server
        self.engine = engine
        self.host, self.port = server.address
        self.prefix = engine.prefix
        self.major = engine.model.major
        self._local = threading.local()
        self._connections: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    def connect(self, timeout: float = TIMEOUT) -> http.client.HTTPConnection:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        with self._lock:
            self._connections.append(connection)
        return connection

    @property
    def connection(self) -> http.client.HTTPConnection:
        found: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if found is None:
            found = self._local.connection = self.connect()
        return found

    def raw(self, timeout: float = TIMEOUT) -> socket.socket:
        return socket.create_connection((self.host, self.port), timeout=timeout)

    def close(self) -> None:
        with self._lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()

    def url(self, path: str) -> str:
        return path if path.startswith("/ovirt-engine") else self.prefix + path

    def request(
        self,
        method: str,
        path: str,
        body: str | bytes | None = None,
        headers: dict[str, str | None] | None = None,
        *,
        user: str | None = ADMIN,
        password: str = PASSWORD,
        connection: http.client.HTTPConnection | None = None,
    ) -> Reply:
        sent: dict[str, str] = {"Accept": "application/xml"}
        if body is not None:
            sent["Content-Type"] = "application/xml"
        if user is not None:
            sent["Authorization"] = basic(user, password)
        for name, value in (headers or {}).items():
            if value is None:
                sent.pop(name, None)
            else:
                sent[name] = value
        data = body.encode() if isinstance(body, str) else body
        for attempt in (1, 2):
            used = connection or self.connection
            try:
                used.request(method, self.url(path), data, sent)
                response = used.getresponse()
                return Reply(response.status, response.headers, response.read())
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # the thread's kept-alive connection, closed by the engine after it was idle
                # (a busy machine can make the gap between two tests longer than the idle
                # limit): once more on a new one, as every keep-alive client does
                if connection is not None or attempt == 2:
                    raise
                used.close()
        raise AssertionError("unreachable")

    def get(self, path: str, **kw: object) -> Reply:
        return self.request("GET", path, **kw)  # type: ignore[arg-type]

    def post(self, path: str, body: str | bytes | None, **kw: object) -> Reply:
        return self.request("POST", path, body, **kw)  # type: ignore[arg-type]

    def put(self, path: str, body: str | bytes, **kw: object) -> Reply:
        return self.request("PUT", path, body, **kw)  # type: ignore[arg-type]

    def delete(self, path: str, body: str | None = None, **kw: object) -> Reply:
        return self.request("DELETE", path, body, **kw)  # type: ignore[arg-type]

    def form(self, path: str, fields: dict[str, str]) -> Reply:
        """An SSO form post, as ovirtsdk4 sends it."""
        headers: dict[str, str | None] = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        }
        return self.post(path, urlencode(fields), headers=headers, user=None)

    def token(self, user: str = ADMIN, password: str = PASSWORD) -> str:
        reply = self.form(
            SSO_TOKEN,
            {
                "grant_type": "password",
                "scope": "ovirt-app-api",
                "username": user,
                "password": password,
            },
        )
        assert reply.status == 200, reply
        return reply.json()["access_token"]


def unique(prefix: str = "vm") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def vm_body(name: str, extra: str = "") -> str:
    return (
        f"<vm><name>{name}</name><cluster><name>Default</name></cluster>"
        f"<template><name>Blank</name></template>{extra}</vm>"
    )


def add_vm(api: Api, name: str | None = None, extra: str = "", user: str = ADMIN) -> str:
    reply = api.post(
        "/vms", vm_body(name or unique(), extra), headers={"Expect": "201-created"}, user=user
    )
    assert reply.status == 201, reply
    return reply.xml.get("id") or ""


def add_nic(api: Api, vm: str, name: str | None = None) -> str:
    reply = api.post(
        f"/vms/{vm}/nics",
        f"<nic><name>{name or unique('nic')}</name></nic>",
        headers={"Expect": "201-created"},
    )
    assert reply.status == 201, reply
    return reply.xml.get("id") or ""


def state(element: Element) -> str:
    """``<status><state>up</state></status>`` (v3) or ``<status>up</status>`` (v4)."""
    status = element.find("status")
    assert status is not None, parse_repr(element)
    held = status.find("state")
    return ((held.text if held is not None else status.text) or "").strip()


def parse_repr(element: Element) -> str:
    return etree.tostring(element).decode()[:600]


def vm_state(api: Api, vm: str) -> str:
    reply = api.get(f"/vms/{vm}")
    assert reply.status == 200, reply
    return state(reply.xml)


def first_id(api: Api, path: str) -> str:
    reply = api.get(path)
    assert reply.status == 200 and len(reply.xml), reply
    return reply.xml[0].get("id") or ""


def assert_serving(api: Api) -> None:
    """The server still answers a normal request, on the thread's keep-alive connection."""
    reply = api.get("/clusters")
    assert reply.status == 200, reply
    assert "Default" in reply.names()


def assert_not_found(api: Api, reply: Reply) -> None:
    assert reply.status == 404, reply
    if api.major >= 4:
        assert reply.body == b"", reply  # v4 answers an unknown id with an empty 404
    else:
        assert reply.fault[0] == "Not Found", reply


# -- engines -------------------------------------------------------------------------------


@contextmanager
def running(contract: Contract, **options: object) -> Iterator[Api]:
    """An engine for ``contract`` served on a free loopback port; closed afterwards."""
    engine = open_engine(contract[0], contract[1], password=PASSWORD, **options)  # type: ignore[arg-type]
    try:
        with EngineServer(engine.handle) as server:
            api = Api(server, engine)
            try:
                yield api
            finally:
                api.close()
                _stop_quickly(server)
    finally:
        engine.close()


def _stop_quickly(server: EngineServer) -> None:
    """``server.stop()``, with connections that wake its accept loop so that the stop does
    not wait out the loop's poll interval (a fresh engine per test would add up)."""
    address = server.address
    stopper = threading.Thread(target=server.stop)
    stopper.start()
    while stopper.is_alive():
        with suppress(OSError):
            socket.create_connection(address, timeout=0.05).close()
        stopper.join(0.005)


@pytest.fixture(scope="session")
def v3_contract(corpus: Path) -> Contract:
    return corpus / RSDL_36, corpus / XSD_36


@pytest.fixture(scope="session")
def v4_contract() -> Contract:
    if not BUNDLED_RSDL.is_file():
        pytest.skip(f"bundled v4 contract not written yet ({BUNDLED_RSDL} is absent)")
    return None, None


@pytest.fixture(scope="module")
def v3(v3_contract: Contract) -> Iterator[Api]:
    """A shared v3 engine: tests on it use unique names and their own entities."""
    with running(v3_contract) as api:
        yield api


@pytest.fixture(scope="module")
def v4(v4_contract: Contract) -> Iterator[Api]:
    """A shared v4 engine: tests on it use unique names and their own entities."""
    with running(v4_contract) as api:
        yield api


@pytest.fixture(params=["v3", "v4"])
def api(request: pytest.FixtureRequest) -> Api:
    """The shared engine of each API version."""
    found: Api = request.getfixturevalue(request.param)
    return found


@pytest.fixture
def start(request: pytest.FixtureRequest) -> Iterator[Callable[..., Api]]:
    """Start fresh engines (``start("v3", token_ttl=0.5)``); all stopped after the test."""
    with ExitStack() as stack:

        def starter(version: str, **options: object) -> Api:
            contract: Contract = request.getfixturevalue(f"{version}_contract")
            return stack.enter_context(running(contract, **options))

        yield starter


@pytest.fixture(params=["v3", "v4"])
def fresh(request: pytest.FixtureRequest, start: Callable[..., Api]) -> Api:
    """A fresh engine of each API version, for tests whose state must be their own."""
    return start(request.param)


# -- bad input: answered, never a 500 or a hang, and the server keeps serving --------------

MALFORMED = [
    pytest.param("POST", "/vms", "<vm><name>x</name", 400, SYNTAX, "well-formed", id="malformed"),
    pytest.param("POST", "/vms", "<host><name>x</name></host>", 400, SYNTAX, "<host>", id="root"),
    pytest.param("POST", "/vms", "", 400, SYNTAX, "body", id="empty-body"),
    pytest.param("POST", "/vms", '{"name": "x"}', 400, SYNTAX, "", id="json-body"),
    pytest.param(
        "POST", "/vms", b"<vm><name>\xff\xfe</name></vm>", 400, SYNTAX, "", id="bad-encoding"
    ),
    pytest.param(
        "POST", "/vms", "<vm>" + "<a>" * 5000 + "</a>" * 5000 + "</vm>", 400, SYNTAX, "",
        id="deep-nesting",
    ),
    pytest.param("POST", "/vms/{vm}/start", "<vm/>", 400, SYNTAX, "<action>", id="action-root"),
    pytest.param(
        "POST", "/vms", vm_body("{name}", "<memory>lots</memory>"), 400, "Invalid value", "lots",
        id="not-a-number",
    ),
    pytest.param(
        "POST", "/vms",
        "<vm><name>{name}</name><template><name>Blank</name></template></vm>",
        400, "Incomplete parameters", "cluster.id|name", id="missing-cluster",
    ),
    pytest.param(
        "POST", "/vms",
        "<vm><name>{name}</name><cluster><name>No Such</name></cluster>"
        "<template><name>Blank</name></template></vm>",
        400, "Operation Failed", "Entity not found", id="unknown-cluster",
    ),
    pytest.param(
        "POST", "/vms",
        "<vm><name>{name}</name><cluster id='00000000-0000-0000-0000-0000000000ff'/>"
        "<template><name>Blank</name></template></vm>",
        400, "Operation Failed", "Entity not found", id="unknown-cluster-id",
    ),
    pytest.param("GET", "/vms?search=name%3D", None, 400, None, "", id="malformed-search"),
    pytest.param("PUT", "/vms/{vm}", "<vm><name>x</name", 400, SYNTAX, "", id="put-malformed"),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "body", "status", "reason", "detail"), MALFORMED)
def test_bad_request_is_answered_with_its_fault(
    api: Api,
    method: str,
    path: str,
    body: str | bytes | None,
    status: int,
    reason: str | None,
    detail: str,
) -> None:
    vm = add_vm(api) if "{vm}" in path else ""
    if isinstance(body, str):
        body = body.replace("{name}", unique())
    reply = api.request(method, path.replace("{vm}", vm), body)
    assert reply.status == status, reply
    assert reply.header("Content-Type") == "application/xml", reply
    if reason is not None:
        found_reason, found_detail = reply.fault
        assert found_reason == reason, reply
        assert detail in found_detail, reply
    assert_serving(api)


def test_missing_parameter_detail_names_it(api: Api) -> None:
    body = f"<vm><name>{unique()}</name><template><name>Blank</name></template></vm>"
    reply = api.post("/vms", body, headers={"Expect": "201-created"})
    assert reply.status == 400
    assert reply.fault == ("Incomplete parameters", "VM [cluster.id|name] required for add")


@pytest.mark.parametrize(
    "version",
    [
        pytest.param(
            "v3",
            marks=pytest.mark.xfail(
                strict=True,
                reason="limitation: v3 accepts an unknown enum value (<type>bogus</type> -> 201); "
                "the real v3 engine validates enums server-side (400 Invalid value, 'bogus is "
                "not a member of VmType'); the engine only knows XSD enumerations, which the "
                "v3 XSD does not have",
            ),
        ),
        "v4",
    ],
)
def test_bad_enum_value_is_invalid_value(request: pytest.FixtureRequest, version: str) -> None:
    api: Api = request.getfixturevalue(version)
    body = vm_body(unique(), "<type>bogus</type>")
    reply = api.post("/vms", body, headers={"Expect": "201-created"})
    assert reply.status == 400, reply
    reason, detail = reply.fault
    assert reason == "Invalid value"
    assert "bogus" in detail and "VmType" in detail
    assert_serving(api)


def test_unknown_path_and_id_are_404(api: Api) -> None:
    assert_not_found(api, api.get("/nothing_here"))
    assert_not_found(api, api.get(f"/vms/{uuid.uuid4()}"))
    assert_not_found(api, api.get("/vms/not-an-id/nics"))
    assert_not_found(api, api.put(f"/vms/{uuid.uuid4()}", "<vm><description>x</description></vm>"))
    assert_not_found(api, api.delete(f"/vms/{uuid.uuid4()}"))
    assert_not_found(api, api.post(f"/vms/{uuid.uuid4()}/start", "<action/>"))
    assert_not_found(api, api.get("/vms/..%2f..%2fetc%2fpasswd"))
    assert_serving(api)


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [("PATCH", "/vms", {"GET", "POST"}), ("PUT", "/vms", {"GET", "POST"}), ("POST", "", {"GET"})],
)
def test_unsupported_method_is_405_with_allow(
    api: Api, method: str, path: str, allowed: set[str]
) -> None:
    reply = api.request(method, path, "<vm/>")
    assert reply.status == 405, reply
    assert {part.strip() for part in (reply.header("Allow") or "").split(",")} == allowed
    assert_serving(api)


def test_action_in_wrong_state_is_409(api: Api) -> None:
    vm = add_vm(api)
    assert api.post(f"/vms/{vm}/start", "<action/>").status == 200
    reply = api.post(f"/vms/{vm}/start", "<action/>")
    assert reply.status == 409, reply
    assert reply.fault == ("Operation Failed", "[Cannot run VM. VM is running.]")
    reply = api.delete(f"/vms/{vm}")
    assert reply.status == 409, reply
    assert reply.fault == ("Operation Failed", "[Cannot remove VM. VM is running.]")
    assert vm_state(api, vm) == "up"
    assert_serving(api)


def test_duplicate_name_is_409(api: Api) -> None:
    name = unique()
    add_vm(api, name)
    reply = api.post("/vms", vm_body(name), headers={"Expect": "201-created"})
    assert reply.status == 409, reply
    reason, detail = reply.fault
    assert reason == "Operation Failed"
    assert re.fullmatch(r"\[Cannot add VM\. .*\]", detail) and name in detail
    other = add_vm(api)
    reply = api.put(f"/vms/{other}", f"<vm><name>{name}</name></vm>")
    assert reply.status == 409, reply
    assert reply.fault[1].startswith("[Cannot edit VM.")
    assert_serving(api)


def _passwd_lines() -> list[str]:
    try:
        text = Path("/etc/passwd").read_text()
    except OSError:
        return ["root:x:0:0"]
    return [line for line in text.splitlines() if line.strip()][:5] or ["root:x:0:0"]


def test_xxe_payload_is_refused_and_leaks_nothing(api: Api) -> None:
    name = unique()
    payload = (
        '<?xml version="1.0"?><!DOCTYPE vm [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        f"<vm><name>{name}&x;</name><description>&x;</description>"
        "<cluster><name>Default</name></cluster><template><name>Blank</name></template></vm>"
    )
    reply = api.post("/vms", payload, headers={"Expect": "201-created"})
    assert reply.status == 400, reply
    assert reply.fault[0] == SYNTAX
    listing = api.get("/vms")
    assert listing.status == 200
    for line in _passwd_lines():
        assert line.encode() not in reply.body
        assert line.encode() not in listing.body
    assert b"root:" not in reply.body + listing.body
    assert not [found for found in listing.names() if found.startswith(name)]
    assert_serving(api)


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE vm SYSTEM "http://127.0.0.1:{port}/evil.dtd">',
        '<!DOCTYPE vm [<!ENTITY % p SYSTEM "http://127.0.0.1:{port}/evil.dtd"> %p;]>',
    ],
    ids=["external-dtd", "parameter-entity"],
)
def test_external_dtd_is_never_fetched(v3: Api, doctype: str) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.setblocking(False)
        port = listener.getsockname()[1]
        reply = v3.post("/vms", doctype.format(port=port) + vm_body(unique()))
        assert reply.status == 400, reply
        assert reply.fault[0] == SYNTAX
        # a fetch would have connected while the request was parsed, before the answer
        with pytest.raises(BlockingIOError):
            connection, _ = listener.accept()
            connection.close()
    assert_serving(v3)


def test_billion_laughs_is_refused_quickly(api: Api) -> None:
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    ]
    payload = (
        f'<?xml version="1.0"?><!DOCTYPE vm [{"".join(entities)}]>'
        "<vm><name>&lol9;</name><cluster><name>Default</name></cluster></vm>"
    )
    reply = api.post("/vms", payload)  # an expansion would answer late (or never) and not 400
    assert reply.status == 400, reply
    assert reply.fault[0] == SYNTAX
    assert len(reply.body) < 4096
    assert_serving(api)


def test_ten_megabyte_body_is_413_and_the_connection_survives(api: Api) -> None:
    connection = api.connect()
    body = b"<vm><name>" + b"x" * (10 * 1024 * 1024) + b"</name></vm>"
    reply = api.post("/vms", body, connection=connection)
    assert reply.status == 413, reply
    assert reply.fault[0] == "Request Entity Too Large"
    sock = connection.sock
    again = api.get("/clusters", connection=connection)
    assert again.status == 200, again
    assert connection.sock is sock  # the body was drained: the same connection goes on
    assert_serving(api)


def _read_all(sock: socket.socket, limit: int = 1 << 20) -> bytes:
    """Everything until the server closes (or the client timeout, which fails the read)."""
    data = b""
    while len(data) < limit:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def _read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One HTTP response off a raw socket (Content-Length framed)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before a full response: {data!r}"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("iso-8859-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk
        rest += chunk
    return status, headers, rest[:length]


def test_huge_declared_body_is_413_and_closed(v3: Api) -> None:
    with v3.raw() as sock:
        sock.sendall(
            f"POST {v3.prefix}/vms HTTP/1.1\r\nHost: x\r\nAuthorization: {basic(ADMIN)}\r\n"
            "Content-Type: application/xml\r\nContent-Length: 500000000\r\n\r\n".encode()
        )
        status, headers, body = _read_response(sock)
        assert status == 413
        assert headers.get("connection") == "close"
        assert b"Request Entity Too Large" in body
    assert_serving(v3)


@pytest.mark.parametrize(
    "line",
    [b"GARBAGE\r\n", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n", b"GET\r\n"],
    ids=["word", "tls-hello", "no-path"],
)
def test_garbage_request_line_gets_400_and_no_hang(v3: Api, line: bytes) -> None:
    with v3.raw() as sock:
        sock.sendall(line)
        answer = _read_all(sock)  # the server closes: no hang (else TimeoutError)
    assert b"400" in answer, answer
    assert b"500" not in answer, answer
    assert_serving(v3)


def test_garbage_request_line_gets_an_http11_status_line(v3: Api) -> None:
    with v3.raw() as sock:
        sock.sendall(b"GARBAGE\r\n")
        answer = _read_all(sock)
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:200]


def test_truncated_body_does_not_block_others(v3: Api) -> None:
    """A body shorter than its Content-Length: others are served meanwhile; at EOF, a 400."""
    with v3.raw() as stalled:
        stalled.sendall(
            f"POST {v3.prefix}/vms HTTP/1.1\r\nHost: x\r\nAuthorization: {basic(ADMIN)}\r\n"
            "Content-Type: application/xml\r\nContent-Length: 1000\r\n\r\n<vm><name>".encode()
        )
        results: list[int] = []

        def other() -> None:
            connection = v3.connect()
            try:
                results.append(v3.get("/clusters", connection=connection).status)
            finally:
                connection.close()

        threads = [threading.Thread(target=other) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=TIMEOUT)
        assert results == [200] * 4  # while the stalled body is still awaited (a 400 below)
        stalled.shutdown(socket.SHUT_WR)  # the client gives up sending: the server sees EOF
        status, _, body = _read_response(stalled)
        assert status == 400
        assert parse(body).findtext("reason") == SYNTAX
    assert_serving(v3)


def test_malformed_chunked_body_is_400(v3: Api) -> None:
    with v3.raw() as sock:
        sock.sendall(
            f"POST {v3.prefix}/vms HTTP/1.1\r\nHost: x\r\nAuthorization: {basic(ADMIN)}\r\n"
            "Content-Type: application/xml\r\nTransfer-Encoding: chunked\r\n\r\n"
            "ZZ\r\n<vm/>\r\n0\r\n\r\n".encode()
        )
        answer = _read_all(sock)
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:200]


def test_chunked_body_is_read(v3: Api) -> None:
    body = vm_body(unique()).encode()
    with v3.raw() as sock:
        sock.sendall(
            f"POST {v3.prefix}/vms HTTP/1.1\r\nHost: x\r\nAuthorization: {basic(ADMIN)}\r\n"
            "Content-Type: application/xml\r\nExpect: 201-created\r\n"
            "Transfer-Encoding: chunked\r\n\r\n".encode()
            + f"{len(body[:20]):x}\r\n".encode()
            + body[:20]
            + f"\r\n{len(body[20:]):x}\r\n".encode()
            + body[20:]
            + b"\r\n0\r\n\r\n"
        )
        status, _, _ = _read_response(sock)
    assert status == 201


@pytest.mark.parametrize(
    "search",
    [
        pytest.param("page ²", id="unicode-digit"),
        pytest.param("page " + "9" * 5000, id="huge-page"),
    ],
)
def test_odd_page_number_is_a_400_not_a_500(v3: Api, search: str) -> None:
    reply = v3.get("/vms?" + urlencode({"search": search}))
    assert reply.status == 400, reply


# -- authentication ------------------------------------------------------------------------


def test_basic_admin_with_a_colon_in_the_password(api: Api) -> None:
    reply = api.get("/vms")
    assert reply.status == 200, reply
    assert reply.xml.tag == "vms"


@pytest.mark.parametrize(
    "authorization",
    [
        basic(ADMIN, "wrong"),
        basic("nobody@internal"),
        basic("admin", "wrong"),
        "Basic !!!not-base64",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Digest username=admin",
        "Bearer not-a-token",
        None,
    ],
    ids=["wrong-password", "unknown-user", "no-domain", "bad-b64", "no-colon", "digest", "bearer",
         "none"],
)  # fmt: skip
def test_unauthorized_is_401_with_basic_challenge(api: Api, authorization: str | None) -> None:
    reply = api.get("/vms", headers={"Authorization": authorization}, user=None)
    assert reply.status == 401, reply
    assert reply.header("WWW-Authenticate") == 'Basic realm="RESTAPI"'
    assert reply.header("Correlation-Id")
    assert b"<vm " not in reply.body
    assert_serving(api)


def test_user_of_a_domain_with_spaces_logs_in(api: Api) -> None:
    name = "jane@My Directory"
    assert api.get("/vms", user=name).status == 401  # not a user yet
    reply = api.post(
        "/users",
        f"<user><user_name>{name}</user_name><domain><name>internal-authz</name></domain></user>",
        headers={"Expect": "201-created"},
    )
    assert reply.status == 201, reply
    assert reply.xml.findtext("user_name") == name
    reply = api.get("/vms", user=name)
    assert reply.status == 200, reply
    assert api.get("/vms", user=name, password="wrong").status == 401
    assert api.get("/vms", user="jane@Other Directory").status == 401


def test_persistent_auth_session(api: Api) -> None:
    reply = api.get("/vms", headers={"Prefer": "persistent-auth"})
    assert reply.status == 200, reply
    cookie = reply.header("Set-Cookie") or ""
    match = re.match(r"JSESSIONID=([^;]+);", cookie)
    assert match, cookie
    assert f"Path={api.prefix}" in cookie
    session = f"JSESSIONID={match.group(1)}"
    keep = {"Cookie": session, "Prefer": "persistent-auth"}
    for _ in range(2):
        again = api.get("/vms", headers=keep, user=None)
        assert again.status == 200, again
        assert again.header("Set-Cookie") is None
    # a request without Prefer is served, and ends the session
    assert api.get("/vms", headers={"Cookie": session}, user=None).status == 200
    ended = api.get("/vms", headers=keep, user=None)
    assert ended.status == 401, ended
    assert ended.header("WWW-Authenticate") == 'Basic realm="RESTAPI"'


def test_unknown_session_with_basic_still_works(api: Api) -> None:
    reply = api.get("/vms", headers={"Cookie": "JSESSIONID=nope", "Prefer": "persistent-auth"})
    assert reply.status == 200, reply
    assert (reply.header("Set-Cookie") or "").startswith("JSESSIONID=")


def test_sso_token_and_bearer(api: Api) -> None:
    before = time.time()
    reply = api.form(
        SSO_TOKEN,
        {
            "grant_type": "password",
            "scope": "ovirt-app-api",
            "username": ADMIN,
            "password": PASSWORD,
        },
    )
    assert reply.status == 200, reply
    answer = reply.json()
    assert answer["token_type"].lower() == "bearer"
    assert answer["scope"] == "ovirt-app-api"
    assert isinstance(answer["exp"], str) and answer["exp"].isdigit()
    assert int(answer["exp"]) >= before * 1000  # milliseconds, in the future
    assert int(answer["exp"]) < (time.time() + 10 * 86400) * 1000
    token = answer["access_token"]
    assert token
    bearer = {"Authorization": f"Bearer {token}"}
    reply = api.get("/vms", headers=bearer, user=None)
    assert reply.status == 200, reply
    assert api.get("/vms", headers={"Authorization": f"Bearer {token}x"}, user=None).status == 401


@pytest.mark.parametrize(
    "fields",
    [
        {"password": "wrong"},
        {"username": "nobody@internal"},
        {"grant_type": "client_credentials"},
    ],
    ids=["password", "user", "grant"],
)
def test_sso_refusal_is_400_json(api: Api, fields: dict[str, str]) -> None:
    form = {
        "grant_type": "password",
        "scope": "ovirt-app-api",
        "username": ADMIN,
        "password": PASSWORD,
        **fields,
    }
    reply = api.form(SSO_TOKEN, form)
    assert reply.status == 400, reply
    answer = reply.json()
    assert answer.get("error_code")
    assert answer.get("error")
    assert "access_token" not in answer


def test_sso_logout_revokes_the_token(api: Api) -> None:
    token = api.token()
    bearer = {"Authorization": f"Bearer {token}"}
    assert api.get("/vms", headers=bearer, user=None).status == 200
    reply = api.form(SSO_LOGOUT, {"scope": "ovirt-app-api", "token": token})
    assert reply.status == 200, reply
    reply.json()
    revoked = api.get("/vms", headers=bearer, user=None)
    assert revoked.status == 401, revoked
    assert revoked.header("WWW-Authenticate") == 'Basic realm="RESTAPI"'


class Clock:
    """The time the engine's tokens live by, moved by the test alone: on the wall clock, a
    busy machine can let a short lifetime run out between a login and the next request."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize("version", ["v3", "v4"])
def test_expired_token_is_401(
    start: Callable[..., Api], version: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = start(version, token_ttl=0.5)
    clock = Clock()
    monkeypatch.setattr(api.engine.auth, "_clock", clock)
    token = api.token()
    bearer = {"Authorization": f"Bearer {token}"}
    assert api.get("/vms", headers=bearer, user=None).status == 200
    clock.now += 0.7
    expired = api.get("/vms", headers=bearer, user=None)
    assert expired.status == 401, expired
    assert expired.header("WWW-Authenticate") == 'Basic realm="RESTAPI"'
    assert (
        api.get("/vms", headers={"Authorization": f"Bearer {api.token()}"}, user=None).status == 200
    )


# -- the user filter -----------------------------------------------------------------------


def _filtered(api: Api, path: str) -> tuple[str, dict[str, str | None]]:
    """``Filter: true`` as v3 clients send it; ``filter=true`` as a v4 query parameter."""
    if api.major >= 4:
        return f"{path}{'&' if '?' in path else '?'}filter=true", {}
    return path, {"Filter": "true"}


@pytest.fixture(scope="module", params=["v3", "v4"])
def owners(request: pytest.FixtureRequest) -> Iterator[tuple[Api, str, str]]:
    """A fresh engine with one VM of the non-admin user's and one of the admin's."""
    contract: Contract = request.getfixturevalue(f"{request.param}_contract")
    with running(contract) as api:
        yield api, add_vm(api, "mine", user=USER), add_vm(api, "theirs")


def test_filter_shows_a_user_only_its_own(owners: tuple[Api, str, str]) -> None:
    api, mine, theirs = owners
    path, headers = _filtered(api, "/vms")
    reply = api.get(path, headers=headers, user=USER)
    assert reply.status == 200, reply
    assert [vm.get("id") for vm in reply.xml] == [mine]
    assert reply.names() == ["mine"]
    path, headers = _filtered(api, f"/vms/{theirs}")
    assert_not_found(api, api.get(path, headers=headers, user=USER))
    path, headers = _filtered(api, f"/vms/{mine}")
    assert api.get(path, headers=headers, user=USER).status == 200
    assert api.get("/vms").names() == ["mine", "theirs"]  # the admin, unfiltered
    if api.major >= 4:
        assert api.get("/vms?filter=false").names() == ["mine", "theirs"]
    else:
        assert api.get("/vms", headers={"Filter": "false"}).names() == ["mine", "theirs"]


def test_filter_for_admin_still_shows_everything(owners: tuple[Api, str, str]) -> None:
    api, _, _ = owners
    path, headers = _filtered(api, "/vms")
    assert api.get(path, headers=headers).names() == ["mine", "theirs"]


# -- Version and Correlation-Id --------------------------------------------------------------


def test_other_version_is_a_bare_400(api: Api) -> None:
    mine = str(api.major)
    assert api.get("/vms", headers={"Version": mine}).status == 200
    for other in ("3" if mine == "4" else "4", "5", "banana"):
        reply = api.get("/vms", headers={"Version": other})
        assert reply.status == 400, reply
        assert reply.body == b""
        assert reply.header("Correlation-Id")
    assert_serving(api)


def test_correlation_id_echoed_sanitised(v3: Api) -> None:
    assert v3.get("/vms", headers={"Correlation-Id": "abc-123_XYZ"}).header("Correlation-Id") == (
        "abc-123_XYZ"
    )
    given = "a b.c/d;e{f}" + "x" * 60
    reply = v3.get("/vms", headers={"Correlation-Id": given})
    assert reply.header("Correlation-Id") == ("abcdef" + "x" * 60)[:36]
    reply = v3.get("/vms?correlation_id=from.query-1")
    assert reply.header("Correlation-Id") == "fromquery-1"
    reply = v3.get("/vms?correlation_id=query", headers={"Correlation-Id": "header"})
    assert reply.header("Correlation-Id") == "header"
    first = v3.get("/vms").header("Correlation-Id") or ""
    second = v3.get("/vms").header("Correlation-Id") or ""
    assert str(uuid.UUID(first)) == first and str(uuid.UUID(second)) == second
    assert first != second
    only_junk = v3.get("/vms", headers={"Correlation-Id": "./;:"}).header("Correlation-Id")
    assert only_junk and str(uuid.UUID(only_junk)) == only_junk
    # echoed on failures too
    assert v3.get("/nothing", headers={"Correlation-Id": "c404"}).header("Correlation-Id") == "c404"
    unauthorized = v3.get("/vms", headers={"Correlation-Id": "c401"}, user=None)
    assert unauthorized.status == 401 and unauthorized.header("Correlation-Id") == "c401"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f")))
def test_correlation_id_property(v3: Api, given_id: str) -> None:
    reply = v3.get("/vms", headers={"Correlation-Id": given_id})
    echoed = reply.header("Correlation-Id") or ""
    cleaned = re.sub(r"[^0-9A-Za-z_-]", "", given_id.strip())[:36]
    if cleaned:
        assert echoed == cleaned
    else:
        assert str(uuid.UUID(echoed)) == echoed


# -- create, read, update, delete ----------------------------------------------------------


def test_add_with_expect_is_201_with_location(api: Api) -> None:
    name = unique()
    reply = api.post("/vms", vm_body(name), headers={"Expect": "201-created"})
    assert reply.status == 201, reply
    vm = reply.xml
    assert vm.tag == "vm" and vm.findtext("name") == name
    assert vm.get("href") == f"{api.prefix}/vms/{vm.get('id')}"
    location = reply.header("Location") or ""
    assert urlsplit(location).path == vm.get("href")
    assert location.startswith(("http://", "https://"))
    got = api.get(urlsplit(location).path)
    assert got.status == 200, got
    assert got.xml.get("id") == vm.get("id") and got.xml.findtext("name") == name
    assert state(got.xml) == "down"


def test_add_vm_without_expect_is_202_pending_in_v3(v3: Api) -> None:
    reply = v3.post("/vms", vm_body(unique()))
    assert reply.status == 202, reply
    assert reply.xml.findtext("creation_status/state") == "pending"


def test_update_changes_only_what_is_sent(api: Api) -> None:
    name = unique()
    vm = add_vm(api, name, "<description>before</description><memory>1073741824</memory>")
    reply = api.put(f"/vms/{vm}", "<vm><description>after</description></vm>")
    assert reply.status == 200, reply
    assert reply.xml.findtext("description") == "after"
    got = api.get(f"/vms/{vm}").xml
    assert got.findtext("description") == "after"
    assert got.findtext("name") == name
    assert got.findtext("memory") == "1073741824"
    assert got.find("cluster") is not None and got.find("cluster").get("id")  # type: ignore[union-attr]
    assert state(got) == "down"


def test_update_of_a_nested_field_keeps_its_siblings(api: Api) -> None:
    vm = add_vm(
        api,
        extra="<high_availability><enabled>true</enabled><priority>1</priority>"
        "</high_availability>",
    )
    reply = api.put(
        f"/vms/{vm}", "<vm><high_availability><priority>50</priority></high_availability></vm>"
    )
    assert reply.status == 200, reply
    got = api.get(f"/vms/{vm}").xml
    assert got.findtext("high_availability/priority") == "50"
    assert got.findtext("high_availability/enabled") == "true"


def test_update_with_a_whole_read_document_ignores_read_only_parts(api: Api) -> None:
    name = unique()
    vm = add_vm(api, name, "<description>old</description>")
    assert api.post(f"/vms/{vm}/start", "<action/>").status == 200
    document = api.get(f"/vms/{vm}").xml
    assert document.find("actions") is not None and document.find("link") is not None
    document.find("description").text = "new"  # type: ignore[union-attr]
    status = document.find("status")
    assert status is not None
    for node in status.iter():  # claim it is down: status is read-only
        if node.text and node.text.strip() == "up":
            node.text = "down"
    reply = api.put(f"/vms/{vm}", etree.tostring(document))
    assert reply.status == 200, reply
    assert state(reply.xml) == "up"
    got = api.get(f"/vms/{vm}").xml
    assert got.findtext("description") == "new"
    assert got.findtext("name") == name
    assert state(got) == "up"
    assert got.get("href") == f"{api.prefix}/vms/{vm}"
    assert len(got.findall("actions/link")) == len(document.findall("actions/link"))


def test_delete_removes_the_entity_and_what_is_under_it(api: Api) -> None:
    vm = add_vm(api)
    nics = [add_nic(api, vm) for _ in range(2)]
    assert len(api.get(f"/vms/{vm}/nics").xml) == 2
    reply = api.delete(f"/vms/{vm}", "<action/>")  # v3 clients send an <action/> with DELETE
    assert reply.status == 200, reply
    assert_not_found(api, api.get(f"/vms/{vm}"))
    assert_not_found(api, api.get(f"/vms/{vm}/nics"))
    for nic in nics:
        assert_not_found(api, api.get(f"/vms/{vm}/nics/{nic}"))
    assert api.engine.store.list(f"vms/{vm}/nics") == []  # not only hidden: gone
    assert_not_found(api, api.delete(f"/vms/{vm}"))


def test_delete_of_a_sub_resource(api: Api) -> None:
    vm = add_vm(api)
    keep, drop = add_nic(api, vm), add_nic(api, vm)
    assert api.delete(f"/vms/{vm}/nics/{drop}").status == 200
    assert_not_found(api, api.get(f"/vms/{vm}/nics/{drop}"))
    assert [nic.get("id") for nic in api.get(f"/vms/{vm}/nics").xml] == [keep]


# -- search, max, case_sensitive -----------------------------------------------------------


def _list(api: Api, search: str | None = None, **params: str) -> list[str]:
    """``GET /vms`` with ``max``/``case_sensitive`` as v3 matrix or v4 query parameters."""
    path = "/vms"
    query: dict[str, str] = {}
    if api.major >= 4:
        query.update(params)
    else:
        path += "".join(f";{key}={value}" for key, value in params.items())
    if search is not None:
        query["search"] = search
    if query:
        path += "?" + urlencode(query, quote_via=quote)
    reply = api.get(path)
    assert reply.status == 200, reply
    return reply.names()


def test_search(fresh: Api) -> None:
    for name in ("web1", "web2", "Web3", "db1"):
        add_vm(fresh, name, f"<description>{name} machine</description>")
    web2 = next(vm.get("id") for vm in fresh.get("/vms").xml if vm.findtext("name") == "web2")
    assert fresh.post(f"/vms/{web2}/start", "<action/>").status == 200

    assert _list(fresh) == ["web1", "web2", "Web3", "db1"]
    assert _list(fresh, "name=web*") == ["web1", "web2"]
    assert _list(fresh, "Vms: name=web*") == ["web1", "web2"]
    assert _list(fresh, "status=down") == ["web1", "Web3", "db1"]
    assert _list(fresh, "status=up") == ["web2"]
    assert _list(fresh, "name=web* and status=down") == ["web1"]
    assert _list(fresh, "name=db1 or name=web2") == ["web2", "db1"]
    assert _list(fresh, "name!=web*") == ["Web3", "db1"]
    assert _list(fresh, 'description="db1 machine"') == ["db1"]
    assert _list(fresh, "sortby name desc") == ["Web3", "web2", "web1", "db1"]
    assert _list(fresh, "sortby name asc") == ["db1", "web1", "web2", "Web3"]
    assert _list(fresh, "sortby name asc page 1", max="2") == ["db1", "web1"]
    assert _list(fresh, "sortby name asc page 2", max="2") == ["web2", "Web3"]
    assert _list(fresh, "sortby name asc page 3", max="2") == []
    assert _list(fresh, max="1") == ["web1"]
    assert _list(fresh, max="0") == []
    assert _list(fresh, max="not-a-number") == ["web1", "web2", "Web3", "db1"]  # ignored
    assert _list(fresh, "name=web*", case_sensitive="false") == ["web1", "web2", "Web3"]
    assert _list(fresh, "name=WEB*", case_sensitive="false") == ["web1", "web2", "Web3"]
    assert _list(fresh, "name=WEB*", case_sensitive="true") == []
    assert _list(fresh, "name=nothing*") == []


def test_v3_matrix_max(v3: Api) -> None:
    for _ in range(2):
        add_vm(v3)
    reply = v3.get("/vms;max=1")
    assert reply.status == 200 and len(reply.xml) == 1
    reply = v3.get("/vms;max=1;case_sensitive=false?search=" + quote("name=VM-*"))
    assert reply.status == 200 and len(reply.xml) == 1


# -- statistics ----------------------------------------------------------------------------


def _statistics(api: Api, path: str, each: bool = False) -> dict[str, float]:
    reply = api.get(path)
    assert reply.status == 200, reply
    assert reply.xml.tag == "statistics"
    values: dict[str, float] = {}
    for statistic in reply.xml:
        name = statistic.findtext("name") or ""
        datum = statistic.findtext("values/value/datum")
        assert datum is not None, parse_repr(statistic)
        values[name] = float(datum)  # a number
        if api.major >= 4:
            assert statistic.findtext("kind") in ("gauge", "counter")
            assert statistic.findtext("type") in ("integer", "decimal")
        else:
            assert statistic.findtext("type") in ("GAUGE", "COUNTER")
            assert statistic.find("values").get("type") in ("INTEGER", "DECIMAL")  # type: ignore[union-attr]
        if each:
            one = api.get(urlsplit(statistic.get("href") or "").path)
            assert one.status == 200 and one.xml.findtext("name") == name, one
    return values


def test_statistics_are_numbers_that_change(api: Api) -> None:
    vm = add_vm(api)
    nic = add_nic(api, vm)
    host = first_id(api, "/hosts")
    host_nic = first_id(api, f"/hosts/{host}/nics")
    paths = {
        "vm": f"/vms/{vm}/statistics",
        "nic": f"/vms/{vm}/nics/{nic}/statistics",
        "host_nic": f"/hosts/{host}/nics/{host_nic}/statistics",
    }
    first = {owner: _statistics(api, path, each=True) for owner, path in paths.items()}
    assert {"memory.installed", "memory.used", "cpu.current.guest"} <= set(first["vm"])
    assert set(first["nic"]) >= NIC_STATISTICS
    assert set(first["host_nic"]) >= NIC_STATISTICS
    time.sleep(0.15)
    second = {owner: _statistics(api, path) for owner, path in paths.items()}
    for owner in paths:
        assert set(second[owner]) == set(first[owner])
        assert second[owner] != first[owner], owner  # values move over time
    assert_not_found(api, api.get(f"/vms/{vm}/statistics/{uuid.uuid4()}"))


# -- actions -------------------------------------------------------------------------------


def _complete(api: Api, reply: Reply, expected: str = "complete") -> None:
    assert reply.xml.tag == "action", reply
    if api.major >= 4:
        assert reply.xml.findtext("status") == expected, reply
    else:
        assert reply.xml.findtext("status/state") == expected, reply


def test_vm_life_cycle(api: Api) -> None:
    vm = add_vm(api)
    for action, after in (("start", "up"), ("suspend", "suspended"), ("start", "up")):
        reply = api.post(f"/vms/{vm}/{action}", "<action/>")
        assert reply.status == 200, reply
        _complete(api, reply)
        assert vm_state(api, vm) == after
    reply = api.post(f"/vms/{vm}/stop", "<action/>")
    assert reply.status == 200, reply
    assert vm_state(api, vm) == "down"
    for action in ("stop", "suspend"):
        refused = api.post(f"/vms/{vm}/{action}", "<action/>")
        assert refused.status == 409, refused
        assert re.fullmatch(r"\[Cannot .*\]", refused.fault[1]), refused
    assert vm_state(api, vm) == "down"


def test_async_action_is_202_pending(api: Api) -> None:
    vm = add_vm(api)
    reply = api.post(f"/vms/{vm}/start", "<action><async>true</async></action>")
    assert reply.status == 202, reply
    _complete(api, reply, "pending")


def test_action_with_an_empty_body(api: Api) -> None:
    vm = add_vm(api)
    reply = api.post(f"/vms/{vm}/start", "")
    assert reply.status == 200, reply
    _complete(api, reply)


def test_host_maintenance(api: Api) -> None:
    host = first_id(api, "/hosts")
    assert state(api.get(f"/hosts/{host}").xml) == "up"
    reply = api.post(f"/hosts/{host}/deactivate", "<action/>")
    assert reply.status == 200, reply
    _complete(api, reply)
    assert state(api.get(f"/hosts/{host}").xml) == "maintenance"
    again = api.post(f"/hosts/{host}/deactivate", "<action/>")
    assert again.status == 409, again
    assert again.fault[1].startswith("[Cannot switch Host to Maintenance mode.")
    reply = api.post(f"/hosts/{host}/activate", "<action/>")
    assert reply.status == 200, reply
    assert state(api.get(f"/hosts/{host}").xml) == "up"
    assert api.post(f"/hosts/{host}/activate", "<action/>").status == 409


def test_start_with_cloud_init_keeps_the_initialization(api: Api) -> None:
    vm = add_vm(api)
    script = "#cloud-config\nruncmd:\n  - echo hello &amp; bye"
    reply = api.post(
        f"/vms/{vm}/start",
        f"<action><vm><initialization><custom_script>{script}</custom_script>"
        "<host_name>web.example.com</host_name></initialization></vm></action>",
    )
    assert reply.status == 200, reply
    _complete(api, reply)
    got = api.get(f"/vms/{vm}").xml
    assert state(got) == "up"
    assert got.findtext("initialization/custom_script") == script.replace("&amp;", "&")
    assert got.findtext("initialization/host_name") == "web.example.com"


# -- persistence ---------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["v3", "v4"])
def test_state_survives_a_restart(
    request: pytest.FixtureRequest, tmp_path: Path, version: str
) -> None:
    contract: Contract = request.getfixturevalue(f"{version}_contract")
    counted = ("clusters", "datacenters", "hosts", "users", "templates", "vms", "tags")

    def counts(api: Api) -> dict[str, int]:
        return {name: len(api.get(f"/{name}").xml) for name in counted}

    with running(contract, data=tmp_path) as api:
        before = counts(api)
        assert before["clusters"] == 1 and before["hosts"] == 1 and before["vms"] == 0
        vm = add_vm(api, "kept", "<description>survives</description>")
        nic = add_nic(api, vm, "eth7")
        assert api.post(f"/vms/{vm}/start", "<action/>").status == 200
        host = first_id(api, "/hosts")
        assert api.post(f"/hosts/{host}/deactivate", "<action/>").status == 200
        before = counts(api)
    assert (tmp_path / "engine.sqlite3").is_file()
    with running(contract, data=tmp_path) as api:
        assert counts(api) == before  # everything kept, nothing seeded again
        got = api.get(f"/vms/{vm}")
        assert got.status == 200, got
        assert got.xml.findtext("name") == "kept"
        assert got.xml.findtext("description") == "survives"
        assert state(got.xml) == "up"
        assert api.get(f"/vms/{vm}/nics/{nic}").xml.findtext("name") == "eth7"
        assert state(api.get(f"/hosts/{host}").xml) == "maintenance"
        assert len(api.get(f"/hosts/{host}/nics").xml) == 1


# -- concurrency and keep-alive ------------------------------------------------------------


def test_concurrent_writes_lose_nothing(api: Api) -> None:
    threads_count, rounds = 8, 50
    shared = add_vm(api)
    own = [add_vm(api, extra="<description>0</description>") for _ in range(threads_count)]
    barrier = threading.Barrier(threads_count)
    failures: list[str] = []

    def work(k: int) -> None:
        try:
            connection = api.connect()
            barrier.wait(timeout=TIMEOUT)
            for i in range(rounds):
                current = api.get(f"/vms/{own[k]}", connection=connection)
                counter = int(current.xml.findtext("description") or "-1")
                if counter != i:
                    failures.append(f"thread {k} read {counter} in round {i}")
                reply = api.put(
                    f"/vms/{own[k]}",
                    f"<vm><description>{counter + 1}</description></vm>",
                    connection=connection,
                )
                if reply.status != 200:
                    failures.append(f"PUT {reply!r}")
                if i % 2 == 0:
                    reply = api.post(
                        f"/vms/{shared}/nics",
                        f"<nic><name>t{k}-n{i}</name></nic>",
                        connection=connection,
                    )
                    if reply.status not in (201, 202):
                        failures.append(f"POST nic {reply!r}")
        except Exception as exc:  # reported below, from the main thread
            failures.append(f"thread {k}: {exc!r}")

    workers = [threading.Thread(target=work, args=(k,)) for k in range(threads_count)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=10 * TIMEOUT)  # only a hang's bound: the outcome is what counts
    assert not any(worker.is_alive() for worker in workers), "a writer hung"
    assert not failures, failures[:5]
    for k in range(threads_count):
        assert api.get(f"/vms/{own[k]}").xml.findtext("description") == str(rounds)
    names = api.get(f"/vms/{shared}/nics").names()
    expected = {f"t{k}-n{i}" for k in range(threads_count) for i in range(0, rounds, 2)}
    assert len(names) == len(expected)
    assert set(names) == expected


def test_keep_alive_serves_many_requests_on_one_connection(v3: Api) -> None:
    connection = v3.connect()
    replies = [v3.get("/clusters", connection=connection)]
    sock = connection.sock
    assert sock is not None
    replies += [
        v3.get("/nothing", connection=connection),
        v3.post("/vms", "<vm><name>x</name", connection=connection),
        v3.get("/vms", connection=connection, user=None),
        v3.post(
            "/vms",
            vm_body(unique()),
            headers={"Expect": "201-created"},
            connection=connection,
        ),
        v3.request("PATCH", "/vms", "<vm/>", connection=connection),
        v3.get("/vms", headers={"Version": "4"}, connection=connection),
        v3.get("/hosts", connection=connection),
    ]
    assert [reply.status for reply in replies] == [200, 404, 400, 401, 201, 405, 400, 200]
    assert connection.sock is sock  # one TCP connection throughout
    for reply in replies:
        assert reply.header("Connection") != "close"


# -- v4 specifics --------------------------------------------------------------------------


def test_v4_prefix_and_version_header(v4: Api) -> None:
    vm = add_vm(v4)
    by_header = v4.get(f"/vms/{vm}", headers={"Version": "4"})
    assert by_header.status == 200, by_header
    by_prefix = v4.get(f"{v4.prefix}/v4/vms/{vm}")
    assert by_prefix.status == 200, by_prefix
    assert by_prefix.xml.get("id") == vm
    assert state(by_prefix.xml) == "down"
    assert by_prefix.xml.find("status/state") is None  # v4: <status>down</status>
    conflicting = v4.get(f"{v4.prefix}/v4/vms/{vm}", headers={"Version": "3"})
    assert conflicting.status == 400 and conflicting.body == b""


def test_v4_unknown_id_is_an_empty_404(v4: Api) -> None:
    for path in (f"/vms/{uuid.uuid4()}", f"{v4.prefix}/v4/vms/{uuid.uuid4()}", "/nothing"):
        reply = v4.get(path, headers={"Version": "4"})
        assert reply.status == 404, reply
        assert reply.body == b""
        assert reply.header("Content-Length") == "0"


def test_v4_bearer_with_version_header(v4: Api) -> None:
    """What ovirtsdk4 sends on every call."""
    headers: dict[str, str | None] = {
        "Authorization": f"Bearer {v4.token()}",
        "Version": "4",
        "Accept": "application/xml",
        "Content-Type": "application/xml",
    }
    reply = v4.get(
        "/vms?" + urlencode({"max": "1", "search": "name=*"}), headers=headers, user=None
    )
    assert reply.status == 200, reply
    name = unique()
    reply = v4.post("/vms", vm_body(name), headers={**headers, "Expect": "201-created"}, user=None)
    assert reply.status == 201, reply
    assert reply.xml.findtext("name") == name


@pytest.mark.parametrize("status", [s.value for s in HTTPStatus if 200 <= s.value < 600])
def test_every_status_has_its_reason_phrase(status: int) -> None:
    from contracttest.engine.wire import reason

    assert reason(status) not in ("", "Unknown")

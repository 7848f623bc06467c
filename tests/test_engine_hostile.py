"""The embedded engine attacked: each denial-of-service class with the bound it proves, strict
HTTP, and a fuzz property over raw requests. All over real sockets on loopback.

Bounds are asserted on what the engine holds (bytes it keeps, connections it keeps open,
work a search does) and on outcomes (another client answered while an attack is held, an
answer's status), never on how long something took: a busy machine slows everything down.
Tests wait for the state they set up (``eventually``) instead of sleeping for it; a server
limit a test does not exercise is set far beyond the test's reach, so that it cannot expire
first; client timeouts only bound a hang.
"""

from __future__ import annotations

import base64
import select
import socket
import threading
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

import h11
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracttest import router
from contracttest.engine import Engine, EngineServer, HttpRequest, open_engine
from contracttest.engine.server import Limits, State
from contracttest.xmlsafe import parse

ADMIN = "Basic " + base64.b64encode(b"admin@internal:ovirt").decode()
PREFIX = "/ovirt-engine/api"
VM = (
    "<vm><name>{name}</name><cluster><name>Default</name></cluster>"
    "<template><name>Blank</name></template></vm>"
)
#: A request that is stalled is one that takes longer than this (nothing here should, even
#: on a busy machine): a client's socket timeout, only ever a bound on a hang.
PATIENCE = 30.0
#: How long a test waits for a state or an outcome it set up: only ever a bound on a hang.
WAIT = 60.0
#: A server limit the test does not exercise: it cannot expire while the test runs.
NEVER = 3600.0


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    engine = open_engine()
    yield engine
    engine.close()


@contextmanager
def serving(engine: Engine, **limits: float) -> Iterator[EngineServer]:
    with EngineServer(engine.handle, limits=Limits(**limits)) as server:  # type: ignore[arg-type]
        yield server


@pytest.fixture(scope="module")
def server(engine: Engine) -> Iterator[EngineServer]:
    with serving(engine) as server:
        yield server


# -- a raw client ------------------------------------------------------------------------


class Answer:
    def __init__(self, status: int, headers: dict[str, str], body: bytes, closed: bool) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        self.closed = closed  # the server closed after it

    def __repr__(self) -> str:
        return f"<{self.status} {self.headers} {self.body[:200]!r}>"


def connect(server: EngineServer, timeout: float = PATIENCE) -> socket.socket:
    return socket.create_connection(server.address, timeout=timeout)


def read_answer(sock: socket.socket, method: str = "GET") -> Answer:
    """One response off the socket, framed as HTTP says (h11 as the client)."""
    client = h11.Connection(h11.CLIENT)
    client.send(h11.Request(method=method, target="/", headers=[("Host", "x")]))
    client.send(h11.EndOfMessage())
    status, headers, body = 0, {}, b""
    while True:
        event = client.next_event()
        if event is h11.NEED_DATA:
            client.receive_data(sock.recv(65536))
            continue
        if isinstance(event, h11.InformationalResponse):
            continue
        if isinstance(event, h11.Response):
            status = event.status_code
            headers = {k.decode().lower(): v.decode("latin-1") for k, v in event.headers}
        elif isinstance(event, h11.Data):
            body += bytes(event.data)
        elif isinstance(event, h11.EndOfMessage):
            break
        elif isinstance(event, h11.ConnectionClosed):
            raise AssertionError("the connection closed before an answer")
    return Answer(status, headers, body, client.their_state is h11.MUST_CLOSE)


def exchange(server: EngineServer, raw: bytes, method: str = "GET") -> Answer:
    with connect(server) as sock:
        sock.sendall(raw)
        return read_answer(sock, method)


def eventually(condition: Callable[[], bool], within: float = WAIT) -> bool:
    """Whether ``condition`` holds, polled until it does (``within`` only bounds a hang)."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def held(server: EngineServer, *states: State) -> int:
    """How many connections the server holds in ``states`` now (what a test waits for)."""
    return sum(c.state in states for c in list(server._connections.values()))


def closed_among(socks: list[socket.socket], count: int) -> bool:
    """Whether ``count`` of ``socks`` (clients that sent nothing) are closed by the server,
    waiting for it (``WAIT`` only bounds a hang)."""
    closed: set[socket.socket] = set()
    deadline = time.monotonic() + WAIT
    while len(closed) < count and time.monotonic() < deadline:
        ready, _, _ = select.select([s for s in socks if s not in closed], [], [], 0.5)
        for sock in ready:
            try:
                data = sock.recv(1024)
            except OSError:
                data = b""
            if not data:
                closed.add(sock)
    return len(closed) >= count


def closed_by_server(sock: socket.socket) -> bool:
    """Whether the server closed the connection (EOF, or a reset) before PATIENCE."""
    sock.settimeout(PATIENCE)
    try:
        while sock.recv(65536):
            pass
    except ConnectionResetError:
        pass
    return True


def head(method: str, path: str, *lines: str, auth: bool = True) -> bytes:
    fields = ["Host: localhost", *([f"Authorization: {ADMIN}"] if auth else []), *lines]
    return (f"{method} {PREFIX}{path} HTTP/1.1\r\n" + "".join(f"{f}\r\n" for f in fields)).encode()


def add(server: EngineServer, path: str, body: str) -> Answer:
    """POST ``body`` as the admin, with ``Expect: 201-created``."""
    data = body.encode()
    return exchange(
        server,
        head(
            "POST",
            path,
            "Content-Type: application/xml",
            "Expect: 201-created",
            f"Content-Length: {len(data)}",
        )
        + b"\r\n"
        + data,
        "POST",
    )


class Probe:
    """Another client, asking for the clusters again and again on new connections: how
    often it was answered, and every failure. A test waits for answers while it holds an
    attack (``served``): an engine that an attack blocks answers none until it ends."""

    def __init__(self, server: EngineServer) -> None:
        self.server = server
        self.answers = 0
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        raw = head("GET", "/clusters") + b"\r\n"
        while not self._stop.is_set():
            try:
                answer = exchange(self.server, raw)
                failure = None if answer.status == 200 else f"{answer.status}"
            except Exception as exc:  # a timeout, a reset, an early close: told, not raised
                failure = repr(exc)
            with self._changed:
                if failure is None:
                    self.answers += 1
                else:
                    self.failures.append(failure)
                self._changed.notify_all()
            self._stop.wait(0.02)

    def served(self, answers: int = 1) -> bool:
        """Whether the probe is answered ``answers`` times in all, with no failure (waiting
        for it; ``WAIT`` only bounds a hang)."""
        with self._changed:
            self._changed.wait_for(lambda: self.answers >= answers or self.failures, WAIT)
            return self.answers >= answers and not self.failures

    def __enter__(self) -> Probe:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(PATIENCE)

    def assert_served(self, answers: int = 1) -> None:
        """Answered (at least ``answers`` times by now), and never failed."""
        assert self.served(answers), (self.answers, self.failures[:5])


def measured_peak(block: Callable[[], None]) -> int:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        block()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


# -- denial of service: search ---------------------------------------------------------------


def test_the_worst_search_is_linear_and_others_are_served(
    engine: Engine, server: EngineServer
) -> None:
    """``name=*a*a*...*b`` over a long name: a backtracking matcher takes minutes (exponential
    in the stars); here each search is one pass, and another client is served throughout."""
    created = add(server, "/vms", VM.format(name="a" * 200))
    assert created.status in (201, 202), created
    hostile = "name=" + "*a" * 40 + "*b"
    raw = head("GET", f"/vms?search={hostile.replace('=', '%3D')}") + b"\r\n"
    with Probe(server) as probe:
        answers = [exchange(server, raw) for _ in range(5)]  # a backtracking one: a timeout
        probe.assert_served()
    assert [a.status for a in answers] == [200] * 5
    assert all(b"<vm " not in a.body for a in answers)  # no name ends in b


# -- denial of service: bodies ----------------------------------------------------------------


def test_an_unauthenticated_body_is_never_read(server: EngineServer) -> None:
    """A client without credentials declares 2 MiB: it is answered 401 at once, from its head,
    and the connection closes (the body is dropped as it comes, never held)."""
    with connect(server) as sock:
        sock.sendall(
            head(
                "POST",
                "/vms",
                "Content-Type: application/xml",
                "Content-Length: 2097152",
                auth=False,
            )
            + b"\r\n"
        )
        answer = read_answer(sock, "POST")  # before a byte of the body was sent
        assert answer.status == 401
        assert answer.closed
        with suppress(OSError):
            sock.sendall(b"x" * 65536)
        assert closed_by_server(sock)


@pytest.mark.parametrize("size", ["-40000000", "-1", "+10", "0x10", " 5", "1" * 21])
def test_a_chunk_size_that_is_not_hex_digits_is_400(server: EngineServer, size: str) -> None:
    with connect(server) as sock:
        sock.sendall(
            head("POST", "/vms", "Content-Type: application/xml", "Transfer-Encoding: chunked")
            + f"\r\n{size}\r\n<vm/>\r\n0\r\n\r\n".encode()
        )
        answer = read_answer(sock, "POST")
    assert answer.status == 400, answer


def test_a_huge_chunk_is_413_once_the_limit_is_passed(server: EngineServer) -> None:
    """A chunk declared at 2**76 bytes is read only up to the body limit."""
    with connect(server) as sock:
        sock.sendall(
            head("POST", "/vms", "Transfer-Encoding: chunked") + b"\r\nfffffffffffffffffff\r\n"
        )
        with suppress(OSError):
            for _ in range(40):
                sock.sendall(b"x" * 65536)
        answer = read_answer(sock, "POST")
        assert answer.status == 413, answer
        assert answer.closed


def test_hostile_bodies_hold_bounded_memory(server: EngineServer) -> None:
    """Forty clients at once: unauthenticated ones declaring and sending megabytes, chunked
    bodies that grow past the limit, negative chunk sizes. What the engine allocates stays
    within its limit per busy worker, not per client."""

    def attack(k: int) -> None:
        with connect(server) as sock:
            if k % 3 == 0:  # unauthenticated, declared large, sent anyway
                sock.sendall(head("POST", "/vms", "Content-Length: 2000000", auth=False) + b"\r\n")
                with suppress(OSError):
                    for _ in range(30):
                        sock.sendall(b"<" * 65536)
            elif k % 3 == 1:  # authenticated, chunked, growing past 2 MiB
                sock.sendall(head("POST", "/vms", "Transfer-Encoding: chunked") + b"\r\n")
                with suppress(OSError):
                    for _ in range(40):
                        sock.sendall(b"10000\r\n" + b"x" * 0x10000 + b"\r\n")
            else:  # a negative chunk size
                sock.sendall(
                    head("POST", "/vms", "Transfer-Encoding: chunked")
                    + b"\r\n-40000000\r\n"
                    + b"y" * 65536
                )
            with suppress(OSError, AssertionError):
                answer = read_answer(sock, "POST")
                assert answer.status in (400, 401, 413), answer

    def run() -> None:
        threads = [threading.Thread(target=attack, args=(k,)) for k in range(40)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(PATIENCE * 3)

    peak = measured_peak(run)
    limits = Limits()
    # at most every worker holding a body at the limit (and its join), plus heads
    bound = limits.workers * 2 * limits.body_bytes + limits.connections * limits.head_bytes
    assert peak < bound, f"{peak / 2**20:.1f} MiB"
    assert peak < 48 * 2**20, f"{peak / 2**20:.1f} MiB"


# -- denial of service: unique URLs ------------------------------------------------------------


def test_unique_long_urls_keep_the_memos_bounded(engine: Engine) -> None:
    """Thousands of unique long URLs (never repeated): the URI and routing memos stay within
    their byte bounds, and what the engine keeps does not grow with the URLs."""
    routes = engine.model.contract.router
    memos = [router._SPLIT, routes._at, routes._states, routes._steps, routes.cache]

    def run() -> None:
        for k in range(6000):
            segment = f"{k:08d}" + "z" * 1500
            uri = f"{PREFIX}/vms/{segment}/nics/{segment}?search=name%3D{segment}"
            request = HttpRequest("GET", uri, {"authorization": ADMIN, "host": "localhost"})
            assert engine.handle(request).status == 404

    peak = measured_peak(run)  # unbounded, the memos alone would keep about 50 MB
    assert all(memo.size <= memo.limit for memo in memos)
    assert peak < 24 * 2**20, f"{peak / 2**20:.1f} MiB"


# -- denial of service: connections -------------------------------------------------------------


def test_idle_connections_are_capped_and_others_are_served(engine: Engine) -> None:
    """More idle connections than the cap: the longest idle are closed to admit new ones, so
    another client always gets in; the engine never holds more than the cap."""
    with serving(engine, connections=100) as server, Probe(server) as probe:
        idle = []
        for _ in range(400):
            idle.append(connect(server))
            assert server.open_connections <= 100
        time.sleep(0.2)
        assert server.open_connections <= 100
        probe.assert_served(3)  # while the idle ones are still open
        for sock in idle:
            sock.close()
    probe.assert_served()


def test_thousands_of_idle_connections_closed_at_once(
    engine: Engine, capfd: pytest.CaptureFixture[str]
) -> None:
    """2,000 idle keep-alive connections, then all closed at once: no thread per connection,
    no traceback per connection, and another client served throughout."""
    with serving(engine) as server, Probe(server) as probe:
        # the loop, the probe and (started as they are needed) at most every worker
        threads = threading.active_count() + server.limits.workers
        idle = []
        for k in range(2000):
            sock = connect(server)
            if k % 2:  # half of them after a request (keep-alive), half never a byte
                sock.sendall(head("GET", "") + b"\r\n")
                read_answer(sock)
            idle.append(sock)
        assert threading.active_count() <= threads
        for sock in idle:
            sock.close()
        assert eventually(lambda: server.open_connections == 0), server.open_connections
        assert threading.active_count() <= threads
        probe.assert_served()
    assert "Traceback" not in capfd.readouterr().err


def test_slow_heads_are_cut_off(engine: Engine) -> None:
    """Clients that send a head a byte at a time (slowloris) cost no worker and are answered
    408 and closed when the head has not arrived in time; another client is served."""
    with serving(engine, head_seconds=1.0) as server, Probe(server) as probe:
        slow = [connect(server) for _ in range(60)]
        for sock in slow:
            sock.sendall(b"GET / HTTP/1.1\r\nHo")
        for sock in slow:
            answer = read_answer(sock)
            assert answer.status == 408
            sock.close()
        probe.assert_served()


def test_an_idle_keep_alive_connection_is_closed(engine: Engine) -> None:
    with serving(engine, idle_seconds=0.5) as server, connect(server) as sock:
        sock.sendall(head("GET", "") + b"\r\n")
        assert read_answer(sock).status == 200
        assert closed_by_server(sock)


def test_a_slow_body_is_cut_off(engine: Engine) -> None:
    with serving(engine, body_seconds=0.5) as server, connect(server) as sock:
        sock.sendall(head("POST", "/vms", "Content-Length: 100") + b"\r\n<vm>")
        answer = read_answer(sock, "POST")
        assert answer.status == 408
        assert answer.closed


# -- strict HTTP -----------------------------------------------------------------------------------


def test_a_request_cut_off_in_its_headers_is_never_executed(
    engine: Engine, server: EngineServer
) -> None:
    created = add(server, "/tags", f"<tag><name>doomed-{uuid.uuid4().hex[:8]}</name></tag>")
    assert created.status == 201, created
    tag_id = parse(created.body).get("id")
    with connect(server) as sock:
        sock.sendall(head("DELETE", f"/tags/{tag_id}"))  # no blank line: the head never ends
        sock.shutdown(socket.SHUT_WR)
        answer = read_answer(sock, "DELETE")
    assert answer.status == 400
    assert exchange(server, head("GET", f"/tags/{tag_id}") + b"\r\n").status == 200


@pytest.mark.parametrize(
    ("lines", "status"),
    [
        (["Content-Length: 5", "Transfer-Encoding: chunked"], 400),
        (["Transfer-Encoding: xchunked"], 400),
        (["Transfer-Encoding: chunked, gzip"], 400),
        (["Content-Length: 5", "Content-Length: 6"], 400),
        (["Content-Length: -5"], 400),
    ],
    ids=["length-and-chunked", "xchunked", "chunked-not-last", "two-lengths", "negative"],
)
def test_ambiguous_framing_is_refused_and_the_connection_closed(
    server: EngineServer, lines: list[str], status: int
) -> None:
    with connect(server) as sock:
        sock.sendall(head("POST", "/tags", *lines) + b"\r\n5\r\n<tag>\r\n0\r\n\r\n")
        answer = read_answer(sock, "POST")
        assert answer.status == status, answer
        assert answer.closed
        assert closed_by_server(sock)


@pytest.mark.parametrize(
    "host",
    [
        b"example.com\r\n\tevil: x",  # folded onto the next line
        b"a b",
        b"evil.com/path",
        b"host:port:more",
        b"\xe9vil.com",
        b"",
    ],
)
def test_a_host_that_is_not_a_host_is_400(server: EngineServer, host: bytes) -> None:
    raw = (
        f"GET {PREFIX} HTTP/1.1\r\nAuthorization: {ADMIN}\r\n".encode()
        + b"Host: "
        + host
        + b"\r\n\r\n"
    )
    assert exchange(server, raw).status == 400


def new_tag(target: str, host: str) -> bytes:
    """An admin's POST of a new tag to ``target`` (a path or an absolute URL) with ``host``."""
    body = f"<tag><name>tag-{uuid.uuid4().hex[:8]}</name></tag>".encode()
    return (
        f"POST {target} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {ADMIN}\r\n"
        f"Content-Type: application/xml\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def test_location_is_built_from_a_valid_host_only(server: EngineServer) -> None:
    answer = exchange(server, new_tag(f"{PREFIX}/tags", "engine.example:8443"), "POST")
    assert answer.status == 201
    assert answer.headers["location"].startswith(f"http://engine.example:8443{PREFIX}/tags/")
    http10 = new_tag(f"{PREFIX}/tags", "").replace(b"HTTP/1.1", b"HTTP/1.0")
    answer = exchange(server, http10.replace(b"Host: \r\n", b""), "POST")
    assert answer.status == 201
    assert answer.headers["location"].startswith(f"{PREFIX}/tags/")  # no host named: the path


# -- a client's mistake is a 4xx ---------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [
        b"Basic \xe9\xe9\xe9",
        b"Basic " + base64.b64encode(b"admin@internal\x00:ovirt"),
        b"Basic " + base64.b64encode(b"\xff\xfe:\xff"),
        b"Basic " + base64.b64encode("adm\u00efn@internal:ovirt".encode()),
        b"Basic " + base64.b64encode(b"\x00\x01\x02:\x7f"),
        b"Bearer \xe9",
    ],
)
def test_odd_credentials_are_401(server: EngineServer, authorization: bytes) -> None:
    raw = f"GET {PREFIX}/vms HTTP/1.1\r\nHost: x\r\n".encode()
    answer = exchange(server, raw + b"Authorization: " + authorization + b"\r\n\r\n")
    assert answer.status == 401, answer


@pytest.mark.parametrize(
    "search", ["a[b=x", "@x=x", "..=x", "name=x or a(=y", "a/b=1", "sortby x["]
)
def test_a_search_field_that_is_not_a_name_is_400(server: EngineServer, search: str) -> None:
    from urllib.parse import quote

    answer = exchange(server, head("GET", f"/vms?search={quote(search)}") + b"\r\n")
    assert answer.status == 400, answer


# -- fuzz: raw requests -------------------------------------------------------------------------

METHODS = st.sampled_from(["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "TRACE"])
PATHS = st.sampled_from(
    [
        "", "/vms", "/vms/{vm}", "/vms/{vm}/nics", "/vms/{vm}/start", "/clusters", "/tags",
        "/hosts/{vm}", "/vms/%00", "/vms;max=1", "/../etc", "/affinitylabels/{vm}/vms", "?rsdl",
        "/vms/{vm}/diskattachments",
    ]
)  # fmt: skip
SEARCHES = st.one_of(
    st.just(""),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30),
    st.lists(
        st.sampled_from(["name", "=", "*a", "b*", "and", "or", "sortby", "page", "1", '"', "["])
    ).map(" ".join),
)
HEADER_VALUES = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=40
)
CREDENTIALS = st.one_of(
    st.just(ADMIN),
    st.just("Basic " + base64.b64encode(b"user@internal:ovirt").decode()),
    st.binary(max_size=24).map(lambda b: "Basic " + base64.b64encode(b).decode()),
    HEADER_VALUES.map(lambda v: "Basic " + v),
    HEADER_VALUES.map(lambda v: "Bearer " + v),
    st.just(""),
)
BODIES = st.one_of(
    st.just(b""),
    st.sampled_from(
        [
            b"<vm><name>fuzz</name><cluster><name>Default</name></cluster></vm>",
            b"<action/>",
            b"<vm id='x'/>",
            b'<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>',
            b"<tag><name>\xff</name></tag>",
        ]
    ),
    st.binary(max_size=200),
)
EXTRA_HEADERS = st.lists(
    st.tuples(
        st.sampled_from(
            ["Version", "Filter", "Prefer", "Expect", "Accept", "Content-Type", "Cookie",
             "Correlation-Id", "X-Odd", "All-Content", "Connection"]
        ),
        HEADER_VALUES,
    ),
    max_size=4,
)  # fmt: skip


@st.composite
def raw_requests(draw: st.DrawFn, vm: str) -> tuple[bytes, str, bool]:
    """A well-formed HTTP/1.1 request (framing by length or by chunks) with drawn contents."""
    from urllib.parse import quote

    method = draw(METHODS)
    path = draw(PATHS).replace("{vm}", vm)
    search = draw(SEARCHES)
    if search:
        path += ("&" if "?" in path else "?") + "search=" + quote(search)
    body = draw(BODIES) if method not in ("GET", "HEAD", "TRACE") else b""
    lines = ["Host: localhost"]
    credentials = draw(CREDENTIALS)
    if credentials:
        lines.append(f"Authorization: {credentials}")
    for name, value in draw(EXTRA_HEADERS):
        if name == "Connection" and value.strip().lower() not in ("close", "keep-alive"):
            continue
        if name == "Expect" and "100-continue" in value.lower():
            continue
        lines.append(f"{name}: {value.strip()}")
    chunked = bool(body) and draw(st.booleans())
    if chunked:
        lines.append("Transfer-Encoding: chunked")
        cut = draw(st.integers(0, len(body)))
        parts = [part for part in (body[:cut], body[cut:]) if part]
        payload = b"".join(f"{len(p):x}\r\n".encode() + p + b"\r\n" for p in parts) + b"0\r\n\r\n"
    else:
        if body or method in ("POST", "PUT"):
            lines.append(f"Content-Length: {len(body)}")
        payload = body
    raw = f"{method} {PREFIX}{path} HTTP/1.1\r\n".encode()
    raw += b"".join(line.encode("latin-1") + b"\r\n" for line in lines) + b"\r\n" + payload
    return raw, method, True


@pytest.fixture(scope="module")
def fuzz_vm(server: EngineServer) -> str:
    answer = add(server, "/vms", VM.format(name="fuzz-target"))
    vm_id = parse(answer.body).get("id")
    assert vm_id
    return vm_id


@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_no_raw_request_gets_a_5xx_a_hang_or_a_dropped_connection(
    server: EngineServer, fuzz_vm: str, data: st.DataObject
) -> None:
    raw, method, _ = data.draw(raw_requests(fuzz_vm))
    with connect(server) as sock:
        sock.sendall(raw)
        answer = read_answer(sock, method)  # a timeout or an early close fails here
        assert answer.status < 500, (raw[:300], answer)
        assert answer.status != 408, (raw[:300], answer)  # a whole request: the engine hung
        if not answer.closed:  # kept open: the connection goes on serving
            sock.sendall(head("GET", "") + b"\r\n")
            assert read_answer(sock).status == 200


# -- what helper attacks found next: slow clients, big numbers, strictness, grants ---------------


def test_slow_and_non_reading_clients_hold_no_worker(engine: Engine) -> None:
    """Two workers only; clients that send their body slowly (to the SSO endpoint, which
    needs no credentials, and with credentials to the API) or never read their answers
    (pipelined ``?rsdl``, over a megabyte each): another client is still served while they
    stall (their timeouts are set beyond the test, so nothing else could free a worker)."""
    limits = {"workers": 2, "body_seconds": NEVER, "send_seconds": NEVER}
    with serving(engine, **limits) as server:
        stalled = []
        for _ in range(4):
            sock = connect(server)
            sock.sendall(
                b"POST /ovirt-engine/sso/oauth/token HTTP/1.1\r\nHost: x\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n"
                b"grant"
            )
            stalled.append(sock)
        for _ in range(4):
            sock = connect(server)
            sock.sendall(head("POST", "/vms", "Content-Length: 100") + b"\r\n<vm>")
            stalled.append(sock)
        for _ in range(4):
            sock = connect(server)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.sendall((head("GET", "?rsdl") + b"\r\n") * 20)
            stalled.append(sock)
        # 8 bodies awaited, 4 answers not taken: all stalled before the probe starts
        assert eventually(lambda: (held(server, State.BODY), held(server, State.WRITE)) == (8, 4))
        with Probe(server) as probe:
            probe.assert_served(5)
        assert held(server, State.BODY) == 8  # the bodies were awaited throughout
        for sock in stalled:
            sock.close()


@pytest.mark.parametrize("digits", [30, 5000])
def test_a_number_too_long_is_an_invalid_value(server: EngineServer, digits: int) -> None:
    created = add(server, "/vms", VM.format(name=f"big-{uuid.uuid4().hex[:8]}"))
    vm_id = parse(created.body).get("id")
    body = f"<vm><memory>{'9' * digits}</memory></vm>".encode()
    answer = exchange(
        server,
        head(
            "PUT", f"/vms/{vm_id}", "Content-Type: application/xml", f"Content-Length: {len(body)}"
        )
        + b"\r\n"
        + body,
        "PUT",
    )
    assert answer.status == 400, answer
    assert parse(answer.body).findtext("reason") == "Invalid value"


@pytest.mark.parametrize(
    ("line", "status"),
    [
        (b"dElEtE /ovirt-engine/api/tags/x HTTP/1.1", 400),
        (b"get /ovirt-engine/api HTTP/1.1", 400),
        (b"BREW /ovirt-engine/api HTTP/1.1", 400),
        (b"GET /ovirt-engine/api HTTP/2.0", 400),
        (b"GET /ovirt-engine/api HTTP/1.2", 400),
    ],
)
def test_methods_and_versions_http_does_not_define_are_refused(
    server: EngineServer, line: bytes, status: int
) -> None:
    answer = exchange(server, line + f"\r\nHost: x\r\nAuthorization: {ADMIN}\r\n\r\n".encode())
    assert answer.status == status, answer


def test_a_head_over_the_limit_is_431_even_in_one_piece(server: EngineServer) -> None:
    raw = head("GET", "", f"X-Padding: {'p' * 20000}") + b"\r\n"
    assert exchange(server, raw).status == 431


def test_an_absolute_target_names_the_host(server: EngineServer) -> None:
    answer = exchange(server, new_tag(f"http://good.example{PREFIX}/tags", "evil.example"), "POST")
    assert answer.status == 201, answer
    assert answer.headers["location"].startswith(f"http://good.example{PREFIX}/tags/")


@pytest.mark.parametrize("host", [b"evil.example:99999", b"evil.example:65536"])
def test_a_port_out_of_range_is_not_a_host(server: EngineServer, host: bytes) -> None:
    raw = f"GET {PREFIX} HTTP/1.1\r\nAuthorization: {ADMIN}\r\nHost: ".encode() + host
    assert exchange(server, raw + b"\r\n\r\n").status == 400


def test_chunks_with_bare_line_feeds_are_400_at_once(engine: Engine) -> None:
    """Refused as soon as they arrive: with no body timeout that could end the wait, a server
    that waited for more would time the client out instead."""
    with serving(engine, body_seconds=NEVER) as server, connect(server) as sock:
        sock.sendall(head("POST", "/tags", "Transfer-Encoding: chunked") + b"\r\n5\n<tag>\n0\n\n")
        answer = read_answer(sock, "POST")
    assert answer.status == 400, answer
    assert b"CRLF" in answer.body, answer


def test_sessions_and_tokens_are_bounded(engine: Engine) -> None:
    """A client logging in again and again (a session each time, a token each time) does
    not make the engine keep ever more."""
    from contracttest.engine.auth import MAX_GRANTS

    auth = engine.auth
    admin = auth.login("admin@internal", "ovirt")
    for _ in range(MAX_GRANTS + 2000):
        auth.open_session(admin)
    form = {"grant_type": "password", "username": "admin@internal", "password": "ovirt"}
    for _ in range(MAX_GRANTS + 2000):
        auth.issue_token(form)
    sessions, tokens = auth.held
    assert sessions <= MAX_GRANTS and tokens <= MAX_GRANTS


# -- the second round: fairness, budgets, eviction, HEAD ---------------------------------------


def test_busy_clients_do_not_keep_the_workers_from_others(engine: Engine) -> None:
    """More busy keep-alive clients than workers, with and without credentials, asking as
    fast as they can: a worker goes on with its client only while nobody else waits."""
    with serving(engine, workers=2) as server:
        stop = threading.Event()
        raws = [head("GET", "/clusters") + b"\r\n"] * 3
        raws += [b"GET /ovirt-engine/services/sso-logout HTTP/1.1\r\nHost: x\r\n\r\n"] * 3
        answered = [0] * len(raws)
        failures: list[str] = []

        def busy(k: int) -> None:
            try:
                with connect(server) as sock:
                    while not stop.is_set():
                        sock.sendall(raws[k])
                        if read_answer(sock).closed:
                            return
                        answered[k] += 1
            except (OSError, AssertionError) as exc:
                failures.append(repr(exc))

        clients = [threading.Thread(target=busy, args=(k,), daemon=True) for k in range(6)]
        for client in clients:
            client.start()
        assert eventually(lambda: min(answered) > 0 or bool(failures))  # all of them busy
        with Probe(server) as probe:
            probe.assert_served(5)  # while they go on asking
            assert all(client.is_alive() for client in clients)
        stop.set()
        for client in clients:
            client.join(PATIENCE)
        assert not failures, failures[:5]


def test_a_login_form_without_credentials_is_small(server: EngineServer) -> None:
    """The SSO endpoints read their form without credentials: 64 KiB at most."""
    with connect(server) as sock:
        sock.sendall(
            b"POST /ovirt-engine/sso/oauth/token HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 2097152\r\n\r\n"
        )
        answer = read_answer(sock, "POST")
    assert answer.status == 413 and answer.closed
    with connect(server) as sock:
        sock.sendall(
            b"POST /ovirt-engine/sso/oauth/token HTTP/1.1\r\nHost: x\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        with suppress(OSError):
            sock.sendall((b"8000\r\n" + b"a" * 0x8000 + b"\r\n") * 3)
        assert read_answer(sock, "POST").status == 413


def test_bodies_arriving_at_once_have_a_budget(engine: Engine) -> None:
    """Bodies being received are held within one budget for all connections: past it, 503."""
    # 4 bodies of 600,000 bytes, 400,000 of each sent: past the budget of 1 MiB, at least
    # one is refused; the others wait for the rest of their body (never timed out here)
    with serving(engine, gathering_bytes=1 << 20, body_seconds=NEVER) as server:
        socks = []
        for _ in range(4):
            sock = connect(server)
            sock.sendall(head("POST", "/vms", "Content-Length: 600000") + b"\r\n" + b"<" * 400000)
            socks.append(sock)
        answered, _, _ = select.select(socks, [], [], WAIT)  # only a refusal is answered
        statuses = [read_answer(sock, "POST").status for sock in answered]
        for sock in socks:
            sock.close()
    assert statuses and set(statuses) == {503}, statuses


def test_a_body_in_tiny_chunks_is_refused_early(engine: Engine, server: EngineServer) -> None:
    """Thousands of one-byte chunks: refused after a bounded number, and cheaply."""
    with connect(server) as sock, Probe(server) as probe:
        sock.sendall(head("POST", "/tags", "Transfer-Encoding: chunked") + b"\r\n")
        with suppress(OSError):
            for _ in range(10):
                sock.sendall(b"1\r\na\r\n" * 4000)
        answer = read_answer(sock, "POST")
        probe.assert_served()
    assert answer.status == 400, answer


def test_an_answer_taken_is_not_kept(engine: Engine, server: EngineServer) -> None:
    """Clients that took a large answer (the RSDL) and stay connected: the engine keeps
    none of those answers."""
    socks = []
    bound = 12 * 2**20  # 30 RSDLs would be 36 MiB

    def run() -> None:
        for _ in range(30):
            sock = connect(server)
            sock.sendall(head("GET", "?rsdl") + b"\r\n")
            assert read_answer(sock).status == 200
            socks.append(sock)

    tracemalloc.start()
    try:
        run()
        # the workers that answered let go of their answers (soon after they were taken)
        released = eventually(lambda: tracemalloc.get_traced_memory()[0] < bound)
        kept = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
        for sock in socks:
            sock.close()
    assert released, f"{kept / 2**20:.1f} MiB kept"


def test_at_the_connection_limit_a_new_client_still_gets_in(engine: Engine) -> None:
    """Stalled heads fill every connection slot; a client with a whole request is served,
    because the stalled ones are closed first, oldest first."""
    with serving(engine, connections=40) as server:
        stalled = []
        for _ in range(40):
            sock = connect(server)
            sock.sendall(b"GET / HTTP/1.1\r\n")
            stalled.append(sock)
        for _ in range(10):  # the loop may not have read the stalled heads yet: no matter
            assert exchange(server, head("GET", "/clusters") + b"\r\n").status == 200
        for sock in stalled:
            sock.close()


def test_head_is_answered_wherever_get_is(server: EngineServer) -> None:
    for path in ("", "/vms", "?schema"):
        with connect(server) as sock:
            sock.sendall(head("HEAD", path) + b"\r\n")
            answer = read_answer(sock, "HEAD")
        assert answer.status == 200, (path, answer)
        assert answer.body == b""


def test_empty_lines_before_a_request_are_ignored(server: EngineServer) -> None:
    assert exchange(server, b"\r\n\r\n" + head("GET", "") + b"\r\n").status == 200


def test_a_trailer_over_the_head_limit_is_431(server: EngineServer) -> None:
    with connect(server) as sock:
        sock.sendall(
            head("POST", "/tags", "Transfer-Encoding: chunked")
            + b"\r\n5\r\n<tag>\r\n0\r\nX-Big: "
            + b"b" * 20000
            + b"\r\n\r\n"
        )
        assert read_answer(sock, "POST").status == 431


def test_the_loop_never_closes_a_connection_a_worker_holds(engine: Engine) -> None:
    """A worker waiting for its client's next request holds the connection: a flood of new
    connections at the limit evicts others, never that one."""
    # the worker waits for `mine` longer than the test takes: it holds it throughout
    with serving(engine, connections=10, keep_seconds=NEVER) as server, connect(server) as mine:
        for _ in range(3):
            mine.sendall(head("GET", "/clusters") + b"\r\n")
            assert read_answer(mine).status == 200
            flood = [connect(server) for _ in range(30)]  # while the worker waits on `mine`
            # 9 slots besides `mine`: the server evicts 21 of the flood
            assert closed_among(flood, 21), "the flood was not evicted"
            for sock in flood:
                sock.close()


def test_an_empty_line_before_a_quick_next_request_is_ignored(server: EngineServer) -> None:
    with connect(server) as sock:
        sock.sendall(head("GET", "") + b"\r\n")
        assert read_answer(sock).status == 200
        sock.sendall(b"\r\n" + head("GET", "") + b"\r\n")  # at once: the worker still waits
        assert read_answer(sock).status == 200


def test_at_the_connection_limit_heads_not_read_yet_do_not_shut_a_new_client_out(
    engine: Engine,
) -> None:
    """When the loop is behind (a busy machine), every connection at the limit may have sent
    a stalled head that the loop has not read yet. Those are read first, then the oldest is
    closed, and a new client gets in (it was refused with 503 while the 16 oldest held unread
    bytes). Deterministic: the test takes the loop's accept step itself, before the loop has
    read anything, then lets the loop serve."""
    server = EngineServer(engine.handle, limits=Limits(connections=20))  # type: ignore[arg-type]
    stalled: list[socket.socket] = []
    try:
        for _ in range(20):
            stalled.append(connect(server))
            stalled[-1].sendall(b"GET / HTTP/1.1\r\n")
        while server.open_connections < 20:
            server._accept()
        assert held(server, State.HEAD) == 20  # accepted, none read
        with connect(server) as newcomer:
            newcomer.sendall(head("GET", "/clusters") + b"\r\n")
            server._accept()  # at the limit: one of the stalled makes room
            assert server.open_connections == 20
            server.start()
            answer = read_answer(newcomer)
        assert answer.status == 200, answer
        assert closed_among(stalled, 1)
    finally:
        for sock in stalled:
            sock.close()
        server.stop()


def test_the_loop_leaves_alone_a_connection_a_worker_is_handing_back(engine: Engine) -> None:
    """A worker sets the state of a connection it hands back (an idle keep-alive one, after
    its answer) before it registers it with the loop. Paused right there (a busy machine),
    with the client's next request already in the socket, the connection is still the
    worker's: an eviction at the limit neither reads nor closes it, and once handed back it
    is served. Deterministic: the test plays the worker's pause and the loop's accept step."""
    server = EngineServer(engine.handle, limits=Limits(connections=2))  # type: ignore[arg-type]
    try:
        with connect(server) as mine, connect(server) as stalled:
            while server.open_connections < 2:
                server._accept()
            (held_by_worker,) = [
                c for c in server._connections.values() if c.address == mine.getsockname()
            ]
            server._unregister(held_by_worker)  # what a worker serves is not watched ...
            held_by_worker.state, held_by_worker.served = State.HEAD, 1  # ... until parked
            mine.sendall(head("GET", "/clusters") + b"\r\n")  # the next request, meanwhile
            stalled.sendall(b"GET / HTTP/1.1\r\n")
            with connect(server) as newcomer:
                server._accept()  # at the limit: the loop's own stalled one makes room
                assert held_by_worker.sock in server._connections
                assert server_side_unread(held_by_worker.sock)
                assert closed_among([stalled], 1)
                server._park(held_by_worker)  # the worker goes on: handed back
                server.start()
                assert read_answer(mine).status == 200
                newcomer.sendall(head("GET", "/clusters") + b"\r\n")
                assert read_answer(newcomer).status == 200
    finally:
        server.stop()


def server_side_unread(sock: socket.socket) -> bool:
    """Whether bytes wait unread in the server's side of a connection."""
    try:
        return bool(sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT))
    except BlockingIOError:
        return False

"""The engine's HTTP server: strict HTTP/1.1, every resource bounded, no thread per client.

One loop thread owns the listening socket and every connection that waits on its client: it
accepts, reads request heads and admitted bodies without blocking, writes what a client has
not taken yet, sweeps timeouts and closes. A fixed pool of workers runs the application: a
worker takes a request whose head is whole, asks the application whether it may send its body
(``admit``: authentication and the other checks that need no body), and answers it at once,
or hands the connection back to the loop to gather the body and then takes it again. Answers
are written without blocking; what the socket does not take, the loop writes later. So a slow,
idle or non-reading client costs a socket and its bytes, never a worker, and a client without
credentials never makes the engine hold a body.

A connection is in one state at a time (``State``): waiting for a head, being served by a
worker, sending its body, taking its answer, or closing (the answer sent, what the client
still sends read and dropped so that it is not reset before it reads the answer). ``Limits``
bounds each: connections (the longest-idle one is closed to admit a new one), head size and
time, body size and time, the time to take an answer and the bytes waiting to be taken,
idle keep-alive time, workers. This module is long because that state machine is one piece.
"""

from __future__ import annotations

import contextlib
import enum
import heapq
import selectors
import socket
import ssl
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType

import h11

from contracttest.engine import wire
from contracttest.engine.http import HttpRequest, HttpResponse
from contracttest.errors import ContractTestError

App = Callable[[HttpRequest], HttpResponse]
#: Whether a request may send its body: None to read it (up to the limit), a smaller limit
#: for a request without credentials that needs its body (a login form), else its answer.
Admit = Callable[[HttpRequest], HttpResponse | int | None]
MAX_BODY = 2 * 1024 * 1024
_AGAIN = (BlockingIOError, InterruptedError, ssl.SSLWantReadError, ssl.SSLWantWriteError)


@dataclass(frozen=True)
class Limits:
    workers: int = 16
    connections: int = 1000
    head_bytes: int = 16 * 1024  # the request line and headers
    head_seconds: float = 10.0  # from a head's first byte to its blank line
    body_bytes: int = MAX_BODY
    body_seconds: float = 30.0  # to send a whole body, once admitted
    drain_bytes: int = 64 * 1024 * 1024  # an admitted body over the limit is read and dropped
    idle_seconds: float = 60.0  # keep-alive without a request
    keep_seconds: float = 0.05  # a worker waits for the next request of a client it served
    send_seconds: float = 30.0  # for the client to take an answer
    waiting_bytes: int = 128 * 1024 * 1024  # answers not taken yet, all connections together
    gathering_bytes: int = 64 * 1024 * 1024  # bodies arriving, all connections together
    body_chunks: int = 4096  # chunks a chunked body may come in (each costs the loop work)
    linger_bytes: int = 1024 * 1024  # read and dropped after a closing answer
    linger_seconds: float = 2.0


class State(enum.Enum):
    HEAD = "head"  # waiting for a request head (idle, or part of one here)
    BUSY = "busy"  # a worker has it
    BODY = "body"  # its admitted body is arriving
    WRITE = "write"  # its answer is being taken
    CLOSING = "closing"  # answered for the last time


class _Connection:
    __slots__ = (
        "address",
        "after",
        "body",
        "deadline",
        "drain",
        "event",
        "gathered",
        "h11",
        "handshaking",
        "limit",
        "lingered",
        "outgoing",
        "owed",
        "pieces",
        "request",
        "served",
        "since",
        "size",
        "sock",
        "state",
        "trusted",
    )

    def __init__(self, sock: socket.socket, address: object, limits: Limits) -> None:
        self.sock = sock
        self.address = address
        self.h11 = h11.Connection(h11.SERVER, max_incomplete_event_size=limits.head_bytes)
        self.state = State.HEAD
        self.since = time.monotonic()  # last activity
        self.deadline: float | None = None  # when the current state must have ended
        self.lingered = 0
        self.handshaking = isinstance(sock, ssl.SSLSocket)
        if self.handshaking:
            self.deadline = self.since + limits.head_seconds
        self.outgoing = memoryview(b"")  # what the client has not taken yet
        self.after = False  # after the answer: True to go on, False to close
        self.event: h11.Request | None = None  # the request whose body is arriving
        self.request: HttpRequest | None = None
        self.body = bytearray()
        self.size = 0
        self.gathered = 0  # bytes of the body counted against the gathering budget
        self.pieces = 0
        self.limit = limits.body_bytes  # the most this request's body may have
        self.owed = 0  # bytes of the answer counted against the waiting budget
        self.served = 0  # answers given on this connection
        self.drain = False  # the body is over the limit: read and dropped, then 413
        self.trusted = False  # its last request was admitted (authenticated)

    def head_started(self) -> bool:
        return self.handshaking or bool(self.h11.trailing_data[0])


class EngineServer:
    """Serve ``app`` on ``host:port`` (0 = a free port) until stopped.

    ``admit`` (default: ``app.__self__.admit`` when ``app`` is a bound method of an object
    that has one) answers a request from its head alone, before its body is read. With
    ``tls`` (a server-side ``ssl.SSLContext``) every connection is HTTPS. As a context manager
    it serves from a background thread: ``with EngineServer(app) as server: ...``.
    """

    def __init__(
        self,
        app: App,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        verbose: bool = False,
        admit: Admit | None = None,
        limits: Limits | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.app = app
        self.admit: Admit | None = admit or getattr(getattr(app, "__self__", None), "admit", None)
        self.verbose = verbose
        self.limits = limits or Limits()
        self.tls = tls
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._listener = socket.socket(family, socket.SOCK_STREAM)
        try:
            self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._listener.bind((host, port))
            self._listener.listen(128)
        except BaseException:
            self._listener.close()
            raise
        self._listener.setblocking(False)
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._listener, selectors.EVENT_READ, None)
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, "wake")
        self._connections: dict[socket.socket, _Connection] = {}
        self._returned: deque[_Connection] = deque()
        self._waiting = 0  # bytes of answers not taken yet
        self._gathered = 0  # bytes of bodies arriving
        self._budget_lock = threading.Lock()
        self._queued = 0  # requests handed to the pool that no worker has taken yet
        self._pool = ThreadPoolExecutor(self.limits.workers, thread_name_prefix="engine-worker")
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        #: A worker's next step with the connection it serves (``_dispatch`` from a worker).
        self._next = threading.local()

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._listener.getsockname()[:2]
        return str(host), int(port)

    @property
    def base_url(self) -> str:
        host, port = self.address
        shown = f"[{host}]" if ":" in host else host
        return f"{'https' if self.tls else 'http'}://{shown}:{port}"

    @property
    def open_connections(self) -> int:
        """Connections open now (in any state)."""
        return len(self._connections)

    # -- the loop ------------------------------------------------------------------------

    def serve_forever(self) -> None:
        next_sweep = time.monotonic() + 0.5
        while not self._stopping.is_set():
            for key, mask in self._selector.select(timeout=0.25):
                if key.data is None:
                    self._accept()
                elif key.data == "wake":
                    with contextlib.suppress(OSError):
                        while self._wake_r.recv(4096):
                            pass
                else:
                    self._ready(key.data, mask)
            self._take_back()
            now = time.monotonic()
            if now >= next_sweep:
                self._sweep(now)
                next_sweep = now + 0.5

    def _ready(self, connection: _Connection, mask: int) -> None:
        """One connection's event, whatever its state; nothing it does stops the loop."""
        try:
            if connection.state is State.WRITE:
                if mask & selectors.EVENT_WRITE:
                    self._flush(connection)
            elif connection.state is State.CLOSING:
                self._drop_input(connection)
            elif connection.state is State.BODY:
                self._read_body(connection)
            elif connection.state is State.HEAD:
                self._read_head(connection)
        except Exception as exc:  # a bug in the server itself: logged, that connection closed
            self._log(f"{type(exc).__name__}: {exc}")
            self._close(connection)

    def _accept(self) -> None:
        for _ in range(16):  # a few at a time: the connections there are get their turn too
            try:
                sock, address = self._listener.accept()
            except _AGAIN:
                return
            except OSError as exc:  # out of descriptors: those open now must finish first
                self._log(f"accept: {exc}")
                return
            if len(self._connections) >= self.limits.connections and not self._evict():
                _quick_close(sock)
                continue
            sock.setblocking(False)
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.tls is not None:
                try:
                    sock = self.tls.wrap_socket(
                        sock, server_side=True, do_handshake_on_connect=False
                    )
                except (OSError, ValueError):
                    sock.close()
                    continue
            connection = _Connection(sock, address, self.limits)
            self._connections[sock] = connection
            self._selector.register(sock, selectors.EVENT_READ, connection)

    def _evict(self) -> bool:
        """Make room: close a closing connection, else the one idle longest, else the oldest
        whose request is under way; one a worker holds is never closed (nor read), and one
        whose request has come in but is not read yet is read instead (it is not idle)."""
        order = {State.CLOSING: 0, State.HEAD: 2, State.BODY: 3, State.WRITE: 4}

        def rank(c: _Connection) -> tuple[int, float]:
            idle = c.state is State.HEAD and c.served and not c.head_started()
            return (1 if idle else order[c.state], c.since)  # then the oldest first

        # Read before choosing: when the loop is behind (a busy machine), the oldest may all
        # hold input it has not read yet. Reading them dispatches those with a whole request
        # and leaves the rest ranked anew (a partial head is still a stalled head), so a new
        # client is refused only when every connection is being served. Each round reads up
        # to 16 and never the same bytes twice, so the rounds are bounded.
        for _ in range(1 + len(self._connections) // 16):
            waiting = [c for c in list(self._connections.values()) if self._watched(c)]
            candidates = heapq.nsmallest(16, waiting, key=rank)
            unread = [c for c in candidates if c.state is State.HEAD and _has_input(c.sock)]
            if not unread:
                break
            for candidate in unread:
                self._ready(candidate, selectors.EVENT_READ)
            if len(self._connections) < self.limits.connections:
                return True  # a read found its client gone: that made room
        else:
            waiting = [c for c in list(self._connections.values()) if self._watched(c)]
            candidates = heapq.nsmallest(1, waiting, key=rank)
        if not candidates:
            return False
        self._close(candidates[0])
        return True

    def _receive(self, connection: _Connection) -> bytes | None:
        """What the client sent (b"" at its end), None when nothing is there yet."""
        if connection.handshaking:
            assert isinstance(connection.sock, ssl.SSLSocket)
            try:
                connection.sock.do_handshake()
            except _AGAIN:
                return None
            connection.handshaking = False
            connection.deadline = None
        try:
            data = connection.sock.recv(65536)
        except _AGAIN:
            return None
        connection.since = time.monotonic()
        return data

    def _input(self, connection: _Connection) -> bytes | None:
        """What the client sent (b"" at its end); None when nothing is there yet, or when
        the socket failed (then the connection is closed)."""
        try:
            return self._receive(connection)
        except OSError:
            self._close(connection)
            return None

    def _read_head(self, connection: _Connection) -> None:
        data = self._input(connection)
        if data is None:
            return
        if not data and not connection.head_started():
            self._close(connection)  # a keep-alive connection the client closed
            return
        if not connection.head_started():
            data = data.lstrip(b"\r\n")  # empty lines before a request line are ignored
            if not data:
                return
        connection.h11.receive_data(data)
        self._next_request(connection, from_loop=True)

    def _next_request(self, connection: _Connection, *, from_loop: bool) -> None:
        """After new bytes: dispatch a whole head, refuse a bad one, or wait for the rest."""
        try:
            event = connection.h11.next_event()
        except (h11.RemoteProtocolError, ValueError) as exc:
            detail = wire.protocol_detail(exc) if isinstance(exc, h11.RemoteProtocolError) else ""
            status = wire.protocol_status(exc) if isinstance(exc, h11.RemoteProtocolError) else 400
            self._refuse(connection, status, detail or "Malformed request.", from_loop)
            return
        if isinstance(event, h11.Request):
            connection.deadline = None
            self._dispatch(connection, self._admission, event, from_loop=from_loop)
        elif isinstance(event, h11.ConnectionClosed):
            self._refuse(connection, 400, "The request ended before its headers did.", from_loop)
        elif not wire.request_line_may_be_valid(connection.h11.trailing_data[0]):
            self._refuse(connection, 400, "Illegal request line.", from_loop)
        else:
            if connection.deadline is None:
                connection.deadline = time.monotonic() + self.limits.head_seconds
            connection.state = State.HEAD
            if from_loop:  # after an answer it was written from the loop: read again
                self._selector.modify(connection.sock, selectors.EVENT_READ, connection)
            else:
                self._park(connection)

    def _dispatch(
        self,
        connection: _Connection,
        task: Callable[..., None],
        *args: object,
        from_loop: bool,
    ) -> None:
        """Give a connection to a worker (from a worker: go on with it in this one)."""
        if not from_loop:  # noted, not called: a worker serving one client's requests one
            connection.state = State.BUSY  # after another must not nest a call for each
            self._next.task = (task, connection, args)
            return
        self._unregister(connection)
        connection.state = State.BUSY
        with self._budget_lock:
            self._queued += 1
        try:
            self._pool.submit(self._work, task, connection, *args)
        except RuntimeError:  # the pool is shutting down
            self._close(connection)

    def _read_body(self, connection: _Connection) -> None:
        data = self._input(connection)
        if data is None:
            return
        connection.h11.receive_data(data)
        self._gather(connection, ended=not data, from_loop=True)

    def _gather(self, connection: _Connection, *, ended: bool, from_loop: bool) -> None:
        """Take in what arrived of an admitted body; when it is whole, serve the request."""
        limits = self.limits
        assert connection.event is not None and connection.request is not None
        while True:
            try:
                event = connection.h11.next_event()
            except h11.RemoteProtocolError as exc:
                status = wire.protocol_status(exc)
                self._refuse(connection, status, wire.protocol_detail(exc), from_loop)
                return
            if isinstance(event, h11.Data):
                connection.size += len(event.data)
                connection.pieces += event.chunk_start
                if connection.pieces > limits.body_chunks:
                    self._refuse(connection, 400, "The body comes in too many chunks.", from_loop)
                    return
                if connection.drain:
                    continue
                if connection.size > connection.limit:
                    self._answer(connection, self._too_large(connection, keep=False), from_loop)
                    return
                if not self._gathering(connection, len(event.data)):
                    busy = "The engine is receiving too much at once; send it again later."
                    self._answer(connection, (wire.refusal(503, busy, "Busy"), False), from_loop)
                    return
                connection.body += event.data
            elif isinstance(event, h11.EndOfMessage):
                trailer = sum(len(name) + len(value) + 4 for name, value in event.headers)
                if trailer > limits.head_bytes:
                    self._refuse(connection, 431, "The trailer is too large.", from_loop)
                    return
                if connection.drain:
                    self._answer(connection, self._too_large(connection, keep=True), from_loop)
                    return
                body = bytes(connection.body)
                self._release_body(connection)
                connection.deadline = None
                self._dispatch(connection, self._respond, body, from_loop=from_loop)
                return
            elif event is h11.NEED_DATA:
                buffered = connection.h11.trailing_data[0]
                if ended:
                    self._refuse(
                        connection, 400, "The body ended before its declared end.", from_loop
                    )
                elif wire.framing(connection.event) == -1 and wire.bare_line_feed(buffered):
                    self._refuse(connection, 400, "Chunks end their lines with CRLF.", from_loop)
                else:
                    connection.state = State.BODY
                    if connection.deadline is None:
                        connection.deadline = time.monotonic() + limits.body_seconds
                    if not from_loop:
                        self._park(connection)
                return
            else:
                self._refuse(connection, 400, "The request body is malformed.", from_loop)
                return

    def _flush(self, connection: _Connection) -> None:
        """Write what the client takes now; when all is taken, go on or close."""
        try:
            sent = connection.sock.send(connection.outgoing)
        except _AGAIN:
            return
        except OSError:
            self._close(connection)
            return
        connection.outgoing = connection.outgoing[sent:]
        connection.since = time.monotonic()
        if len(connection.outgoing):
            return
        self._after_answer(connection, from_loop=True)

    def _drop_input(self, connection: _Connection) -> None:
        data = self._input(connection)
        if data is None:
            return
        connection.lingered += len(data)
        if not data or connection.lingered > self.limits.linger_bytes:
            self._close(connection)

    def _take_back(self) -> None:
        while self._returned:
            connection = self._returned.popleft()
            if self._stopping.is_set() or connection.state is State.BUSY:
                self._close(connection)
            else:
                self._register(connection)

    def _sweep(self, now: float) -> None:
        for connection in list(self._connections.values()):
            try:
                self._expire(connection, now)
            except Exception as exc:  # a bug in the server itself: logged, that one closed
                self._log(f"{type(exc).__name__}: {exc}")
                self._close(connection)

    def _expire(self, connection: _Connection, now: float) -> None:
        state = connection.state
        if self._watched(connection):
            if connection.deadline is not None and now >= connection.deadline:
                if state is State.HEAD:
                    self._refuse(connection, 408, "The request head took too long.", True)
                elif state is State.BODY:
                    self._refuse(connection, 408, "The request body took too long.", True)
                else:  # an answer not taken, or a linger over
                    self._close(connection)
            elif state is State.HEAD and now - connection.since >= self.limits.idle_seconds:
                self._close(connection)

    # -- registration (from the loop, or from a worker: epoll takes both) --------------------

    def _events(self, connection: _Connection) -> int:
        return selectors.EVENT_WRITE if connection.state is State.WRITE else selectors.EVENT_READ

    def _register(self, connection: _Connection) -> None:
        try:
            self._selector.register(connection.sock, self._events(connection), connection)
        except KeyError:
            self._selector.modify(connection.sock, self._events(connection), connection)
        except (OSError, ValueError):
            self._close(connection)
            return
        pending = isinstance(connection.sock, ssl.SSLSocket) and connection.sock.pending()
        if pending and connection.state in (State.HEAD, State.BODY):
            self._ready(connection, selectors.EVENT_READ)  # decrypted bytes select cannot see

    def _watched(self, connection: _Connection) -> bool:
        """Whether the loop holds ``connection`` now: it is registered with the selector. A
        worker sets the state of a connection it hands back (``_park``) before it registers
        it; until then the connection is the worker's, whatever its state says, and the loop
        neither reads, evicts nor expires it (on a busy machine the worker may be paused
        right there, with the client's next request already in the socket)."""
        if connection.state is State.BUSY:
            return False
        try:
            self._selector.get_key(connection.sock)
        except (KeyError, ValueError):
            return False
        return True

    def _unregister(self, connection: _Connection) -> None:
        with contextlib.suppress(KeyError, ValueError, OSError):
            self._selector.unregister(connection.sock)

    def _park(self, connection: _Connection) -> None:
        """From a worker: the connection waits on its client again, watched by the loop."""
        connection.since = time.monotonic()
        if self._stopping.is_set():
            self._give_back(connection)
            return
        tls = isinstance(connection.sock, ssl.SSLSocket) and connection.sock.pending()
        if tls:
            self._give_back(connection)  # the loop reads what is decrypted already
            return
        # the state is set: from here the loop may close it, and then registering fails
        with contextlib.suppress(OSError, ValueError, KeyError):
            self._selector.register(connection.sock, self._events(connection), connection)

    def _give_back(self, connection: _Connection) -> None:
        self._returned.append(connection)
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")

    def _close(self, connection: _Connection) -> None:
        if self._connections.pop(connection.sock, None) is None:
            return
        self._unregister(connection)  # while the socket is open, its descriptor is its own
        self._release_answer(connection)
        self._release_body(connection)
        with contextlib.suppress(OSError):
            connection.sock.close()

    # -- a worker --------------------------------------------------------------------------

    def _work(self, task: Callable[..., None], connection: _Connection, *args: object) -> None:
        with self._budget_lock:
            self._queued -= 1
        self._next.task = (task, connection, args)
        try:
            while self._next.task is not None:
                task, connection, args = self._next.task
                self._next.task = None
                task(connection, *args)
        except _Done:
            return
        except Exception as exc:  # a bug in the server itself: logged, the connection closed
            self._log(f"{type(exc).__name__}: {exc}")
            connection.state = State.BUSY
            self._give_back(connection)

    def _admission(self, connection: _Connection, event: h11.Request) -> None:
        """A whole head: refuse it, answer it from the head, or go on to its body."""
        try:
            request = wire.read_head(event, self.limits.head_bytes)
        except wire.Refused as refused:
            self._answer(connection, (refused.answer, False), from_loop=False)
            return
        declared = wire.framing(event)
        try:
            early = self.admit(request) if self.admit is not None else None
        except Exception as exc:  # as for the application: a bug, answered and logged
            self._log(f"{type(exc).__name__}: {exc}")
            early = HttpResponse(500, content_type=None)
        connection.trusted = early is None
        connection.limit = self.limits.body_bytes
        if isinstance(early, int):  # no credentials, but a form to read: a small one
            connection.limit, early = min(early, self.limits.body_bytes), None
        if early is not None:
            keep = declared is None and wire.keeps_alive(event)  # else the body stays unread
            if declared is None:
                connection.h11.next_event()  # the end of a message without a body
            self._answer(connection, self._bytes(event, early, keep), from_loop=False)
            return
        connection.event, connection.request = event, request
        self._release_body(connection)
        connection.size = connection.pieces = 0
        connection.deadline = None
        connection.drain = declared is not None and declared > connection.limit
        too_much = connection.limit if not connection.trusted else self.limits.drain_bytes
        if connection.drain and declared is not None and declared > too_much:
            self._answer(connection, self._too_large(connection, keep=False), from_loop=False)
            return
        waiting = declared is not None and connection.h11.they_are_waiting_for_100_continue
        if waiting and not self._write_now(connection, b"HTTP/1.1 100 Continue\r\n\r\n"):
            self._answer(connection, (b"", False), from_loop=False)
            return
        self._gather(connection, ended=False, from_loop=False)

    def _respond(self, connection: _Connection, body: bytes) -> None:
        event, head = connection.event, connection.request
        assert event is not None and head is not None
        connection.event = connection.request = None
        request = HttpRequest(head.method, head.uri, head.headers, body)
        try:
            response = self.app(request)
        except Exception as exc:  # the application answers its own errors; this is a bug
            self._log(f"{type(exc).__name__}: {exc}")
            response = HttpResponse(500, content_type=None)
        if self.verbose:
            self._log(f"{connection.address} {request.method} {request.uri} {response.status}")
        self._answer(connection, self._bytes(event, response, wire.keeps_alive(event)), False)

    def _bytes(self, event: h11.Request, response: HttpResponse, keep: bool) -> tuple[bytes, bool]:
        data = wire.answer_bytes(
            response, head_only=event.method == b"HEAD", keep=keep, log=self._log
        )
        return data, keep

    def _too_large(self, connection: _Connection, *, keep: bool) -> tuple[bytes, bool]:
        event = connection.event
        assert event is not None
        keep = keep and wire.keeps_alive(event)
        return self._bytes(event, HttpResponse(413, wire.TOO_LARGE), keep)

    # -- answering (from a worker or from the loop) -----------------------------------------

    def _refuse(self, connection: _Connection, status: int, detail: str, from_loop: bool) -> None:
        self._answer(connection, (wire.refusal(status, detail), False), from_loop)

    def _answer(self, connection: _Connection, answer: tuple[bytes, bool], from_loop: bool) -> None:
        """Write an answer as far as the client takes it now; the loop writes the rest."""
        data, keep = answer
        self._release_body(connection)  # answered: whatever arrived of a body is not needed
        connection.after = keep
        connection.event = connection.request = None
        sent = 0
        with contextlib.suppress(*_AGAIN):
            try:
                sent = connection.sock.send(data) if data else 0
            except OSError:
                connection.after = False
                data = b""
        connection.outgoing = memoryview(data)[sent:]
        connection.since = time.monotonic()
        if len(connection.outgoing):
            if not self._owe(len(data)):  # the whole answer stays alive until it is taken
                self._log("answers waiting for their clients are over the limit: one dropped")
                connection.outgoing = memoryview(b"")
                connection.after = False
            else:
                connection.owed = len(data)
                connection.state = State.WRITE
                connection.deadline = connection.since + self.limits.send_seconds
                if from_loop:
                    self._selector.modify(connection.sock, selectors.EVENT_WRITE, connection)
                else:
                    self._park(connection)
                return
        self._after_answer(connection, from_loop=from_loop)

    def _after_answer(self, connection: _Connection, *, from_loop: bool) -> None:
        """The answer is taken: the next request (already here, or soon), else wait or close."""
        connection.deadline = None
        connection.served += 1
        self._release_answer(connection)
        if not connection.after or connection.h11.their_state is not h11.DONE:
            self._start_closing(connection, from_loop)
            return
        leftover = bytes(connection.h11.trailing_data[0]).lstrip(b"\r\n")
        connection.h11 = h11.Connection(
            h11.SERVER, max_incomplete_event_size=self.limits.head_bytes
        )
        # a worker keeps it BUSY while it may still serve it: the loop never closes (evicts,
        # expires) a connection that a worker holds
        if leftover:  # pipelined
            connection.h11.receive_data(leftover)
            self._next_request(connection, from_loop=from_loop)
        elif from_loop:
            connection.state = State.HEAD
            self._selector.modify(connection.sock, selectors.EVENT_READ, connection)
        elif connection.trusted and self._await_next(connection):
            self._next_request(connection, from_loop=False)
        else:
            connection.state = State.HEAD
            self._park(connection)

    def _await_next(self, connection: _Connection) -> bool:
        """Whether the next request of a client this worker just served arrives within
        ``keep_seconds`` (a busy client's does): then this worker serves it, with no trip
        through the loop. Only for a client that was admitted (it has credentials)."""
        if self.limits.keep_seconds <= 0 or self._stopping.is_set() or self._queued:
            return False  # others wait for a worker: this one goes back to them
        try:
            connection.sock.settimeout(self.limits.keep_seconds)
            data: bytes | None = connection.sock.recv(65536)
        except (TimeoutError, *_AGAIN):
            data = None
        except OSError:
            data = b""
        finally:
            with contextlib.suppress(OSError):
                connection.sock.setblocking(False)
        if data is None:
            return False
        if not data:
            connection.after = False
            connection.state = State.BUSY
            self._give_back(connection)  # closed by its client: the loop closes it
            raise _Done
        data = data.lstrip(b"\r\n")  # empty lines before a request line are ignored
        if not data:
            return False
        connection.h11.receive_data(data)
        return True

    def _start_closing(self, connection: _Connection, from_loop: bool) -> None:
        """Stop writing, then read and drop what the client still sends (so it is not reset
        before it reads the answer) until it closes or the linger bounds run out."""
        with contextlib.suppress(OSError):
            connection.sock.shutdown(socket.SHUT_WR)
        connection.state = State.CLOSING
        connection.lingered = 0
        connection.deadline = time.monotonic() + self.limits.linger_seconds
        if from_loop:
            with contextlib.suppress(KeyError, ValueError, OSError):
                self._selector.modify(connection.sock, selectors.EVENT_READ, connection)
        else:
            self._park(connection)

    def _write_now(self, connection: _Connection, data: bytes) -> bool:
        """A few bytes (``100 Continue``) that a socket with room takes at once."""
        try:
            return connection.sock.send(data) == len(data)
        except (*_AGAIN, OSError):
            return False

    def _owe(self, size: int) -> bool:
        with self._budget_lock:
            if self._waiting + size > self.limits.waiting_bytes:
                return False
            self._waiting += size
            return True

    def _release_answer(self, connection: _Connection) -> None:
        """The answer is taken (or abandoned): its bytes go, and so does its count."""
        connection.outgoing = memoryview(b"")
        if connection.owed:
            with self._budget_lock:
                self._waiting -= connection.owed
            connection.owed = 0

    def _gathering(self, connection: _Connection, size: int) -> bool:
        with self._budget_lock:
            if self._gathered + size > self.limits.gathering_bytes:
                return False
            self._gathered += size
        connection.gathered += size
        return True

    def _release_body(self, connection: _Connection) -> None:
        connection.body = bytearray()
        if connection.gathered:
            with self._budget_lock:
                self._gathered -= connection.gathered
            connection.gathered = 0

    def _log(self, message: str) -> None:
        with self._budget_lock:  # one line at a time
            sys.stderr.write(f"contracttest engine: {message}\n")

    # -- starting and stopping -------------------------------------------------------------

    def start(self) -> EngineServer:
        self._thread = threading.Thread(
            target=self.serve_forever, name="contracttest-engine", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._pool.shutdown(wait=True, cancel_futures=True)
        for connection in list(self._connections.values()):
            connection.state = State.CLOSING
            self._close(connection)
        self._returned.clear()
        for sock in (self._listener, self._wake_r, self._wake_w):
            with contextlib.suppress(KeyError, ValueError, OSError):
                self._selector.unregister(sock)
            sock.close()
        self._selector.close()

    def __enter__(self) -> EngineServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


class _Done(ContractTestError):
    """The worker is done with a connection it gave back."""


def _has_input(sock: socket.socket) -> bool:
    """Whether bytes wait in the socket (a plain one; TLS connections are not looked into)."""
    if isinstance(sock, ssl.SSLSocket):
        return False
    try:
        return bool(sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT))
    except OSError:
        return False


def _quick_close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.setblocking(False)
        sock.send(
            wire.refusal(503, "The engine has too many open connections.", "Service Unavailable")
        )
    with contextlib.suppress(OSError):
        sock.close()

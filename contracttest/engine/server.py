"""The engine's HTTP server: strict HTTP/1.1 (h11), every resource bounded.

One loop thread owns the listening socket and every connection that waits: it accepts, reads
request heads without blocking, sweeps timeouts and closes. A fixed pool of workers serves a
request once its whole head has arrived: it asks the application whether the request may send
its body (``admit``: authentication and the other checks that need no body), reads the body
only then, answers, and hands the connection back to the loop. So a slow or idle client costs
a socket and at most one head's bytes, never a thread; an unauthenticated client never makes
the engine hold a body.

Bounds (``Limits``): open connections (the longest-idle one is closed to admit a new one),
head size and the time to send it, body size and the time to send it, idle keep-alive time,
time to take an answer, workers. HTTP is h11's strict reading of RFC 9112, plus: a request with
both ``Content-Length`` and ``Transfer-Encoding`` is refused and the connection closed, and a
``Host`` that is not a host name, address and port is refused. A request whose head or body is
cut off is never executed. Whatever the application raises, the client gets an answer.
"""

from __future__ import annotations

import contextlib
import re
import selectors
import socket
import ssl
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.utils import formatdate
from types import TracebackType

import h11

from contracttest.engine.http import HttpRequest, HttpResponse, valid_host
from contracttest.engine.render import DECLARATION

App = Callable[[HttpRequest], HttpResponse]
#: Whether a request may send its body: None to read it, else the answer it gets at once.
Admit = Callable[[HttpRequest], HttpResponse | None]
MAX_BODY = 2 * 1024 * 1024


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
    keep_seconds: float = 0.05  # a worker waits for the next request on what it just served
    send_seconds: float = 30.0  # for the client to take an answer
    linger_bytes: int = 1024 * 1024  # read and dropped after a closing answer, so it arrives
    linger_seconds: float = 2.0


def _fault(reason: str, detail: str) -> bytes:
    return (
        DECLARATION
        + (
            f"<fault>\n  <reason>{reason}</reason>\n  <detail>{detail}</detail>\n</fault>\n"
        ).encode()
    )


_SYNTAX = "Request syntactically incorrect."
_TOO_LARGE = _fault(
    "Request Entity Too Large", "The request body is larger than the engine accepts."
)


class _Refused(Exception):
    """The request cannot be served: answer ``status`` with a fault and close."""

    def __init__(self, status: int, detail: str, reason: str = _SYNTAX) -> None:
        super().__init__(detail)
        self.response = HttpResponse(status, _fault(reason, detail))


class _Closed(Exception):
    """The client went away: nothing more to say."""


class _Connection:
    __slots__ = (
        "address",
        "busy",
        "closing",
        "deadline",
        "h11",
        "handshaking",
        "lingered",
        "since",
        "sock",
    )

    def __init__(self, sock: socket.socket, address: object, limits: Limits) -> None:
        self.sock = sock
        self.address = address
        self.h11 = h11.Connection(h11.SERVER, max_incomplete_event_size=limits.head_bytes)
        self.since = time.monotonic()  # last activity
        self.deadline: float | None = None  # when a started head must be complete
        self.busy = False  # a worker has it
        self.closing = False  # answered for the last time: read and drop until EOF
        self.lingered = 0
        self.handshaking = isinstance(sock, ssl.SSLSocket)
        if self.handshaking:
            self.deadline = self.since + limits.head_seconds

    def waiting_on_head(self) -> bool:
        return self.handshaking or bool(self.h11.trailing_data[0])


class EngineServer:
    """Serve ``app`` on ``host:port`` (0 = a free port) until stopped.

    ``admit`` (default: ``app.__self__.admit`` when ``app`` is a bound method of an object
    that has one) answers a request from its head alone, before its body is read. As a context
    manager it serves from a background thread: ``with EngineServer(app) as server: ...``.
    With ``tls`` (a server-side ``ssl.SSLContext``) every connection is HTTPS.
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
        self.tls = tls
        owner = getattr(app, "__self__", None)
        self.admit: Admit | None = admit or getattr(owner, "admit", None)
        self.verbose = verbose
        self.limits = limits or Limits()
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
        self._pool = ThreadPoolExecutor(self.limits.workers, thread_name_prefix="engine-worker")
        self._stopping = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

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
        """Connections open now (waiting, being served or closing)."""
        return len(self._connections)

    # -- the loop ------------------------------------------------------------------------

    def serve_forever(self) -> None:
        self._stopped.clear()
        next_sweep = time.monotonic() + 0.5
        try:
            while not self._stopping.is_set():
                for key, _ in self._selector.select(timeout=0.25):
                    if key.data is None:
                        self._accept()
                    elif key.data == "wake":
                        with contextlib.suppress(OSError):
                            while self._wake_r.recv(4096):
                                pass
                    else:
                        self._readable(key.data)
                self._take_back()
                now = time.monotonic()
                if now >= next_sweep:
                    self._sweep(now)
                    next_sweep = now + 0.5
        finally:
            self._stopped.set()

    def _accept(self) -> None:
        for _ in range(64):
            try:
                sock, address = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # out of descriptors: those open now must finish first
                self._log(f"accept: {exc}")
                return
            if len(self._connections) >= self.limits.connections and not self._evict():
                _quick_close(sock, 503, "The engine has too many open connections.")
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
        whose head is still arriving; a connection a worker serves is never closed."""
        waiting = [c for c in list(self._connections.values()) if not c.busy]
        if not waiting:
            return False
        self._close(min(waiting, key=lambda c: (not c.closing, c.waiting_on_head(), c.since)))
        return True

    def _readable(self, connection: _Connection) -> None:
        if connection.handshaking and not self._handshake(connection):
            return
        try:
            data = connection.sock.recv(65536)
        except (BlockingIOError, InterruptedError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
            return
        except OSError:
            self._close(connection)
            return
        connection.since = time.monotonic()
        if connection.closing:
            connection.lingered += len(data)
            if not data or connection.lingered > self.limits.linger_bytes:
                self._close(connection)
            return
        if not data and not connection.waiting_on_head():
            self._close(connection)  # a keep-alive connection the client closed
            return
        connection.h11.receive_data(data)
        try:
            event = connection.h11.next_event()
        except h11.RemoteProtocolError as exc:
            self._refuse(connection, exc.error_status_hint, _protocol_detail(exc))
            return
        if isinstance(event, h11.Request):
            connection.deadline = None
            self._dispatch(connection, event)
        elif isinstance(event, h11.ConnectionClosed) or not data:
            # the stream ended inside a head: a cut-off request is never executed
            self._refuse(connection, 400, "The request ended before its headers did.")
        elif not _request_line_may_be_valid(connection.h11.trailing_data[0]):
            self._refuse(connection, 400, "Illegal request line.")  # no need to wait for more
        elif connection.deadline is None:
            connection.deadline = connection.since + self.limits.head_seconds

    def _handshake(self, connection: _Connection) -> bool:
        """Go on with a TLS handshake; whether it is done."""
        assert isinstance(connection.sock, ssl.SSLSocket)
        try:
            connection.sock.do_handshake()
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
            return False
        except (OSError, ValueError):
            self._close(connection)  # not TLS, or a failed handshake
            return False
        connection.handshaking = False
        connection.deadline = None
        return True

    def _dispatch(self, connection: _Connection, request: h11.Request) -> None:
        self._selector.unregister(connection.sock)
        connection.busy = True
        try:
            self._pool.submit(self._serve, connection, request)
        except RuntimeError:  # the pool is shutting down
            self._close(connection)

    def _refuse(self, connection: _Connection, status: int, detail: str) -> None:
        """Answer a request that cannot be read, from the loop, and close."""
        with contextlib.suppress(OSError):
            connection.sock.send(_refusal(status, detail))
        self._linger(connection)

    def _linger(self, connection: _Connection) -> None:
        """Stop writing, then read and drop what the client still sends (so it is not
        reset before it reads the answer) until it closes or the linger bounds run out."""
        with contextlib.suppress(OSError):
            connection.sock.shutdown(socket.SHUT_WR)
        connection.closing = True
        connection.lingered = 0
        connection.deadline = time.monotonic() + self.limits.linger_seconds

    def _take_back(self) -> None:
        while self._returned:
            connection = self._returned.popleft()
            connection.busy = False
            connection.since = time.monotonic()
            done = connection.closing and connection.lingered > self.limits.linger_bytes
            if self._stopping.is_set() or done:
                self._close(connection)
                continue
            try:
                connection.sock.setblocking(False)
                self._selector.register(connection.sock, selectors.EVENT_READ, connection)
            except (OSError, ValueError, KeyError):
                self._close(connection)
                continue
            pending = isinstance(connection.sock, ssl.SSLSocket) and connection.sock.pending()
            if pending and not connection.closing:
                self._readable(connection)  # decrypted bytes the selector cannot see

    def _sweep(self, now: float) -> None:
        limits = self.limits
        for connection in list(self._connections.values()):
            if connection.busy:
                continue
            if connection.deadline is not None and now >= connection.deadline:
                if connection.closing:
                    self._close(connection)
                else:
                    self._refuse(connection, 408, "The request head took too long to arrive.")
            elif not connection.closing and now - connection.since >= limits.idle_seconds:
                self._close(connection)

    def _close(self, connection: _Connection) -> None:
        if self._connections.pop(connection.sock, None) is None:
            return
        if not connection.busy:
            with contextlib.suppress(KeyError, ValueError, OSError):
                self._selector.unregister(connection.sock)
        with contextlib.suppress(OSError):
            connection.sock.close()

    def _give_back(self, connection: _Connection) -> None:
        self._returned.append(connection)
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")

    # -- a worker --------------------------------------------------------------------------

    def _serve(self, connection: _Connection, event: h11.Request) -> None:
        try:
            while True:
                keep = self._exchange(connection, event)
                if not keep or connection.h11.their_state is not h11.DONE:
                    connection.closing = True
                    break
                following = self._next_cycle(connection) or self._await_next(connection)
                if following is None:
                    break
                event = following
        except h11.RemoteProtocolError as exc:  # the next request on the connection
            with contextlib.suppress(OSError, _Closed):
                self._write(connection, _refusal(exc.error_status_hint, _protocol_detail(exc)))
            connection.closing = True
        except (_Closed, OSError, h11.ProtocolError):
            connection.closing = True
            connection.lingered = self.limits.linger_bytes + 1  # just close
        except Exception as exc:  # a bug in the server itself: log it, close the connection
            self._log(f"{type(exc).__name__}: {exc}")
            connection.closing = True
        if connection.closing:
            dropped = connection.lingered
            self._linger(connection)
            connection.lingered = dropped
        elif self._rearm(connection):
            return
        self._give_back(connection)

    def _rearm(self, connection: _Connection) -> bool:
        """Put a kept-alive connection back among those that wait, from the worker (epoll
        and the selector's map take that from any thread; the loop thread need not wake)."""
        tls = isinstance(connection.sock, ssl.SSLSocket) and connection.sock.pending()
        if tls or self._stopping.is_set():
            return False  # the loop sees to it
        connection.since = time.monotonic()
        connection.busy = False  # from here the loop may close it: then registering fails
        try:
            connection.sock.setblocking(False)
            self._selector.register(connection.sock, selectors.EVENT_READ, connection)
        except (OSError, ValueError, KeyError):
            connection.busy = True
            return False
        return True

    def _next_cycle(self, connection: _Connection) -> h11.Request | None:
        """A fresh reader for the connection's next request, with what the client already
        sent after the last one (pipelining); that request when it is all here."""
        leftover = bytes(connection.h11.trailing_data[0])
        connection.h11 = h11.Connection(h11.SERVER, self.limits.head_bytes)
        if not leftover:
            return None
        connection.h11.receive_data(leftover)
        event = connection.h11.next_event()  # a protocol error: the caller closes
        if isinstance(event, h11.Request):
            return event
        connection.deadline = time.monotonic() + self.limits.head_seconds
        return None

    def _await_next(self, connection: _Connection) -> h11.Request | None:
        """The next request on a connection just answered, when its client sends it within
        ``keep_seconds`` (a busy client does): served by this worker, with no trip through the
        loop. Anything else (nothing, part of a head) goes back to the loop."""
        if connection.closing or self.limits.keep_seconds <= 0:
            return None
        connection.sock.settimeout(self.limits.keep_seconds)
        try:
            data = connection.sock.recv(65536)
        except (TimeoutError, BlockingIOError, ssl.SSLWantReadError):
            return None
        if not data:
            raise _Closed  # the client closed its keep-alive connection
        connection.h11.receive_data(data)
        event = connection.h11.next_event()
        if isinstance(event, h11.Request):
            return event
        connection.deadline = time.monotonic() + self.limits.head_seconds
        return None

    def _exchange(self, connection: _Connection, event: h11.Request) -> bool:
        """One request answered; whether the connection may go on."""
        try:
            request = self._head(event)
        except _Refused as refused:
            self._send(connection, event, refused.response, close=True)
            return False
        framing = _framing(event)
        try:
            early = self.admit(request) if self.admit is not None else None
        except Exception as exc:  # as for the application: a bug, answered and logged
            self._log(f"{type(exc).__name__}: {exc}")
            return self._send(connection, event, HttpResponse(500, content_type=None), close=True)
        if early is not None:
            if framing is None:
                self._drain(connection)  # only the end of the message: nothing to read
                return self._send(connection, event, early, close=False)
            return self._send(connection, event, early, close=True)  # the body stays unread
        try:
            body = self._body(connection, framing)
        except _Refused as refused:
            return self._send(connection, event, refused.response, close=True)
        except _TooLarge as large:
            return self._send(connection, event, HttpResponse(413, _TOO_LARGE), close=large.close)
        try:
            response = self.app(HttpRequest(request.method, request.uri, request.headers, body))
        except Exception as exc:  # the application answers its own errors; this is a bug
            self._log(f"{type(exc).__name__}: {exc}")
            response = HttpResponse(500, content_type=None)
        if self.verbose:
            self._log(f"{connection.address} {request.method} {request.uri} {response.status}")
        return self._send(connection, event, response, close=False)

    def _head(self, event: h11.Request) -> HttpRequest:
        headers: dict[str, str] = {}
        for name, value in event.headers:
            key = name.decode("ascii").lower()
            text = value.decode("iso-8859-1")
            headers[key] = f"{headers[key]}, {text}" if key in headers else text
        if "transfer-encoding" in headers and "content-length" in headers:
            raise _Refused(400, "Content-Length and Transfer-Encoding together.")
        host = headers.get("host")
        if host is not None and not valid_host(host):
            raise _Refused(400, "The Host header is not a host name and port.")
        method = event.method.decode("ascii")
        return HttpRequest(method, event.target.decode("iso-8859-1"), headers)

    def _body(self, connection: _Connection, framing: int | None) -> bytes:
        limits = self.limits
        if framing is None:
            self._drain(connection)
            return b""
        if framing > limits.body_bytes:
            if framing > limits.drain_bytes:
                raise _TooLarge(close=True)
            self._drain(connection)
            raise _TooLarge(close=False)
        if connection.h11.they_are_waiting_for_100_continue:
            self._write(connection, b"HTTP/1.1 100 Continue\r\n\r\n")
        parts: list[bytes] = []
        size = 0
        for data in self._body_events(connection):
            size += len(data)
            if size > limits.body_bytes:
                raise _TooLarge(close=True)
            parts.append(data)
        return b"".join(parts)

    def _drain(self, connection: _Connection) -> None:
        for _ in self._body_events(connection):
            pass

    def _body_events(self, connection: _Connection) -> Iterator[bytes]:
        deadline = time.monotonic() + self.limits.body_seconds
        while True:
            try:
                event = connection.h11.next_event()
            except h11.RemoteProtocolError as exc:
                raise _Refused(400, _protocol_detail(exc)) from None
            if isinstance(event, h11.Data):
                yield bytes(event.data)
            elif isinstance(event, h11.EndOfMessage):
                return
            elif event is h11.NEED_DATA:
                data = self._recv(connection, deadline)
                connection.h11.receive_data(data)
                if not data:
                    raise _Refused(400, "The request body ended before its declared length.")
            else:
                raise _Refused(400, "The request body is malformed.")

    def _recv(self, connection: _Connection, deadline: float) -> bytes:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _Refused(408, "The request body took too long to arrive.")
        connection.sock.settimeout(remaining)
        try:
            return connection.sock.recv(65536)
        except TimeoutError:
            raise _Refused(408, "The request body took too long to arrive.") from None

    def _send(
        self, connection: _Connection, event: h11.Request, response: HttpResponse, *, close: bool
    ) -> bool:
        """Write the answer (h11 reads requests; answers are written here, from values the
        engine made, each header checked); whether the connection may go on."""
        keep = not close and _keeps_alive(event)
        body = response.body
        lines = [
            f"HTTP/1.1 {response.status} {_reason(response.status)}\r\n"
            f"Date: {_date()}\r\nServer: contracttest-engine\r\n"
        ]
        if response.content_type is not None and (body or response.status >= 400):
            lines.append(f"Content-Type: {response.content_type}\r\n")
        for name, value in response.headers:
            if _HEADER_NAME.fullmatch(name) is None or _NOT_IN_VALUE.search(value) is not None:
                self._log(f"a {name!r} header the engine made is not HTTP: left out")
                continue
            lines.append(f"{name}: {value}\r\n")
        lines.append(f"Content-Length: {len(body)}\r\n")
        if not keep:
            lines.append("Connection: close\r\n")
        lines.append("\r\n")
        data = "".join(lines).encode("latin-1", "replace")
        if event.method != b"HEAD":
            data += body
        self._write(connection, data)
        return keep

    def _write(self, connection: _Connection, data: bytes) -> None:
        connection.sock.settimeout(self.limits.send_seconds)
        try:
            connection.sock.sendall(data)
        except TimeoutError:
            raise _Closed from None

    def _log(self, message: str) -> None:
        print(f"contracttest engine: {message}", file=sys.stderr)

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
            connection.busy = False
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


class _TooLarge(Exception):
    def __init__(self, *, close: bool) -> None:
        super().__init__("body too large")
        self.close = close


_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_NOT_IN_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


_DATE = [0, ""]


def _date() -> str:
    """The ``Date`` header's value, made once a second."""
    now = int(time.time())
    if _DATE[0] != now:
        _DATE[:] = [now, formatdate(now, usegmt=True)]
    return str(_DATE[1])


def _keeps_alive(event: h11.Request) -> bool:
    """HTTP/1.1 without ``Connection: close`` (an HTTP/1.0 client gets one answer)."""
    if event.http_version != b"1.1":
        return False
    return not any(
        name == b"connection" and b"close" in value.lower() for name, value in event.headers
    )


def _framing(event: h11.Request) -> int | None:
    """The body's declared length (-1: chunked), None when there is no body."""
    length: int | None = None
    for name, value in event.headers:
        if name == b"transfer-encoding":
            return -1
        if name == b"content-length":
            length = int(value)
    return length if length else None


_REQUEST_LINE = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+ [^\x00-\x20\x7f]+ HTTP/[0-9]\.[0-9]\r?")


def _request_line_may_be_valid(buffer: bytes | bytearray) -> bool:
    """Whether the first line of a head, once complete, may be a request line."""
    line, newline, _ = bytes(buffer).lstrip(b"\r\n").partition(b"\n")
    return not newline or _REQUEST_LINE.fullmatch(line) is not None


def _protocol_detail(exc: h11.RemoteProtocolError) -> str:
    text = str(exc).split(":")[0].strip() or "malformed request"
    return text[:1].upper() + text[1:] + "."


_REASONS = {
    100: "Continue",
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    409: "Conflict",
    413: "Content Too Large",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
    503: "Service Unavailable",
    505: "HTTP Version Not Supported",
}


def _reason(status: int) -> str:
    return _REASONS.get(status, "Unknown")


def _refusal(status: int, detail: str, reason: str = _SYNTAX) -> bytes:
    """A whole answer refusing a request, closing the connection."""
    body = _fault(reason, detail)
    return (
        f"HTTP/1.1 {status} {_reason(status)}\r\nContent-Type: application/xml\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body


def _quick_close(sock: socket.socket, status: int, detail: str) -> None:
    with contextlib.suppress(OSError):
        sock.setblocking(False)
        sock.send(_refusal(status, detail, "Service Unavailable"))
    with contextlib.suppress(OSError):
        sock.close()

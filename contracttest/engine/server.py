"""The engine's HTTP server: threaded, HTTP/1.1 with keep-alive, on loopback by default.

It only moves bytes: a request line, headers and a body become an ``HttpRequest`` for the
application, whose ``HttpResponse`` goes back with a Content-Length. Bodies over the limit
get 413 without being kept; anything the application raises still gets an answer.
"""

from __future__ import annotations

import socket
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

from contracttest.engine.http import HttpRequest, HttpResponse
from contracttest.engine.render import DECLARATION

App = Callable[[HttpRequest], HttpResponse]
MAX_BODY = 2 * 1024 * 1024
_DRAIN_LIMIT = 64 * 1024 * 1024
_TOO_LARGE = (
    DECLARATION + b"<fault>\n  <reason>Request Entity Too Large</reason>\n"
    b"  <detail>The request body is larger than the engine accepts.</detail>\n</fault>\n"
)


class _BodyTooLarge(Exception):
    pass


class _BadChunk(Exception):
    pass


_BAD_CHUNK = (
    DECLARATION + b"<fault>\n  <reason>Request syntactically incorrect.</reason>\n"
    b"  <detail>A chunk of the request body has no valid size.</detail>\n</fault>\n"
)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    #: A garbage request line still gets a status line, not an HTTP/0.9 answer.
    default_request_version = "HTTP/1.1"
    #: An idle or stalled connection is closed after this many seconds.
    timeout = 60
    server: _Server

    def version_string(self) -> str:
        return "contracttest-engine"

    def _handle(self) -> None:
        try:
            body = self._body()
        except _BodyTooLarge:
            self._send(HttpResponse(413, _TOO_LARGE))
            return
        except _BadChunk:
            self._send(HttpResponse(400, _BAD_CHUNK))
            return
        headers = {name.lower(): value for name, value in self.headers.items()}
        request = HttpRequest(self.command, self.path, headers, body)
        try:
            response = self.server.app(request)
        except Exception as exc:  # the application answers its own errors; this is a bug
            print(f"contracttest engine: {type(exc).__name__}: {exc}", file=sys.stderr)
            response = HttpResponse(500, content_type=None)
        self._send(response)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _handle

    def _body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._chunked()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        if length > MAX_BODY:
            if length <= _DRAIN_LIMIT:
                self._drain(length)
            else:
                self.close_connection = True
            raise _BodyTooLarge
        return self.rfile.read(length) if length > 0 else b""

    def _chunked(self) -> bytes:
        parts: list[bytes] = []
        size = 0
        while True:
            line = self.rfile.readline(1024)
            try:
                chunk = int(line.split(b";")[0].strip() or b"0", 16)
            except ValueError:
                self.close_connection = True
                raise _BadChunk from None
            if chunk == 0:
                while self.rfile.readline(1024).strip():
                    pass  # trailers
                return b"".join(parts)
            size += chunk
            if size > MAX_BODY:
                self.close_connection = True
                raise _BodyTooLarge
            parts.append(self.rfile.read(chunk))
            self.rfile.readline(16)

    def _drain(self, length: int) -> None:
        while length > 0:
            read = self.rfile.read(min(length, 1 << 20))
            if not read:
                break
            length -= len(read)

    def _send(self, response: HttpResponse) -> None:
        self.send_response(response.status)
        body = response.body if self.command != "HEAD" else b""
        if response.content_type is not None and (body or response.status >= 400):
            self.send_header("Content-Type", response.content_type)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        if self.server.verbose:
            super().log_message(format, *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: App, verbose: bool) -> None:
        self.app = app
        self.verbose = verbose
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().server_bind()


class EngineServer:
    """Serve ``app`` on ``host:port`` (0 = a free port) until stopped.

    As a context manager it serves from a background thread: ``with EngineServer(app) as
    server: ...`` then ``server.url``.
    """

    def __init__(
        self, app: App, host: str = "127.0.0.1", port: int = 0, *, verbose: bool = False
    ) -> None:
        self._server = _Server((host, port), app, verbose)
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    @property
    def base_url(self) -> str:
        host, port = self.address
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}"

    def serve_forever(self) -> None:
        self._server.serve_forever(poll_interval=0.2)

    def start(self) -> EngineServer:
        self._thread = threading.Thread(
            target=self.serve_forever, name="contracttest-engine", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> EngineServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

"""A real HTTP server on 127.0.0.1 for tests: started on a free port, always stopped."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

Handler = Callable[..., BaseHTTPRequestHandler]


@contextmanager
def serving(handler: Handler | type[Any]) -> Iterator[str]:
    """Serve ``handler`` on a free loopback port; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def tls_engine(folder: Path, password: str | None = None) -> Iterator[tuple[str, Path]]:
    """The embedded engine behind TLS with a self-signed certificate for 127.0.0.1: yields
    its API URL and the certificate (to trust with a CA file). Skips without ``openssl``."""
    import shutil
    import ssl
    import subprocess

    import pytest

    from contracttest.engine import EngineServer, open_engine

    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("needs the openssl command to make a certificate")
    cert, key = folder / "engine.pem", folder / "engine.key"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    engine = open_engine() if password is None else open_engine(password=password)
    try:
        with EngineServer(engine.handle, tls=context) as server:
            yield f"https://127.0.0.1:{server.address[1]}{engine.prefix}", cert
    finally:
        engine.close()


@contextmanager
def engine_with_password(password: str) -> Iterator[str]:
    """The embedded engine over plain HTTP, every user's password ``password``; yields its
    API URL (its ``?rsdl`` and ``?schema`` need a login, as a real engine's do)."""
    from contracttest.engine import EngineServer, open_engine

    engine = open_engine(password=password)
    try:
        with EngineServer(engine.handle) as server:
            yield f"{server.base_url}{engine.prefix}"
    finally:
        engine.close()

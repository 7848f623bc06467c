"""A running proxy: the application (``app.ProxyApp``) behind the engine's bounded HTTP
server, its cassette, its upstream client and its watch, started and stopped together.

``open_proxy(...)`` is what the command and the pytest fixture both use::

    with open_proxy("record", cassette=path, target=url, watch=Watch(checker)) as proxy:
        ...  # point a client at proxy.api_url (reverse) or proxy.url as http_proxy
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from contracttest.client import Access
from contracttest.engine.server import EngineServer, Limits
from contracttest.errors import UsageError
from contracttest.proxy.app import ProxyApp
from contracttest.proxy.relay import Target
from contracttest.proxy.tape import Tape
from contracttest.proxy.upstream import Upstream
from contracttest.proxy.watch import Watch
from contracttest.scrub import ScrubConfig

#: The proxy's server: the engine's bounds, with room for the bodies API clients send.
LIMITS = Limits(body_bytes=16 << 20)


@dataclass
class Proxy:
    """A running proxy: ``url`` (its origin, for ``http_proxy``), ``api_url`` (the engine's
    API path under it, for a client's engine URL), and what it holds."""

    server: EngineServer
    app: ProxyApp
    prefix: str = "/ovirt-engine/api"
    tape: Tape | None = None
    upstream: Upstream | None = None

    @property
    def url(self) -> str:
        return self.server.base_url

    @property
    def api_url(self) -> str:
        return f"{self.server.base_url}{self.prefix}"

    @property
    def watch(self) -> Watch:
        return self.app.watch


@contextmanager
def open_proxy(
    mode: str,
    *,
    watch: Watch,
    cassette: Path | None = None,
    target: Access | None = None,
    scrub: ScrubConfig | None = None,
    provenance: dict[str, str] | None = None,
    display: str | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    hold: bool = False,
    limits: Limits = LIMITS,
) -> Iterator[Proxy]:
    """Serve a proxy until the block ends; then stop it and write what it recorded (``hold``:
    leave it in ``proxy.tape.cassette.pending``)."""
    if mode != "replay" and target is None:
        raise UsageError(f"--mode {mode} needs --target URL|sandbox (the engine to reach)")
    if mode != "passthrough" and cassette is None:
        raise UsageError(f"--mode {mode} needs --cassette PATH")
    upstream = (
        Upstream(target.url, ca_file=target.ca_file, insecure=target.insecure)
        if target is not None and mode != "replay"
        else None
    )
    tape = None
    if cassette is not None and mode != "passthrough":
        tape = Tape(
            cassette,
            record=mode == "record",
            scrub=scrub or ScrubConfig(),
            observer=watch.observe if watch.reads or mode == "replay" else None,
            count=watch.count,
            provenance=provenance,
            display=display,
            hold=hold,
            on_error=watch.trouble,
        )
    routed = Target.of(target.url) if target is not None else None
    app = ProxyApp(mode, watch, target=routed, upstream=upstream, tape=tape)
    prefix = _prefix(target.url) if target is not None else "/ovirt-engine/api"
    try:
        server = EngineServer(app.handle, host, port, admit=app.admit, limits=limits)
    except BaseException:
        if tape is not None:
            tape.close()
        raise
    proxy = Proxy(server, app, prefix, tape, upstream)
    server.start()
    try:
        yield proxy
    finally:
        server.stop()
        if upstream is not None:
            upstream.close()
        if tape is not None:
            tape.close()


def _prefix(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).path.rstrip("/") or "/ovirt-engine/api"

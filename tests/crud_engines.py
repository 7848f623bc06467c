"""Embedded engines on loopback for the property tests: healthy, or with a defect planted.

``serving()`` starts an engine for a contract (the bundled v4 one by default) on a free port
and yields an ``api.Engine`` logged in to it (``version`` 3 for a v3 contract) with the
engine itself. ``defect`` wraps the engine's application in a function that breaks one
promise on purpose; the engine behind it stays real, on real HTTP.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from contracttest.api import Engine
from contracttest.client import Client
from contracttest.engine import EngineServer, HttpRequest, HttpResponse, open_engine
from contracttest.engine.app import Engine as EmbeddedEngine

PASSWORD = "crud-secret"
NINE = (
    "vms",
    "templates",
    "disks",
    "clusters",
    "datacenters",
    "networks",
    "tags",
    "vms/nics",
    "vms/diskattachments",
)
Handler = Callable[[HttpRequest], HttpResponse]
Defect = Callable[[Handler], Handler]


@contextmanager
def serving(
    contract: str | Path | None = None,
    schema: str | Path | None = None,
    *,
    version: int = 4,
    defect: Defect | None = None,
    defects: tuple[str, ...] = (),
) -> Iterator[tuple[Engine, EmbeddedEngine]]:
    engine = open_engine(contract, schema, password=PASSWORD, defects=list(defects))
    handler: Handler = engine.handle if defect is None else defect(engine.handle)
    try:
        with EngineServer(handler, admit=engine.admit if defect is None else None) as server:
            url = f"{server.base_url}{engine.prefix}"
            client = Client(url, "admin@internal", PASSWORD, version=version, keep=False)
            api = Engine(client, live=True)
            try:
                yield api, engine
            finally:
                client.close()
    finally:
        engine.close()


def rows(engine: EmbeddedEngine) -> list[tuple[str, str]]:
    """Every stored (collection, id) but jobs (which actions leave behind, as real engines
    do): what a run must leave as it found it."""
    found = engine.store._db.execute("SELECT collection, id FROM entities").fetchall()
    return sorted((c, i) for c, i in found if not c.startswith("jobs"))


def basic(request: HttpRequest) -> HttpRequest:
    """The request with the admin's Basic credentials when it came without any."""
    if request.header("authorization") or request.header("cookie"):
        return request
    token = base64.b64encode(f"admin@internal:{PASSWORD}".encode()).decode()
    headers = {**request.headers, "authorization": f"Basic {token}"}
    return HttpRequest(request.method, request.uri, headers, request.body)

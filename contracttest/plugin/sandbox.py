"""The session-wide embedded engine of the ``ovirt_sandbox`` fixture: a real engine on a free
loopback port, with a tap that sees every exchange it serves, whoever the client is.

It serves the contract the run checks against when one is named with its XSD (``--contract``,
its ``api.xsd`` beside it or ``--contract-schema``: a real 3.6 RSDL and XSD make it a 3.6
engine, spoken to in v3), else the bundled v4 contract (an RSDL alone cannot make an engine:
the checks then run against it without the schema, the sandbox stays a v4 engine)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from contracttest.plugin.contracts import ContractInUse
from contracttest.plugin.settings import DEFAULT_USER, Settings

if TYPE_CHECKING:
    from contracttest.engine import Engine


@dataclass(frozen=True)
class Sandbox:
    """A running embedded engine: ``url``, ``user``, ``password``, the ``engine`` itself,
    and ``tap``, which sees every exchange it serves whoever the client is."""

    url: str
    user: str
    password: str
    engine: Any
    tap: Any
    contract: ContractInUse


@contextmanager
def running_sandbox(settings: Settings) -> Iterator[Sandbox]:

    from contracttest.engine import DEFAULT_PASSWORD, EngineServer
    from contracttest.engine.tap import Tap
    from contracttest.loading import LoadedContract

    password = settings.password or DEFAULT_PASSWORD
    engine, described = _open(settings, password)
    server = EngineServer(engine.handle).start()
    url = f"{server.base_url}{engine.prefix}"
    tap = Tap(server.base_url, name=f"sandbox {url}")
    engine.observers.append(tap)
    model = engine.model
    in_use = ContractInUse(LoadedContract(model.contract, model.schema, "", described))
    try:
        yield Sandbox(url, DEFAULT_USER, password, engine, tap, in_use)
    finally:
        server.stop()
        engine.close()


def _open(settings: Settings, password: str) -> tuple[Engine, str]:
    """The engine of the contract named with its XSD, else of the bundled v4 one."""
    from contracttest.engine import open_engine
    from contracttest.loading import locate

    source = locate(settings.contract, settings.schema) if settings.contract else None
    if source is None or source.schema is None:
        return open_engine(password=password), "the sandbox's contract"
    engine = open_engine(source.rsdl, source.schema, password=password, access=settings.access())
    return engine, f"the sandbox's contract ({source.described})"

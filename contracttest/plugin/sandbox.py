"""The session-wide embedded engine of the ``ovirt_sandbox`` fixture: a real engine on a free
loopback port, with a tap that sees every exchange it serves, whoever the client is."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from contracttest.plugin.contracts import ContractInUse
from contracttest.plugin.settings import DEFAULT_USER, Settings


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

    from contracttest.engine import DEFAULT_PASSWORD, EngineServer, open_engine
    from contracttest.engine.tap import Tap
    from contracttest.loading import LoadedContract

    password = settings.password or DEFAULT_PASSWORD
    engine = open_engine(password=password)
    server = EngineServer(engine.handle).start()
    url = f"{server.base_url}{engine.prefix}"
    tap = Tap(server.base_url, name=f"sandbox {url}")
    engine.observers.append(tap)
    model = engine.model
    in_use = ContractInUse(
        LoadedContract(model.contract, model.schema, "", "the sandbox's contract")
    )
    try:
        yield Sandbox(url, DEFAULT_USER, password, engine, tap, in_use)
    finally:
        server.stop()
        engine.close()

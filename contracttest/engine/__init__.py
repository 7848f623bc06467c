"""The embedded engine: an oVirt engine on loopback, for whatever contract it serves.

``open_engine()`` builds one from an RSDL and XSD (the bundled v4 contract by default),
sound or broken on purpose (``defects``: see ``engine/defects.py``); ``EngineServer`` serves
it over HTTP. Its behaviour is derived from the contract: see ``model`` (what the contract
says exists), ``operations`` (what each link does), ``store`` (SQLite), ``render``
(representations), ``auth`` (Basic, sessions, SSO tokens).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from contracttest.client import public_url
from contracttest.engine.app import DEFAULT_PASSWORD, Engine
from contracttest.engine.defects import Defects, UnknownDefect
from contracttest.engine.http import HttpRequest, HttpResponse
from contracttest.engine.server import EngineServer
from contracttest.loading import bundled_contract, read_source
from contracttest.rsdl import contract_from_bytes
from contracttest.schema import schema_from_bytes

if TYPE_CHECKING:
    from contracttest.client import Access

__all__ = [
    "DEFAULT_PASSWORD",
    "Defects",
    "Engine",
    "EngineServer",
    "HttpRequest",
    "HttpResponse",
    "UnknownDefect",
    "bundled_contract",
    "open_engine",
]


def open_engine(
    contract: str | Path | None = None,
    schema: str | Path | None = None,
    *,
    data: Path | None = None,
    password: str = DEFAULT_PASSWORD,
    token_ttl: float = 3600.0,
    access: Access | None = None,
    defects: Defects | str | Iterable[str] = (),
) -> Engine:
    """An engine for an RSDL and XSD (files or URLs, fetched logged in as ``access`` says);
    both default to the bundled v4 pair. ``defects`` (names, as ``contracttest serve
    --defect`` takes them, or a ``Defects``) breaks it on purpose; ``UnknownDefect`` lists
    the known names."""
    chosen = Defects.of(defects)  # a wrong name first, before any file is read
    if contract is None:
        contract, bundled_schema = bundled_contract()
        schema = schema if schema is not None else bundled_schema
    rsdl_bytes = read_source(str(contract), access)  # a missing file first: "no such file"
    if schema is None:
        from contracttest.errors import ContractError

        raise ContractError(
            public_url(str(contract)), "the engine needs the contract's XSD too (--schema)"
        )
    xsd_bytes = read_source(str(schema), access)
    return Engine(
        contract_from_bytes(rsdl_bytes, public_url(str(contract))),
        schema_from_bytes(xsd_bytes, public_url(str(schema))),
        rsdl=rsdl_bytes,
        xsd=xsd_bytes,
        data=data,
        password=password,
        token_ttl=token_ttl,
        defects=chosen,
    )

"""The contract a run checks against: pinned beside the cassettes, given with ``--contract``,
or the bundled one; loaded once per run, with one ``Checker`` per set of skipped rules. And
pinning: fetching a recorded engine's ``?rsdl`` and ``?schema`` to keep beside its cassettes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from contracttest.plugin.settings import Settings

if TYPE_CHECKING:
    from contracttest.checker import Checker
    from contracttest.client import Access
    from contracttest.loading import LoadedContract
    from contracttest.rsdl import Contract
    from contracttest.schema import Schema


@dataclass
class ContractInUse:
    """The ``ovirt_contract`` fixture: the contract checks run against (``.contract``,
    ``.schema``, ``.hash``, ``.source``), and one ``Checker`` per set of skipped rules."""

    loaded: LoadedContract
    checkers: dict[frozenset[str], Checker] = field(default_factory=dict)

    @property
    def contract(self) -> Contract:
        return self.loaded.contract

    @property
    def schema(self) -> Schema | None:
        return self.loaded.schema

    @property
    def hash(self) -> str:
        return self.loaded.hash

    @property
    def source(self) -> str:
        return self.loaded.source

    @property
    def url(self) -> str | None:
        return self.loaded.url

    @property
    def info(self) -> dict[str, str]:
        return self.loaded.info

    def __getattr__(self, name: str) -> Any:
        return getattr(self.loaded.contract, name)

    def checker(self, skip: frozenset[str]) -> Checker:
        found = self.checkers.get(skip)
        if found is None:
            from contracttest.checker import Checker, resolve_rules

            found = Checker(self.contract, self.schema, resolve_rules((), sorted(skip)))
            self.checkers[skip] = found
        return found


class Contracts:
    """The run's contracts, loaded on first use, and what was pinned during the run."""

    def __init__(self) -> None:
        self.loaded: dict[tuple[str | None, str | None, Path], ContractInUse] = {}
        self.pinned: dict[Path, dict[str, str]] = {}  # cassette dir -> what was pinned now

    def for_settings(self, settings: Settings) -> ContractInUse:
        """``--contract`` (and ``--contract-schema``), else what is pinned in the cassette
        folder, else the bundled contract: located and loaded as ``check`` does."""
        from contracttest.loading import load, locate

        key = (settings.contract, settings.schema, settings.cassette_dir)
        found = self.loaded.get(key)
        if found is None:
            source = locate(settings.contract, settings.schema, near=(settings.cassette_dir,))
            found = self.loaded[key] = ContractInUse(load(source, settings.access()))
        return found

    def pin(self, settings: Settings, access: Access) -> None:
        """Fetch the engine's ``?rsdl`` and ``?schema`` once per session and pin them beside the
        cassettes; an unchanged contract is not rewritten."""
        from contracttest.loading import fetch_documents
        from contracttest.pin import contract_hash, read_pin, write_pin

        if settings.cassette_dir in self.pinned:
            return
        rsdl_reply, xsd_reply, root = fetch_documents(access.url, ("rsdl", "schema", ""), access)
        rsdl, xsd = rsdl_reply.body, xsd_reply.body
        info = {**_product(root.root), **_api_version(rsdl), "engine_url": access.url}
        new_hash = contract_hash(rsdl, xsd)
        old = read_pin(settings.cassette_dir)
        if old is None or old.hash != new_hash:
            write_pin(settings.cassette_dir, rsdl, xsd, info)
            self.loaded = {k: v for k, v in self.loaded.items() if k[2] != settings.cassette_dir}
        self.pinned[settings.cassette_dir] = {**info, "contract_hash": new_hash}

    def provenance(self, settings: Settings, in_use: ContractInUse) -> dict[str, str]:
        """What a recorded cassette says of itself: the engine recorded against, its contract,
        and the tool that recorded it."""
        from contracttest import __version__

        engine = self.pinned.get(settings.cassette_dir, in_use.info)
        info = {
            key: engine[key]
            for key in ("product_name", "product_version", "api_version", "engine_url")
            if engine.get(key)
        }
        info["contract_hash"] = engine.get("contract_hash") or in_use.hash
        info["contracttest_version"] = __version__
        return info


def _api_version(rsdl: bytes) -> dict[str, str]:
    """The API version the RSDL declares (``<version major="4" minor="5">``)."""
    match = re.search(rb'<version\b[^>]*\bmajor="(\d+)"[^>]*\bminor="(\d+)"', rsdl[:4096])
    return {"api_version": f"{int(match[1])}.{int(match[2])}"} if match else {}


def _product(root: Any) -> dict[str, str]:
    """Product name and version from the API root (v4 children, v3 attributes)."""
    info: dict[str, str] = {}
    if root is None:
        return info
    product = root.find("product_info")
    if product is not None:
        info["product_name"] = product.findtext("name") or ""
        version = product.find("version")
        if version is not None:
            full = version.findtext("full_version")
            parts = [
                version.get(part) or version.findtext(part) or ""
                for part in ("major", "minor", "build", "revision")
            ]
            info["product_version"] = full or ".".join(p for p in parts if p)
    return info

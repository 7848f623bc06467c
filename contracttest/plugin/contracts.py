"""The contract a run checks against: pinned beside the cassettes, given with ``--contract``,
or the bundled one; loaded once per run, with one ``Checker`` per set of skipped rules. And
pinning: fetching a recorded engine's ``?rsdl`` and ``?schema`` to keep beside its cassettes.

The API version a test's client speaks is chosen here too (``Contracts.api_version``):
``--engine-api-version``, else the engine's contract says it (the one it serves, pinned when
recording; the cassette's provenance, else the contract in use, when replaying).
"""

from __future__ import annotations

from collections.abc import Mapping
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
    #: What coverage keeps of the contract in this process (``covering.ContractCoverage``).
    coverage: Any = None

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

    @property
    def api_version(self) -> int:
        """The API version of the contract, 3 or 4 (``contract_api_version``)."""
        return contract_api_version(self.contract, self.schema)

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
        from contracttest.pinning import pin_engine

        if settings.cassette_dir in self.pinned:
            return
        info, written = pin_engine(settings.cassette_dir, access, settings.api_version)
        if written:
            self.loaded = {k: v for k, v in self.loaded.items() if k[2] != settings.cassette_dir}
        self.pinned[settings.cassette_dir] = info

    def api_version(
        self,
        settings: Settings,
        in_use: ContractInUse,
        provenance: Mapping[str, str] | None = None,
    ) -> int:
        """The API version a test's client speaks: ``--engine-api-version``; else, recording
        (no ``provenance``), the one of the contract the engine serves (pinned now); replaying,
        the one the cassette was recorded in (its provenance); else the contract's in use."""
        recorded = None if provenance is None else _major(provenance.get("api_version"))
        forced = settings.api_version
        if forced is not None and recorded not in (None, forced):
            import pytest

            pytest.fail(
                f"contracttest: this cassette was recorded in API v{recorded} and "
                f"--engine-api-version (engine_api_version) asks for v{forced}: a replay sends "
                "what the recording sent; leave the option out, or re-record with it",
                pytrace=False,
            )
        if forced is not None:
            return forced
        pinned = self.pinned.get(settings.cassette_dir, {}) if provenance is None else provenance
        return _major(pinned.get("api_version")) or in_use.api_version

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


def contract_api_version(contract: Contract, schema: Schema | None) -> int:
    """3 or 4: the contract's ``<version major>``, else the schema's status shape (v3's
    ``<status><state>up</state></status>``, v4's ``<status>up</status>``), else 3 for an RSDL
    with v3's ``capabilities`` collection (gone in v4), else 4."""
    if contract.major in (3, 4):
        return contract.major
    if schema is None:
        return 3 if "capabilities" in contract.collections else 4
    for owner in ("VM", "Vm", "Host"):
        complex_type = schema.complex_types.get(owner)
        status = complex_type.children.get("status") if complex_type is not None else None
        holder = schema.complex_types.get(status.type) if status is not None else None
        if holder is not None and "state" in holder.children:
            return 3
    return 4


def declared_api_version(rsdl: bytes) -> int | None:
    """The API version a served RSDL declares (``<version major="3" ...>``), if any."""
    from contracttest.pinning import rsdl_api_version

    return _major(rsdl_api_version(rsdl).get("api_version"))


def api_version_of_pin(info: Mapping[str, str]) -> int | None:
    """The API version a pin (``pin.json``) or a cassette's provenance records, if any."""
    return _major(info.get("api_version"))


def _major(version: str | None) -> int | None:
    """``"3.6"`` -> 3; None for anything that is not a version this client speaks."""
    head = (version or "").partition(".")[0].strip()
    return int(head) if head in ("3", "4") else None

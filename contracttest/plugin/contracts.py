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
    from contracttest.rsdl import Contract
    from contracttest.schema import Schema


@dataclass
class ContractInUse:
    """The ``contract`` fixture: the model checks run against, and where it came from."""

    contract: Contract
    schema: Schema | None
    hash: str
    source: str  # "pinned oVirt Engine 4.5.4 (sha256:...)", a path, or "bundled v4"
    url: str | None = None  # the engine it was pinned from, when pinned
    info: dict[str, str] = field(default_factory=dict)  # the pin's: product, version
    checkers: dict[frozenset[str], Checker] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.contract, name)

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
        self.loaded: dict[tuple[str, str], ContractInUse] = {}
        self.pinned: dict[Path, dict[str, str]] = {}  # cassette dir -> what was pinned now

    def for_settings(self, settings: Settings) -> ContractInUse:
        from contracttest.pin import read_pin

        if settings.contract:
            key = ("given", settings.contract)
        else:
            pin = read_pin(settings.cassette_dir)
            key = ("pinned", str(settings.cassette_dir)) if pin else ("bundled", "")
        found = self.loaded.get(key)
        if found is None:
            found = self.loaded[key] = _load_contract(key, settings)
        return found

    def pin(self, settings: Settings, url: str, user: str, password: str) -> None:
        """Fetch the engine's ``?rsdl`` and ``?schema`` once per session and pin them beside the
        cassettes; an unchanged contract is not rewritten."""
        from contracttest.client import Client
        from contracttest.pin import contract_hash, read_pin, write_pin

        if settings.cassette_dir in self.pinned:
            return
        client = Client(url, user, password, ca_file=settings.ca_file, insecure=settings.insecure)
        try:
            documents = []
            for kind in ("rsdl", "schema"):
                reply = client.request("GET", f"{client.prefix}?{kind}")
                if reply.status != 200:
                    from contracttest.errors import ContractError

                    raise ContractError(f"{url}?{kind}", f"the engine answered {reply.status}")
                documents.append(reply.body)
            root = client.request("GET", client.prefix).root
        finally:
            client.close()
        rsdl, xsd = documents
        info = {**_product(root), **_api_version(rsdl), "engine_url": _public(url)}
        new_hash = contract_hash(rsdl, xsd)
        old = read_pin(settings.cassette_dir)
        if old is None or old.hash != new_hash:
            write_pin(settings.cassette_dir, rsdl, xsd, info)
            self.loaded.pop(("pinned", str(settings.cassette_dir)), None)
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


def _load_contract(key: tuple[str, str], settings: Settings) -> ContractInUse:
    from contracttest.loading import bundled_contract, read_source
    from contracttest.pin import contract_hash, read_pin
    from contracttest.rsdl import contract_from_bytes
    from contracttest.schema import schema_from_bytes

    kind, where = key
    url = None
    pin = None
    if kind == "pinned":
        pin = read_pin(settings.cassette_dir)
        assert pin is not None
        rsdl_name, xsd_name = str(pin.rsdl_path), str(pin.xsd_path)
        source = f"pinned {pin.describe()}"
        url = pin.info.get("engine_url") or None
    elif kind == "bundled":
        rsdl_path, xsd_path = bundled_contract()
        rsdl_name, xsd_name = str(rsdl_path), str(xsd_path)
        source = "the bundled v4 contract (nothing pinned in the cassette folder)"
    else:
        rsdl_name, xsd_name = _contract_files(where)
        source = where
    rsdl = read_source(rsdl_name)
    xsd = read_source(xsd_name) if xsd_name else b""
    contract = contract_from_bytes(rsdl, rsdl_name)
    schema = schema_from_bytes(xsd, xsd_name) if xsd_name else None
    info = pin.info if kind == "pinned" and pin is not None else {}
    return ContractInUse(contract, schema, contract_hash(rsdl, xsd), source, url, info)


def _contract_files(where: str) -> tuple[str, str]:
    """``--contract``: a pin folder (or any folder with rsdl.xml and api.xsd), an RSDL file
    (with ``api.xsd`` beside it when there is one), or an engine's ``...?rsdl`` URL."""
    from contracttest.pin import RSDL_FILE, XSD_FILE

    if re.match(r"^\w+://", where):
        base = where.split("?", 1)[0]
        return f"{base}?rsdl", f"{base}?schema"
    path = Path(where)
    if path.is_dir():
        if (path / "contract" / RSDL_FILE).is_file():
            path = path / "contract"
        return str(path / RSDL_FILE), str(path / XSD_FILE) if (path / XSD_FILE).is_file() else ""
    sibling = path.parent / XSD_FILE
    return str(path), str(sibling) if sibling.is_file() else ""


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


def _public(url: str) -> str:
    """A URL without userinfo: what may be written beside the cassettes."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))

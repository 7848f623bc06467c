"""Pinning an engine's contract: its ``?rsdl``, ``?schema`` and API root fetched through the
one client, and kept beside the cassettes (``pin``) with what the engine says of itself.

The plugin pins when a test records; ``contracttest proxy`` when it starts recording.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from contracttest.client import Access, Reply


def pin_engine(folder: Path, access: Access, version: int | None) -> tuple[dict[str, str], bool]:
    """Fetch the contract the engine at ``access`` serves (in API ``version``; None: its own)
    and pin it in ``folder`` unless the same one is pinned there already. Returns what is
    known of the engine (product, API version, URL, ``contract_hash``) and whether the pin
    was written."""
    from contracttest.pin import contract_hash, read_pin, write_pin

    rsdl_reply, xsd_reply, root = _fetch(access, version)
    rsdl, xsd = rsdl_reply.body, xsd_reply.body
    info = {**_product(root.root), **rsdl_api_version(rsdl), "engine_url": access.url}
    new_hash = contract_hash(rsdl, xsd)
    old = read_pin(folder)
    written = old is None or old.hash != new_hash
    if written:
        write_pin(folder, rsdl, xsd, info)
    return {**info, "contract_hash": new_hash}, written


def rsdl_api_version(rsdl: bytes) -> dict[str, str]:
    """The API version the RSDL declares (``<version major="4" minor="5">``)."""
    match = re.search(rb'<version\b[^>]*\bmajor="(\d+)"[^>]*\bminor="(\d+)"', rsdl[:4096])
    return {"api_version": f"{int(match[1])}.{int(match[2])}"} if match else {}


def _fetch(access: Access, version: int | None) -> list[Reply]:
    """The engine's ``?rsdl``, ``?schema`` and API root, in API ``version`` (None: no
    ``Version`` header, the engine's own); a version the engine refuses is named."""
    from contracttest.errors import ContractError
    from contracttest.loading import fetch_documents

    try:
        return fetch_documents(access.url, ("rsdl", "schema", ""), access, version=version)
    except ContractError as exc:
        if version is None or not exc.problem.endswith("answered 400"):
            raise
        raise ContractError(
            exc.source,
            f"{exc.problem} to 'Version: {version}': the engine does not speak API v{version} "
            "(--engine-api-version forced it; leave it out to speak the engine's own)",
        ) from None


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

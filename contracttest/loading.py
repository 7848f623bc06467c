"""Loading contracts from where they live: a file path or an engine's http(s) URL.

The only place the contract model touches files or the network; the parsing itself is
``rsdl.contract_from_bytes`` and ``schema.schema_from_bytes``.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from importlib import resources
from pathlib import Path

from contracttest.errors import ContractError, ContractTestError
from contracttest.rsdl import Contract, contract_from_bytes
from contracttest.schema import Schema, schema_from_bytes


def bundled_contract() -> tuple[Path, Path]:
    """The project's own v4 RSDL and XSD (``contracttest/contracts/v4``), as files."""
    folder = resources.files("contracttest") / "contracts" / "v4"
    return Path(str(folder / "rsdl.xml")), Path(str(folder / "api.xsd"))


def load_contract(source: str | Path) -> Contract:
    """Load an RSDL from a file path or an http(s) URL (such as ``<api>?rsdl``)."""
    name = str(source)
    return contract_from_bytes(read_source(name), name)


def load_schema(source: str | Path) -> Schema:
    """Load the entity XSD from a file path or an http(s) URL (such as ``<api>?schema``)."""
    name = str(source)
    return schema_from_bytes(read_source(name), name)


def read_source(name: str) -> bytes:
    """The bytes of a file path or http(s) URL; ``ContractError`` names the source on failure."""
    if name.startswith(("http://", "https://")):
        return _fetch(name)
    return read_file(name, ContractError)


def read_file(name: str, error: type[ContractTestError], what: str = "a file") -> bytes:
    """A file's bytes; ``error`` (naming the file and the problem) when it cannot be read."""
    try:
        return Path(name).read_bytes()
    except FileNotFoundError:
        raise error(name, "no such file") from None
    except IsADirectoryError:
        raise error(name, f"is a directory, not {what}") from None
    except OSError as exc:
        raise error(name, f"cannot read: {exc.strerror or exc}") from None


def _fetch(url: str) -> bytes:
    problem = ""
    try:
        with urllib.request.urlopen(url, timeout=30) as reply:
            data: bytes = reply.read()
            return data
    except urllib.error.HTTPError as exc:
        exc.close()  # the error holds the response and its socket
        problem = f"HTTP {exc.code} {exc.reason}"
    except OSError as exc:
        problem = str(getattr(exc, "reason", None) or exc)
    raise ContractError(url, f"cannot fetch: {problem}")

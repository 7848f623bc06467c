"""Loading contracts, named the same way everywhere: an RSDL file (its ``api.xsd`` beside it
used when present), a contract folder (pinned by a recording: ``contract/rsdl.xml`` and
``api.xsd``), or an engine URL (``<api>`` or ``<api>?rsdl``: the RSDL from ``?rsdl``, the XSD
from ``?schema``, through the one transport, ``client``, logged in with ``Access``). A schema
named on its own (``--schema``) wins over the one found beside.

``check``, ``contract``, ``serve``, ``run`` and the plugin all go through ``locate`` and
``load``; the parsing itself is ``rsdl.contract_from_bytes`` and ``schema.schema_from_bytes``.
What was loaded says where from and whether the schema checks can run (``LoadedContract``).
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from contracttest.errors import ContractError
from contracttest.files import read_regular
from contracttest.pin import INFO_FILE, PIN_FOLDER, RSDL_FILE, XSD_FILE, contract_hash, read_pin

if TYPE_CHECKING:
    from contracttest.client import Access, Reply
    from contracttest.rsdl import Contract
    from contracttest.schema import Schema


#: The largest contract document read: real RSDLs and XSDs are a few MiB.
MAX_DOCUMENT = 64 << 20
#: The longest one exchange of fetching a contract may take, a trickling server included.
FETCH_DEADLINE = 120.0


def bundled_contract() -> tuple[Path, Path]:
    """The project's own v4 RSDL and XSD (``contracttest/contracts/v4``), as files."""
    folder = resources.files("contracttest") / "contracts" / "v4"
    return Path(str(folder / RSDL_FILE)), Path(str(folder / XSD_FILE))


@dataclass(frozen=True)
class ContractSource:
    """Where a contract's documents are: ``rsdl`` and ``schema`` (a path or URL; ``schema``
    None when there is none), how to tell a user about it, and the pin it is, if any."""

    rsdl: str
    schema: str | None
    described: str
    pin: dict[str, str] = field(default_factory=dict)


@dataclass
class LoadedContract:
    """A contract as loaded: the model, the schema (None: ``response.schema`` is off), the
    hash of both documents, where they came from, and the engine they were pinned from."""

    contract: Contract
    schema: Schema | None
    hash: str
    source: str
    url: str | None = None
    info: dict[str, str] = field(default_factory=dict)


def is_url(name: str) -> bool:
    return re.match(r"^[A-Za-z][\w+.-]*://", name) is not None


def locate(
    where: str | None,
    schema: str | None = None,
    *,
    near: tuple[Path, ...] = (),
) -> ContractSource:
    """Where the contract named ``where`` is; with none, the one pinned in a folder of
    ``near`` (``<folder>/contract/``), else the bundled v4 contract."""
    if where is None:
        for folder in near:
            pinned = _pinned(folder)
            if pinned is not None:
                return _with_schema(pinned, schema)
        rsdl, xsd = bundled_contract()
        return _with_schema(ContractSource(str(rsdl), str(xsd), "the bundled v4 contract"), schema)
    if is_url(where):
        from contracttest.client import public_url

        if not where.startswith(("http://", "https://")):
            raise ContractError(public_url(where), "not a file, a folder or an http(s) URL")
        base = where.split("?", 1)[0].split("#", 1)[0].rstrip("/")
        shown = public_url(base)
        return _with_schema(ContractSource(f"{base}?rsdl", f"{base}?schema", shown), schema)
    path = Path(where)
    if path.is_dir():
        pinned = _pinned(path) or _folder(path)
        if pinned is None:
            raise ContractError(
                where, f"a folder without {RSDL_FILE} (nor {PIN_FOLDER}/{RSDL_FILE}) in it"
            )
        return _with_schema(pinned, schema)
    beside = path.parent / XSD_FILE
    found = str(beside) if path.name != XSD_FILE and _there(beside) else None
    return _with_schema(ContractSource(where, found, where), schema)


def _with_schema(source: ContractSource, schema: str | None) -> ContractSource:
    if schema is None:
        return source
    return ContractSource(source.rsdl, schema, source.described, source.pin)


def _pinned(folder: Path) -> ContractSource | None:
    """The contract a recording pinned in ``folder/contract/`` (or ``folder`` itself)."""
    for pin_folder, cassette_dir in ((folder / PIN_FOLDER, folder), (folder, folder.parent)):
        if (pin_folder / INFO_FILE).is_file() and pin_folder.name == PIN_FOLDER:
            pin = read_pin(cassette_dir)
            if pin is not None:
                return ContractSource(
                    str(pin.rsdl_path),
                    str(pin.xsd_path) if pin.xsd_path.is_file() else None,
                    f"pinned {pin.describe()}",
                    dict(pin.info),
                )
    return None


def _folder(folder: Path) -> ContractSource | None:
    """A folder holding ``rsdl.xml`` (and ``api.xsd``), pinned or not."""
    for candidate in (folder / PIN_FOLDER, folder):
        if _there(candidate / RSDL_FILE):
            xsd = candidate / XSD_FILE
            return ContractSource(
                str(candidate / RSDL_FILE), str(xsd) if _there(xsd) else None, str(candidate)
            )
    return None


def _there(path: Path) -> bool:
    """Whether a name is taken, whatever it is: a file beside an RSDL that is not a
    readable XSD (a FIFO, a link to nowhere) is read, and its problem reported, rather than
    passed over in silence."""
    return os.path.lexists(path)


def load(source: ContractSource, access: Access | None = None) -> LoadedContract:
    """Read and parse what ``source`` names (URLs through the transport, as ``access``)."""
    from contracttest.rsdl import contract_from_bytes
    from contracttest.schema import schema_from_bytes

    rsdl = read_source(source.rsdl, access)
    xsd = read_source(source.schema, access) if source.schema else b""
    contract = contract_from_bytes(rsdl, _shown(source.rsdl))
    schema = schema_from_bytes(xsd, _shown(source.schema)) if source.schema else None
    url = source.pin.get("engine_url") or None
    return LoadedContract(
        contract, schema, contract_hash(rsdl, xsd), source.described, url, source.pin
    )


def load_contract(source: str | Path, access: Access | None = None) -> Contract:
    """Load an RSDL from a file path or an http(s) URL (such as ``<api>?rsdl``)."""
    from contracttest.rsdl import contract_from_bytes

    name = str(source)
    return contract_from_bytes(read_source(name, access), _shown(name))


def load_schema(source: str | Path, access: Access | None = None) -> Schema:
    """Load the entity XSD from a file path or an http(s) URL (such as ``<api>?schema``)."""
    from contracttest.schema import schema_from_bytes

    name = str(source)
    return schema_from_bytes(read_source(name, access), _shown(name))


def read_source(name: str, access: Access | None = None) -> bytes:
    """The bytes of a file path or http(s) URL; ``ContractError`` names the source (never
    with its userinfo) on failure."""
    if is_url(name):
        return fetch(name, access)
    return read_regular(name, MAX_DOCUMENT, ContractError, "a contract document")


def _shown(name: str | None) -> str:
    if name is None or not is_url(name):
        return str(name)
    from contracttest.client import public_url

    return public_url(name)


def fetch(url: str, access: Access | None = None) -> bytes:
    """GET ``url`` (``<api>?rsdl``, ``<api>?schema``) from an engine through the one
    transport, logged in as ``access`` says (the ``OVIRT_*`` environment when None)."""
    base, _, query = url.partition("?")
    return fetch_documents(base, (query,), access)[0].body


def fetch_documents(
    api_url: str,
    queries: tuple[str, ...],
    access: Access | None = None,
    *,
    version: int | None = None,
) -> list[Reply]:
    """``GET <api>?<query>`` for each query ('' for the API root) in one logged-in session,
    in API ``version`` (default: the one the URL names, else the engine's own: no ``Version``
    header); ``ContractError`` (naming the URL without userinfo) for anything but a 200."""
    from contracttest.client import Access, ClientError, public_url

    # The URL is the one fetched; ``access`` lends the login (its own URL may be another
    # engine's, or none: a contract named by URL while replaying).
    login = Access.resolve(
        api_url,
        user=access.user if access is not None else None,
        password=access.password if access is not None else None,
        ca_file=access.ca_file if access is not None else None,
        insecure=access.insecure if access is not None else None,
        environ=os.environ if access is None else {},
    )
    shown = public_url(api_url)
    try:
        client = login.client(
            keep=False,
            max_body=MAX_DOCUMENT,
            deadline=FETCH_DEADLINE,
            version=version or _version(api_url),
        )
    except ClientError as exc:
        raise ContractError(shown, _without(str(exc), shown)) from None
    replies: list[Reply] = []
    try:
        for query in queries:
            where = f"{shown}?{query}" if query else shown
            try:
                reply = client.request("GET", f"{client.prefix}?{query}" if query else "")
            except ClientError as exc:
                raise ContractError(where, f"cannot fetch: {_without(str(exc), shown)}") from None
            if reply.status == 401:
                hint = (
                    "give --engine-password (or OVIRT_PASSWORD)"
                    if login.password is None
                    else f"check the password of {login.user}"
                )
                raise ContractError(where, f"the engine refused the login (401): {hint}")
            if reply.status != 200:
                raise ContractError(where, f"cannot fetch: the engine answered {reply.status}")
            replies.append(reply)
    finally:
        with contextlib.suppress(ClientError):
            client.close()
    return replies


def _without(message: str, url: str) -> str:
    """A client's message without the URL it starts with, when the error names it already."""
    return message.removeprefix(f"{url}: ")


def _version(api_url: str) -> int | None:
    """The API version a URL asks for (``.../api/v3``: 3, ``.../api/v4``: 4), else None: no
    ``Version`` header, so the engine answers in its own default API (a 3.x engine refuses
    ``Version: 4`` with a 400; a 4.x engine's default is v4)."""
    tail = api_url.rstrip("/").rpartition("/")[2]
    return {"v3": 3, "v4": 4}.get(tail)

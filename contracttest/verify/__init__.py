"""``contracttest verify``: does a new engine answer a recorded suite as the old one did?

Every recorded request is sent again, in order, to the new engine (``--against URL``, or
``sandbox``: the embedded engine, serving ``--contract`` when given), logged in afresh, with
the ids of entities the replay creates mapped to the new engine's (``replay``); each answer
is compared with the recorded one by meaning (``contracttest.compare``) and every
difference is breaking or compatible, and announced by the new contract or not (``--contract``,
else the contract the engine serves). Exit status: 0 when no difference reaches ``--fail-on``
(default: breaking), 1 otherwise, 2 for a usage or input error or an engine that cannot be
reached (one line).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from contracttest.compare import BREAKING, COMPATIBLE, Masks
from contracttest.errors import ClientError, UsageError
from contracttest.options import SANDBOX

if TYPE_CHECKING:
    from contracttest.client import Access, Client
    from contracttest.exchange import Cassette
    from contracttest.loading import LoadedContract

#: The rules run on the new answers (the requests are the recording's, not the engine's).
RULES = ("response", "state")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from contracttest import options

    parser.add_argument("paths", nargs="+", metavar="CASSETTE", help="cassette file or folder")
    parser.add_argument(
        "--against",
        required=True,
        metavar="URL|sandbox",
        help="the new engine's API URL, or 'sandbox' for the embedded engine",
    )
    parser.add_argument(
        "--contract",
        metavar="NEW",
        help="the new engine's contract: RSDL file (api.xsd beside it used), contract folder "
        "or engine URL (default: the one the engine serves; with sandbox, the bundled v4)",
    )
    options.add_to(parser, ("--contract-schema", *options.ENGINE_LOGIN))
    parser.add_argument("--format", choices=("text", "json", "junit"), default="text")
    parser.add_argument("--fail-on", choices=(BREAKING, COMPATIBLE), default=BREAKING)
    parser.add_argument(
        "--mask",
        action="append",
        default=[],
        metavar="WHAT",
        help="also noise: header:NAME, type:xs:NAME or an element path (statistic/values, "
        "/api/time, vm/@id; repeatable)",
    )


def verify_main(args: argparse.Namespace) -> int:
    from contracttest.verify.render import as_json, as_junit, as_text
    from contracttest.verify.replay import verify

    masks = Masks.of(args.mask)
    if args.contract_schema and not args.contract:
        raise UsageError("--schema: give --contract with it")
    cassettes = _cassettes(args.paths)  # every file read before anything is sent
    with _engine(args) as (access, loaded):
        client = access.client(login=_login(cassettes), keep=False, version=_version(cassettes))
        try:
            if loaded is None and args.against != SANDBOX:
                loaded = _served_contract(client)
            checker = None
            if loaded is not None:
                from contracttest.checker import Checker, resolve_rules

                checker = Checker(loaded.contract, loaded.schema, resolve_rules(RULES))
            result = verify(
                cassettes,
                client,
                masks=masks,
                checker=checker,
                against=access.url,
                contract=loaded.source if loaded is not None else None,
            )
        except ClientError as exc:  # one line naming the option: unreachable, refused login
            said = str(exc)
            origin = said.split(": ", 1)[0] if said.startswith(("http://", "https://")) else ""
            raise ClientError(
                f"--against {access.url}: {said.removeprefix(origin + ': ') if origin else said}"
            ) from None
        finally:
            with contextlib.suppress(Exception):
                client.close()
    if args.format == "json":
        print(as_json(result))
    elif args.format == "junit":
        print(as_junit(result, args.fail_on))
    else:
        print(as_text(result))
    return 1 if result.failing(args.fail_on) else 0


def _cassettes(paths: list[str]) -> list[Cassette]:
    from contracttest.cassette import find_cassettes, load_cassette

    files = list(find_cassettes(paths))
    if not files:
        raise UsageError(f"{', '.join(paths)}: no cassettes (*.yaml, *.yml) found")
    return [load_cassette(path) for path in files]


@contextmanager
def _engine(args: argparse.Namespace) -> Iterator[tuple[Access, LoadedContract | None]]:
    """How to reach the new engine, and its contract when known before asking it."""
    from contracttest import options
    from contracttest.client import Access
    from contracttest.loading import load, locate

    if args.against != SANDBOX:
        loaded = None
        if args.contract:
            source = locate(args.contract, args.contract_schema)
            loaded = load(source, options.access_from(source.rsdl, args))
        yield options.access_from(args.against, args), loaded
        return
    from contracttest.engine import DEFAULT_PASSWORD, EngineServer, open_engine
    from contracttest.loading import LoadedContract

    served = locate(args.contract, args.contract_schema) if args.contract else None
    if served is not None:
        fetch_as = options.access_from(served.rsdl, args)
        engine = open_engine(served.rsdl, served.schema, access=fetch_as)
        described = served.described
    else:
        engine = open_engine()
        described = "the bundled v4 contract"
    try:
        with EngineServer(engine.handle) as server:
            url = f"{server.base_url}{engine.prefix}"
            model = engine.model
            loaded = LoadedContract(model.contract, model.schema, "", f"sandbox: {described}")
            yield Access(url, options.DEFAULT_USER, DEFAULT_PASSWORD), loaded
    finally:
        engine.close()


def _served_contract(client: Client) -> LoadedContract | None:
    """The contract the engine serves (``?rsdl``, ``?schema``) in the API version the
    recording speaks, through the replay's own session; None, with a note, when it serves
    none (an unreachable engine is an error, raised by the client)."""
    from contracttest.errors import ContractError
    from contracttest.loading import LoadedContract
    from contracttest.pin import contract_hash
    from contracttest.rsdl import contract_from_bytes
    from contracttest.schema import schema_from_bytes
    from contracttest.verify.replay import refused_login

    documents: list[bytes] = []
    for query in ("rsdl", "schema"):
        reply = client.request("GET", f"{client.prefix}?{query}")
        if reply.status == 401:
            raise refused_login(client)
        if reply.status != 200:
            _note(
                f"{client.url}?{query} answered {reply.status}: the new contract is not "
                "known (give --contract); differences are not classified by it"
            )
            return None
        documents.append(reply.body)
    rsdl, xsd = documents
    try:
        contract = contract_from_bytes(rsdl, f"{client.url}?rsdl")
        schema = schema_from_bytes(xsd, f"{client.url}?schema")
    except ContractError as exc:
        _note(f"{exc}: the new contract is not known (give --contract)")
        return None
    return LoadedContract(contract, schema, contract_hash(rsdl, xsd), f"served by {client.url}")


def _login(cassettes: list[Cassette]) -> str:
    """How the recording logged in: Basic (v3 SDK style) or SSO (the default)."""
    for cassette in cassettes:
        for exchange in cassette.exchanges:
            credentials = (exchange.request.header("authorization") or "").lower()
            if credentials.startswith("basic"):
                return "basic"
            if credentials.startswith("bearer"):
                return "sso"
    return "sso"


def _version(cassettes: list[Cassette]) -> int:
    """The API version the recording speaks (its ``Version`` header), for fetching the
    contract in it; 4 when it never says."""
    for cassette in cassettes:
        for exchange in cassette.exchanges:
            said = (exchange.request.header("version") or "").strip()
            if said.isdigit():
                return int(said)
            if "/api/v3" in exchange.request.uri:
                return 3
    return 4


def _note(message: str) -> None:
    print(f"contracttest: note: {message}", file=sys.stderr)


__all__ = ["add_arguments", "verify_main"]

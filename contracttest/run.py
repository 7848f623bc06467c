"""``contracttest run``: the main job. Start the embedded engine (or use ``--engine URL``),
run the tour against it, and check every exchange against the contract the engine serves.
"""

from __future__ import annotations

import argparse
import os
import sys

from contracttest.checker import Checker
from contracttest.client import Client, ClientError
from contracttest.engine import DEFAULT_PASSWORD, EngineServer, open_engine
from contracttest.errors import ContractError
from contracttest.report import Result, as_json, as_text
from contracttest.rsdl import Contract, contract_from_bytes
from contracttest.rules import Severity
from contracttest.schema import Schema, schema_from_bytes
from contracttest.tour import Tour, run_tour


def run(args: argparse.Namespace) -> int:
    password = args.password or os.environ.get("OVIRT_PASSWORD") or DEFAULT_PASSWORD
    user = args.user or os.environ.get("OVIRT_USERNAME") or "admin@internal"
    engine_url = args.engine or os.environ.get("OVIRT_URL")
    if engine_url:
        client = Client(engine_url, user, password, login=args.login)
        contract, schema = _served_contract(client)
        where = engine_url
        tour = _tour(client)
    else:
        engine = open_engine(args.contract, args.schema, password=password)
        contract, schema = engine.model.contract, engine.model.schema
        with EngineServer(engine.handle) as server:
            where = f"{server.base_url}{engine.prefix} (embedded engine)"
            client = Client(f"{server.base_url}{engine.prefix}", user, password, login=args.login)
            tour = _tour(client)
        engine.close()
    result = Result(exchanges=len(client.exchanges), cassettes=1)
    result.violations = Checker(contract, schema).check_exchanges(client.exchanges)
    if args.format == "json":
        print(as_json(result))
    else:
        print(f"contracttest run: {where}, contract {contract.source}")
        for title, ok, detail in tour.steps:
            print(f"  {'ok  ' if ok else 'FAIL'} {title} ({detail})")
        print(f"{len(client.exchanges)} exchanges checked against the contract")
        print(as_text(result))
    threshold = Severity(args.fail_on).rank
    failing = any(v.severity.rank >= threshold for v in result.violations)
    return 1 if failing or tour.failed else 0


def _tour(client: Client) -> Tour:
    try:
        return run_tour(client)
    finally:
        try:
            client.close()
        except ClientError as exc:
            print(f"contracttest: note: logout failed: {exc}", file=sys.stderr)


def _served_contract(client: Client) -> tuple[Contract, Schema]:
    """The RSDL and XSD the engine itself serves (``<api>?rsdl``, ``<api>?schema``)."""
    documents = []
    for kind in ("rsdl", "schema"):
        reply = client.request("GET", f"{client.prefix}?{kind}")
        if reply.status != 200:
            raise ContractError(f"{client.url}?{kind}", f"the engine answered {reply.status}")
        documents.append(reply.body)
    return (
        contract_from_bytes(documents[0], f"{client.url}?rsdl"),
        schema_from_bytes(documents[1], f"{client.url}?schema"),
    )

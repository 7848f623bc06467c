"""``contracttest serve``: the embedded engine in the foreground until interrupted."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from contracttest.engine import DEFAULT_PASSWORD, EngineServer, open_engine
from contracttest.errors import ContractTestError


class ServeError(ContractTestError):
    """The engine cannot start: the message names what and why."""


def serve(args: argparse.Namespace) -> int:
    if args.schema and not args.contract:
        raise ServeError("--schema", "give --contract with it (or neither, for the bundled v4)")
    if args.contract and not args.schema:
        raise ServeError(args.contract, "the engine needs the contract's XSD too (--schema)")
    started = time.perf_counter()
    password = args.password or os.environ.get("CONTRACTTEST_PASSWORD") or DEFAULT_PASSWORD
    data = Path(args.data) if args.data else None
    engine = open_engine(
        args.contract, args.schema, data=data, password=password, token_ttl=args.token_ttl
    )
    try:
        server = EngineServer(engine.handle, args.host, args.port, verbose=args.verbose)
    except OSError as exc:
        engine.close()
        raise ServeError(
            f"{args.host}:{args.port}", f"cannot listen: {exc.strerror or exc}"
        ) from None

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)  # before "serving": a client may stop it at once
    contract = args.contract or "bundled v4 contract"
    where = args.data or "memory"
    url = f"{server.base_url}{engine.prefix}"
    elapsed = time.perf_counter() - started
    print(
        f"contracttest engine: serving {url} (API {engine.model.major}, {contract}; "
        f"state in {where}; ready in {elapsed:.2f} s; Ctrl-C stops)",
        flush=True,
    )

    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        engine.close()
    print("contracttest engine: stopped", file=sys.stderr)
    return 0

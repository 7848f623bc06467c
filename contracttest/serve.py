"""``contracttest serve``: the embedded engine in the foreground until interrupted, sound or
broken on purpose (``--defect NAME``, repeatable; the banner names the defects on).

A mistake in the options, the contract files or the data folder stops it before it serves,
with one line naming the option or file and what is wrong (``ContractTestError``).
"""

from __future__ import annotations

import argparse
import errno
import math
import os
import signal
import socket
import sys
import time
from pathlib import Path
from types import FrameType

from contracttest.errors import ContractTestError


class ServeError(ContractTestError):
    """The engine (or the proxy) cannot start: the message names what and why."""

    def __init__(self, what: str, why: str) -> None:
        super().__init__(f"{what}: {why}")


def add_arguments(serve: argparse.ArgumentParser) -> None:
    serve.add_argument("--host", type=_host, default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=_port, default=0, help="port (0: a free one, printed)")
    serve.add_argument(
        "--contract",
        metavar="PATH",
        help="RSDL file (api.xsd beside it used), contract folder or engine URL to serve "
        "(default: the bundled v4 contract)",
    )
    serve.add_argument("--schema", "--contract-schema", metavar="XSD", help="its entity XSD")
    from contracttest import options

    options.add_to(serve, options.ENGINE_LOGIN)  # to fetch a contract from an engine
    serve.add_argument("--data", metavar="DIR", help="keep state in DIR (default: memory)")
    serve.add_argument("--password", type=_password, default=None, help="every user's password")
    serve.add_argument("--token-ttl", type=_seconds, default=3600.0, metavar="SECONDS")
    serve.add_argument("--verbose", action="store_true", help="log every request")
    serve.add_argument(
        "--defect",
        action="append",
        default=[],
        type=_defect,
        metavar="NAME",
        help="break the engine on purpose in one known way, to show a test suite catches it "
        "(repeatable; '--defect help' lists them)",
    )
    serve.add_argument(
        "--list-defects", action="store_true", help="list the defects --defect takes, and exit"
    )


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"must be 0-65535 (0: a free one), not {text!r}")
    return port


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise argparse.ArgumentTypeError(
            f"must be a finite number of seconds above 0, not {text!r}"
        )
    return seconds


def _password(text: str) -> str:
    if not text:
        raise argparse.ArgumentTypeError("every user's password must not be empty")
    return text


def _defect(text: str) -> str:
    from contracttest.engine.defects import catalogue, unknown_message

    if text != "help" and text not in catalogue():
        raise argparse.ArgumentTypeError(unknown_message(text))
    return text


def defect_lines() -> list[str]:
    """What ``--list-defects`` prints: each defect's name and what it breaks, a line each."""
    from contracttest.engine.defects import catalogue

    known = catalogue()
    width = max(map(len, known))
    return [f"{name:<{width}}  {does}" for name, does in known.items()]


def _host(text: str) -> str:
    # The socket layer encodes a non-ASCII name as IDNA and fails with a TypeError otherwise.
    try:
        text.encode("idna")
    except UnicodeError:
        raise argparse.ArgumentTypeError(f"not a host name or address: {text!r}") from None
    return text


def serve(args: argparse.Namespace) -> int:
    from contracttest.engine import DEFAULT_PASSWORD, EngineServer, open_engine

    if args.list_defects or "help" in args.defect:
        print("\n".join(defect_lines()))
        return 0
    if args.schema and not args.contract:
        raise ServeError("--schema", "give --contract with it (or neither, for the bundled v4)")
    started = time.perf_counter()
    password = args.password or os.environ.get("CONTRACTTEST_PASSWORD") or DEFAULT_PASSWORD
    data = Path(args.data) if args.data else None
    rsdl, schema, described = args.contract, args.schema, "bundled v4 contract"
    if rsdl is not None:
        from contracttest import options
        from contracttest.loading import locate

        source = locate(rsdl, schema)
        rsdl, schema, described = source.rsdl, source.schema, source.described
        access = options.access_from(rsdl, args)
    else:
        access = None
    engine = open_engine(
        rsdl,
        schema,
        data=data,
        password=password,
        token_ttl=args.token_ttl,
        access=access,
        defects=args.defect,
    )
    try:
        server = EngineServer(engine.handle, args.host, args.port, verbose=args.verbose)
    except OSError as exc:
        engine.close()
        raise _cannot_listen(args.host, args.port, exc) from None

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)  # before "serving": a client may stop it at once
    contract = described  # never with the userinfo of a contract's URL
    where = args.data or "memory"
    url = f"{server.base_url}{engine.prefix}"
    elapsed = time.perf_counter() - started
    broken = f"BROKEN ON PURPOSE, defects: {engine.defects}; " if engine.defects else ""
    print(
        f"contracttest engine: serving {url} (API {engine.model.major}, {contract}; "
        f"state in {where}; {broken}ready in {elapsed:.2f} s; Ctrl-C stops)",
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


def _cannot_listen(host: str, port: int, exc: OSError) -> ServeError:
    reason = exc.strerror or str(exc)
    if isinstance(exc, socket.gaierror):
        return ServeError(f"--host {host}", f"cannot resolve it: {reason}")
    if exc.errno == errno.EADDRNOTAVAIL:
        return ServeError(
            f"--host {host}", f"cannot listen: {reason} (not an address of this machine)"
        )
    return ServeError(f"{host}:{port}", f"cannot listen: {reason}")

"""``contracttest proxy``: record, replay or pass through (and check) the traffic of any
client, in the foreground until interrupted (Ctrl-C, SIGTERM).

Exit status: 0, or 1 when ``--check`` found violations at or above ``--fail-on``; 2 for a
mistake in the options, the contract or the target (one line, before it serves).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from contracttest import options
from contracttest.errors import UsageError

if TYPE_CHECKING:
    from contracttest.client import Access
    from contracttest.proxy.running import Proxy
    from contracttest.proxy.watch import Watch
    from contracttest.scrub import ScrubConfig

PROVENANCE_KEYS = ("product_name", "product_version", "api_version", "engine_url", "contract_hash")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from contracttest.proxy import MODES
    from contracttest.serve import _host, _port

    parser.add_argument(
        "--target",
        metavar="URL|sandbox",
        help="the engine API URL to reach, or 'sandbox' for an embedded engine started here "
        "(not needed to replay)",
    )
    parser.add_argument("--cassette", metavar="PATH", help="the cassette to record or replay")
    parser.add_argument(
        "--mode",
        choices=MODES,
        default="replay",
        help="record (into --cassette), replay (from it, no engine needed) or passthrough "
        "(check only); default: replay",
    )
    parser.add_argument("--host", type=_host, default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=_port, default=0, help="port (0: a free one, printed)")
    parser.add_argument(
        "--check", action="store_true", help="check every exchange against the contract as it flows"
    )
    parser.add_argument("--fail-on", choices=options.FAIL_ON, default="error")
    parser.add_argument("--ignore", action="append", default=[], metavar="RULE")
    parser.add_argument(
        "--contract",
        metavar="PATH",
        help="RSDL file, contract folder or engine URL to check against (default: the one "
        "pinned beside the cassette, else the bundled v4 one)",
    )
    options.add_to(parser, ("--contract-schema", *options.ENGINE_LOGIN))
    options.add_to(parser, ("--scrub-field", "--scrub-header", "--scrub-value"))
    parser.epilog = (
        "A client's engine URL is the proxy's (reverse), or http_proxy names the proxy and the "
        "client the engine (forward: only --target is relayed to, 403 for any other host). "
        "CONNECT tunnels (https:// through a forward proxy) are refused with 501: give the "
        "client the proxy's http:// URL, and the proxy reaches an https:// target over TLS."
    )


def run(args: argparse.Namespace) -> int:
    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, stop)
    with running(args) as proxy, suppress(KeyboardInterrupt):
        threading.Event().wait()
    watch = proxy.watch
    print(watch.summary(), file=sys.stderr, flush=True)
    return 1 if args.check and watch.failing else 0


@contextmanager
def running(args: argparse.Namespace) -> Iterator[Proxy]:
    """The proxy the options describe, serving (its first line printed) until the block ends."""
    from contracttest.proxy.running import open_proxy
    from contracttest.serve import _cannot_listen

    if args.mode != "passthrough" and not args.cassette:
        raise UsageError(f"--mode {args.mode} needs --cassette PATH")
    if args.mode != "replay" and not args.target:
        raise UsageError(f"--mode {args.mode} needs --target URL|sandbox (the engine to reach)")
    cassette = Path(args.cassette) if args.cassette else None
    if args.mode == "replay" and cassette is not None and not cassette.is_file():
        raise UsageError(f"{cassette}: no such cassette to replay (--mode record makes one)")
    if args.mode == "record" and cassette is not None:
        _writable(cassette)
    with ExitStack() as stack:
        target = stack.enter_context(_target(args)) if args.target else None
        info = _pinned(cassette, target) if args.mode == "record" and cassette else {}
        watch = _watch(args, cassette, target)
        try:
            proxy = stack.enter_context(
                open_proxy(
                    args.mode,
                    watch=watch,
                    cassette=cassette,
                    target=target,
                    scrub=_scrub(args, target),
                    provenance=_provenance(info),
                    host=args.host,
                    port=args.port,
                )
            )
        except OSError as exc:
            raise _cannot_listen(args.host, args.port, exc) from None
        going = f" -> {target.url}" if target is not None and args.mode != "replay" else ""
        where = f"; cassette {cassette}" if cassette is not None else ""
        print(
            f"contracttest proxy: {args.mode} at {proxy.api_url}{going} "
            f"(http_proxy={proxy.url}{where}; Ctrl-C stops)",
            flush=True,
        )
        yield proxy


@contextmanager
def _target(args: argparse.Namespace) -> Iterator[Access]:
    """How to reach the engine: the URL given (logged in to, for pinning, with the engine
    options), or an embedded engine started for the proxy's life."""
    from contracttest.client import Access

    if args.target != options.SANDBOX:
        access = options.access_from(args.target, args)
        from contracttest.client import Client

        Client(access.url, access.user, None, ca_file=access.ca_file)  # a bad URL: one line
        yield access
        return
    from contracttest.engine import DEFAULT_PASSWORD, EngineServer, open_engine

    password = args.engine_password or DEFAULT_PASSWORD
    engine = open_engine(password=password)
    try:
        with EngineServer(engine.handle) as server:
            url = f"{server.base_url}{engine.prefix}"
            yield Access(url, args.engine_user or options.DEFAULT_USER, password)
    finally:
        engine.close()


def _writable(cassette: Path) -> None:
    """Refused before any traffic: a cassette that could never be written (a folder, a
    place no file can be made) would lose the whole session."""
    if cassette.is_dir():
        raise UsageError(f"--cassette {cassette}: is a folder, not a cassette file")
    try:
        cassette.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(
            f"--cassette {cassette}: cannot make its folder ({exc.strerror})"
        ) from None
    if not os.access(cassette.parent, os.W_OK) or (
        cassette.exists() and not os.access(cassette, os.W_OK)
    ):
        raise UsageError(f"--cassette {cassette}: not writable")


def _pinned(cassette: Path, target: Access | None) -> dict[str, str]:
    """Pin the engine's contract beside the cassette when a login is known (as the plugin
    does when it records); what is known of the engine."""
    if target is None or target.password is None:
        print(
            "contracttest proxy: note: the contract is not pinned beside the cassette "
            "(--engine-password, or OVIRT_PASSWORD, lets the proxy fetch it)",
            file=sys.stderr,
        )
        return {}
    from contracttest.pinning import pin_engine

    try:
        return pin_engine(cassette.parent, target, None)[0]
    except OSError as exc:
        raise UsageError(
            f"--cassette {cassette}: cannot pin the contract beside it: {exc.strerror}"
        ) from None


def _provenance(info: dict[str, str]) -> dict[str, str]:
    from contracttest import __version__

    kept = {key: info[key] for key in PROVENANCE_KEYS if info.get(key)}
    return {**kept, "contracttest_version": __version__, "recorded_through": "contracttest proxy"}


def _watch(args: argparse.Namespace, cassette: Path | None, target: Access | None) -> Watch:
    from contracttest.proxy.watch import Watch

    if not args.check:
        return Watch(None)
    from contracttest.checker import Checker, resolve_rules
    from contracttest.loading import load, locate

    near = (cassette.parent,) if cassette is not None else ()
    source = locate(args.contract, args.contract_schema, near=near)
    loaded = load(source, options.access_from(source.rsdl, args))
    print(f"contracttest proxy: checking against {loaded.source}", file=sys.stderr, flush=True)
    return Watch(
        Checker(loaded.contract, loaded.schema, resolve_rules((), args.ignore)),
        fail_on=args.fail_on,
    )


def _scrub(args: argparse.Namespace, target: Access | None) -> ScrubConfig:
    from contracttest.scan import config_from

    password = target.password if target is not None else None
    return config_from(args.scrub_field, args.scrub_header).extended(
        values=[*args.scrub_value, *([password] if password else [])]
    )

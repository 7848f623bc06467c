"""``contracttest run [PATH...] [plugin options] [-- pytest options]``: pytest with the plugin.

PATH defaults to the example suite shipped in the package (``contracttest/example``); the
engine defaults to the embedded one (``--engine sandbox``) unless ``--engine`` or
``OVIRT_URL`` names another. With no PATH, no ``--cassette-dir`` and no ``--record-mode`` it
is the README's main job: record the example suite into a temporary folder and check every
exchange. Whatever follows ``--`` goes to pytest as it is (``-- -n 2 -k vm -x``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from pathlib import Path

EXAMPLE = Path(__file__).parent / "example"

#: pytest's exit codes that mean "you called it wrong" rather than "tests failed".
_PYTEST_USAGE = (4, 5)  # usage error, no tests collected


def add_arguments(run: argparse.ArgumentParser) -> None:
    run.add_argument("paths", nargs="*", metavar="PATH", help="tests (default: the example suite)")
    run.add_argument("--engine", metavar="URL|sandbox", help="engine to record against")
    run.add_argument("--engine-user", metavar="USER")
    run.add_argument("--engine-password", metavar="PW")
    run.add_argument("--engine-ca-file", metavar="FILE")
    run.add_argument("--engine-insecure", action="store_true")
    run.add_argument("--record-mode", choices=("none", "once", "new_episodes", "all", "rewrite"))
    run.add_argument("--cassette-dir", metavar="DIR")
    run.add_argument("--contract", metavar="PATH")
    run.add_argument("--contract-fail-on", choices=("error", "warning"))
    run.add_argument("--contract-report", metavar="PATH")
    run.add_argument("--scrub-field", action="append", default=[], metavar="NAME")


def run(args: argparse.Namespace, passthrough: list[str]) -> int:
    import pytest

    main_job = not args.paths and not args.cassette_dir and not args.record_mode
    engine = args.engine or os.environ.get("OVIRT_URL") or "sandbox"
    if engine != "sandbox" and (main_job or args.record_mode not in (None, "none")):
        _log_in(engine, args)
    with tempfile.TemporaryDirectory(prefix="contracttest-run-") as scratch:
        cassette_dir = args.cassette_dir or (scratch if main_job or not args.paths else None)
        record_mode = args.record_mode or ("all" if main_job else None)
        pytest_args: list[str] = []
        if args.paths:
            pytest_args += args.paths
        else:
            # The bundled suite, isolated from whatever project the command runs in.
            ini = Path(scratch) / "pytest.ini"
            ini.write_text("[pytest]\n")
            pytest_args += [str(EXAMPLE), "-c", str(ini), "--rootdir", str(EXAMPLE)]
            pytest_args += ["-p", "no:cacheprovider"]
            sys.dont_write_bytecode = True
        pytest_args += ["--engine", engine]
        for flag, value in (
            ("--engine-user", args.engine_user),
            ("--engine-password", args.engine_password),
            ("--engine-ca-file", _absolute(args.engine_ca_file)),
            ("--record-mode", record_mode),
            ("--cassette-dir", _absolute(cassette_dir)),
            ("--contract", _absolute(args.contract)),
            ("--contract-fail-on", args.contract_fail_on),
            ("--contract-report", _absolute(args.contract_report)),
        ):
            if value:
                pytest_args += [flag, value]
        if args.engine_insecure:
            pytest_args.append("--engine-insecure")
        for name in args.scrub_field:
            pytest_args += ["--scrub-field", name]
        if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
            pytest_args += ["-p", "contracttest.plugin"]
        pytest_args += passthrough
        if main_job:
            where = "the embedded engine" if engine == "sandbox" else engine
            print(
                f"contracttest run: recording the example suite against {where}, "
                "checking every exchange"
            )
            sys.stdout.flush()
        code = int(pytest.main(pytest_args))
    return 2 if code in _PYTEST_USAGE else code


def _log_in(url: str, args: argparse.Namespace) -> None:
    """Before a whole suite records against an engine: can we log in? If not, one line."""
    from contracttest.client import Client, ClientError

    password = args.engine_password or os.environ.get("OVIRT_PASSWORD")
    if password is None:
        raise ClientError("recording against an engine needs --engine-password (or OVIRT_PASSWORD)")
    user = args.engine_user or os.environ.get("OVIRT_USERNAME") or "admin@internal"
    client = Client(url, user, password, ca_file=args.engine_ca_file, insecure=args.engine_insecure)
    try:
        reply = client.get("")
        if reply.status != 200:
            raise ClientError(f"{url}: the engine answered {reply.status} to {user}")
    finally:
        with contextlib.suppress(ClientError):
            client.close()


def _absolute(path: str | None) -> str | None:
    if not path or "://" in path:
        return path
    return str(Path(path).resolve())

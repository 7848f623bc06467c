"""``contracttest run [PATH...] [plugin options] [-- pytest options]``: pytest with the plugin.

PATH defaults to the example suite shipped in the package (``contracttest/example``, or its v3
twin ``contracttest/example/v3`` when the run speaks v3); the engine defaults to the embedded
one (``--engine sandbox``, serving ``--contract`` when one is named) unless ``--engine`` or
``OVIRT_URL`` names another. With no PATH, no ``--cassette-dir`` and no ``--record-mode`` it
is the README's main job: record the example suite into a temporary folder and check every
exchange. Whatever follows ``--`` goes to pytest as it is (``-- -n 2 -k vm -x``).

The API version is picked as the plugin picks it for its client: ``--engine-api-version``;
else, recording against an engine, the one its contract (``?rsdl``) declares; else the one of
the contract named or pinned in the cassette folder; else v4, the embedded engine's own.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from pathlib import Path

from contracttest import options

EXAMPLE = Path(__file__).parent / "example"

#: pytest's exit codes that mean "you called it wrong" rather than "tests failed".
_PYTEST_USAGE = (4, 5)  # usage error, no tests collected


def add_arguments(run: argparse.ArgumentParser) -> None:
    """The plugin's options, from its table (``contracttest.options``), and the tests."""
    run.add_argument("paths", nargs="*", metavar="PATH", help="tests (default: the example suite)")
    options.add_to(run, tuple(option.flag for option in options.OPTIONS))


def run(args: argparse.Namespace, passthrough: list[str]) -> int:
    import pytest

    main_job = not args.paths and not args.cassette_dir and not args.record_mode
    engine = args.engine or os.environ.get("OVIRT_URL") or options.SANDBOX
    recording = main_job or args.record_mode not in (None, "none")
    version = _api_version(args, engine, recording=recording)
    suite = EXAMPLE / "v3" if version == 3 else EXAMPLE
    with tempfile.TemporaryDirectory(prefix="contracttest-run-") as scratch:
        pytest_args = pytest_arguments(args, Path(scratch), engine, suite) + passthrough
        if not args.paths:
            sys.dont_write_bytecode = True  # the bundled suite: nothing written beside it
        if main_job:
            from contracttest.client import public_url

            where = "the embedded engine" if engine == options.SANDBOX else public_url(engine)
            if engine == options.SANDBOX and args.contract:
                where += f" serving {public_url(args.contract)}"
            twin = " (its v3 twin)" if suite != EXAMPLE else ""
            print(
                f"contracttest run: recording the example suite{twin} against {where}, "
                "checking every exchange"
            )
            sys.stdout.flush()
        code = int(pytest.main(pytest_args))
    return 2 if code in _PYTEST_USAGE else code


def pytest_arguments(
    args: argparse.Namespace, scratch: Path, engine: str, suite: Path = EXAMPLE
) -> list[str]:
    """pytest's command line for ``run``: the tests (``suite``, the bundled one, when no PATH
    is given), then every plugin option given, by the plugin's own flags (paths made
    absolute: pytest may run elsewhere)."""
    main_job = not args.paths and not args.cassette_dir and not args.record_mode
    given = dict(vars(args))
    given["engine"] = engine
    given["cassette_dir"] = args.cassette_dir or (
        str(scratch) if main_job or not args.paths else None
    )
    given["record_mode"] = args.record_mode or ("all" if main_job else None)
    pytest_args: list[str] = list(args.paths)
    if not args.paths:
        # The bundled suite, isolated from whatever project the command runs in.
        ini = scratch / "pytest.ini"
        ini.write_text("[pytest]\n")
        pytest_args += [str(suite), "-c", str(ini), "--rootdir", str(EXAMPLE)]
        pytest_args += ["-p", "no:cacheprovider"]
    for option in options.OPTIONS:
        value = given.get(option.flag.lstrip("-").replace("-", "_"))
        if option.kind == "path" and isinstance(value, str):
            value = _absolute(value)
        pytest_args += options.flag_value(option, value)
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        pytest_args += ["-p", "contracttest.plugin"]
    return pytest_args


def _log_in(url: str, args: argparse.Namespace, version: int | None, *, learn: bool) -> int | None:
    """Before a whole suite records against an engine: can we log in? If not, one line. In
    the API version forced (``--engine-api-version``), else in the engine's own (no
    ``Version`` header). With ``learn`` and no version forced, the version the engine's
    contract declares (its ``?rsdl``), as the plugin will read it when it pins the contract."""
    from contracttest.client import ClientError
    from contracttest.plugin.contracts import declared_api_version

    access = options.access_from(url, args)
    if access.password is None:
        raise ClientError("recording against an engine needs --engine-password (or OVIRT_PASSWORD)")
    client = access.client(keep=False, version=version)
    try:
        reply = client.get("")
        if reply.status == 400 and version is not None:
            raise ClientError(
                f"{access.url}: the engine answered 400 to 'Version: {version}': it does not "
                f"speak API v{version} (leave --engine-api-version out to speak its own)"
            )
        if reply.status != 200:
            raise ClientError(f"{access.url}: the engine answered {reply.status} to {access.user}")
        if not learn or version is not None:
            return version
        rsdl = client.request("GET", f"{client.prefix}?rsdl")
        return declared_api_version(rsdl.body) if rsdl.status == 200 else None
    finally:
        with contextlib.suppress(ClientError):
            client.close()


def _api_version(args: argparse.Namespace, engine: str, *, recording: bool) -> int | None:
    """The API version the run speaks (to pick the bundled suite or its v3 twin), as the
    plugin picks it for its client; None when a suite of the user's own needs none. A version
    forced against the embedded engine that it does not speak is one line, before pytest."""
    from contracttest.client import api_version
    from contracttest.errors import UsageError

    forced = None if args.engine_api_version is None else api_version(args.engine_api_version)
    if engine != options.SANDBOX and recording:
        return _log_in(engine, args, forced, learn=not args.paths) or forced
    if forced is None and args.paths:
        return None
    served = _contract_version(args, sandbox=recording)
    if recording and forced not in (None, served):
        what = args.contract or "the bundled v4 contract"
        raise UsageError(
            f"--engine-api-version {forced}: the embedded engine serves {what}, API v{served} "
            f"(leave the option out, or name a v{forced} contract and its XSD with --contract)"
        )
    return forced or served


def _contract_version(args: argparse.Namespace, *, sandbox: bool) -> int:
    """The API version of the contract the embedded engine serves (``--contract`` with its
    XSD), or, replaying, of the contract checked against (``--contract``, else the one pinned
    in ``--cassette-dir``); else 4: the bundled contract."""
    from contracttest.loading import load, locate
    from contracttest.pin import PIN_FOLDER
    from contracttest.plugin.contracts import ContractInUse, api_version_of_pin

    near = (Path(args.cassette_dir),) if args.cassette_dir and not sandbox else ()
    if args.contract is None and not any((folder / PIN_FOLDER).is_dir() for folder in near):
        return 4
    source = locate(args.contract, args.contract_schema, near=near)
    if sandbox and source.schema is None:
        return 4  # an RSDL alone makes no engine: the sandbox serves the bundled contract
    pinned = api_version_of_pin(source.pin)
    if pinned is not None:
        return pinned
    access = options.access_from(args.contract or "", args)
    return ContractInUse(load(source, access)).api_version


def _absolute(path: str | None) -> str | None:
    if not path or "://" in path:
        return path
    return str(Path(path).resolve())

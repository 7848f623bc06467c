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
    if engine != options.SANDBOX and (main_job or args.record_mode not in (None, "none")):
        _log_in(engine, args)
    with tempfile.TemporaryDirectory(prefix="contracttest-run-") as scratch:
        pytest_args = pytest_arguments(args, Path(scratch), engine) + passthrough
        if not args.paths:
            sys.dont_write_bytecode = True  # the bundled suite: nothing written beside it
        if main_job:
            from contracttest.client import public_url

            where = "the embedded engine" if engine == options.SANDBOX else public_url(engine)
            print(
                f"contracttest run: recording the example suite against {where}, "
                "checking every exchange"
            )
            sys.stdout.flush()
        code = int(pytest.main(pytest_args))
    return 2 if code in _PYTEST_USAGE else code


def pytest_arguments(args: argparse.Namespace, scratch: Path, engine: str) -> list[str]:
    """pytest's command line for ``run``: the tests, then every plugin option given, by the
    plugin's own flags (paths made absolute: pytest may run elsewhere)."""
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
        pytest_args += [str(EXAMPLE), "-c", str(ini), "--rootdir", str(EXAMPLE)]
        pytest_args += ["-p", "no:cacheprovider"]
    for option in options.OPTIONS:
        value = given.get(option.flag.lstrip("-").replace("-", "_"))
        if option.kind == "path" and isinstance(value, str):
            value = _absolute(value)
        pytest_args += options.flag_value(option, value)
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        pytest_args += ["-p", "contracttest.plugin"]
    return pytest_args


def _log_in(url: str, args: argparse.Namespace) -> None:
    """Before a whole suite records against an engine: can we log in? If not, one line."""
    from contracttest.client import ClientError

    access = options.access_from(url, args)
    if access.password is None:
        raise ClientError("recording against an engine needs --engine-password (or OVIRT_PASSWORD)")
    client = access.client(keep=False)
    try:
        reply = client.get("")
        if reply.status != 200:
            raise ClientError(f"{access.url}: the engine answered {reply.status} to {access.user}")
    finally:
        with contextlib.suppress(ClientError):
            client.close()


def _absolute(path: str | None) -> str | None:
    if not path or "://" in path:
        return path
    return str(Path(path).resolve())

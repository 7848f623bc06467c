"""The example suite replayed by pytest-recording with plain vcrpy and no contract checks:
the baseline ``bench_replay.py`` times the contracttest plugin against.

    python3 -m pytest contracttest/example -p no:contracttest -p recording \
        -p benchmarks.replay_baseline.plugin

Every collected test gets ``@pytest.mark.vcr``; its cassette is the one the contracttest
plugin replays (``cassettes/example/<module stem>/<test name>.yaml``), matched with vcrpy's
defaults (method, scheme, host, port, path, query: never a body), record mode none. The
fixtures the example suite takes from contracttest are plain ones here: ``ovirt_engine`` is an
``Engine`` over a ``Client`` of the pinned engine URL (the host the cassettes were recorded
from), closed at teardown, and ``contracttest_config`` is the default ``Settings``.
"""

from __future__ import annotations

import pytest

FIXTURES = "benchmarks.replay_baseline.fixtures"


def pytest_addoption(parser: pytest.Parser) -> None:
    # contracttest's ini names, which the project's pytest configuration may set: with the
    # plugin blocked, --strict-config would reject them
    from contracttest.plugin.settings import OPTIONS

    for option in OPTIONS:
        kind = {"bool": "bool", "list": "linelist"}.get(option.kind, "string")
        parser.addini(option.ini, f"contracttest's (unused here): {option.help}", type=kind)


def pytest_configure(config: pytest.Config) -> None:
    # the example suite's marker, which the (blocked) contracttest plugin registers
    config.addinivalue_line("markers", "contract(skip=[rule, ...], cassette=name): unused here")
    config.pluginmanager.import_plugin(FIXTURES)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(pytest.mark.vcr)

"""Fixtures of the example suite: ``lab`` (what a test creates, removed after it) and the
non-admin user's login, for the v4 examples here and their v3 twin in ``v3/``.

The twin is collected only when named (``contracttest run`` names it when the engine speaks
v3): a v4 run, the repository's replay of ``cassettes/example`` among them, never sees it."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from contracttest.api import Engine
from contracttest.example.lab import Lab, Login
from contracttest.plugin import Settings

#: The v3 twin runs apart: ``pytest contracttest/example/v3`` (or ``contracttest run`` against
#: a v3 engine) collects it.
collect_ignore = ["v3"]

#: The embedded engine's password for every user, when none was given.
SANDBOX_PASSWORD = "ovirt"


@pytest.fixture
def lab(ovirt_engine: Engine, request: pytest.FixtureRequest) -> Iterator[Lab]:
    # the module and test name, not the node id: that depends on where pytest runs from
    lab = Lab(ovirt_engine, f"{request.module.__name__}::{request.node.name}")
    yield lab
    lab.cleanup()


@pytest.fixture
def admin_login(contracttest_config: Settings) -> Login:
    return Login(contracttest_config.user, contracttest_config.password or SANDBOX_PASSWORD)


@pytest.fixture
def user_login(contracttest_config: Settings) -> Login:
    """A user without administrative roles (the embedded engine has ``user@internal``)."""
    return Login(
        os.environ.get("CONTRACTTEST_EXAMPLE_USER", "user@internal"),
        os.environ.get("CONTRACTTEST_EXAMPLE_PASSWORD")
        or contracttest_config.password
        or SANDBOX_PASSWORD,
    )

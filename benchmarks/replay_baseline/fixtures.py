"""The baseline's fixtures.

``plugin.pytest_configure`` registers this module after every installed plugin,
pytest-recording's included, so that its fixtures override theirs (of two plugins' fixtures
of one name, the one registered last wins).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from contracttest.api import Engine
from contracttest.client import Client
from contracttest.plugin import Settings

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes" / "example"
USER = "admin@internal"
PASSWORD = "x"


def engine_url(cassette: Path) -> str:
    """The URL a cassette was recorded from (vcrpy matches on its host and port; under
    pytest-xdist each worker recorded its own engine): its provenance says it."""
    found = re.search(r"^  engine_url: (\S+)$", cassette.read_text(), re.MULTILINE)
    assert found, f"{cassette}: no engine_url in its contracttest provenance"
    return found[1]


@pytest.fixture(scope="module")
def vcr_cassette_dir(request: pytest.FixtureRequest) -> str:
    return str(CASSETTES / Path(str(request.node.path)).stem)


@pytest.fixture
def default_cassette_name(request: pytest.FixtureRequest) -> str:
    return str(request.node.name)


@pytest.fixture(scope="session")
def vcr_config() -> dict[str, Any]:
    return {"record_mode": "none"}  # and vcrpy's default match_on


@pytest.fixture(scope="session")
def contracttest_config() -> Settings:
    return Settings()


@pytest.fixture
def ovirt_engine(vcr_cassette_dir: str, default_cassette_name: str) -> Iterator[Engine]:
    cassette = Path(vcr_cassette_dir) / f"{default_cassette_name}.yaml"
    client = Client(engine_url(cassette), USER, PASSWORD, keep=False)
    try:
        yield Engine(client, live=False)
    finally:
        client.close()

"""Shared test configuration: where the real corpus lives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent


def corpus_path() -> Path:
    """``CONTRACTTEST_CORPUS``, else ``../shared/corpus`` beside the checkout."""
    configured = os.environ.get("CONTRACTTEST_CORPUS")
    return Path(configured) if configured else ROOT.parent / "shared" / "corpus"


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The real corpus folder; tests that need it skip with a reason where it is absent."""
    path = corpus_path()
    if not (path / "rsdl").is_dir():
        pytest.skip(f"real corpus not found at {path} (set CONTRACTTEST_CORPUS)")
    return path


pytest_plugins = ["pytester"]

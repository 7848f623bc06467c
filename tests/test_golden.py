"""The project's own sample cassettes, checked through the command line, pinned as text.

The sample contract and cassettes under ``cassettes/`` are the project's own test data:
``sample`` is a clean VM life cycle (the README's main job), ``sample-defects`` the same
session with defects seeded in. Regenerate the golden file after a deliberate change with
``contracttest check cassettes/sample-defects --contract cassettes/sample/rsdl.xml
--schema cassettes/sample/api.xsd > tests/golden/sample-defects.txt``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from contracttest.cli import EXIT_OK, EXIT_VIOLATIONS, main

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = ["--contract", "cassettes/sample/rsdl.xml", "--schema", "cassettes/sample/api.xsd"]


@pytest.fixture(autouse=True)
def _at_the_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def test_the_clean_sample_checks_clean(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "cassettes/sample", *CONTRACT]) == EXIT_OK
    assert capsys.readouterr().out == (
        "contract: cassettes/sample/rsdl.xml; schema cassettes/sample/api.xsd\n"
        "checked 11 exchange(s) in 1 cassette(s): 0 error(s), 0 warning(s)\n"
    )


def test_the_seeded_defects_report_as_pinned(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "cassettes/sample-defects", *CONTRACT]) == EXIT_VIOLATIONS
    golden = (ROOT / "tests" / "golden" / "sample-defects.txt").read_text(encoding="utf-8")
    assert capsys.readouterr().out == golden

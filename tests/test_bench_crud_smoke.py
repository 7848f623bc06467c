"""The CRUD benchmark, briefly: one seed on two collections, no false alarm, figures shown."""

from __future__ import annotations

import pytest

from benchmarks.bench_crud import SeedResult, main, report


def test_one_quick_seed_passes_and_reports(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["--seeds", "1", "--profile", "quick", "--collections", "tags,vms/nics"])
    shown = capsys.readouterr().out
    assert status == 0, shown
    assert "CRUD machines: 2 collections (tags, vms/nics)" in shown
    assert "examples/s" in shown and "toolkit" in shown
    assert "broken promises (false alarms on a healthy engine): 0" in shown


def test_a_broken_seed_is_reported() -> None:
    broken = SeedResult(7, 0, 0, 1.0, 0.0, 0.5, "crud.listed: GET tags does not list <tag_1>")
    lines = report([broken], ["tags"])
    assert "   7  BROKEN: crud.listed: GET tags does not list <tag_1>" in lines
    assert lines[-1] == "broken promises (false alarms on a healthy engine): 1"

"""The coverage of a test run (``--contract-report``, the end-of-run table), under pytest-xdist:
what the workers send sums to what ``contracttest report`` counts over the same cassettes."""

from __future__ import annotations

import json

import pytest

from tests.plugin_suite import contracttest, outcomes, run, summary, write_suite

#: What a run and the command count alike (the rest names tests or keeps examples).
COUNTED = ("method", "href", "rel", "exercised", "count", "statuses", "violations")


def test_a_parallel_run_reports_the_coverage_the_command_counts(pytester: pytest.Pytester) -> None:
    write_suite(pytester)
    recorded = run(pytester, "--engine", "sandbox", "--record-mode", "all")
    assert outcomes(recorded) == {"passed": 4}, recorded.stdout.str()
    replayed = run(pytester, "-n", "2", "--contract-report", "report.json")
    assert outcomes(replayed) == {"passed": 4}, replayed.stdout.str()
    coverage = json.loads((pytester.path / "report.json").read_text())["coverage"]
    done = contracttest("report", "cassettes", "--format", "json", cwd=pytester.path)
    assert done.returncode == 0, done.stderr
    counted = json.loads(done.stdout)
    for key in ("links", "exercised", "percent", "parameter_sets_exercised", "exchanges"):
        assert coverage[key] == counted[key], key
    assert coverage["unmatched"] == counted["unmatched"]
    assert [{k: e[k] for k in COUNTED} for e in coverage["per_link"]] == [
        {k: e[k] for k in COUNTED} for e in counted["per_link"]
    ]
    assert coverage["collections"] == counted["collections"]
    hit = {(e["method"], e["href"]): e for e in coverage["per_link"] if e["exercised"]}
    start = hit[("POST", "vms/{vm:id}/start")]
    assert start["statuses"] == {"200": 1, "409": 1}
    assert start["tests"] == ["test_api.py::test_vm_life_cycle"]
    assert start["cassettes"] == ["cassettes/test_api/test_vm_life_cycle.yaml"]
    add = hit[("POST", "vms")]
    assert [s["count"] for s in add["parameter_sets"] if s["exercised"]] == [1]
    assert hit[("GET", "clusters")]["tests"] == ["test_api.py::test_search"]
    # the compact table at the end of the run: the figure, the least covered collections
    table = summary(replayed)
    assert (
        f"coverage: {coverage['exercised']} of {coverage['links']} links exercised "
        f"({coverage['percent']}%)" in "\n".join(table)
    )
    assert "  least covered collections (exercised/links):" in table
    vms = next(c for c in coverage["collections"] if c["name"] == "vms")
    assert any(line.split()[:2] == ["vms", f"{vms['exercised']}/{vms['links']}"] for line in table)

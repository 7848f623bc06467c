"""The proxy benchmark, briefly: every answer a 200, and the figures in their shape."""

from __future__ import annotations

from benchmarks.bench_proxy import measure, report


def test_a_short_run_has_no_errors_and_reports_each_way() -> None:
    tallies = measure(seconds=0.2, rounds=1, clients=2)

    assert [t.errors for t in tallies.values()] == [[], [], []]
    assert all(t.requests > 0 for t in tallies.values())
    lines = report(tallies)
    assert lines[0].startswith("direct to the engine:")
    assert [line.split(":")[0] for line in lines[1:]] == [
        "through the proxy, passthrough",
        "through the proxy, record",
    ]
    assert all("requests/s (cost " in line for line in lines[1:])

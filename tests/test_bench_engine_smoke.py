"""The engine benchmark's load run, briefly: no errors, and the engine's state is the model."""

from __future__ import annotations

from benchmarks.bench_engine import VmModel, compare_state, run_load


def test_two_clients_for_two_seconds_lose_nothing() -> None:
    # at least 100 operations a client, however slowly a busy machine runs them: enough of
    # each kind for the assertions below (a shared update has 1 chance in 13.5 an operation)
    result = run_load(clients=2, seconds=2.0, rounds=1, minimal_seconds=0.5, min_ops=100)

    assert result.engine.first_errors == [], result.engine.first_errors
    assert result.engine.errors == 0
    assert result.minimal.errors == 0
    assert result.differences == []
    assert result.vms == result.expected_vms > 0
    assert result.engine.ops.get("shared_update", 0) > 0
    assert result.engine.requests > 0 and result.minimal.requests > 0
    assert result.ok


def test_compare_state_names_every_difference() -> None:
    model = {
        "a": VmModel("c0-1", "c0-1 update 2", "up", ["nic1"]),
        "b": VmModel("c0-2"),
        "s": VmModel("shared-0", "c0 description 3", comment="c1 comment 5"),
    }
    engine = {
        "a": VmModel("c0-1", "c0-1 update 1", "up", ["nic1", "nic2"]),
        "c": VmModel("c0-3"),
        "s": VmModel("shared-0", "c0 description 3", comment="c1 comment 4"),
    }

    differences = compare_state(model, engine)

    assert differences == [
        "missing: c0-2 (b)",
        "extra: c0-3 (c)",
        "c0-1 (a) description: model 'c0-1 update 2', engine 'c0-1 update 1'",
        "c0-1 (a) nics: model ['nic1'], engine ['nic1', 'nic2']",
        "shared-0 (s) comment: model 'c1 comment 5', engine 'c1 comment 4'",
    ]
    assert compare_state(model, dict(model)) == []

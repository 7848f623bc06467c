"""``--contract-crud``: generated CRUD items recorded against the embedded engine, replayed
with no engine and the network blocked (also under pytest-xdist); the seed in the header and
in each cassette's provenance; a collection the contract cannot drive is a usage error."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from tests.plugin_suite import COUNT_CONNECTIONS, outcomes, run

#: tags: the simplest; vms: bodies with fields the scrubber hides by name (cloud-init
#: ``configuration/data``, payload ``content``), which must be sent as recorded
COLLECTIONS = "tags,vms"


def _seed(result: pytest.RunResult) -> int:
    found = re.search(r"contracttest crud: .*; seed (\d+) ", result.stdout.str())
    assert found, result.stdout.str()
    return int(found.group(1))


def test_record_then_replay_without_an_engine(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain="def test_plain():\n    pass\n")
    pytester.makeconftest(COUNT_CONNECTIONS)
    crud = f"--contract-crud={COLLECTIONS}"
    recorded = run(pytester, "--engine=sandbox", "--record-mode=once", crud)
    assert outcomes(recorded) == {"passed": 3}, recorded.stdout.str()
    seed = _seed(recorded)
    cassette = pytester.path / "cassettes/contract_crud/test_crud[tags].yaml"
    provenance = yaml.safe_load(cassette.read_text())["contracttest"]
    assert provenance["crud_seed"] == str(seed)
    assert json.loads(provenance["crud_settings"]) == {
        "max_examples": 20,
        "stateful_step_count": 12,
    }
    vms = pytester.path / "cassettes/contract_crud/test_crud[vms].yaml"
    assert b"scrubbed-" in vms.read_bytes()  # the generated secrets were sent as placeholders
    before = cassette.read_bytes(), vms.read_bytes()

    for extra in ((), ("-n", "2")):
        replayed = run(pytester, crud, *extra)  # no engine: record mode none
        assert outcomes(replayed) == {"passed": 3}, replayed.stdout.str()
        replayed.stdout.fnmatch_lines(["*(0 recorded, 2 replayed)*", "network connections: 0"])
    assert (cassette.read_bytes(), vms.read_bytes()) == before


def test_the_hypothesis_seed_is_honoured(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        "--engine=sandbox",
        "--record-mode=once",
        "--contract-crud=tags",
        "--contract-crud-examples=3",
        "--hypothesis-seed=4242",
    )
    assert outcomes(result) == {"passed": 1}, result.stdout.str()
    assert _seed(result) == 4242
    cassette = pytester.path / "cassettes/contract_crud/test_crud[tags].yaml"
    provenance = yaml.safe_load(cassette.read_text())["contracttest"]
    assert provenance["crud_seed"] == "4242"
    assert json.loads(provenance["crud_settings"])["max_examples"] == 3


def test_an_unknown_collection_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = run(pytester, "--contract-crud=vms,nope")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    lines = [line for line in result.stderr.lines if "nope" in line]
    assert len(lines) == 1, result.stderr.str()
    assert "cannot drive nope; the contract can drive: " in lines[0]
    assert " tags, " in lines[0] and " vms, " in lines[0]

"""The pytest plugin as users run it: real pytest processes (pytester), the embedded engine
recorded against, cassettes on disk, replay with the network blocked."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from tests.plugin_suite import (
    COUNT_CONNECTIONS,
    cassettes,
    contracttest,
    outcomes,
    run,
    summary,
    write_suite,
)


def _flip(lines: list[str]) -> list[str]:
    """A recording's summary as its replay prints it."""
    return [
        re.sub(r"\((\d+) recorded, 0 replayed\)", r"(0 recorded, \1 replayed)", line)
        for line in lines
    ]


def test_record_stop_replay_same_outcomes_no_network(pytester: pytest.Pytester) -> None:
    write_suite(pytester)
    pytester.makeconftest(COUNT_CONNECTIONS)
    recorded = run(pytester, "--engine", "sandbox", "--record-mode", "all")
    assert outcomes(recorded) == {"passed": 4}, recorded.stdout.str()
    assert "network connections: 0" not in recorded.stdout.str()  # it did talk to the engine
    # The engine stopped with that process; the replay has none, and may not open a socket.
    replayed = run(pytester)
    assert outcomes(replayed) == outcomes(recorded), replayed.stdout.str()
    replayed.stdout.fnmatch_lines(["network connections: 0"])
    assert summary(replayed) == _flip(summary(recorded))
    assert (
        summary(replayed)[0].startswith("1")
        or "exchanges checked in 4 cassettes" in summary(replayed)[0]
    )
    assert "no contract violations" in summary(replayed)
    pinned = json.loads((pytester.path / "cassettes/contract/pin.json").read_text())
    assert pinned["product_name"] == "oVirt Engine"
    assert pinned["contract_hash"].startswith("sha256:")
    provenance = yaml.safe_load((pytester.path / "cassettes/test_api/test_root.yaml").read_text())[
        "contracttest"
    ]
    assert provenance["contract_hash"] == pinned["contract_hash"]
    assert {"product_version", "api_version", "contracttest_version", "recorded_at"} <= set(
        provenance
    )


def test_a_missing_cassette_fails_with_the_command_that_records_it(
    pytester: pytest.Pytester,
) -> None:
    write_suite(pytester)
    result = run(pytester, "-k", "test_root")
    assert outcomes(result) == {"failed": 1, "deselected": 3}
    result.stdout.fnmatch_lines(
        [
            "*contracttest: cassette cassettes/test_api/test_root.yaml does not exist, "
            "and record mode none only replays",
            "*request:   POST /ovirt-engine/sso/oauth/token",
            "*record it: pytest test_api.py::test_root --record-mode once --engine 'URL|sandbox'",
        ]
    )
    assert "Traceback" not in result.stdout.str()
    assert "vcr/stubs" not in result.stdout.str()


def test_an_unmatched_request_fails_naming_the_nearest(pytester: pytest.Pytester) -> None:
    write_suite(pytester)
    assert outcomes(run(pytester, "--engine", "sandbox", "--record-mode", "all")) == {"passed": 4}
    write_suite(
        pytester,
        text=(pytester.path / "test_api.py")
        .read_text()
        .replace('search="name=Default"', 'search="name=Default2"'),
    )
    result = run(pytester, "-k", "test_search")
    assert outcomes(result) == {"failed": 1, "deselected": 3}
    result.stdout.fnmatch_lines(
        [
            "*contracttest: no recorded exchange matches this request",
            "*cassette:  cassettes/test_api/test_search.yaml (3 recorded exchanges, "
            "record mode none)",
            "*request:   GET /ovirt-engine/api/clusters?search=name%3DDefault2",
            "*nearest:   #1 GET /ovirt-engine/api/clusters?search=name%3DDefault",
            "*differs:   query: asked search=name=Default2",
            "*recorded search=name=Default",
            "*re-record: pytest test_api.py::test_search --record-mode rewrite "
            "--engine 'URL|sandbox'",
        ]
    )


VIOLATING = """
def test_vm(ovirt_engine):
    ovirt_engine.get("vms")
"""


def _record_then_break(pytester: pytest.Pytester) -> Path:
    """Record a clean exchange, then edit the cassette as a broken engine would have
    answered: a 204 where the engine answers 200 with the collection."""
    write_suite(pytester, "test_broken", VIOLATING)
    assert outcomes(run(pytester, "--engine", "sandbox", "--record-mode", "all")) == {"passed": 1}
    path = pytester.path / "cassettes/test_broken/test_vm.yaml"
    data = yaml.safe_load(path.read_text())
    for item in data["interactions"]:
        if item["request"]["uri"].endswith("/ovirt-engine/api/vms"):
            item["response"]["body"]["string"] = (
                '<vms><vm id="1" href="/ovirt-engine/api/vms/1"><name>x</name>'
                "<status>runnning</status></vm></vms>"
            )
    path.write_text(yaml.safe_dump(data))
    return path


def test_a_violation_fails_the_test_with_everything_needed_to_fix_it(
    pytester: pytest.Pytester,
) -> None:
    _record_then_break(pytester)
    result = run(pytester, "--contract-report", "report.json")
    assert outcomes(result) == {"failed": 1}
    text = result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "*contract violations in cassettes/test_broken/test_vm.yaml: *error(s)*",
            "*[[]error[]] response.schema: *",
            "*exchange:  #1 GET */ovirt-engine/api/vms",
            "*RSDL link: GET /ovirt-engine/api/vms (get)",
            "*at:        /vms/vm/status*",
            "*received:  runnning*",
            "*fix: *",
            '*skip:      @pytest.mark.contract(skip=[[]"response.schema"[]])',
        ]
    )
    assert "response.schema" in text.split("= contracttest =")[-1]
    report = json.loads((pytester.path / "report.json").read_text())
    assert report["violations_per_rule"]["response.schema"] >= 1
    assert report["cassettes"] == {"recorded": 0, "replayed": 1}
    assert report["violations"][0]["test"] == "test_broken.py::test_vm"


def test_the_marker_skips_a_rule_and_names_a_cassette(pytester: pytest.Pytester) -> None:
    _record_then_break(pytester)
    pytester.makepyfile(
        test_broken=(
            "import pytest\n\n"
            "@pytest.mark.contract(skip=['response.schema', 'response.href'])\n"
            + VIOLATING.lstrip()
        )
    )
    assert outcomes(run(pytester)) == {"passed": 1}
    named = (
        "import pytest\n\n@pytest.mark.contract(cassette='shared-name')\n"
        "def test_other(ovirt_engine):\n    ovirt_engine.get('')\n"
    )
    pytester.makepyfile(test_named=named)
    result = run(pytester, "test_named.py", "--engine", "sandbox", "--record-mode", "all")
    assert outcomes(result) == {"passed": 1}
    assert (pytester.path / "cassettes/test_named/shared-name.yaml").is_file()


def test_an_unknown_rule_in_the_marker_is_named(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_bad="import pytest\n\n@pytest.mark.contract(skip=['response.shema'])\n"
        "def test_x(ovirt_engine):\n    pass\n"
    )
    result = run(pytester)
    assert outcomes(result) == {"errors": 1}
    result.stdout.fnmatch_lines(
        ["*unknown rule 'response.shema' (did you mean 'response.schema'?)"]
    )


def test_replaying_against_another_contract_says_so(pytester: pytest.Pytester) -> None:
    write_suite(pytester)
    assert outcomes(run(pytester, "--engine", "sandbox", "--record-mode", "all")) == {"passed": 4}
    other = pytester.path / "other"
    other.mkdir()
    pinned = pytester.path / "cassettes/contract"
    (other / "rsdl.xml").write_bytes(
        (pinned / "rsdl.xml").read_bytes().replace(b"<description>", b"<description>v2 ", 1)
    )
    (other / "api.xsd").write_bytes((pinned / "api.xsd").read_bytes())
    result = run(pytester, "--contract", "other/rsdl.xml")
    assert outcomes(result) == {"passed": 4}
    result.stdout.fnmatch_lines(
        [
            "note: cassettes/test_api/test_root.yaml: recorded against contract sha256:*, "
            "checked against sha256:*"
        ]
    )


def test_parallel_runs_match_serial_ones(pytester: pytest.Pytester) -> None:
    write_suite(pytester)
    serial = run(pytester, "--engine", "sandbox", "--record-mode", "all", "-n", "0")
    first = cassettes(pytester.path / "cassettes")
    parallel = run(pytester, "--engine", "sandbox", "--record-mode", "all", "-n", "2")
    assert outcomes(parallel) == outcomes(serial) == {"passed": 4}
    assert summary(parallel) == summary(serial)
    assert cassettes(pytester.path / "cassettes").keys() == first.keys()
    replay_parallel = run(pytester, "-n", "2")
    replay_serial = run(pytester, "-n", "0")
    assert outcomes(replay_parallel) == outcomes(replay_serial) == {"passed": 4}
    assert summary(replay_parallel) == summary(replay_serial) == _flip(summary(serial))


INI_PROBE = """
def test_settings(contracttest_config):
    import dataclasses, json, pathlib
    values = {k: str(v) for k, v in dataclasses.asdict(contracttest_config).items()}
    pathlib.Path("settings.json").write_text(json.dumps(values))
"""


@pytest.mark.parametrize(
    ("ini", "field", "expected"),
    [
        (
            "engine = https://engine.example.com/ovirt-engine/api",
            "engine",
            "https://engine.example.com/ovirt-engine/api",
        ),
        ("engine_user = jane@example.com", "user", "jane@example.com"),
        ("engine_password = s3cret", "password", "s3cret"),
        ("engine_ca_file = ca.pem", "ca_file", "{root}/ca.pem"),
        ("engine_insecure = true", "insecure", "True"),
        ("record_mode = new_episodes", "record_mode", "new_episodes"),
        ("cassette_dir = recordings", "cassette_dir", "{root}/recordings"),
        ("contract = pinned/rsdl.xml", "contract", "{root}/pinned/rsdl.xml"),
        ("contract_fail_on = warning", "fail_on", "warning"),
        ("contract_report = out/report.json", "report", "{root}/out/report.json"),
        ("scrub_fields =\n    secret_answer\n    pin", "scrub_fields", "('secret_answer', 'pin')"),
    ],
)
def test_every_option_has_an_ini_twin(
    pytester: pytest.Pytester, ini: str, field: str, expected: str
) -> None:
    pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.makepyfile(test_probe=INI_PROBE)
    if field == "contract":  # a contract named is loaded before the tests: it must be one
        from contracttest.loading import bundled_contract

        (pytester.path / "pinned").mkdir()
        rsdl, _ = bundled_contract()
        (pytester.path / "pinned" / "rsdl.xml").write_bytes(rsdl.read_bytes())
    result = run(pytester)
    assert outcomes(result) == {"passed": 1}, result.stdout.str()
    values = json.loads((pytester.path / "settings.json").read_text())
    assert values[field] == expected.format(root=pytester.path)


def test_the_command_line_wins_over_the_ini_and_a_bad_ini_value_is_named(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini("[pytest]\nrecord_mode = once\n")
    pytester.makepyfile(test_probe=INI_PROBE)
    assert outcomes(run(pytester, "--record-mode", "none")) == {"passed": 1}
    assert json.loads((pytester.path / "settings.json").read_text())["record_mode"] == "none"
    pytester.makeini("[pytest]\nrecord_mode = sometimes\n")
    result = run(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*record_mode = 'sometimes': expected one of none, once, *"])


def test_help_shows_the_group(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--help", "-p", "no:recording")
    text = result.stdout.str()
    group = text.split("contracttest: record, replay and check oVirt API calls:")[1]
    for flag in (
        "--engine=URL|sandbox",
        "--engine-user",
        "--engine-password",
        "--engine-ca-file",
        "--engine-insecure",
        "--record-mode",
        "--cassette-dir",
        "--contract=PATH",
        "--contract-fail-on",
        "--contract-report",
    ):
        assert flag in group, flag
    for ini in ("engine ", "engine_user", "record_mode", "cassette_dir", "contract_fail_on"):
        assert re.search(rf"^  {ini}", text, re.MULTILINE), ini


def test_recording_needs_an_engine(pytester: pytest.Pytester) -> None:
    write_suite(pytester)
    result = run(pytester, "--record-mode", "once", "-k", "test_root")
    assert outcomes(result) == {"errors": 1, "deselected": 3}
    result.stdout.fnmatch_lines(
        ["*needs an engine: --engine URL (or OVIRT_URL), or --engine sandbox*"]
    )


FIXTURES = """
def test_sandbox_serves_any_client(ovirt_sandbox):
    import ovirtsdk4 as sdk

    box = ovirt_sandbox
    connection = sdk.Connection(url=box.url, username=box.user, password=box.password)
    try:
        assert connection.system_service().get().product_info.name == "oVirt Engine"
    finally:
        connection.close()


def test_contract_is_the_model_in_use(ovirt_contract):
    assert ovirt_contract.hash.startswith("sha256:")
    assert ovirt_contract.schema is not None
    assert len(ovirt_contract.links) > 800
    assert "bundled" in ovirt_contract.source
"""


def test_the_sandbox_and_contract_fixtures(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_fixtures=FIXTURES)
    result = run(pytester, "-p", "no:recording")
    assert outcomes(result) == {"passed": 2}, result.stdout.str()


def test_a_corrupt_cassette_fails_its_test_in_one_line(pytester: pytest.Pytester) -> None:
    write_suite(pytester)
    assert outcomes(run(pytester, "--engine", "sandbox", "--record-mode", "all")) == {"passed": 4}
    path = pytester.path / "cassettes/test_api/test_root.yaml"
    path.write_text(path.read_text()[:300] + "\n  - [unclosed\n")
    result = run(pytester, "-k", "test_root or test_search")
    assert outcomes(result) == {"errors": 1, "passed": 1, "deselected": 2}
    result.stdout.fnmatch_lines(
        ["cassettes/test_api/test_root.yaml: corrupt YAML: line *, column *: *"]
    )
    assert "During handling" not in result.stdout.str()
    assert "Traceback" not in result.stdout.str()
    assert path.read_text().endswith("[unclosed\n")  # nothing was written over it


def test_the_config_fixture_can_be_overridden_in_code(pytester: pytest.Pytester) -> None:
    write_suite(pytester)
    pytester.makeconftest(
        """
import dataclasses
import pathlib

import pytest


@pytest.fixture(scope="session")
def contracttest_config(contracttest_config):
    return dataclasses.replace(
        contracttest_config,
        engine="sandbox",
        record_mode="all",
        cassette_dir=pathlib.Path(__file__).parent / "recordings",
    )
"""
    )
    result = run(pytester, "-k", "test_root")
    assert outcomes(result) == {"passed": 1, "deselected": 3}, result.stdout.str()
    assert (pytester.path / "recordings/test_api/test_root.yaml").is_file()
    assert (pytester.path / "recordings/contract/pin.json").is_file()


def test_two_tests_never_share_a_cassette(pytester: pytest.Pytester) -> None:
    for package in ("alpha", "beta"):
        pytester.mkpydir(package)
        (pytester.path / package / "test_vms.py").write_text(
            "def test_list(ovirt_engine):\n    ovirt_engine.get('vms')\n"
        )
    result = run(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*contracttest: alpha/test_vms.py::test_list and beta/test_vms.py::test_list would "
            "share the cassette */cassettes/test_vms/test_list.yaml; name one with "
            "@pytest.mark.contract(cassette=...)"
        ]
    )


def test_a_malformed_marker_fails_its_test_at_setup(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_marked="import pytest\n\n@pytest.mark.contract(skipp=['response.href'])\n"
        "def test_x(ovirt_engine):\n    pass\n"
    )
    result = run(pytester)
    assert outcomes(result) == {"errors": 1}
    result.stdout.fnmatch_lines(
        ["*@pytest.mark.contract takes skip=[[]rule, ...[]] and cassette=name, not skipp"]
    )


CLIENTS = """
import base64
import urllib.request


def _post(ovirt_sandbox, path, body):
    pair = base64.b64encode(f"{ovirt_sandbox.user}:{ovirt_sandbox.password}".encode()).decode()
    request = urllib.request.Request(
        f"{ovirt_sandbox.url}/{path}", data=body, method="POST",
        headers={"Content-Type": "application/xml", "Authorization": f"Basic {pair}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status
    except urllib.error.HTTPError as error:
        error.close()
        return error.code


def test_an_honest_client(ovirt_sandbox):
    body = b"<tag><name>honest</name></tag>"
    assert _post(ovirt_sandbox, "tags", body) == 201


def test_a_client_that_forgets_a_required_parameter(ovirt_sandbox):
    assert _post(ovirt_sandbox, "vms", b"<vm><name>nameless-cluster</name></vm>") == 400
"""


def test_the_sandbox_checks_what_other_clients_send(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_clients=CLIENTS)
    result = run(pytester)
    assert outcomes(result) == {"passed": 1, "failed": 1}, result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "*_ test_a_client_that_forgets_a_required_parameter _*",
            "contract violations in sandbox http://127.0.0.1:*/ovirt-engine/api: *",
            "[[]error[]] request.parameters.required: *",
        ]
    )
    assert "exchanges the sandbox served to the tests' own clients" in result.stdout.str()


DELIBERATE = """
import pytest


@pytest.mark.contract(skip=["request.parameters"])
def test_missing_cluster_is_refused(ovirt_engine):
    with pytest.raises(ovirt_engine.Error) as fault:
        ovirt_engine.add("vms", "<vm><name>no-cluster</name></vm>")
    assert fault.value.status == 400
"""


def test_check_honours_the_rules_a_recorded_test_skipped(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_deliberate=DELIBERATE)
    result = run(pytester, "--engine", "sandbox", "--record-mode", "all")
    assert outcomes(result) == {"passed": 1}, result.stdout.str()
    cassette = pytester.path / "cassettes/test_deliberate/test_missing_cluster_is_refused.yaml"
    assert yaml.safe_load(cassette.read_text())["contracttest"]["skipped_rules"] == (
        "request.parameters.required"
    )
    check = contracttest("check", str(pytester.path / "cassettes"))
    assert check.returncode == 0, check.stdout + check.stderr
    assert "1 violation(s) of rules the recording tests skip" in check.stderr

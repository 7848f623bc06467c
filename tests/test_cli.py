"""The command line, in process (``main``) and as ``python -m contracttest``."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from contracttest import RULES
from contracttest.cli import EXIT_OK, EXIT_USAGE, EXIT_VIOLATIONS, main
from tests.corpus_contracts import RSDL, XSD

ROOT = Path(__file__).resolve().parent.parent

#: A clean recording (3.3 contract), one with only HTML-404 warnings, one with errors (v4).
CLEAN = "deltacloud-rhevm__test_0002_must_return_list_of_images.yml"
WARNINGS_ONLY = "deltacloud-rhevm__test_0004_must_allow_to_retrieve_single_image.yml"
WITH_ERRORS = "manageiq-providers-ovirt__refresher_target_host.yml"
CONTRACT_OF = {CLEAN: "3.3", WARNINGS_ONLY: "3.3", WITH_ERRORS: "v3-on-4.x"}

TOP_KEYS = {"exchanges", "cassettes", "violations", "counts", "contract", "representations"}
VIOLATION_KEYS = {
    "rule",
    "severity",
    "cassette",
    "index",
    "method",
    "uri",
    "link",
    "xpath",
    "message",
    "expected",
    "received",
    "hint",
}


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str

    def json(self) -> dict[str, Any]:
        document = json.loads(self.out)
        assert isinstance(document, dict)
        return document


def check_args(corpus: Path, cassette: str, *extra: str, schema: bool = True) -> list[str]:
    key = CONTRACT_OF[cassette]
    args = ["check", str(corpus / "cassettes" / "vcrpy" / cassette)]
    args += ["--contract", str(corpus / RSDL[key])]
    if schema:
        args += ["--schema", str(corpus / XSD[key])]
    return [*args, *extra]


def invoke(capsys: pytest.CaptureFixture[str], args: list[str]) -> Run:
    code = main(args)
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err)


def subprocess_run(args: list[str]) -> Run:
    done = subprocess.run(
        [sys.executable, "-m", "contracttest", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    return Run(done.returncode, done.stdout, done.stderr)


# --- exit status -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cassette", "extra", "code"),
    [
        pytest.param(CLEAN, (), EXIT_OK, id="clean"),
        pytest.param(CLEAN, ("--fail-on", "warning"), EXIT_OK, id="clean-fail-on-warning"),
        pytest.param(WARNINGS_ONLY, (), EXIT_OK, id="warnings-only"),
        pytest.param(
            WARNINGS_ONLY, ("--fail-on", "warning"), EXIT_VIOLATIONS, id="fail-on-warning"
        ),
        pytest.param(WARNINGS_ONLY, ("--fail-on", "error"), EXIT_OK, id="fail-on-error"),
        pytest.param(WITH_ERRORS, (), EXIT_VIOLATIONS, id="errors"),
        pytest.param(WITH_ERRORS, ("--ignore", "response"), EXIT_OK, id="errors-ignored"),
        pytest.param(
            WITH_ERRORS,
            ("--select", "response.fault", "--select", "response.schema"),
            EXIT_OK,
            id="warnings-selected",
        ),
    ],
)
def test_check_exit_status(
    capsys: pytest.CaptureFixture[str],
    corpus: Path,
    cassette: str,
    extra: tuple[str, ...],
    code: int,
) -> None:
    result = invoke(capsys, check_args(corpus, cassette, *extra))
    assert result.code == code, result.err
    assert "Traceback" not in result.err


def test_check_clean_text(capsys: pytest.CaptureFixture[str], corpus: Path) -> None:
    result = invoke(capsys, check_args(corpus, CLEAN))
    rsdl, xsd = corpus / RSDL[CONTRACT_OF[CLEAN]], corpus / XSD[CONTRACT_OF[CLEAN]]
    assert result.out.strip().splitlines() == [
        f"contract: {rsdl}; schema {xsd}",
        "checked 4 exchange(s) in 1 cassette(s): 0 error(s), 0 warning(s)",
    ]


@pytest.mark.parametrize(
    ("cassette", "args", "code"),
    [
        pytest.param(CLEAN, (), EXIT_OK, id="clean"),
        pytest.param(WITH_ERRORS, (), EXIT_VIOLATIONS, id="errors"),
        pytest.param(
            WARNINGS_ONLY, ("--fail-on", "warning"), EXIT_VIOLATIONS, id="fail-on-warning"
        ),
    ],
)
def test_check_as_a_subprocess(
    corpus: Path, cassette: str, args: tuple[str, ...], code: int
) -> None:
    result = subprocess_run(check_args(corpus, cassette, "--format", "json", *args))
    assert result.code == code, result.err
    document = result.json()
    assert set(document) == TOP_KEYS
    assert document["cassettes"] == 1


# --- JSON output -----------------------------------------------------------------------------


def test_json_document_shape(capsys: pytest.CaptureFixture[str], corpus: Path) -> None:
    result = invoke(capsys, check_args(corpus, WITH_ERRORS, "--format", "json"))
    assert result.code == EXIT_VIOLATIONS
    document = result.json()
    assert set(document) == TOP_KEYS
    assert (document["exchanges"], document["cassettes"]) == (4, 1)
    violations = document["violations"]
    assert isinstance(violations, list) and violations
    for violation in violations:
        assert set(violation) == VIOLATION_KEYS
        assert violation["rule"] in RULES
        assert violation["severity"] in {"error", "warning"}
        assert violation["cassette"].endswith(WITH_ERRORS)
        assert isinstance(violation["index"], int)
        assert violation["method"] == "GET"
        assert violation["uri"].startswith("https://ovirt.example.com")
    counts = document["counts"]
    assert isinstance(counts, dict)
    assert sum(counts.values()) == len(violations)
    assert counts == {
        rule: sum(1 for v in violations if v["rule"] == rule)
        for rule in RULES
        if any(v["rule"] == rule for v in violations)
    }


def test_json_clean(capsys: pytest.CaptureFixture[str], corpus: Path) -> None:
    document = invoke(capsys, check_args(corpus, CLEAN, "--format", "json")).json()
    rsdl, xsd = (str(corpus / part[CONTRACT_OF[CLEAN]]) for part in (RSDL, XSD))
    assert document == {
        "exchanges": 4,
        "cassettes": 1,
        "violations": [],
        "counts": {},
        "contract": {"source": rsdl, "schema": xsd, "schema_checks": True},
        "representations": {"xml": {"exchanges": 4, "errors": 0, "warnings": 0}},
    }


def test_json_folder_of_cassettes(capsys: pytest.CaptureFixture[str], corpus: Path) -> None:
    """A folder is searched recursively: all 48 corpus cassettes, read against one contract."""
    folder = corpus / "cassettes" / "vcrpy"
    args = ["check", str(folder), "--contract", str(corpus / RSDL["3.3"]), "--format", "json"]
    result = invoke(capsys, args)
    document = result.json()
    assert document["cassettes"] == 48
    assert isinstance(document["exchanges"], int) and document["exchanges"] > 1200
    assert result.code == EXIT_VIOLATIONS  # v4 recordings against a 3.3 contract


# --- --select / --ignore -----------------------------------------------------------------------


def rules_reported(capsys: pytest.CaptureFixture[str], corpus: Path, *extra: str) -> set[str]:
    document = invoke(capsys, check_args(corpus, WITH_ERRORS, "--format", "json", *extra)).json()
    counts = document["counts"]
    assert isinstance(counts, dict)
    return set(counts)


def test_all_rules_by_default(capsys: pytest.CaptureFixture[str], corpus: Path) -> None:
    assert rules_reported(capsys, corpus) == {
        "response.fault",
        "response.schema",
        "response.href",
    }


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        pytest.param(
            ("--select", "response"),
            {"response.fault", "response.schema", "response.href"},
            id="prefix",
        ),
        pytest.param(("--select", "response.href"), {"response.href"}, id="one"),
        pytest.param(("--select", "request"), set(), id="other-family"),
        pytest.param(("--ignore", "response"), set(), id="ignore-prefix"),
        pytest.param(
            ("--ignore", "response.schema"), {"response.fault", "response.href"}, id="ignore-one"
        ),
        pytest.param(
            ("--select", "response", "--ignore", "response.href"),
            {"response.fault", "response.schema"},
            id="select-then-ignore",
        ),
        pytest.param(
            ("--select", "response.fault", "--select", "link"),
            {"response.fault"},
            id="select-twice",
        ),
    ],
)
def test_select_and_ignore(
    capsys: pytest.CaptureFixture[str], corpus: Path, extra: tuple[str, ...], expected: set[str]
) -> None:
    assert rules_reported(capsys, corpus, *extra) == expected


@pytest.mark.parametrize(
    ("option", "name", "suggestion"),
    [
        ("--select", "response.hrf", "response.href"),
        ("--ignore", "response.schemas", "response.schema"),
        ("--select", "link.undocumnted", "link.undocumented"),
    ],
)
def test_unknown_rule(
    capsys: pytest.CaptureFixture[str], corpus: Path, option: str, name: str, suggestion: str
) -> None:
    result = invoke(capsys, check_args(corpus, CLEAN, option, name))
    assert result.code == EXIT_USAGE
    assert result.out == ""
    lines = result.err.strip().splitlines()
    assert len(lines) == 1
    assert f"unknown rule {name!r}" in lines[0]
    assert f"did you mean {suggestion!r}?" in lines[0]


def test_unknown_rule_as_a_subprocess(corpus: Path) -> None:
    result = subprocess_run(check_args(corpus, CLEAN, "--select", "response.hrf", schema=False))
    assert result.code == EXIT_USAGE
    assert "did you mean 'response.href'?" in result.err
    assert "Traceback" not in result.err


# --- text output -----------------------------------------------------------------------------


def test_text_groups_by_rule(capsys: pytest.CaptureFixture[str], corpus: Path) -> None:
    result = invoke(capsys, check_args(corpus, WITH_ERRORS))
    document = invoke(capsys, check_args(corpus, WITH_ERRORS, "--format", "json")).json()
    counts = document["counts"]
    assert isinstance(counts, dict)
    out = result.out
    headings = [line for line in out.splitlines() if line and not line.startswith(" ")]
    rule_headings = [line for line in headings if not line.startswith(("checked ", "contract: "))]
    assert [line.split(":")[0] for line in rule_headings] == list(counts)
    for rule, count in counts.items():
        (heading,) = [line for line in rule_headings if line.startswith(f"{rule}: ")]
        assert RULES[rule].title in heading
        numbers = [
            int(part.split()[0]) for part in heading.rsplit("[", 1)[1].rstrip("]").split(", ")
        ]
        assert sum(numbers) == count
        assert f"skip:      --ignore {rule}" in out
    assert headings[-1].startswith("checked 4 exchange(s) in 1 cassette(s): ")
    assert "... and " in out  # more than three examples of a rule are folded


def test_text_warnings(capsys: pytest.CaptureFixture[str], corpus: Path) -> None:
    out = invoke(capsys, check_args(corpus, WARNINGS_ONLY)).out
    assert "response.fault: An error status without a <fault> body [3 warning(s)]" in out
    assert "status 404 with an HTML page instead of a <fault>" in out
    assert "skip:      --ignore response.fault" in out
    assert out.rstrip().endswith("0 error(s), 3 warning(s)")


def test_lenient_rsdl_note_on_stderr(capsys: pytest.CaptureFixture[str], corpus: Path) -> None:
    result = invoke(capsys, check_args(corpus, CLEAN))
    assert "4 defect(s) in the RSDL read leniently" in result.err
    assert "contracttest contract" in result.err


# --- input and usage errors ------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        pytest.param([], id="no-command"),
        pytest.param(["check"], id="no-paths"),
        pytest.param(["check", "x.yml"], id="no-contract"),
        pytest.param(["frobnicate"], id="unknown-command"),
        pytest.param(
            ["check", "x.yml", "--contract", "r.xml", "--format", "yaml"], id="bad-format"
        ),
        pytest.param(
            ["check", "x.yml", "--contract", "r.xml", "--fail-on", "info"], id="bad-fail-on"
        ),
    ],
)
def test_usage_errors(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    result = invoke(capsys, args)
    assert result.code == EXIT_USAGE
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("contracttest: error: ")


def test_unreadable_cassette_exit_2(
    capsys: pytest.CaptureFixture[str], corpus: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("interactions:\n- request: {method: GET\n")
    good = corpus / "cassettes" / "vcrpy" / CLEAN
    args = ["check", str(bad), str(good), "--contract", str(corpus / RSDL["3.3"])]
    args += ["--format", "json"]
    result = invoke(capsys, args)
    assert result.code == EXIT_USAGE
    assert f"contracttest: error: {bad}: corrupt YAML: line " in result.err
    assert result.json()["cassettes"] == 1  # the readable one is still checked


def test_missing_contract(capsys: pytest.CaptureFixture[str], corpus: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nope.xml"
    result = invoke(
        capsys, ["check", str(corpus / "cassettes" / "vcrpy" / CLEAN), "--contract", str(missing)]
    )
    assert result.code == EXIT_USAGE
    assert result.err.strip() == f"contracttest: error: {missing}: no such file"


def test_folder_without_cassettes(
    capsys: pytest.CaptureFixture[str], corpus: Path, tmp_path: Path
) -> None:
    result = invoke(capsys, ["check", str(tmp_path), "--contract", str(corpus / RSDL["3.3"])])
    assert result.code == EXIT_USAGE
    assert "no cassettes" in result.err


# --- contract --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "version", "prefix"),
    [
        ("3.3", "3.3", "/api"),
        ("3.5", "3.5", "/ovirt-engine/api"),
        ("3.6", None, "/ovirt-engine/api"),
        ("v3-on-4.x", "3.6", "/ovirt-engine/api"),
    ],
)
def test_contract_json(
    capsys: pytest.CaptureFixture[str], corpus: Path, key: str, version: str | None, prefix: str
) -> None:
    result = invoke(capsys, ["contract", str(corpus / RSDL[key]), "--format", "json"])
    assert result.code == EXIT_OK
    summary = result.json()
    assert summary["links"] == {"3.3": 408, "3.5": 618, "3.6": 775, "v3-on-4.x": 774}[key]
    assert summary["version"] == version
    assert summary["prefix"] == prefix
    rels = summary["rels"]
    assert isinstance(rels, list) and rels == sorted(rels)
    assert {"get", "add", "delete", "update", "start"} <= set(rels)
    methods = summary["methods"]
    assert isinstance(methods, dict) and sum(methods.values()) == summary["links"]
    assert "schema" not in summary


def test_contract_json_as_a_subprocess(corpus: Path) -> None:
    result = subprocess_run(["contract", str(corpus / RSDL["3.5"]), "--format", "json"])
    assert result.code == EXIT_OK
    summary = result.json()
    assert (summary["version"], summary["links"], summary["form"]) == ("3.5", 618, "served")


def test_contract_json_with_schema(capsys: pytest.CaptureFixture[str], corpus: Path) -> None:
    args = ["contract", str(corpus / RSDL["3.6"]), "--schema", str(corpus / XSD["3.6"])]
    summary = invoke(capsys, [*args, "--format", "json"]).json()
    schema = summary["schema"]
    assert isinstance(schema, dict)
    assert schema["source"] == str(corpus / XSD["3.6"])
    assert isinstance(schema["complex_types"], int) and schema["complex_types"] > 300


@pytest.mark.parametrize(("key", "defects"), [("3.3", 4), ("3.4", 5), ("3.6", 10)])
def test_contract_text_lists_lenient_reads(
    capsys: pytest.CaptureFixture[str], corpus: Path, key: str, defects: int
) -> None:
    result = invoke(capsys, ["contract", str(corpus / RSDL[key])])
    assert result.code == EXIT_OK
    out = result.out
    assert f"read leniently ({defects} defect(s) in the document):" in out
    assert "'xs:boolen' read as 'xs:boolean'" in out
    assert sum("read as" in line or "unknown type" in line for line in out.splitlines()) == defects


def test_contract_text_summary(capsys: pytest.CaptureFixture[str], corpus: Path) -> None:
    out = invoke(capsys, ["contract", str(corpus / RSDL["3.6"])]).out
    assert f"contract: {corpus / RSDL['3.6']}" in out
    assert "version: (not stated: build-time form)" in out
    assert "prefix: /ovirt-engine/api (build-time form)" in out
    assert "links: 775 " in out
    assert "type 'xs:int,' read as 'xs:int'" in out


@pytest.mark.parametrize("target", ["xsd", "missing"])
def test_contract_of_something_else(
    capsys: pytest.CaptureFixture[str], corpus: Path, tmp_path: Path, target: str
) -> None:
    source = corpus / XSD["3.6"] if target == "xsd" else tmp_path / "missing.xml"
    result = invoke(capsys, ["contract", str(source)])
    assert result.code == EXIT_USAGE
    assert result.out == ""
    assert result.err.startswith(f"contracttest: error: {source}: ")
    assert len(result.err.strip().splitlines()) == 1


def test_check_without_contract_uses_the_bundled_v4_contract(
    corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cassette = (
        corpus / "cassettes" / "vcrpy" / "manageiq-providers-ovirt__ovirt_sdk_refresh_recording.yml"
    )
    result = invoke(capsys, ["check", str(cassette), "--format", "json"])
    assert result.code == 0, result.err
    assert json.loads(result.out)["violations"] == []


def test_a_reader_that_goes_away_ends_a_command_quietly() -> None:
    """``contracttest report ... | head``: the reader closes the pipe early; the command ends
    with SIGPIPE's status and says nothing (no internal error, no traceback)."""
    command = [sys.executable, "-m", "contracttest", "report", "cassettes/example"]
    with subprocess.Popen(
        [*command, "--format", "json"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.readline()
        process.stdout.close()
        said = process.stderr.read()
        status = process.wait(timeout=120)
    assert said == b"", said
    assert status == 141

"""The front doors agree: ``run`` takes the plugin's options from its table, the rule
reference ships in the package, a violation has one JSON shape and one text form whichever
door shows it, and everything raised on purpose derives from one root."""

from __future__ import annotations

import argparse
import ast
import subprocess
import sys
from pathlib import Path

import pytest

import contracttest
from contracttest import options
from contracttest.cli import build_parser, main
from contracttest.errors import ContractTestError
from contracttest.report import rule_reference, violation_lines
from contracttest.rules import RULES, Severity, Violation
from contracttest.run import pytest_arguments

PACKAGE = Path(contracttest.__file__).parent

VALUES = {
    "string": "value-1",
    "path": "some/where",
    "bool": True,
    "list": ["one", "two"],
}


def _run_args(words: list[str]) -> argparse.Namespace:
    return build_parser().parse_args(["run", *words])


def test_run_accepts_every_plugin_option_and_hands_it_to_pytest(tmp_path: Path) -> None:
    words: list[str] = ["tests/"]
    for option in options.OPTIONS:
        value = option.choices[-1] if option.choices else VALUES[option.kind]
        if option.kind == "bool":
            words.append(option.flag)
        elif option.kind == "list":
            for item in value:  # type: ignore[union-attr]
                words += [option.flag, str(item)]
        else:
            words += [option.flag, str(value)]
    args = _run_args(words)
    given = pytest_arguments(args, tmp_path, args.engine)
    values = _given(given)
    for option in options.OPTIONS:
        assert option.flag in values, option.flag
        if option.kind == "path":
            value = values[option.flag][0]
            assert Path(value).is_absolute() and value.endswith("some/where"), option.flag
    assert len(values["--scrub-field"]) == 2
    assert given[0] == "tests/"
    # every value is in the option's own word: pytest takes a lone path for a test location
    assert not [word for word in given[1:] if not word.startswith("-")]


def _given(words: list[str]) -> dict[str, list[str]]:
    """``--flag=value`` words by flag (a bool flag has no value)."""
    found: dict[str, list[str]] = {}
    for word in words:
        flag, _, value = word.partition("=")
        found.setdefault(flag, []).append(value)
    return found


def test_the_main_job_records_the_bundled_suite_into_a_scratch_folder(tmp_path: Path) -> None:
    args = _run_args([])
    given = pytest_arguments(args, tmp_path, "sandbox")
    assert f"--cassette-dir={tmp_path}" in given
    assert "--record-mode=all" in given
    assert "--engine=sandbox" in given
    assert (tmp_path / "pytest.ini").is_file()


def test_a_path_option_does_not_move_the_rootdir(pytester: pytest.Pytester, tmp_path: Path) -> None:
    """pytest picks its rootdir and ini file before it knows a plugin's options: in the
    ``--opt=PATH`` form ``run`` writes (and the README shows) a path elsewhere moves neither."""
    pytester.makeini("[pytest]\ncassette_dir = recorded\n")
    pytester.makepyfile(test_one="def test_one(pytestconfig):\n    print(pytestconfig.rootpath)\n")
    elsewhere = tmp_path / "elsewhere" / "deep"
    elsewhere.mkdir(parents=True)
    report = elsewhere / "report.json"
    result = pytester.runpytest_subprocess(f"--contract-report={report}", "-s")
    result.assert_outcomes(passed=1)
    assert f"rootdir: {pytester.path}" in result.stdout.str()
    assert "configfile: tox.ini" in result.stdout.str() or "configfile: pytest.ini" in (
        result.stdout.str()
    )


def test_the_plugin_declares_the_same_table(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--help")
    out = result.stdout.str()
    for option in options.OPTIONS:
        assert option.flag in out, option.flag
        assert option.ini in out, option.ini


def test_rules_lists_every_rule_and_describes_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 0
    listed = capsys.readouterr().out
    for rule in RULES.values():
        assert rule.id in listed and rule.title in listed
    for rule_id in RULES:
        assert main(["rules", rule_id]) == 0
        section = capsys.readouterr().out
        assert section.startswith(f"## {rule_id}\n")
        assert "\n## " not in section  # that rule's section only
    assert main(["rules", "response.stauts"]) == 2
    assert "did you mean 'response.status'" in capsys.readouterr().err


def test_the_rule_reference_is_installed_with_the_package() -> None:
    """Messages point to ``contracttest rules ID``: it must work from an installed wheel,
    so the reference is package data, not a file of the source tree."""
    assert (PACKAGE / "rules.md").is_file()
    pyproject = (PACKAGE.parent / "pyproject.toml").read_text()
    assert '"rules.md"' in pyproject
    for rule in RULES.values():
        assert rule.reference == f"contracttest rules {rule.id}"
        assert rule_reference(rule.id)


def test_one_json_shape_and_one_text_form() -> None:
    violation = Violation(
        "response.schema",
        Severity.ERROR,
        "cassettes/a.yaml",
        3,
        "GET",
        "https://engine/ovirt-engine/api/vms",
        "GET /ovirt-engine/api/vms (get)",
        "/vms/vm/status",
        "status of VM holds 'runnning'",
        "one of: down, up",
        "runnning",
        "fix the enumeration",
    )
    shape = violation.as_json()
    assert set(shape) == {*Violation._fields}
    assert shape["expected"] == "one of: down, up" and shape["hint"] == "fix the enumeration"
    lines = violation_lines(violation, cassette=True, skip="--ignore response.schema")
    assert lines[0] == "[error] response.schema: status of VM holds 'runnning'"
    assert "  exchange:  cassettes/a.yaml#3 GET https://engine/ovirt-engine/api/vms" in lines
    assert "  expected:  one of: down, up" in lines
    assert "  received:  runnning" in lines
    assert lines[-1] == "  skip:      --ignore response.schema"


def test_everything_raised_on_purpose_has_one_root() -> None:
    """Every exception class the package defines derives from ``ContractTestError``."""
    outside: list[str] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        module = module.removesuffix(".__init__")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.ClassDef):
                continue
            __import__(module)
            cls = getattr(sys.modules[module], node.name, None)
            is_error = isinstance(cls, type) and issubclass(cls, BaseException)
            if is_error and not issubclass(cls, ContractTestError):  # type: ignore[arg-type]
                outside.append(f"{module}.{node.name}")
    assert outside == []


def test_the_fixtures_have_one_prefix(pytester: pytest.Pytester) -> None:
    """``engine``, ``contract`` and ``sandbox`` are names other suites use (SQLAlchemy's
    ``engine``): the plugin's fixtures are ``ovirt_*`` and a suite's own ``engine`` lives
    beside them, untouched."""
    pytester.makeconftest(
        """
import pytest

@pytest.fixture
def engine():
    return "sqlalchemy"
"""
    )
    pytester.makepyfile(
        test_mine="""
def test_own_engine(engine, ovirt_contract, contracttest_config):
    assert engine == "sqlalchemy"
    assert ovirt_contract.schema is not None
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    fixtures = pytester.runpytest_subprocess("--fixtures").stdout.str()
    for name in ("ovirt_engine", "ovirt_contract", "ovirt_sandbox", "contracttest_config"):
        assert name in fixtures


def test_python_m_contracttest_rules() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "contracttest", "rules", "response.href"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0 and result.stdout.startswith("## response.href")


def test_the_plugin_names_a_schema_beside_or_apart(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--contract`` takes an RSDL with its ``api.xsd`` beside it; ``--contract-schema``
    names one elsewhere; without either the summary says the schema checks did not run."""
    from contracttest.loading import bundled_contract

    rsdl, xsd = bundled_contract()
    (pytester.path / "alone.xml").write_bytes(rsdl.read_bytes())
    (pytester.path / "schemas").mkdir()
    (pytester.path / "schemas" / "v4.xsd").write_bytes(xsd.read_bytes())
    pytester.makepyfile(
        test_schema="""
import os

def test_schema(ovirt_engine, ovirt_contract):
    ovirt_engine.get("")
    assert (ovirt_contract.schema is not None) == bool(os.environ.get("WANT_SCHEMA"))
"""
    )
    common = ("-p", "no:cacheprovider", "--engine", "sandbox", "--record-mode", "all")
    alone = pytester.runpytest_subprocess(*common, "--contract", "alone.xml")
    alone.assert_outcomes(passed=1)
    alone.stdout.fnmatch_lines(["contract: */alone.xml (no schema: response.schema did not run*"])
    monkeypatch.setenv("WANT_SCHEMA", "1")
    named = pytester.runpytest_subprocess(
        *common, "--contract", "alone.xml", "--contract-schema", "schemas/v4.xsd"
    )
    named.assert_outcomes(passed=1)
    assert "no schema" not in named.stdout.str()

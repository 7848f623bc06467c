"""Bad input: hostile XML bodies, and files the command line cannot use.

Hostile XML (XXE, entity bombs, DTDs) must be reported and never expanded. Unusable input
(corrupt or missing files, a wrong kind of file, a bad option) must stop the command with
exit status 2 and one line on stderr naming the file and the problem: never a traceback.
Every file here is written into ``tmp_path``; nothing needs the corpus.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from contracttest import Checker, Violation, load_cassette
from contracttest.cli import main
from contracttest.rsdl import contract_from_bytes
from contracttest.xmlsafe import XMLProblem, parse

EXIT_USAGE = 2
PREFIX = "/ovirt-engine/api"
ENGINE = "https://engine.example.com"

TINY_RSDL = f"""\
<rsdl href="{PREFIX}?rsdl" rel="rsdl">
  <links>
    <link href="{PREFIX}/vms" rel="get">
      <request><http_method>GET</http_method></request>
      <response><type>VMs</type></response>
    </link>
    <link href="{PREFIX}/vms/{{vm:id}}" rel="get">
      <request><http_method>GET</http_method></request>
      <response><type>VM</type></response>
    </link>
    <link href="{PREFIX}/vms" rel="add">
      <request><http_method>POST</http_method><body><type>VM</type></body></request>
      <response><type>VM</type></response>
    </link>
  </links>
</rsdl>
"""

TINY_XSD = """\
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="vm" type="VM"/>
  <xs:complexType name="VM"><xs:sequence>
    <xs:element name="name" type="xs:string" minOccurs="0"/>
  </xs:sequence></xs:complexType>
</xs:schema>
"""

# --- hostile XML --------------------------------------------------------------------------

_LAUGHS = "".join(
    f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)
)  # lol9 expands to 10**9 "lol"s

HOSTILE = {
    "xxe": '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><vm>&e;</vm>',
    "billion-laughs": f'<!DOCTYPE vm [<!ENTITY lol0 "lol">{_LAUGHS}]><vm><name>&lol9;</name></vm>',
    "parameter-entity": '<!DOCTYPE vm [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]><vm/>',
    "external-dtd": '<!DOCTYPE vm SYSTEM "file:///etc/passwd"><vm/>',
}
#: How a report of a hostile body reads: it names what is wrong with it.
REPORTED = re.compile(r"entit|doctype", re.IGNORECASE)
#: CPU seconds of the thread that parses (a busy machine stretches the wall clock, not this);
#: an expansion would take far longer, or never end.
FAST_ENOUGH = 2.0

with_hostile = pytest.mark.parametrize("payload", list(HOSTILE.values()), ids=list(HOSTILE))


def _secret_lines() -> list[str]:
    """Lines of /etc/passwd: none of them may ever show up in a report."""
    try:
        text = Path("/etc/passwd").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ["root:x:0:0:"]
    return [line for line in text.splitlines() if line.strip()] or ["root:x:0:0:"]


def _leaks(text: str) -> list[str]:
    return [line for line in _secret_lines() if line in text]


def interaction(
    method: str,
    path: str,
    status: int = 200,
    response_body: str = "",
    request_body: str = "",
) -> dict[str, object]:
    """One vcrpy interaction against the engine of ``TINY_RSDL``."""
    xml = {"Content-Type": ["application/xml"]}
    return {
        "request": {
            "method": method,
            "uri": f"{ENGINE}{PREFIX}/{path}",
            "body": request_body or None,
            "headers": xml if request_body else {},
        },
        "response": {
            "status": {"code": status, "message": "OK"},
            "headers": xml,
            "body": {"string": response_body},
        },
    }


def write_cassette(path: Path, *interactions: dict[str, object]) -> Path:
    path.write_text(yaml.safe_dump({"version": 1, "interactions": list(interactions)}))
    return path


def _check(path: Path) -> tuple[list[Violation], float]:
    checker = Checker(contract_from_bytes(TINY_RSDL.encode(), "tiny.rsdl"))
    started = time.thread_time()
    violations = checker.check_cassette(load_cassette(path))
    return violations, time.thread_time() - started


def _everything_said(violations: list[Violation]) -> str:
    return "\n".join(
        f"{v.message} {v.expected} {v.received} {v.hint} {v.xpath}" for v in violations
    )


@with_hostile
def test_safe_parser_refuses_hostile_xml(payload: str) -> None:
    started = time.thread_time()
    with pytest.raises(XMLProblem, match=REPORTED) as refused:
        parse(payload.encode())
    assert time.thread_time() - started < FAST_ENOUGH
    assert not _leaks(str(refused.value))


@pytest.mark.parametrize(
    ("carrier", "rule"),
    [
        pytest.param(
            lambda body: interaction("GET", "vms/123", response_body=body),
            "response.body.type",
            id="response",
        ),
        pytest.param(
            lambda body: interaction("POST", "vms", 201, request_body=body),
            "request.body.type",
            id="request",
        ),
        pytest.param(
            lambda body: interaction("GET", "vms/123", 500, response_body=body),
            "response.fault",
            id="error-response",
        ),
    ],
)
@with_hostile
def test_hostile_body_is_reported_and_never_expanded(
    tmp_path: Path,
    payload: str,
    carrier: Callable[[str], dict[str, object]],
    rule: str,
) -> None:
    violations, took = _check(write_cassette(tmp_path / "hostile.yaml", carrier(payload)))

    assert took < FAST_ENOUGH
    assert any(v.rule == rule and REPORTED.search(v.message) for v in violations), [
        (v.rule, v.message) for v in violations
    ]
    assert not _leaks(_everything_said(violations))


def test_hostile_cassette_through_the_command_line(tmp_path: Path) -> None:
    write_cassette(
        tmp_path / "hostile.yaml",
        *(interaction("GET", "vms/1", response_body=payload) for payload in HOSTILE.values()),
    )
    (tmp_path / "api.rsdl").write_text(TINY_RSDL)

    run = contracttest(tmp_path, "check", "hostile.yaml", "--contract", "api.rsdl", "--format=json")

    assert run.returncode == 1, run.stderr
    report = json.loads(run.stdout)
    reported = {v["index"] for v in report["violations"] if v["rule"] == "response.body.type"}
    assert reported == set(range(len(HOSTILE)))
    assert not _leaks(run.stdout + run.stderr)


# --- the command line ---------------------------------------------------------------------


def _start(cwd: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "contracttest", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(process: subprocess.Popen[str]) -> subprocess.CompletedProcess[str]:
    stdout, stderr = process.communicate(timeout=60)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def contracttest(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m contracttest ARGS`` in ``cwd``."""
    return _finish(_start(cwd, *args))


BAD_URI = "https://[::1/ovirt-engine/api/vms"  # an IPv6 host without its closing bracket
CORRUPT_YAML = "interactions:\n  - request: {method: GET\n"


def make_workspace(folder: Path) -> Path:
    """A folder of good and bad inputs, all named relative to it."""
    (folder / "api.rsdl").write_text(TINY_RSDL)
    (folder / "api.xsd").write_text(TINY_XSD)
    (folder / "hostile.rsdl").write_text(HOSTILE["xxe"])
    write_cassette(folder / "good.yaml", interaction("GET", "vms", response_body="<vms/>"))
    (folder / "corrupt.yaml").write_text(CORRUPT_YAML)
    (folder / "mapping.yaml").write_text("just: a mapping\n")
    (folder / "python-tag.yaml").write_text(
        'interactions: !!python/object/apply:os.system ["touch pwned"]\n'
    )
    (folder / "gzipped.yaml").write_bytes(gzip.compress(b"interactions: []\n"))
    (folder / "no-status.yaml").write_text(
        yaml.safe_dump(
            {
                "interactions": [
                    {"request": {"method": "GET", "uri": "/"}, "response": {"status": "??"}}
                ]
            }
        )
    )
    (folder / "empty-folder").mkdir()
    (folder / "bad-occurs.xsd").write_text(TINY_XSD.replace('minOccurs="0"', 'minOccurs="lots"'))
    write_cassette(
        folder / "bad-uri.yaml",
        interaction("GET", "vms", response_body="<vms/>"),
        {**interaction("GET", "vms"), "request": {"method": "GET", "uri": BAD_URI}},
    )
    return folder


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_workspace(tmp_path_factory.mktemp("workspace"))


@dataclass(frozen=True)
class BadRun:
    id: str
    args: tuple[str, ...]
    problem: str  # regex the one line of stderr must match (after the file name)
    names: str | None = None  # the file the line must name, when there is one
    in_subprocess: bool = False  # through the real entry point; else main() in-process


def check(*paths: str, contract: str = "api.rsdl", extra: tuple[str, ...] = ()) -> tuple[str, ...]:
    return ("check", *paths, "--contract", contract, *extra)


BAD_RUNS = [
    BadRun("corrupt-yaml", check("corrupt.yaml"), r"corrupt YAML: line \d+", "corrupt.yaml", True),
    BadRun("missing-cassette", check("missing.yaml"), r"no such file", "missing.yaml", True),
    BadRun("not-a-cassette", check("mapping.yaml"), r"not a vcrpy cassette", "mapping.yaml", True),
    BadRun(
        "contract-is-xsd",
        check("good.yaml", contract="api.xsd"),
        r"not an RSDL",
        "api.xsd",
        True,
    ),
    BadRun(
        "missing-contract",
        check("good.yaml", contract="missing.rsdl"),
        r"no such file",
        "missing.rsdl",
        True,
    ),
    BadRun(
        "unknown-option",
        check("good.yaml", extra=("--colour",)),
        r"unrecognized arguments: --colour",
        in_subprocess=True,
    ),
    BadRun(
        "unknown-rule",
        check("good.yaml", extra=("--select", "response.stauts")),
        r"unknown rule 'response\.stauts' \(did you mean 'response\.status'\?\)",
        in_subprocess=True,
    ),
    BadRun("gzipped-cassette", check("gzipped.yaml"), r"corrupt YAML", "gzipped.yaml"),
    # The tag is read as the plain list it holds (nothing is called): a list of strings.
    BadRun("python-tag", check("python-tag.yaml"), r"is not a mapping", "python-tag.yaml"),
    BadRun("no-status", check("no-status.yaml"), r"no numeric response status", "no-status.yaml"),
    BadRun("no-cassettes-in-folder", check("empty-folder"), r"no cassettes", "empty-folder"),
    BadRun(
        "contract-is-cassette",
        check("good.yaml", contract="good.yaml"),
        r"not an RSDL",
        "good.yaml",
    ),
    BadRun(
        "contract-with-entities",
        check("good.yaml", contract="hostile.rsdl"),
        r"not an RSDL.*entities",
        "hostile.rsdl",
    ),
    BadRun(
        "schema-is-rsdl",
        check("good.yaml", extra=("--schema", "api.rsdl")),
        r"not an XML schema",
        "api.rsdl",
    ),
    BadRun("contract-command-on-xsd", ("contract", "api.xsd"), r"not an RSDL", "api.xsd"),
    BadRun(
        "schema-with-bad-occurs",
        check("good.yaml", extra=("--schema", "bad-occurs.xsd")),
        r"(?i)occurs",
        "bad-occurs.xsd",
    ),
    BadRun(
        "cassette-with-malformed-uri",
        check("bad-uri.yaml"),
        r"(?i)ur[il]",
        "bad-uri.yaml",
    ),
]

with_bad_runs = pytest.mark.parametrize(
    "bad",
    [pytest.param(bad, id=bad.id) for bad in BAD_RUNS],
)


@pytest.fixture(scope="module")
def subprocess_runs(workspace: Path) -> dict[str, subprocess.CompletedProcess[str]]:
    """The runs through the real entry point, started at once: each pays the start-up."""
    started = {bad.id: _start(workspace, *bad.args) for bad in BAD_RUNS if bad.in_subprocess}
    return {name: _finish(process) for name, process in started.items()}


def _in_process(
    cwd: Path, args: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> subprocess.CompletedProcess[str]:
    monkeypatch.chdir(cwd)
    stdout, stderr = io.StringIO(), io.StringIO()
    with redirect_stdout(stdout), redirect_stderr(stderr):
        code = main(list(args))
    return subprocess.CompletedProcess(args, code, stdout.getvalue(), stderr.getvalue())


@with_bad_runs
def test_bad_input_exits_2_with_one_line(
    workspace: Path,
    subprocess_runs: dict[str, subprocess.CompletedProcess[str]],
    monkeypatch: pytest.MonkeyPatch,
    bad: BadRun,
) -> None:
    if bad.in_subprocess:
        run = subprocess_runs[bad.id]
    else:
        run = _in_process(workspace, bad.args, monkeypatch)

    assert run.returncode == EXIT_USAGE, (run.stdout, run.stderr)
    assert "Traceback" not in run.stderr + run.stdout
    lines = run.stderr.splitlines()
    assert len(lines) == 1, run.stderr
    (line,) = lines
    assert line.startswith("contracttest: error: ")
    if bad.names is not None:
        assert f"{bad.names}: " in line
    assert re.search(bad.problem, line), line
    assert not (workspace / "pwned").exists()
    assert not _leaks(run.stdout + run.stderr)


def test_good_cassette_is_checked_beside_a_corrupt_one(tmp_path: Path) -> None:
    (tmp_path / "api.rsdl").write_text(TINY_RSDL)
    folder = tmp_path / "recorded"
    folder.mkdir()
    write_cassette(
        folder / "readable.yaml",
        interaction("GET", "vms", response_body="<vms/>"),
        interaction("GET", "vms/123", status=201, response_body="<vm/>"),  # a violation
    )
    (folder / "unreadable.yaml").write_text(CORRUPT_YAML)

    run = contracttest(tmp_path, *check("recorded", extra=("--format=json",)))

    assert run.returncode == EXIT_USAGE, (run.stdout, run.stderr)
    assert "Traceback" not in run.stderr
    (line,) = run.stderr.splitlines()
    assert re.search(r"recorded/unreadable\.yaml: corrupt YAML", line), line
    report = json.loads(run.stdout)
    assert (report["cassettes"], report["exchanges"]) == (1, 2)
    assert {(Path(v["cassette"]).name, v["index"], v["rule"]) for v in report["violations"]} >= {
        ("readable.yaml", 1, "response.status")
    }

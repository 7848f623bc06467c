"""The API version the client speaks: chosen by the engine's contract, overridden with
``--engine-api-version``, and spoken on the wire as that version's SDK speaks it.

Real parts only: the embedded engine on loopback serving the real 3.6 contract of the corpus
(and the bundled v4 one), what it received read off its tap, pytest runs of a suite through
the plugin (pytester, in a subprocess), the command line, and the example suite's v3 twin
recorded and replayed from its committed cassettes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from contracttest.client import Client, api_version
from contracttest.engine import EngineServer, HttpRequest, HttpResponse, open_engine
from contracttest.engine.tap import Tap
from contracttest.errors import UsageError
from contracttest.loading import load, locate
from contracttest.plugin.contracts import ContractInUse
from tests.corpus_contracts import RSDL, XSD
from tests.plugin_suite import COUNT_CONNECTIONS, contracttest, outcomes, run

ROOT = Path(__file__).resolve().parent.parent
V3_CASSETTES = ROOT / "cassettes" / "example-v3"
UNKNOWN = "0badc0de-0000-1000-8000-000000000000"

#: A suite written once for both versions: ``status`` and ``wait_for_status`` read either
#: shape, and the client puts ``max`` where the version wants it (v3: a matrix parameter).
SUITE = """
VM = (
    "<vm><name>{name}</name><cluster><name>Default</name></cluster>"
    "<template><name>Blank</name></template></vm>"
)


def test_vm_life_cycle(ovirt_engine):
    vm = ovirt_engine.add("vms", VM.format(name="either-vm"))
    href = vm.get("href")
    assert ovirt_engine.status(ovirt_engine.action(href, "start")) == "complete"
    up = ovirt_engine.wait_for_status(href, "up", interval=0.05)
    assert ovirt_engine.status(up) == "up"
    ovirt_engine.action(href, "stop")
    ovirt_engine.wait_for_status(href, "down", interval=0.05)
    ovirt_engine.remove(href)
    assert ovirt_engine.request("GET", href).status == 404


def test_search_with_max(ovirt_engine):
    found = ovirt_engine.list("clusters", search="name=Def*", max="1")
    assert [c.findtext("name") for c in found] == ["Default"]
"""


# -- helpers ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def v3_contract(corpus: Path) -> tuple[Path, Path]:
    """The real 3.6 RSDL (build-time form: no <version>) and its XSD, read in place."""
    return corpus / RSDL["3.6"], corpus / XSD["3.6"]


@contextmanager
def engine_on_loopback(rsdl: Path | None = None, xsd: Path | None = None) -> Iterator[Any]:
    """The embedded engine of a contract (default: the bundled v4 one), with a tap: yields
    (API URL, tap)."""
    engine = open_engine(rsdl, xsd) if rsdl is not None else open_engine()
    tap = Tap()
    engine.observers.append(tap)
    try:
        with EngineServer(engine.handle) as server:
            yield f"{server.base_url}{engine.prefix}", tap
    finally:
        engine.close()


class BothVersions:
    """A 4.0-4.2 engine: v3 to a client that sends ``Version: 3``, v4 otherwise (its
    default), on one port and one prefix; each half an embedded engine of the real contract."""

    def __init__(self, v3: Any, v4: Any) -> None:
        self.v3, self.v4 = v3, v4

    def _pick(self, request: HttpRequest) -> Any:
        return self.v3 if (request.header("version") or "").strip() == "3" else self.v4

    def handle(self, request: HttpRequest) -> HttpResponse:
        answer: HttpResponse = self._pick(request).handle(request)
        return answer

    def admit(self, request: HttpRequest) -> HttpResponse | int | None:
        answer: HttpResponse | int | None = self._pick(request).admit(request)
        return answer


@contextmanager
def both_versions(corpus: Path) -> Iterator[str]:
    """A 4.x engine speaking both versions (its v3 half serves the real v3 contract of 4.x
    engines): yields its API URL."""
    v3 = open_engine(corpus / RSDL["v3-on-4.x"], corpus / XSD["v3-on-4.x"])
    v4 = open_engine()
    assert v3.prefix == v4.prefix
    try:
        both = BothVersions(v3, v4)
        with EngineServer(both.handle, admit=both.admit) as server:
            yield f"{server.base_url}{v4.prefix}"
    finally:
        v3.close()
        v4.close()


def requests_of(folder: Path) -> list[dict[str, Any]]:
    """Every request recorded in the cassettes under ``folder``."""
    found = []
    for path in sorted(folder.rglob("*.yaml")):
        if path.parent.name != "contract":
            found += [i["request"] for i in yaml.safe_load(path.read_text())["interactions"]]
    return found


def versions_sent(folder: Path) -> set[str | None]:
    """The ``Version`` headers of the API requests (not the SSO login's) recorded there."""
    return {
        (r["headers"].get("Version") or [None])[0]
        for r in requests_of(folder)
        if "/sso" not in r["uri"]
    }


def provenance(folder: Path) -> dict[str, str]:
    path = next(p for p in sorted(folder.rglob("*.yaml")) if p.parent.name != "contract")
    found: dict[str, str] = yaml.safe_load(path.read_text())["contracttest"]
    return found


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


# -- the client on the wire -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("contract", "version", "prefix", "header"),
    [
        ("3.6", 3, "/ovirt-engine/api", "3"),
        ("3.3", 3, "/api", None),  # RHEV-M 3.0-3.2's prefix: clients sent no Version header
        (None, 4, "/ovirt-engine/api", "4"),
    ],
)
def test_the_engine_receives_the_version_its_way(
    corpus: Path, contract: str | None, version: int, prefix: str, header: str | None
) -> None:
    files = (corpus / RSDL[contract], corpus / XSD[contract]) if contract else (None, None)
    with engine_on_loopback(*files) as (url, tap):
        assert url.endswith(prefix)
        client = Client(url, "admin@internal", "ovirt", version=version, keep=False)
        try:
            assert client.get("").status == 200
            query = {"search": "name=Def*", "max": "1", "case_sensitive": "false"}
            assert client.request("GET", "clusters", query=query).status == 200
            assert client.request("DELETE", f"vms/{UNKNOWN}").status == 404
        finally:
            client.close()
    received = [e.request for e in tap.exchanges if "/sso" not in e.request.uri]
    assert [r.header("version") for r in received] == [header] * 3
    root, listing, _ = (r.uri.partition("://")[2].partition("/")[2] for r in received)
    assert f"/{root}" == prefix
    if version == 3:
        assert f"/{listing}" == f"{prefix}/clusters;case_sensitive=false;max=1?search=name%3DDef%2A"
        assert received[2].body == b"<action/>"  # as the v3 SDK sends it with a DELETE
        assert all((r.header("authorization") or "").startswith("Basic ") for r in received)
        assert all(r.header("prefer") == "persistent-auth" for r in received)
    else:
        assert f"/{listing}" == f"{prefix}/clusters?case_sensitive=false&max=1&search=name%3DDef%2A"
        assert received[2].body == b""
        assert all((r.header("authorization") or "").startswith("Bearer ") for r in received)


def test_a_v3_engine_refuses_version_4_with_a_bare_400(v3_contract: tuple[Path, Path]) -> None:
    """The defect this fixes: what a v4 client gets from a v3 engine."""
    with engine_on_loopback(*v3_contract) as (url, _):
        client = Client(url, "admin@internal", "ovirt", version=4, keep=False)
        try:
            assert client.get("").status == 400
        finally:
            client.close()


@pytest.mark.parametrize(("given", "expected"), [("3", 3), (" 4 ", 4), (4, 4)])
def test_an_api_version_value(given: object, expected: int) -> None:
    assert api_version(given) == expected


@pytest.mark.parametrize("given", ["5", "three", "", "3.6", "v3"])
def test_a_bad_api_version_value_is_one_line(given: str) -> None:
    with pytest.raises(UsageError) as error:
        api_version(given)
    assert str(error.value) == (
        f"--engine-api-version {given!r}: expected 3 or 4, the engine API version to speak"
    )


@pytest.mark.parametrize(
    ("contract", "schema", "version"),
    [
        ("3.6", True, 3),  # build-time form, no <version>: the XSD's <status><state> says
        ("3.6", False, 3),  # no XSD either: v3's capabilities collection says
        ("3.3", True, 3),  # served form: <version major="3" minor="3"/>
        ("v3-on-4.x", True, 3),
        (None, True, 4),  # the bundled v4 contract
    ],
)
def test_a_contract_says_which_version_it_is(
    corpus: Path, contract: str | None, schema: bool, version: int
) -> None:
    rsdl = str(corpus / RSDL[contract]) if contract else None
    xsd = str(corpus / XSD[contract]) if contract and schema else None
    source = locate(rsdl, xsd)
    if not schema:
        source = type(source)(source.rsdl, None, source.described)
    assert ContractInUse(load(source)).api_version == version


# -- the plugin -------------------------------------------------------------------------------


def test_a_v3_engine_is_recorded_in_v3_and_replayed_with_no_engine(
    pytester: pytest.Pytester, v3_contract: tuple[Path, Path]
) -> None:
    pytester.makepyfile(test_either=SUITE)
    pytester.makeconftest(COUNT_CONNECTIONS)
    rsdl, xsd = (str(p) for p in v3_contract)
    contract = ["--contract", rsdl, "--contract-schema", xsd]
    recorded = run(pytester, "--engine", "sandbox", "--record-mode", "all", *contract)
    assert outcomes(recorded) == {"passed": 2}, recorded.stdout.str()
    recorded.stdout.fnmatch_lines(["no contract violations"])
    cassettes = pytester.path / "cassettes"
    assert versions_sent(cassettes) == {"3"}
    uris = [r["uri"] for r in requests_of(cassettes)]
    assert all("/ovirt-engine/api" in uri for uri in uris)
    assert any("/clusters;max=1?search=" in uri for uri in uris)
    assert provenance(cassettes)["api_version"] == "3.6"

    for extra in ([], contract):  # the pinned contract, or the corpus file named
        replayed = run(pytester, *extra)
        assert outcomes(replayed) == {"passed": 2}, replayed.stdout.str()
        replayed.stdout.fnmatch_lines(["*(0 recorded, 2 replayed)", "network connections: 0"])
        assert "no contract violations" in replayed.stdout.str()


def test_a_v4_engine_still_gets_v4(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_either=SUITE)
    recorded = run(pytester, "--engine", "sandbox", "--record-mode", "all")
    assert outcomes(recorded) == {"passed": 2}, recorded.stdout.str()
    cassettes = pytester.path / "cassettes"
    assert versions_sent(cassettes) == {"4"}
    assert any("/clusters?max=1&search=" in r["uri"] for r in requests_of(cassettes))


def test_the_option_overrides_the_version_the_contract_says(
    pytester: pytest.Pytester, corpus: Path
) -> None:
    """A 4.x engine serves its v4 contract by default; asked for v3, it speaks v3."""
    pytester.makepyfile(test_either=SUITE)
    with both_versions(corpus) as url:
        login = ["--engine", url, "--engine-password", "ovirt", "--record-mode", "all"]
        own = run(pytester, *login, "--cassette-dir", "own")
        forced = run(pytester, *login, "--cassette-dir", "forced", "--engine-api-version", "3")
    for result in (own, forced):
        assert outcomes(result) == {"passed": 2}, result.stdout.str()
        assert "no contract violations" in result.stdout.str()
    assert versions_sent(pytester.path / "own") == {"4"}
    assert versions_sent(pytester.path / "forced") == {"3"}
    pinned = json.loads((pytester.path / "forced/contract/pin.json").read_text())
    assert pinned["api_version"] == "3.6"

    pytester.makeini("[pytest]\ncassette_dir = forced\nengine_api_version = 3\n")
    assert outcomes(run(pytester)) == {"passed": 2}  # the ini twin; replays need no engine
    wrong = run(pytester, "--engine-api-version", "4")
    assert outcomes(wrong) == {"errors": 2}
    wrong.stdout.fnmatch_lines(
        ["contracttest: this cassette was recorded in API v3 and --engine-api-version *v4*"]
    )


def test_forcing_a_version_the_engine_does_not_speak_is_named(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_either=SUITE)
    result = run(
        pytester, "--engine", "sandbox", "--record-mode", "all", "--engine-api-version", "3"
    )
    assert outcomes(result) == {"errors": 2}, result.stdout.str()
    result.stdout.fnmatch_lines(
        ["*?rsdl: cannot fetch: the engine answered 400 to 'Version: 3': the engine does not "
         "speak API v3 (--engine-api-version forced it*"]
    )  # fmt: skip


@pytest.mark.parametrize(
    ("args", "ini", "named"),
    [
        (["--engine-api-version", "5"], "", "--engine-api-version '5'"),
        (["--engine-api-version", "garbage"], "", "--engine-api-version 'garbage'"),
        ([], "engine_api_version = 5", "engine_api_version = '5'"),
    ],
)
def test_a_bad_version_is_a_one_line_usage_error(
    pytester: pytest.Pytester, args: list[str], ini: str, named: str
) -> None:
    pytester.makepyfile(test_either=SUITE)
    pytester.makeini(f"[pytest]\n{ini}\n")
    result = run(pytester, *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert error_lines(result.stderr.str()) == [
        f"ERROR: contracttest: {named}: expected 3 or 4, the engine API version to speak"
    ]


def test_a_bad_version_is_a_one_line_error_of_the_command() -> None:
    result = contracttest("run", "--engine-api-version", "5")
    assert result.returncode == 2
    assert error_lines(result.stderr) == [
        "contracttest: error: --engine-api-version '5': expected 3 or 4, "
        "the engine API version to speak"
    ]
    assert result.stdout == ""


def test_run_names_a_version_the_embedded_engine_does_not_speak_before_pytest() -> None:
    result = contracttest("run", "--engine-api-version", "3")
    assert result.returncode == 2
    assert error_lines(result.stderr) == [
        "contracttest: error: --engine-api-version 3: the embedded engine serves the bundled "
        "v4 contract, API v4 (leave the option out, or name a v3 contract and its XSD with "
        "--contract)"
    ]
    assert result.stdout == ""


def test_status_reads_both_shapes() -> None:
    from contracttest.api import Engine
    from contracttest.xmlsafe import parse

    assert Engine.status(parse(b"<vm><status>up</status></vm>")) == "up"
    assert Engine.status(parse(b"<vm><status>\n <state>up</state>\n</status></vm>")) == "up"
    assert Engine.status(parse(b"<vm><name>x</name></vm>")) is None


# -- the example suite's v3 twin --------------------------------------------------------------


def test_the_v3_example_replays_clean_from_its_committed_cassettes(
    v3_contract: tuple[Path, Path], tmp_path: Path
) -> None:
    rsdl, xsd = (str(p) for p in v3_contract)
    report = tmp_path / "report.json"
    result = contracttest(
        "run",
        *("--cassette-dir", str(V3_CASSETTES), "--record-mode", "none"),
        *("--contract", rsdl, "--contract-schema", xsd, "--contract-report", str(report)),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    document = json.loads(report.read_text())
    assert document["violations"] == []
    assert document["cassettes"] == {"recorded": 0, "replayed": document["tests"]}
    assert document["tests"] == len(list(V3_CASSETTES.rglob("*.yaml"))) > 20
    assert versions_sent(V3_CASSETTES) == {"3"}


@pytest.mark.parametrize("forced", [[], ["--engine-api-version", "3"]])
def test_the_v3_example_records_clean_against_the_embedded_3_6_engine(
    v3_contract: tuple[Path, Path], tmp_path: Path, forced: list[str]
) -> None:
    rsdl, xsd = (str(p) for p in v3_contract)
    report = tmp_path / "report.json"
    result = contracttest(
        "run",
        "--contract",
        rsdl,
        "--contract-schema",
        xsd,
        "--contract-report",
        str(report),
        *forced,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "recording the example suite (its v3 twin) against the embedded engine" in result.stdout
    document = json.loads(report.read_text())
    assert document["violations"] == []
    assert document["cassettes"] == {"recorded": document["tests"], "replayed": 0}
    assert document["tests"] == len(list(V3_CASSETTES.rglob("*.yaml")))


def test_run_against_a_v3_engine_picks_v3_from_its_contract(
    v3_contract: tuple[Path, Path], tmp_path: Path
) -> None:
    cassettes = tmp_path / "cassettes"
    with engine_on_loopback(*v3_contract) as (url, tap):
        result = contracttest(
            "run",
            *("--engine", url, "--engine-password", "ovirt", "--record-mode", "all"),
            *("--cassette-dir", str(cassettes), "--", "-k", "lifecycle"),
        )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no contract violations" in result.stdout
    assert versions_sent(cassettes) == {"3"}
    assert {e.request.header("version") for e in tap.exchanges if "?rsdl" in e.request.uri} == {
        None  # the contract is fetched in the engine's own version: it says which
    }
    assert (cassettes / "test_lifecycle" / "test_status_and_version_in_v3_shapes.yaml").is_file()

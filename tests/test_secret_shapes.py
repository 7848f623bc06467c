"""Every shape a secret travels in (``tests/secret_shapes.py``), recorded through the plugin:
a suite sends each to a loopback server (and logs in to the embedded engine with the marker
password, SSO and Basic, with cloud-init secrets) with the cassette of the ``ovirt_engine``
fixture. No marker is left in any byte of any file the run wrote (cassettes, the pinned
contract, the JSON report), in any encoding; the cassettes scan clean and still replay. Then
each shape planted by hand in a cassette: ``scan-secrets`` names it (file, interaction, where
it is) and exits 1, and ``contracttest scrub`` leaves no marker and a clean scan."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from contracttest.errors import CassetteError
from contracttest.scan import config_from, scan_cassette_file, scan_secrets_main, scrub_main
from tests.secret_shapes import (
    EXTRA,
    MARKERS,
    PASSWORD,
    SCRUB_FIELD,
    SCRUB_HEADER,
    SECRET,
    SHAPES,
    USER,
    Shape,
    holds,
)

ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENT = {
    "OVIRT_PASSWORD": PASSWORD,
    "OVIRT_USERNAME": USER,
    "CONTRACTTEST_SCRUB_VALUES": EXTRA,
}

SUITE = """
import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.secret_shapes import SECRET, SHAPES


class Answer(BaseHTTPRequestHandler):
    def _answer(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        shape = SHAPES[self.headers["X-Shape"]]
        self.send_response(shape.status, shape.reason)
        for name, value in shape.answer_headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(shape.answer)))
        self.end_headers()
        self.wfile.write(shape.answer)

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


SERVER = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
threading.Thread(target=SERVER.serve_forever, daemon=True).start()
PORT = SERVER.server_address[1]


@pytest.mark.parametrize("shape_id", sorted(SHAPES))
def test_shape(ovirt_engine, shape_id):
    shape = SHAPES[shape_id]
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
    target = shape.path().replace("@HOST/", f"@127.0.0.1:{PORT}/")
    headers = {"X-Shape": shape.id, **dict(shape.headers)}
    connection.request(shape.method, target, body=shape.body or None, headers=headers)
    reply = connection.getresponse()
    reply.read()
    connection.close()
    assert reply.status == shape.status


def test_engine_logins_and_cloud_init(ovirt_engine):
    vm = ovirt_engine.add(
        "vms",
        "<vm><name>shapes</name><cluster><name>Default</name></cluster>"
        "<template><name>Blank</name></template></vm>",
    )
    start = (
        f"<action><vm><initialization><root_password>{SECRET}</root_password>"
        f"<custom_script>users: [{{name: x, passwd: {SECRET}}}]</custom_script>"
        "</initialization></vm></action>"
    )
    ovirt_engine.action(vm.get("href"), "start", start)
    basic = ovirt_engine.session("admin@internal", ovirt_engine.client._password, login="basic")
    assert basic.get("").tag == "api"
    wrong = ovirt_engine.session("admin@internal", "not-the-password", login="basic")
    assert wrong.request("GET", "vms").status == 401
"""

INI = f"""[pytest]
scrub_fields = {SCRUB_FIELD}
scrub_headers = {SCRUB_HEADER}
"""


def _files(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".py"
    }


def _decoded(value: Any) -> list[bytes]:
    """Every text and bytes a YAML document holds, keys included."""
    if isinstance(value, dict):
        return [item for k, v in value.items() for item in (*_decoded(k), *_decoded(v))]
    if isinstance(value, list):
        return [item for v in value for item in _decoded(v)]
    if isinstance(value, str):
        return [value.encode("utf-8", "surrogatepass")]
    if isinstance(value, bytes):
        return [value]
    return []


def assert_no_marker(name: str, data: bytes, markers: tuple[str, ...] = MARKERS) -> None:
    __tracebackhide__ = True
    pieces = [data]
    if name.endswith((".yaml", ".yml")):
        pieces += _decoded(yaml.safe_load(data))
    for marker in markers:
        for piece in pieces:
            assert not holds(piece, marker), f"{marker!r} is in {name}"


def pytest_run(folder: Path, *args: str) -> dict[str, int]:
    """pytest with the plugin in ``folder``, as a user runs it: its outcome counts."""
    environment = {
        **os.environ,
        "CONTRACTTEST_SCRUB_VALUES": EXTRA,
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(folder)]),
    }
    environment.pop("PYTEST_ADDOPTS", None)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
        cwd=folder, env=environment, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    last = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    counts = {w: int(n) for n, w in re.findall(r"(\d+) (passed|failed|errors?|skipped)", last)}
    assert counts == {"passed": len(SHAPES) + 1}, result.stdout[-6000:] + result.stderr[-2000:]
    return counts


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One recording run for the module's tests (recording every shape takes a while)."""
    folder = tmp_path_factory.mktemp("shapes")
    (folder / "test_shapes_suite.py").write_text(SUITE, encoding="utf-8")
    (folder / "pytest.ini").write_text(INI, encoding="utf-8")
    pytest_run(
        folder,
        "--engine", "sandbox",
        "--engine-password", PASSWORD,
        "--record-mode", "all",
        "--contract-report", "report.json",
    )  # fmt: skip
    return folder


def test_no_marker_reaches_any_file_the_run_wrote(recorded: Path) -> None:
    files = _files(recorded)
    cassettes = [
        name for name in files if name.startswith("cassettes/") and "contract/" not in name
    ]
    assert len(cassettes) == len(SHAPES) + 1, sorted(files)
    assert "report.json" in files and "cassettes/contract/pin.json" in files
    for name, data in files.items():
        assert_no_marker(name, data)
    # The SSO answer echoed what was typed as the user; the 401 fault the configured user.
    fault = files["cassettes/test_shapes_suite/test_shape[fault-401-echoing-the-user].yaml"]
    assert_no_marker("the 401 fault", fault, (USER, PASSWORD))
    assert b"scrubbed-user" in fault
    assert (
        b"password=scrubbed-password"
        in files["cassettes/test_shapes_suite/test_engine_logins_and_cloud_init.yaml"]
    )


def test_the_recording_scans_clean_and_replays(recorded: Path) -> None:
    folder = recorded / "cassettes"
    config = config_from([SCRUB_FIELD], [SCRUB_HEADER], ENVIRONMENT)
    leaks = [
        leak for path in sorted(folder.rglob("*.yaml")) for leak in scan_cassette_file(path, config)
    ]
    assert leaks == []
    pytest_run(recorded, "--engine-password", PASSWORD)


# ---------------------------------------------------------------- planted by hand


def planted(shape: Shape) -> dict[str, Any]:
    """The exchange of ``shape`` as a recorder that scrubs nothing keeps it."""
    target = shape.path()
    uri = target if "://" in target else f"http://127.0.0.1:8080{target}"

    def lists(pairs: tuple[tuple[str, str], ...]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for name, value in pairs:
            out.setdefault(name, []).append(value)
        return out

    return {
        "request": {
            "method": shape.method,
            "uri": uri,
            "headers": lists(shape.headers),
            "body": shape.body or None,
        },
        "response": {
            "status": {"code": shape.status, "message": shape.reason},
            "headers": lists(shape.answer_headers),
            "body": {"string": shape.answer},
        },
    }


def plant(folder: Path, shape: Shape) -> Path:
    path = folder / f"{shape.id}.yaml"
    ok = planted(Shape("before", "", method="GET", target="/ovirt-engine/api"))
    document = {"version": 1, "interactions": [ok, planted(shape)]}
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


CONFIG = config_from([SCRUB_FIELD], [SCRUB_HEADER], ENVIRONMENT)


@pytest.mark.parametrize("shape", list(SHAPES.values()), ids=list(SHAPES))
def test_scan_secrets_names_each_shape_planted_by_hand(tmp_path: Path, shape: Shape) -> None:
    path = plant(tmp_path, shape)
    if shape.id == "gzip-beyond-the-inflate-limit":  # unreadable as check reads it: exit 2
        with pytest.raises(CassetteError, match=rf"interaction 1: {shape.where}"):
            scan_cassette_file(path, CONFIG)
        return
    leaks = scan_cassette_file(path, CONFIG)
    assert leaks, shape.id
    assert {leak.index for leak in leaks} == {1}
    assert any(shape.where in str(leak) for leak in leaks), [str(leak) for leak in leaks]
    assert all(str(leak).startswith(f"{path}: interaction 1: ") for leak in leaks)


def test_the_commands_flag_every_shape_then_scrub_them_all(tmp_path: Path) -> None:
    folder = tmp_path / "cassettes"
    folder.mkdir()
    for shape in SHAPES.values():
        plant(folder, shape)
    environment = {**ENVIRONMENT, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "contracttest"]
    names = ["--field", SCRUB_FIELD, "--header", SCRUB_HEADER]
    scan = subprocess.run(
        [*command, "scan-secrets", str(folder), *names],
        capture_output=True, text=True, env=environment, check=False,
    )  # fmt: skip
    assert scan.returncode == 2, scan.stderr  # 1 for the leaks, 2 for the inflate bomb
    flagged = {line.split(".yaml:")[0].rpartition("/")[2] for line in scan.stdout.splitlines()}
    assert flagged >= set(SHAPES) - {"gzip-beyond-the-inflate-limit"}
    assert "gzip-beyond-the-inflate-limit.yaml: interaction 1:" in scan.stderr

    scrub = subprocess.run(
        [*command, "scrub", str(folder), *names],
        capture_output=True, text=True, env=environment, check=False,
    )  # fmt: skip
    assert scrub.returncode == 0, scrub.stderr
    assert f"scrubbed in {len(SHAPES)} cassette(s)" in scrub.stdout.splitlines()[-1]
    for name, data in _files(folder).items():
        assert_no_marker(name, data)
    config = config_from([SCRUB_FIELD], [SCRUB_HEADER], ENVIRONMENT)
    assert scan_secrets_main([str(folder)], config) == 0
    assert scrub_main([str(folder)], config) == 0  # nothing more to do


# ---------------------------------------------------------------- options


@pytest.mark.parametrize(
    ("args", "ini", "env", "line"),
    [
        (["--scrub-header", "X Bad"], "", "", "--scrub-header (scrub_headers): bad secret "
         "header 'X Bad': expected a header name (an HTTP token)"),
        ([], "scrub_headers = a/b", "", "--scrub-header (scrub_headers): bad secret header 'a/b'*"),
        (["--scrub-field", "a/b/c"], "", "", "--scrub-field (scrub_fields): bad secret field*"),
        (["--scrub-value", "abc"], "", "", "--scrub-value (scrub_values, CONTRACTTEST_SCRUB_"
         "VALUES): a value: a secret value of 3 character(s) is too short to search for*"),
        ([], "", "long-enough-value\nabc", "--scrub-value * of 3 character(s) is too short*"),
    ],
)  # fmt: skip
def test_a_bad_secret_option_stops_the_run_in_one_line(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    ini: str,
    env: str,
    line: str,
) -> None:
    monkeypatch.setenv("CONTRACTTEST_SCRUB_VALUES", env)
    pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.makepyfile(test_nothing="def test_nothing():\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [text for text in result.stderr.lines if text.startswith("ERROR")]
    assert len(errors) == 1, result.stderr.lines
    result.stderr.fnmatch_lines([f"ERROR: contracttest: {line}"])


def test_the_settings_plumb_the_password_values_and_user(monkeypatch: pytest.MonkeyPatch) -> None:
    from contracttest.plugin.settings import Settings

    in_url = Settings(
        engine="https://admin%40internal:" + PASSWORD + "@engine.example.com/ovirt-engine/api"
    )
    assert in_url.scrub_config().values == {PASSWORD}  # the password given in the URL
    settings = Settings(
        password=PASSWORD,
        user="me@internal",
        scrub_headers=(SCRUB_HEADER,),
        scrub_values=(EXTRA,),
    )
    config = settings.scrub_config()
    assert config.values == {PASSWORD, EXTRA}
    assert config.identities == {"me@internal"}
    assert SCRUB_HEADER.lower() in config.headers
    assert PASSWORD not in repr(settings) + repr(config)
    assert EXTRA not in repr(settings) + repr(config)
    assert config.fingerprint == Settings(scrub_headers=(SCRUB_HEADER,)).scrub_config().fingerprint


DIRECT = f"""
import base64
import urllib.request


def test_own_client(ovirt_sandbox):
    box = ovirt_sandbox
    auth = base64.b64encode(f"{{box.user}}:{{box.password}}".encode()).decode()
    target = f"{{box.url}}/vms?max=x&password={SECRET}&x_auth_token={SECRET}"
    request = urllib.request.Request(target, headers={{"Authorization": f"Basic {{auth}}"}})
    urllib.request.urlopen(request).read()
"""


def test_violations_of_a_clients_own_traffic_are_reported_scrubbed(
    pytester: pytest.Pytester,
) -> None:
    """The sandbox's traffic with a test's own client is checked, never recorded nor
    scrubbed: what its violations quote is shown scrubbed, on the terminal and in the
    report."""
    pytester.makepyfile(test_direct=DIRECT)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--contract-report", "report.json"
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # the undocumented parameters
    report = (pytester.path / "report.json").read_bytes()
    assert b"request.url.parameter" in report and b"password=scrubbed-password" in report
    assert_no_marker("report.json", report, (SECRET,))
    assert SECRET not in result.stdout.str() + result.stderr.str()


def test_a_password_given_in_the_engine_url_reaches_no_file(pytester: pytest.Pytester) -> None:
    """``--engine https://user:password@...``: the password logs in, and is scrubbed as a
    value (it was configured, in the URL): neither cassettes nor the pinned contract's
    metadata nor the report hold it."""
    from urllib.parse import quote

    from contracttest.engine import EngineServer, open_engine

    engine = open_engine(password=PASSWORD)
    pytester.makepyfile(
        test_url=f"""
def test_root(ovirt_engine):
    assert ovirt_engine.get("").tag == "api"
    reply = ovirt_engine.request("GET", "vms", search="name=x and secret={PASSWORD}")
    assert reply.status == 200
"""
    )
    try:
        with EngineServer(engine.handle) as server:
            userinfo = f"admin%40internal:{quote(PASSWORD, safe='')}"
            url = f"{server.base_url.replace('://', f'://{userinfo}@')}{engine.prefix}"
            result = pytester.runpytest_subprocess(
                "-p", "no:cacheprovider", "--engine", url, "--record-mode", "all",
                "--contract-report", "report.json",
            )  # fmt: skip
    finally:
        engine.close()
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-3000:]
    files = _files(pytester.path)
    assert "cassettes/contract/pin.json" in files and "report.json" in files
    for name, data in files.items():
        assert_no_marker(name, data, (PASSWORD,))
    assert PASSWORD not in result.stdout.str() + result.stderr.str()

"""``contracttest proxy`` with real clients: the ovirtsdk4 SDK (pycurl) in reverse mode and
curl in forward mode, recorded against the embedded engine and replayed with the engine
stopped; the cassette holds no credential and checks clean."""

from __future__ import annotations

import json
import shutil
import subprocess
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from contracttest.cli import build_parser, main
from contracttest.proxy.command import running
from contracttest.scan import scan_cassette_file
from contracttest.scrub import ScrubConfig
from tests.loopback import engine_with_password
from tests.sdk_session import sdk_session

PASSWORD = "px-Secret-42"


def engine() -> AbstractContextManager[str]:
    """The embedded engine on loopback, with a password of its own: its API URL."""
    return engine_with_password(PASSWORD)


def proxy_args(*words: str) -> object:
    return build_parser().parse_args(["proxy", *words])


def test_an_sdk_session_records_then_replays_with_the_engine_stopped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("ovirtsdk4")
    cassette = tmp_path / "cassettes" / "sdk.yaml"
    with engine() as url:
        args = proxy_args(
            "--target", url, "--mode", "record", "--cassette", str(cassette), "--check",
            "--engine-password", PASSWORD,
        )  # fmt: skip
        with running(args) as proxy:
            recorded = sdk_session(proxy.api_url, PASSWORD)
            watch = proxy.watch
        assert watch.violations == [], watch.violations
    assert recorded[0] == 4 and ("fault", 409) in recorded and ("not found", 404) in recorded
    data = cassette.read_bytes()
    assert PASSWORD.encode() not in data
    assert scan_cassette_file(cassette, ScrubConfig().extended(values=[PASSWORD])) == []
    assert (cassette.parent / "contract" / "pin.json").is_file()  # pinned beside it
    assert main(["check", str(cassette.parent)]) == 0
    assert "0 error(s), 0 warning(s)" in capsys.readouterr().out
    # the engine is stopped: the same session, replayed
    with running(proxy_args("--mode", "replay", "--cassette", str(cassette))) as proxy:
        replayed = sdk_session(proxy.api_url, "any password")
        assert proxy.watch.troubles == 0
    assert replayed == recorded


CURL = shutil.which("curl")


def curl(proxy: str, *words: str) -> str:
    """curl as a user runs it with ``http_proxy`` set (libcurl reads the lowercase name)."""
    assert CURL is not None
    done = subprocess.run(
        [CURL, "-s", "-S", "--max-time", "20", *words],
        capture_output=True,
        text=True,
        env={"http_proxy": proxy, "PATH": "/usr/bin:/bin"},
        check=True,
    )
    return done.stdout


def curl_session(proxy: str, api: str) -> list[str]:
    token = json.loads(
        curl(
            proxy,
            "-X",
            "POST",
            "-H",
            "Accept: application/json",
            "-d",
            f"grant_type=password&scope=ovirt-app-api&username=admin@internal&password={PASSWORD}",
            api.replace("/api", "/sso/oauth/token"),
        )
    )["access_token"]
    bearer = ("-H", f"Authorization: Bearer {token}", "-H", "Version: 4")
    return [
        curl(proxy, *bearer, f"{api}/clusters?search=name%3DDefault"),
        curl(
            proxy,
            *bearer,
            "-X",
            "POST",
            "-H",
            "Content-Type: application/xml",
            "-d",
            "<tag><name>curl-tag</name></tag>",
            f"{api}/tags",
        ),
        curl(proxy, *bearer, f"{api}/tags?search=name%3Dcurl-tag"),
    ]


@pytest.mark.skipif(CURL is None, reason="needs the curl command")
def test_curl_through_the_forward_proxy_records_then_replays(tmp_path: Path) -> None:
    cassette = tmp_path / "curl.yaml"
    with engine() as api:
        args = proxy_args("--target", api, "--mode", "record", "--cassette", str(cassette))
        with running(args) as proxy:
            recorded = curl_session(proxy.url, api)
    assert "<name>Default</name>" in recorded[0] and "curl-tag" in recorded[2]
    assert PASSWORD not in cassette.read_text()
    assert "scrubbed-token" in cassette.read_text()
    # the engine is gone: curl names it still, and the proxy answers from the cassette
    with running(proxy_args("--mode", "replay", "--cassette", str(cassette))) as proxy:
        assert curl_session(proxy.url, api) == recorded


FIXTURE_SUITE = """
from sdk_session import sdk_session


def test_sdk_through_the_proxy(ovirt_proxy):
    seen = sdk_session(ovirt_proxy.url, ovirt_proxy.password)
    assert seen[0] == 4 and ("fault", 409) in seen and ("not found", 404) in seen
"""


def test_the_fixture_records_an_sdk_test_then_replays_it_with_no_engine(
    pytester: pytest.Pytester,
) -> None:
    from tests.plugin_suite import COUNT_CONNECTIONS, contracttest, outcomes, run

    pytest.importorskip("ovirtsdk4")
    pytester.makepyfile(
        sdk_session=(Path(__file__).parent / "sdk_session.py").read_text(),
        test_sdk=FIXTURE_SUITE,
    )
    pytester.makeconftest(COUNT_CONNECTIONS)
    recorded = run(pytester, "--engine", "sandbox", "--record-mode", "all")
    assert outcomes(recorded) == {"passed": 1}, recorded.stdout.str()
    assert "network connections: 0" not in recorded.stdout.str()  # it reached the sandbox
    cassette = pytester.path / "cassettes" / "test_sdk" / "test_sdk_through_the_proxy.yaml"
    text = cassette.read_text()
    assert "scrubbed-token" in text and "/diskattachments" in text and "/nics" in text
    assert "0 error(s), 0 warning(s)" in contracttest("check", str(cassette.parent.parent)).stdout
    # no engine now (no --engine), and the proxy reaches for none: no connection at all
    replayed = run(pytester)
    assert outcomes(replayed) == {"passed": 1}, replayed.stdout.str()
    replayed.stdout.fnmatch_lines(["network connections: 0"])
    assert cassette.read_text() == text  # a replay writes nothing


def test_a_test_uses_ovirt_proxy_or_ovirt_engine_not_both(pytester: pytest.Pytester) -> None:
    from tests.plugin_suite import run

    pytester.makepyfile(test_both="def test_both(ovirt_engine, ovirt_proxy):\n    pass\n")
    result = run(pytester)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*ovirt_engine or ovirt_proxy, not both*"])

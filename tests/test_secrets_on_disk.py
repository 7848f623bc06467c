"""Secrets never reach disk: a recording with a known password, an SSO token and a cloud-init
root password leaves none of them under the cassette folder; ``contracttest scan-secrets``
finds them in a cassette recorded without scrubbing (plain vcrpy)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.plugin_suite import contracttest, outcomes, run

PASSWORD = "Kn0wn-engine-passw0rd"
ROOT_PASSWORD = "R00t-cloud-init-s3cret"
SCRIPT_SECRET = "script-token-5f2a9c"
ANSWER = "extra-field-7d1e"

SUITE = f"""
import pathlib

VM = (
    "<vm><name>secret-vm</name><description>{ANSWER}</description>"
    "<cluster><name>Default</name></cluster><template><name>Blank</name></template></vm>"
)
START = (
    "<action><vm><initialization><host_name>secret-vm.example.com</host_name>"
    "<root_password>{ROOT_PASSWORD}</root_password>"
    "<custom_script>#cloud-config\\nwrite_files:\\n- content: {SCRIPT_SECRET}\\n</custom_script>"
    "</initialization></vm></action>"
)


def test_start_with_cloud_init(ovirt_engine):
    engine = ovirt_engine
    vm = engine.add("vms", VM)
    engine.action(vm.get("href"), "start", START)
    engine.wait_for_status(vm.get("href"), "up", interval=0.05)
    # The token the engine issued to this client, for the outer test to look for.
    pathlib.Path("token.txt").write_text(engine.client._token)
"""


def _everything_under(folder: Path) -> bytes:
    return b"\n".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def test_no_secret_reaches_the_cassette_folder(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_secrets=SUITE)
    pytester.makeini("[pytest]\nscrub_fields = description\n")  # the user-extensible list
    result = run(
        pytester, "--engine", "sandbox", "--engine-password", PASSWORD, "--record-mode", "all"
    )
    assert outcomes(result) == {"passed": 1}, result.stdout.str()
    token = (pytester.path / "token.txt").read_text()
    assert len(token) > 16
    stored = _everything_under(pytester.path / "cassettes")
    assert b"<root_password>scrubbed-root_password</root_password>" in stored
    for secret in (PASSWORD, token, ROOT_PASSWORD, SCRIPT_SECRET, ANSWER):
        assert secret.encode() not in stored, secret
    # Nor base64'd inside a Basic header, nor URL-encoded in the SSO form.
    import base64
    from urllib.parse import quote_plus

    assert base64.b64encode(f"admin@internal:{PASSWORD}".encode()) not in stored
    assert quote_plus(PASSWORD).encode() not in stored
    scan = contracttest("scan-secrets", str(pytester.path / "cassettes"))
    assert scan.returncode == 0, scan.stdout + scan.stderr
    # And the replay still matches, scrubbed as it is.
    assert outcomes(run(pytester)) == {"passed": 1}


def test_scan_secrets_finds_what_plain_vcrpy_recorded(tmp_path: Path) -> None:
    import vcr

    from contracttest.client import Client
    from contracttest.engine import EngineServer, open_engine

    engine = open_engine(password=PASSWORD)
    leaky = tmp_path / "leaky.yaml"
    with EngineServer(engine.handle) as server:
        url = f"{server.base_url}{engine.prefix}"
        with vcr.use_cassette(str(leaky), record_mode="all"):
            sso = Client(url, "admin@internal", PASSWORD, keep=False)
            sso.get("")
            sso.close()
            basic = Client(url, "admin@internal", PASSWORD, login="basic", keep=False)
            basic.get("")
            basic.close()
    engine.close()
    assert PASSWORD.encode() in leaky.read_bytes()
    scan = contracttest("scan-secrets", str(tmp_path))
    assert scan.returncode == 1, scan.stdout + scan.stderr
    found = scan.stdout
    assert "request header Authorization" in found
    assert "password" in found
    assert "access_token" in found
    assert found.strip().splitlines()[-1].endswith("in 1 cassette(s)")

"""``contracttest scrub PATH...``: the secrets of older recordings replaced in place. A cassette
plain vcrpy recorded (SSO and Basic logins, cloud-init secrets, a gzip answer) comes out with
no secret, everything else kept, and still replays through ``RecordingCassette`` with another
password; the file is replaced atomically (the old one or the whole new one, never a part),
keeps its permissions and symlink, and a second run changes nothing. Bad input is one line
and exit 2, the other files still scrubbed."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import vcr  # type: ignore[import-untyped]
import yaml

from contracttest import pin
from contracttest.client import Client
from contracttest.engine import EngineServer, open_engine
from contracttest.offline import network_blocked
from contracttest.recording import RecordingCassette
from contracttest.scan import scan_secrets_main, scrub_main
from contracttest.scrub import ScrubConfig
from tests import plugin_suite

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Mv8-older-recording-pw"
ROOT_PASSWORD = "Rt5-cloud-init-secret"
VM = (
    "<vm><name>old-{login}</name><cluster><name>Default</name></cluster>"
    "<template><name>Blank</name></template></vm>"
)
START = (
    f"<action><vm><initialization><root_password>{ROOT_PASSWORD}</root_password>"
    "</initialization></vm></action>"
)


def session(client: Client, login: str) -> None:
    """What an older suite did: log in, read, add a VM, start it with cloud-init."""
    assert client.get("").status == 200
    vm = client.add("vms", VM.format(login=login))
    href = vm.root.get("href") if vm.root is not None else None
    assert href
    assert client.action(href, "start", START).status == 200
    assert client.get("clusters", search="name=Default").status == 200


@pytest.fixture
def engine_url() -> Iterator[str]:
    engine = open_engine(password=PASSWORD)
    with EngineServer(engine.handle) as server:
        yield f"{server.base_url}{engine.prefix}"
    engine.close()


def leaky(path: Path, url: str) -> Path:
    """A cassette plain vcrpy recorded: every secret in it."""
    with vcr.use_cassette(str(path), record_mode="all", decode_compressed_response=False):
        for login in ("sso", "basic"):
            client = Client(url, "admin@internal", PASSWORD, login=login, keep=False)
            session(client, login)
            client.close()
    data = path.read_bytes()
    assert PASSWORD.encode() in data and ROOT_PASSWORD.encode() in data
    return path


def contracttest(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    environment = {"PYTHONPATH": str(ROOT), "OVIRT_PASSWORD": PASSWORD}
    return plugin_suite.contracttest(*args, env=environment, cwd=cwd)


def replay(path: Path, password: str) -> None:
    for login in ("sso", "basic"):
        with (
            network_blocked("test"),
            RecordingCassette.use(path=str(path), mode="none", display=path.name),
        ):
            client = Client(
                "https://engine.invalid/ovirt-engine/api", "admin@internal", password,
                login=login, keep=False,
            )  # fmt: skip
            session(client, login)
            client.close()


def test_scrub_in_place_keeps_what_is_not_secret_and_still_replays(
    engine_url: str, tmp_path: Path
) -> None:
    path = leaky(tmp_path / "old.yaml", engine_url)
    before = yaml.safe_load(path.read_text())
    done = contracttest("scrub", str(path))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert f"{path}: interaction 0: request body field password scrubbed" in lines
    assert any("request header Authorization scrubbed" in line for line in lines)
    assert any("/vm/initialization/root_password scrubbed" in line for line in lines)
    assert lines[-1].endswith("scrubbed in 1 cassette(s)")
    text = path.read_text()
    for secret in (PASSWORD, ROOT_PASSWORD):
        assert secret not in text
    after = yaml.safe_load(text)
    # Everything else is as it was: the same interactions, methods, statuses, and every
    # answer without a secret byte for byte.
    assert after.keys() == before.keys()
    old, new = before["interactions"], after["interactions"]
    assert [(i["request"]["method"], i["response"]["status"]) for i in new] == [
        (i["request"]["method"], i["response"]["status"]) for i in old
    ]
    same = [
        o["response"]["body"] == n["response"]["body"]
        for o, n in zip(old, new, strict=True)
        if b"token" not in str(o["response"]["body"]).encode()
        and b"root_password" not in str(o["response"]["body"]).encode()
    ]
    assert same and all(same)
    assert contracttest("scan-secrets", str(path)).returncode == 0
    replay(path, "another-password")


def test_a_second_scrub_changes_nothing(engine_url: str, tmp_path: Path) -> None:
    path = leaky(tmp_path / "old.yaml", engine_url)
    assert scrub_main([str(path)], ScrubConfig().extended(values=[PASSWORD])) == 0
    once, mtime = path.read_bytes(), path.stat().st_mtime_ns
    again = contracttest("scrub", str(path))
    assert (again.returncode, again.stdout) == (0, "no credentials in 1 cassette(s)\n")
    assert path.read_bytes() == once and path.stat().st_mtime_ns == mtime


def test_a_failed_write_leaves_the_old_file_whole(
    engine_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    path = leaky(tmp_path / "old.yaml", engine_url)
    original = path.read_bytes()
    written: list[bytes] = []

    def crash(source: str, target: str) -> None:
        written.append(Path(source).read_bytes())
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pin.os, "replace", crash)
    assert scrub_main([str(path)]) == 2
    _, err = capsys.readouterr()
    assert err == f"contracttest: error: {path}: cannot be written: No space left on device\n"
    assert path.read_bytes() == original  # the old file, whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.yaml"]  # no temporary left
    assert written and PASSWORD.encode() not in written[0]  # what would have replaced it
    monkeypatch.undo()
    assert scrub_main([str(path)]) == 0
    assert PASSWORD.encode() not in path.read_bytes()


def test_permissions_and_symlinks_are_kept(engine_url: str, tmp_path: Path) -> None:
    real = leaky(tmp_path / "real.yaml", engine_url)
    real.chmod(0o640)
    link = tmp_path / "cassettes" / "link.yaml"
    link.parent.mkdir()
    link.symlink_to(real)
    assert scrub_main([str(link)]) == 0
    assert link.is_symlink() and link.resolve() == real
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert PASSWORD.encode() not in real.read_bytes()


def test_vcrpy_still_reads_what_scrub_wrote(tmp_path: Path) -> None:
    from vcr.request import Request  # type: ignore[import-untyped]
    from vcr.serialize import deserialize, serialize  # type: ignore[import-untyped]
    from vcr.serializers import yamlserializer  # type: ignore[import-untyped]

    requests = [
        Request("POST", "https://e/ovirt-engine/sso/oauth/token", b"password=pw-123456", {}),
        Request("GET", "https://e/ovirt-engine/api", None, {"Authorization": "Bearer t0ken"}),
    ]
    responses = [
        {"status": {"code": 200, "message": "OK"}, "headers": {}, "body": {"string": b"{}"}},
        {"status": {"code": 200, "message": "OK"}, "headers": {}, "body": {"string": b"<api/>"}},
    ]
    path = tmp_path / "vcrpy.yaml"
    path.write_text(serialize({"requests": requests, "responses": responses}, yamlserializer))
    assert scrub_main([str(path)]) == 0
    loaded, played = deserialize(path.read_text(), yamlserializer)
    assert [r.uri for r in loaded] == [r.uri for r in requests]
    assert loaded[0].body == b"password=scrubbed-password"
    assert loaded[1].headers["Authorization"] == "Bearer scrubbed-authorization"
    assert [p["body"]["string"] for p in played] == [b"{}", b"<api/>"]


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda d: d / "missing.yaml", "missing.yaml: no such file"),
        (lambda d: _write(d / "corrupt.yaml", "interactions:\n  - request: {method: GET\n"),
         "corrupt.yaml: corrupt YAML: line"),
        (lambda d: _write(d / "plain.yaml", "interactions: {a: 1}\n"),
         "plain.yaml: not a vcrpy cassette"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_exit_2_and_the_rest_is_scrubbed(
    engine_url: str, tmp_path: Path, make: Any, problem: str
) -> None:
    good = leaky(tmp_path / "good.yaml", engine_url)
    bad = make(tmp_path)
    before = bad.read_bytes() if bad.exists() else None
    done = contracttest("scrub", str(bad), str(good))
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert line.startswith("contracttest: error: ") and problem in line, line
    assert PASSWORD.encode() not in good.read_bytes()
    if before is not None:
        assert bad.read_bytes() == before


def test_no_cassette_and_bad_options_are_one_line(tmp_path: Path) -> None:
    empty = contracttest("scrub", str(tmp_path))
    assert (empty.returncode, empty.stderr) == (
        2,
        f"contracttest: error: {tmp_path}: no cassettes (*.yaml, *.yml) found\n",
    )
    bad = contracttest("scrub", str(tmp_path), "--header", "a b")
    assert bad.returncode == 2
    assert bad.stderr == (
        "contracttest: error: bad secret header 'a b': expected a header name (an HTTP token)\n"
    )
    short = subprocess.run(
        [sys.executable, "-m", "contracttest", "scan-secrets", str(tmp_path)],
        capture_output=True, text=True, check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT), "CONTRACTTEST_SCRUB_VALUES": "abc"},
    )  # fmt: skip
    assert short.returncode == 2
    assert short.stderr.startswith(
        "contracttest: error: CONTRACTTEST_SCRUB_VALUES: a secret value of 3 character(s) is "
        "too short"
    )
    assert len(short.stderr.splitlines()) == 1


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_scan_secrets_and_scrub_share_one_notion(engine_url: str, tmp_path: Path) -> None:
    """What scan-secrets flags is exactly what scrub replaces."""
    path = leaky(tmp_path / "old.yaml", engine_url)
    scanned = contracttest("scan-secrets", str(path))
    scrubbed = contracttest("scrub", str(path))
    flagged = [line.removesuffix(" holds a credential") for line in scanned.stdout.splitlines()]
    replaced = [line.removesuffix(" scrubbed") for line in scrubbed.stdout.splitlines()]
    assert flagged[:-1] == replaced[:-1] and len(flagged) > 10
    assert scan_secrets_main([str(path)]) == 0


def test_vcrpy_python_tags_come_out_as_plain_bodies_vcrpy_reads(tmp_path: Path) -> None:
    """vcrpy writes a file-like request body as ``!!python/object/new:_io.BytesIO``: scrubbed,
    it is plain text (the one YAML writer writes no Python tags), and vcrpy reads it alike."""
    from vcr.serialize import deserialize  # type: ignore[import-untyped]
    from vcr.serializers import yamlserializer  # type: ignore[import-untyped]

    from tests.test_scrub import leaky_cassette, write_cassette

    path = write_cassette(tmp_path / "leaky.yaml", *leaky_cassette())
    assert "!!python/object/new:_io.BytesIO" in path.read_text()
    assert scrub_main([str(path)]) == 0
    text = path.read_text()
    assert "!!python" not in text
    requests, _ = deserialize(text, yamlserializer)
    assert requests[3].body == b"scope=ovirt-app-api&token=scrubbed-token"
    assert scan_secrets_main([str(path)]) == 0

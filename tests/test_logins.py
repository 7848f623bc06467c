"""Logins while recording, at the level of ``RecordingCassette``: a real client, real vcrpy
patches, the embedded engine on loopback, cassette files on disk."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
import yaml

from contracttest import client, logins
from contracttest.client import Client
from contracttest.recording import RecordingCassette, ReplayedCredential
from tests.loopback import engine_with_password

PASSWORD = "logins-pw"


@pytest.fixture(scope="module")
def live() -> Iterator[str]:
    with engine_with_password(PASSWORD) as url:
        yield url


def test_the_sso_paths_are_the_clients() -> None:
    assert client.SSO_TOKEN_PATH.startswith(logins.SSO_PREFIX)
    assert client.SSO_LOGOUT_PATH == logins.SSO_LOGOUT


@pytest.mark.parametrize(
    ("uri", "headers", "expected"),
    [
        ("https://e/ovirt-engine/sso/oauth/token", {}, True),
        ("https://e/ovirt-engine/sso/oauth/token-http-auth", {}, True),
        ("https://e/ovirt-engine/services/sso-logout", {}, True),
        ("https://e/ovirt-engine/api/vms", {"Authorization": "Basic YTpi"}, True),
        ("https://e/ovirt-engine/api/vms", {"authorization": ["Negotiate abc"]}, True),
        ("https://e/ovirt-engine/api/vms", {"Authorization": "Bearer tok"}, False),
        ("https://e/ovirt-engine/api/vms", {"Cookie": "JSESSIONID=abc"}, False),
        ("https://e/ovirt-engine/api/vms", {}, False),
    ],
)
def test_which_requests_log_in(uri: str, headers: dict[str, object], expected: bool) -> None:
    assert logins.authenticates(SimpleNamespace(uri=uri, headers=headers)) is expected


def _record(path: Path, url: str, mode: str, *paths: str, **kwargs: object) -> None:
    with RecordingCassette.use(path=str(path), mode=mode, **kwargs):
        engine = Client(url, "admin@internal", PASSWORD, keep=False)
        for target in paths:
            assert engine.get(target).status == 200
        engine.close()


def _requests(path: Path) -> list[str]:
    document = yaml.safe_load(path.read_text())
    return [urlsplit(i["request"]["uri"]).path for i in document["interactions"]]


def test_new_episodes_logs_in_live_and_records_the_login_once(live: str, tmp_path: Path) -> None:
    path = tmp_path / "grow.yaml"
    _record(path, live, "all", "clusters")
    _record(path, live, "new_episodes", "clusters", "datacenters")  # a 401 would fail here
    assert _requests(path) == [
        "/ovirt-engine/sso/oauth/token",
        "/ovirt-engine/api/clusters",
        "/ovirt-engine/services/sso-logout",
        "/ovirt-engine/api/datacenters",
    ]
    codes = [
        i["response"]["status"]["code"] for i in yaml.safe_load(path.read_text())["interactions"]
    ]
    assert codes == [200, 200, 200, 200]


def test_a_credential_played_from_the_file_never_reaches_the_engine(
    live: str, tmp_path: Path
) -> None:
    path = tmp_path / "cookie.yaml"
    _record(path, live, "all", "clusters")
    before = path.read_bytes()
    parts = urlsplit(live)
    with (
        RecordingCassette.use(path=str(path), mode="new_episodes"),
        pytest.raises(ReplayedCredential) as refused,
    ):
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        connection.request(
            "GET", f"{parts.path}/datacenters", headers={"Cookie": "JSESSIONID=scrubbed-cookie"}
        )
        connection.getresponse()
    assert str(refused.value).splitlines() == [
        "contracttest: a request would reach the engine with a credential played from the cassette",
        f"  cassette:  {path} (record mode new_episodes)",
        "  request:   GET /ovirt-engine/api/datacenters",
        "  carries:   Cookie: a scrubbed placeholder, which the engine refuses (401)",
        "  why:       the client logged in in a way contracttest does not send live (SSO and "
        "Basic are); record it with --record-mode all",
    ]
    assert path.read_bytes() == before  # the block raised: nothing written


def test_held_recordings_wait_for_commit(live: str, tmp_path: Path) -> None:
    path = tmp_path / "held.yaml"
    with RecordingCassette.use(path=str(path), mode="all", hold=True) as cassette:
        engine = Client(live, "admin@internal", PASSWORD, keep=False)
        engine.get("clusters")
        engine.close()
    assert not path.exists() and cassette.pending
    cassette.commit()
    assert _requests(path)[1] == "/ovirt-engine/api/clusters"
    assert cassette.pending is None


def test_rewrite_of_a_test_that_makes_no_request_removes_its_cassette(
    live: str, tmp_path: Path
) -> None:
    path = tmp_path / "gone.yaml"
    _record(path, live, "all", "clusters")
    _record(path, live, "all")  # all: a recording of nothing leaves the cassette
    assert path.is_file()
    _record(path, live, "rewrite")
    assert not path.exists()

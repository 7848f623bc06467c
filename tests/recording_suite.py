"""Suites recorded by the record-mode, interruption and cleanup tests, written as a user
would, and what to read back from the cassettes they leave."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from contracttest.exchange import request_target

PASSWORD = "s3cret-pw"
ENGINE = ("--engine", "sandbox", "--engine-password", PASSWORD)

TOKEN = ("POST", "/ovirt-engine/sso/oauth/token")
LOGOUT = ("POST", "/ovirt-engine/services/sso-logout")
ROOT = ("GET", "/ovirt-engine/api")
CLUSTERS = ("GET", "/ovirt-engine/api/clusters?search=name%3DDefault")
DATACENTERS = ("GET", "/ovirt-engine/api/datacenters?search=name%3DDefault")

#: One test per way to log in to the engine: SSO bearer token (the fixture's own client),
#: HTTP Basic on every request, and a persistent-auth session carried by its cookie. Each
#: reads the API root and a search; the grown suite (``GROWN = True``) reads one more
#: search; ``test_quiet`` reads the root, and nothing once grown.
LOGINS = '''
import base64
import http.cookiejar
import urllib.request

GROWN = False


def _searched(found):
    return [element.findtext("name") for element in found]


def test_sso(ovirt_engine):
    assert ovirt_engine.get("").tag == "api"
    assert _searched(ovirt_engine.list("clusters", search="name=Default")) == ["Default"]
    if GROWN:
        assert _searched(ovirt_engine.list("datacenters", search="name=Default")) == ["Default"]


def test_basic(ovirt_engine, contracttest_config):
    password = contracttest_config.password or "replayed"
    basic = ovirt_engine.session(contracttest_config.user, password, login="basic")
    try:
        assert basic.get("").tag == "api"
        assert _searched(basic.list("clusters", search="name=Default")) == ["Default"]
        if GROWN:
            assert _searched(basic.list("datacenters", search="name=Default")) == ["Default"]
    finally:
        basic.close()


def test_cookie(ovirt_engine, contracttest_config):
    """Basic with Prefer: persistent-auth once, then the JSESSIONID cookie alone."""
    password = contracttest_config.password or "replayed"
    pair = base64.b64encode(f"{contracttest_config.user}:{password}".encode()).decode()
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def get(path, login=False):
        headers = {"Accept": "application/xml", "Version": "4", "Prefer": "persistent-auth"}
        if login:
            headers["Authorization"] = f"Basic {pair}"
        url = f"{ovirt_engine.url}/{path}" if path else ovirt_engine.url
        with opener.open(urllib.request.Request(url, headers=headers), timeout=10) as reply:
            return reply.status, reply.read()

    assert get("", login=True)[0] == 200
    assert [cookie.name for cookie in jar] == ["JSESSIONID"]
    status, body = get("clusters?search=name%3DDefault")
    assert status == 200 and b"<name>Default</name>" in body
    if GROWN:
        status, body = get("datacenters?search=name%3DDefault")
        assert status == 200 and b"<name>Default</name>" in body


def test_quiet(ovirt_engine):
    if not GROWN:
        ovirt_engine.get("")
'''

GROWN = LOGINS.replace("GROWN = False", "GROWN = True")
TESTS = ("test_sso", "test_basic", "test_cookie", "test_quiet")


def write(pytester: pytest.Pytester, text: str, name: str = "test_logins") -> None:
    pytester.makepyfile(**{name: text})


def interactions(path: Path) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = yaml.safe_load(path.read_bytes())["interactions"]
    return found


def requests(path: Path) -> list[tuple[str, str]]:
    """The (method, path and query) of every exchange of a cassette, in the file's order."""
    return [
        (item["request"]["method"], request_target(item["request"]["uri"]))
        for item in interactions(path)
    ]


def statuses(path: Path) -> list[int]:
    return [int(item["response"]["status"]["code"]) for item in interactions(path)]


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every cassette under ``folder`` (the pinned contract left out), by relative path."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*.yaml"))
        if p.is_file() and "contract" not in p.relative_to(folder).parts
    }

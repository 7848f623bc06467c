"""A JSON client of its own (plain ``urllib``) records, replays and is checked through the
plugin; its JSON secrets never reach the cassette; ``engine.json`` and
``--engine-representation json`` speak JSON; ``check`` reports per representation."""

from __future__ import annotations

import json

import pytest

from tests.plugin_suite import cassettes, contracttest, outcomes, run

JSON_CLIENT = r"""
import base64
import json
import urllib.error
import urllib.request


def call(engine, method, path, body=None):
    pair = base64.b64encode(b"admin@internal:ovirt").decode()
    headers = {"Accept": "application/json", "Version": "4", "Authorization": f"Basic {pair}"}
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(
        f"{engine.url}/{path}", data=data, method=method, headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, json.loads(reply.read() or b"{}")
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read() or b"{}")


def test_tags_in_json(ovirt_engine):
    status, tag = call(ovirt_engine, "POST", "tags", {"name": "json-tag"})
    assert status == 201 and tag["name"] == "json-tag"
    status, tags = call(ovirt_engine, "GET", "tags")
    assert "json-tag" in [t["name"] for t in tags["tag"]]
    assert call(ovirt_engine, "DELETE", f"tags/{tag['id']}")[0] == 200


def test_secrets_in_json(ovirt_engine):
    status, hosts = call(ovirt_engine, "GET", "hosts")
    host = hosts["host"][0]["id"]
    body = b'{"root_password": "s3cret-plain", "async": "false"}'
    call(ovirt_engine, "POST", f"hosts/{host}/install", body)
    escaped = b'{"root_\\u0070assword": "s3cret-escaped"}'
    call(ovirt_engine, "POST", f"hosts/{host}/install", escaped)


def test_the_fixture_in_json(ovirt_engine):
    api = ovirt_engine.json.get("")
    assert "vms" not in api or isinstance(api, dict)
    vms = ovirt_engine.json.list("vms", search="name=none-such")
    assert vms == []


def test_a_wrapped_body(ovirt_engine):
    status, fault = call(ovirt_engine, "POST", "tags", {"tag": {"name": "wrapped"}})
    assert status == 400 and fault["reason"] == "Request syntactically incorrect."
"""


def test_a_json_client_records_replays_and_is_checked(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_json_client=JSON_CLIENT)
    recorded = run(pytester, "--engine", "sandbox", "--record-mode", "all")
    assert outcomes(recorded) == {"passed": 3, "failed": 1}, recorded.stdout.str()
    recorded.stdout.fnmatch_lines(
        ["*_ test_a_wrapped_body _*", "*[[]error[]] json.root-wrapper: request body: *"]
    )
    folder = pytester.path / "cassettes"
    files = cassettes(folder)
    assert sorted(files) == [
        "test_json_client/test_a_wrapped_body.yaml",
        "test_json_client/test_secrets_in_json.yaml",
        "test_json_client/test_tags_in_json.yaml",
        "test_json_client/test_the_fixture_in_json.yaml",
    ]
    written = b"".join(files.values())
    assert b"s3cret" not in written and b"YWRtaW5AaW50ZXJuYWw6b3ZpcnQ" not in written
    assert files["test_json_client/test_secrets_in_json.yaml"].count(b"scrubbed-root_") >= 2
    assert b"application/json" in files["test_json_client/test_tags_in_json.yaml"]

    replayed = run(pytester, "--record-mode", "none")
    assert outcomes(replayed) == {"passed": 3, "failed": 1}, replayed.stdout.str()
    replayed.stdout.fnmatch_lines(
        [
            "*[[]error[]] json.root-wrapper: request body: *",
            "*exchanges checked in 4 cassettes (0 recorded, 4 replayed)",
        ]
    )
    assert cassettes(folder) == files  # replaying wrote nothing

    checked = contracttest("check", str(folder), "--format", "json")
    assert checked.returncode == 1, checked.stdout + checked.stderr  # the wrapped body
    document = json.loads(checked.stdout)
    assert document["counts"] == {"json.root-wrapper": 1}
    assert document["representations"] == {
        "json": {"exchanges": 10, "errors": 1, "warnings": 0},
        "none": {"exchanges": 1, "errors": 0, "warnings": 0},  # the DELETE: no body either way
    }
    text = contracttest("check", str(folder)).stdout
    assert "by representation: JSON 10 exchange(s), 1 error(s), 0 warning(s)" in text, text


SUITE_IN_JSON = """
def test_tag_in_json(ovirt_engine):
    assert ovirt_engine.representation == "json"
    tag = ovirt_engine.add("tags", "<tag><name>j</name></tag>")
    assert (tag.tag, tag.findtext("name")) == ("tag", "j")
    assert "j" in [t.findtext("name") for t in ovirt_engine.list("tags")]
"""


def test_the_fixture_speaks_json_when_asked(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_suite=SUITE_IN_JSON)
    result = run(
        pytester, "--engine", "sandbox", "--record-mode", "all", "--engine-representation", "json"
    )
    assert outcomes(result) == {"passed": 1}, result.stdout.str()
    recorded = cassettes(pytester.path / "cassettes")["test_suite/test_tag_in_json.yaml"]
    assert b"Accept:\n      - application/json" in recorded

"""Reading vcrpy cassettes: every body form vcrpy ever wrote, real recordings, and bad files."""

from __future__ import annotations

import gzip
import urllib.request
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
import vcr  # type: ignore[import-untyped]
import yaml

from contracttest import Cassette, CassetteError, load_cassette
from contracttest.bodies import MAX_BODY
from contracttest.cassette import cassette_from_data, cassette_from_yaml, find_cassettes
from tests.assertions import assert_one_line_error
from tests.corpus_contracts import vcrpy_cassettes
from tests.loopback import serving

XML = (
    b'<?xml version="1.0" encoding="UTF-8"?><vms><vm id="1" href="/ovirt-engine/api/vms/1"/></vms>'
)


def interaction(
    body: object = None,
    headers: object = None,
    status: object = None,
    request_body: object = None,
    request_headers: object = None,
    method: str = "GET",
    uri: str = "https://engine.example.com/ovirt-engine/api/vms",
) -> dict[str, Any]:
    return {
        "request": {
            "method": method,
            "uri": uri,
            "body": request_body,
            "headers": request_headers if request_headers is not None else {},
        },
        "response": {
            "status": status if status is not None else {"code": 200, "message": "OK"},
            "headers": headers if headers is not None else {},
            "body": body if body is not None else {"string": ""},
        },
    }


def write(tmp_path: Path, *interactions: dict[str, Any], name: str = "c.yaml") -> Path:
    """A cassette file, dumped by PyYAML the way vcrpy does (bytes become !!binary)."""
    path = tmp_path / name
    path.write_text(yaml.dump({"interactions": list(interactions), "version": 1}))
    return path


def test_text_body(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        interaction(
            body={"string": XML.decode()},
            headers={"Content-Type": ["application/xml;charset=UTF-8"]},
        ),
    )
    cassette = load_cassette(path)
    assert isinstance(cassette, Cassette)
    assert cassette.path == str(path)
    (exchange,) = cassette.exchanges
    assert exchange.response.body == XML
    assert exchange.response.status == 200 and exchange.response.reason == "OK"
    assert exchange.response.content_type == "application/xml"
    assert exchange.request.method == "GET"
    assert exchange.request.uri == "https://engine.example.com/ovirt-engine/api/vms"
    assert exchange.request.body == b""
    assert (exchange.index, exchange.cassette) == (0, str(path))


@pytest.mark.parametrize("encoding", ["gzip", "GZIP", "x-gzip", "deflate"])
def test_binary_compressed_body(tmp_path: Path, encoding: str) -> None:
    compressed = gzip.compress(XML) if "gzip" in encoding.lower() else zlib.compress(XML)
    path = write(
        tmp_path,
        interaction(
            body={"string": compressed},
            headers={"Content-Encoding": [encoding], "Content-Type": ["application/xml"]},
        ),
    )
    assert "!!binary" in path.read_text()
    assert load_cassette(path).exchanges[0].response.body == XML


def test_binary_body_without_encoding_is_kept(tmp_path: Path) -> None:
    raw = bytes(range(256))
    path = write(tmp_path, interaction(body={"string": raw}))
    assert "!!binary" in path.read_text()
    assert load_cassette(path).exchanges[0].response.body == raw


def test_gzip_header_with_an_already_decoded_body(tmp_path: Path) -> None:
    """Response-only recorders kept Content-Encoding: gzip with the decompressed text."""
    path = write(
        tmp_path,
        interaction(body={"string": XML.decode()}, headers={"content-encoding": ["gzip"]}),
    )
    assert load_cassette(path).exchanges[0].response.body == XML


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"string": XML.decode()}, id="string-mapping"),
        pytest.param(XML.decode(), id="plain-string"),
        pytest.param({"string": XML}, id="binary-mapping"),
        pytest.param(XML, id="plain-binary"),
    ],
)
def test_body_forms(tmp_path: Path, body: object) -> None:
    path = write(tmp_path, interaction(body=body, request_body=body, method="POST"))
    exchange = load_cassette(path).exchanges[0]
    assert exchange.response.body == XML
    assert exchange.request.body == XML


@pytest.mark.parametrize(
    "body",
    [None, {"string": None}, {"string": ""}, ""],
    ids=["null", "null-string", "empty", "bare"],
)
def test_empty_bodies(tmp_path: Path, body: object) -> None:
    item = interaction()
    item["response"]["body"] = body
    item["request"]["body"] = body
    exchange = load_cassette(write(tmp_path, item)).exchanges[0]
    assert (exchange.request.body, exchange.response.body) == (b"", b"")


def test_unicode_text_body(tmp_path: Path) -> None:
    text = "<vm><description>caf\u00e9 \u2603</description></vm>"
    path = write(tmp_path, interaction(body={"string": text}))
    assert load_cassette(path).exchanges[0].response.body == text.encode("utf-8")


def test_header_lists(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        interaction(
            headers={
                "Set-Cookie": ["JSESSIONID=a; Path=/", "other=b"],
                "JSESSIONID": ["a"],
                "Content-Type": "application/xml",  # a bare string, as old vcrpy wrote
                "X-Empty": None,
                "Content-Length": [97],
            },
            request_headers={"Version": ["3"], "Accept": ["application/xml"]},
        ),
    )
    exchange = load_cassette(path).exchanges[0]
    response = exchange.response
    assert response.headers["set-cookie"] == ("JSESSIONID=a; Path=/", "other=b")
    assert response.header("Set-Cookie") == "JSESSIONID=a; Path=/"
    assert response.header("JSESSIONID") == "a"
    assert response.header("content-type") == "application/xml"
    assert response.headers["x-empty"] == ()
    assert response.header("X-Empty") is None
    assert response.header("content-length") == "97"
    assert response.header("absent") is None
    assert exchange.request.header("version") == "3"


def test_headers_of_different_case_are_merged(tmp_path: Path) -> None:
    path = write(tmp_path, interaction(headers={"Set-Cookie": ["a=1"], "set-cookie": ["b=2"]}))
    assert sorted(load_cassette(path).exchanges[0].response.headers["set-cookie"]) == [
        "a=1",
        "b=2",
    ]


@pytest.mark.parametrize(
    ("status", "code", "reason"),
    [
        ({"code": 404, "message": "Not Found"}, 404, "Not Found"),
        ({"code": "201", "message": "Created"}, 201, "Created"),
        ({"code": 200}, 200, ""),
        (204, 204, ""),
    ],
)
def test_status_forms(tmp_path: Path, status: object, code: int, reason: str) -> None:
    response = load_cassette(write(tmp_path, interaction(status=status))).exchanges[0].response
    assert (response.status, response.reason) == (code, reason)


def test_exchanges_keep_their_order_and_index(tmp_path: Path) -> None:
    items = [
        interaction(method=method, uri=f"/ovirt-engine/api/vms/{i}")
        for i, method in enumerate(["get", "POST", "delete"])
    ]
    cassette = load_cassette(write(tmp_path, *items))
    assert [(e.index, e.request.method, e.request.uri) for e in cassette.exchanges] == [
        (0, "GET", "/ovirt-engine/api/vms/0"),
        (1, "POST", "/ovirt-engine/api/vms/1"),
        (2, "DELETE", "/ovirt-engine/api/vms/2"),
    ]


def test_empty_interactions(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("interactions: []\nversion: 1\n")
    assert load_cassette(path).exchanges == ()


def test_from_yaml_and_data() -> None:
    text = yaml.dump({"interactions": [interaction(body={"string": "x"})]})
    assert cassette_from_yaml(text, "inline").exchanges[0].response.body == b"x"
    assert cassette_from_yaml(text.encode()).exchanges[0].cassette == "<cassette>"
    assert cassette_from_data({"interactions": []}, "d").exchanges == ()


def test_find_cassettes(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    for name in ("b.yml", "a.yaml", "sub/c.yml", "notes.txt", "sub/d.json"):
        (tmp_path / name).write_text("interactions: []\n")
    found = list(find_cassettes([str(tmp_path), "explicit.yml"]))
    assert found == [
        str(tmp_path / "a.yaml"),
        str(tmp_path / "b.yml"),
        str(tmp_path / "sub" / "c.yml"),
        "explicit.yml",
    ]


# --- a cassette written by the real vcrpy library --------------------------------------------


class _GzipXmlHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        data = gzip.compress(XML)
        self.send_response(200)
        self.send_header("Content-Type", "application/xml;charset=UTF-8")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def gzip_server() -> Iterator[str]:
    with serving(_GzipXmlHandler) as base:
        yield base


def test_cassette_recorded_by_vcrpy(tmp_path: Path, gzip_server: str) -> None:
    path = tmp_path / "recorded.yaml"
    url = f"{gzip_server}/ovirt-engine/api/vms?search=name%3Dweb"
    recorder = vcr.VCR(record_mode="once")
    with recorder.use_cassette(str(path)), urllib.request.urlopen(url) as reply:
        assert gzip.decompress(reply.read()) == XML  # urllib leaves the body compressed
    assert "!!binary" in path.read_text()
    cassette = load_cassette(path)
    (exchange,) = cassette.exchanges
    assert exchange.request.method == "GET"
    assert exchange.request.uri == url
    assert exchange.response.status == 200
    assert exchange.response.header("content-encoding") == "gzip"
    assert exchange.response.content_type == "application/xml"
    assert exchange.response.body == XML


# --- files that are not readable cassettes ----------------------------------------------------

BAD: dict[str, tuple[str | None, str]] = {
    "missing": (None, "no such file"),
    "corrupt-flow": ("interactions:\n- request: {method: GET\n  uri: x\n", "corrupt YAML: line 3"),
    "corrupt-tab": ("\t- a\n", "corrupt YAML: line 1, column 1"),
    "corrupt-quote": ('key: "unterminated\n', "corrupt YAML: line 2"),
    "python-tag": (  # read as the plain list it holds: nothing is ever called
        "interactions:\n- !!python/object/apply:os.system ['echo owned']\n",
        "interaction 0 is not a mapping",
    ),
    "empty": ("", "not a vcrpy cassette"),
    "list": ("- 1\n- 2\n", "not a vcrpy cassette"),
    "scalar": ("just text\n", "not a vcrpy cassette"),
    "no-interactions": ("version: 1\n", "not a vcrpy cassette"),
    "interactions-mapping": ("interactions: {}\n", "not a vcrpy cassette"),
    "interaction-scalar": ("interactions:\n- 5\n", "interaction 0 is not a mapping"),
    "no-response": (
        "interactions:\n- request: {method: GET, uri: /x}\n",
        "interaction 0 lacks a request or a response",
    ),
    "no-status": (
        "interactions:\n- request: {method: GET, uri: /x}\n  response: {body: {string: ''}}\n",
        "interaction 0 has no numeric response status",
    ),
    "status-not-numeric": (
        "interactions:\n- request: {method: GET, uri: /x}\n  response: {status: {code: OK}}\n",
        "interaction 0 has no numeric response status",
    ),
    "second-lacks-status": (
        "interactions:\n"
        "- request: {method: GET, uri: /x}\n  response: {status: {code: 200}}\n"
        "- request: {method: GET, uri: /y}\n  response: {headers: {}}\n",
        "interaction 1 has no numeric response status",
    ),
    "no-uri": (
        "interactions:\n- request: {method: GET}\n  response: {status: {code: 200}}\n",
        "interaction 0 request lacks method or uri",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_unreadable_cassette(tmp_path: Path, case: str) -> None:
    text, problem = BAD[case]
    path = tmp_path / f"{case}.yaml"
    if text is not None:
        path.write_text(text)
    with pytest.raises(CassetteError) as caught:
        load_cassette(path)
    assert_one_line_error(caught.value, str(path), problem)


def test_directory_is_not_a_cassette(tmp_path: Path) -> None:
    with pytest.raises(CassetteError) as caught:
        load_cassette(tmp_path)
    assert str(caught.value) == f"{tmp_path}: is a directory, not a cassette file"


def test_binary_garbage_is_not_a_cassette(tmp_path: Path) -> None:
    path = tmp_path / "garbage.yaml"
    path.write_bytes(gzip.compress(b"interactions: []"))
    with pytest.raises(CassetteError) as caught:
        load_cassette(path)
    assert str(caught.value).startswith(f"{path}: ") and "\n" not in str(caught.value)


# --- the real recordings ---------------------------------------------------------------------


def test_every_corpus_cassette_loads(corpus: Path) -> None:
    paths = vcrpy_cassettes(corpus)
    assert len(paths) == 48
    total = 0
    for path in paths:
        cassette = load_cassette(path)
        assert cassette.exchanges, path
        assert [e.index for e in cassette.exchanges] == list(range(len(cassette.exchanges)))
        for exchange in cassette.exchanges:
            assert exchange.request.method in {"GET", "POST", "PUT", "DELETE"}
            assert 100 <= exchange.response.status < 600
            assert isinstance(exchange.response.body, bytes)
        total += len(cassette.exchanges)
    assert total > 1200


def test_corpus_bodies_are_decoded(corpus: Path) -> None:
    """No response body of the corpus is left gzip-compressed."""
    for path in vcrpy_cassettes(corpus):
        for exchange in load_cassette(path).exchanges:
            assert not exchange.response.body.startswith(b"\x1f\x8b"), (path, exchange.index)


def test_corpus_user_info_uris_are_kept(corpus: Path) -> None:
    cassette = load_cassette(
        corpus
        / "cassettes"
        / "vcrpy"
        / "deltacloud-rhevm__test_0001_must_throw_error_when_wrong_credentials.yml"
    )
    (exchange,) = cassette.exchanges
    assert exchange.request.uri.startswith("https://fakeuser:fakepassword@")
    assert exchange.response.status == 401
    assert b"<html" in exchange.response.body.lower()


def test_decompression_bomb_is_refused_not_inflated(tmp_path: Path) -> None:
    bomb = gzip.compress(b"<a>" + b" " * (MAX_BODY + 1) + b"</a>")
    path = tmp_path / "bomb.yaml"
    interaction = {
        "request": {"method": "GET", "uri": "https://h.example.com/api/vms", "headers": {}},
        "response": {
            "status": {"code": 200, "message": "OK"},
            "headers": {"Content-Encoding": ["gzip"]},
            "body": {"string": bomb},
        },
    }
    path.write_text(yaml.safe_dump({"version": 1, "interactions": [interaction]}))
    with pytest.raises(CassetteError) as caught:
        load_cassette(path)
    assert_one_line_error(caught.value, str(path), "interaction 0: a compressed body expands")


def test_a_cassette_named_twice_is_found_once(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("interactions: []\n")
    found = list(find_cassettes([str(tmp_path / "a.yaml"), str(tmp_path)]))
    assert found == [str(tmp_path / "a.yaml")]

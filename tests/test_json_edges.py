"""The cassette edge with JSON bodies: secrets in the engine's JSON shapes are scrubbed in
any encoding; XML or JSON bodies match by meaning; the JSON benchmark reports its figures."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import yaml
from lxml import etree

from benchmarks.bench_json import main as bench_json
from contracttest import load_schema
from contracttest.jsontree import read_json
from contracttest.loading import bundled_contract
from contracttest.matching import request_key
from contracttest.scrub import scrub_body
from contracttest.scrubconfig import ScrubConfig
from contracttest.xmlsafe import Element, XMLProblem, parse_written
from tests import json_bodies as jb

SECRET = "s3cret-Json-42"
CONFIG = ScrubConfig(values=frozenset({SECRET}))
BY_NAME = ScrubConfig()

#: Secrets where a JSON client puts them: action parameters, nested structures, arrays of
#: name/value pairs, keys spelled with escapes.
SHAPES = {
    "action-root-password": {"root_password": SECRET, "async": "false"},
    "nested-ssh": {"ssh": {"user": {"user_name": "root", "password": SECRET}}},
    "initialization": {"name": "vm1", "initialization": {"root_password": SECRET}},
    "properties": {"properties": {"property": [{"name": "password", "value": SECRET}]}},
    "sso-token": {"access_token": SECRET, "token_type": "bearer"},
}


def _encodings(value: dict[str, object]) -> dict[str, bytes]:
    text = json.dumps(value)
    return {
        "plain": text.encode(),
        "jackson": jb.jackson(value),
        "escaped-key": text.replace("password", "pass\\u0077ord").encode(),
        "ascii-escaped-value": json.dumps(value).replace("J", "\\u004a").encode(),
        "utf-16": text.encode("utf-16"),
        "gzip": gzip.compress(text.encode()),
    }


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_json_secrets_are_scrubbed_by_name_in_every_encoding(shape: str) -> None:
    for encoding, body in _encodings(SHAPES[shape]).items():
        scrubbed = scrub_body(body, "application/json", BY_NAME)
        if encoding == "gzip":
            scrubbed = gzip.decompress(scrubbed) if scrubbed[:2] == b"\x1f\x8b" else scrubbed
        for form in (scrubbed, scrubbed.decode("utf-16", "ignore").encode()):
            assert SECRET.encode() not in form, (shape, encoding)
            assert b"s3cret" not in form.lower(), (shape, encoding)


def test_a_configured_value_is_scrubbed_under_any_key() -> None:
    body = json.dumps({"description": f"made with {SECRET}"}).encode()
    assert SECRET.encode() not in scrub_body(body, "application/json", CONFIG)


def test_json_and_xml_bodies_match_by_meaning() -> None:
    """Whitespace (and JSON's key order) does not matter to matching; values do."""
    compact = json.dumps(jb.vm(), separators=(",", ":")).encode()
    reordered = json.dumps(dict(reversed(list(jb.vm().items())))).encode()
    uri = f"https://e/ovirt-engine/api/vms/{jb.VM}"
    key = request_key("PUT", uri, compact, "application/json")
    assert request_key("PUT", uri, jb.jackson(jb.vm()), "application/json") == key
    assert request_key("PUT", uri, reordered, "application/json") == key
    changed = jb.seeded(jb.vm(), lambda vm: vm.update(memory="1"))
    assert request_key("PUT", uri, json.dumps(changed).encode(), "application/json") != key
    xml = b"<vm><name>a</name><memory>1</memory></vm>"
    spaced = b"<vm>\n  <name>a</name>\n  <memory>1</memory>\n</vm>"  # XML keeps order
    assert request_key("PUT", uri, xml, "application/xml") == request_key(
        "PUT", uri, spaced, "application/xml"
    )


def _cassette(folder: Path, media: str, bodies: list[tuple[str, bytes]]) -> None:
    folder.mkdir(parents=True)
    interactions = [
        {
            "request": {"method": "GET", "uri": f"https://e/ovirt-engine/api/{path}",
                        "body": None, "headers": {}},
            "response": {"status": {"code": 200, "message": "OK"},
                         "headers": {"Content-Type": [media]},
                         "body": {"string": body.decode()}},
        }
        for path, body in bodies
    ]  # fmt: skip
    text = yaml.safe_dump({"version": 1, "interactions": interactions})
    (folder / "c.yaml").write_text(text)


def test_the_json_benchmark_reports_both_representations_and_a_ratio(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schema = load_schema(bundled_contract()[1])
    documents = [(f"vms/{jb.VM}", jb.vm(), "vm"), ("networks", jb.networks(), "networks")]
    as_json = [(path, jb.jackson(value)) for path, value, _ in documents]
    roots: list[Element] = [read_json(body, root, schema)[0] for (_, body), (_, _, root) in
                            zip(as_json, documents, strict=True)]  # fmt: skip
    as_xml = [(path, etree.tostring(root)) for (path, _), root in zip(as_json, roots, strict=True)]
    _cassette(tmp_path / "xml", "application/xml", as_xml)
    _cassette(tmp_path / "json", "application/json", as_json)

    code = bench_json(
        ["--repeat", "1", "--xml", str(tmp_path / "xml"), "--json", str(tmp_path / "json")]
    )

    lines = capsys.readouterr().out.splitlines()
    assert code in (0, 1)
    assert lines[0].startswith("XML ") and "2 exchanges" in lines[0] and "us/KiB" in lines[0]
    assert lines[1].startswith("JSON") and "0 violations" in lines[1]
    assert lines[2].startswith("JSON / XML per byte: ")


@pytest.mark.parametrize(
    "text",
    [
        b'<?xml version="1.0"?><!DOCTYPE vm [<!ENTITY e "x">]><vm>&e;</vm>',
        b"<!DOCTYPE vm><vm/>",
        b" <!DOCTYPE vm><vm/>",
    ],
)
def test_text_not_starting_with_its_root_is_parsed_with_every_guard(text: bytes) -> None:
    with pytest.raises(XMLProblem, match="DOCTYPE"):
        parse_written(text)


def test_arrays_of_links_read_alike_whatever_else_the_array_holds() -> None:
    schema = load_schema(bundled_contract()[1])
    link = {"href": "/ovirt-engine/api/vms/1/nics", "rel": "nics"}
    odd = [link, {"href": "/ovirt-engine/api/vms/1/tags", "rel": 5}, {"href": "/x"}]
    clean, notes = read_json(json.dumps({"id": "1", "link": [link, link]}).encode(), "vm", schema)
    assert not notes
    assert [dict(e.attrib) for e in clean.iter("link")] == [link, link]
    mixed, notes = read_json(json.dumps({"id": "1", "link": odd}).encode(), "vm", schema)
    assert [(n.rule, n.xpath) for n in notes] == [("json.scalar", "/vm/link[2]/rel")]
    assert [dict(e.attrib) for e in mixed.iter("link")] == [
        link,
        {"href": "/ovirt-engine/api/vms/1/tags", "rel": "5"},
        {"href": "/x"},
    ]

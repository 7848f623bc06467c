"""The embedded engine in JSON: negotiation as a real engine's JAX-RS resources do it, JSON
request bodies with the XML semantics, and the example suite run in both representations,
checked clean, giving the same entities."""

from __future__ import annotations

import base64
import json
import re
from functools import cache
from pathlib import Path

import pytest

from contracttest import load_cassette, load_contract, load_schema
from contracttest.checks import CassetteState, Context
from contracttest.engine import Engine, open_engine
from contracttest.engine.http import HttpRequest
from contracttest.engine.negotiation import answer_type
from contracttest.loading import bundled_contract
from contracttest.xmlsafe import Element
from tests.plugin_suite import contracttest

XML, JSON = "application/xml", "application/json"


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, XML),
        ("", XML),
        ("*/*", XML),
        ("application/json", JSON),
        ("application/json;q=0.9, application/xml;q=0.5", JSON),
        ("application/xml;q=0.4, application/json;q=0.8", JSON),
        ("application/*", XML),
        ("application/json, application/xml", XML),  # a tie: the engine's first type
        ("text/html, application/json;q=0.1", JSON),
        ("application/xml;q=0, */*", JSON),
        ("text/html", None),
        ("application/json;q=0", None),
        ("image/png, text/plain;q=0.5", None),
    ],
)
def test_accept_is_negotiated_with_quality_values(accept: str | None, chosen: str | None) -> None:
    assert answer_type(accept) == chosen


@pytest.fixture(scope="module")
def engine() -> Engine:
    return open_engine()


def _call(engine: Engine, method: str, uri: str, body: bytes = b"", **headers: str) -> tuple:
    sent = {
        "authorization": "Basic " + base64.b64encode(b"admin@internal:ovirt").decode(),
        "version": "4",
        **{name.replace("_", "-"): value for name, value in headers.items()},
    }
    answer = engine.handle(HttpRequest(method, f"/ovirt-engine/api/{uri}", sent, body))
    return answer.status, answer.content_type, answer.body


def test_json_in_and_out_has_the_xml_semantics(engine: Engine) -> None:
    vm = {
        "name": "json-vm",
        "cluster": {"name": "Default"},
        "template": {"name": "Blank"},
        "memory": 1073741824,  # literals, as VM Portal sends some: the engine takes them
        "stateless": True,
    }
    status, media, body = _call(
        engine,
        "POST",
        "vms",
        json.dumps(vm).encode(),
        accept=JSON,
        content_type=JSON,
        expect="201-created",
    )
    assert (status, media) == (201, JSON)
    made = json.loads(body)
    assert "vm" not in made and made["name"] == "json-vm"  # no root wrapper
    assert (made["memory"], made["stateless"]) == ("1073741824", "true")  # strings
    status, media, body = _call(engine, "GET", f"vms/{made['id']}", accept=XML)
    assert (status, media) == (200, XML) and b"<name>json-vm</name>" in body
    status, _, body = _call(
        engine, "POST", f"vms/{made['id']}/start", b"{}", accept=JSON, content_type=JSON
    )
    assert status == 200 and json.loads(body)["status"] == "complete"
    status, _, body = _call(engine, "GET", "vms?search=name%3Djson-vm", accept=JSON)
    assert [vm["status"] for vm in json.loads(body)["vm"]] == ["up"]
    status, _, body = _call(engine, "GET", "vms?search=name%3Dnone-such", accept=JSON)
    assert (status, json.loads(body)) == (200, {})  # an empty collection


@pytest.mark.parametrize(
    ("body", "headers", "status", "reason"),
    [
        (b"", {"accept": "text/html"}, 406, "Not Acceptable"),
        (b"name=x", {"accept": JSON, "content_type": "text/plain"}, 415, "Unsupported Media Type"),
        (b'{"name": ', {"accept": JSON, "content_type": JSON}, 400, "Request syntactically"),
        (b'{"vm": {"name": "x"}}', {"accept": JSON, "content_type": JSON}, 400, "Request synt"),
        (b'{"name": "x"}', {"accept": JSON, "content_type": JSON}, 400, "Incomplete parameters"),
    ],
)
def test_refusals_are_faults_in_the_negotiated_type(
    engine: Engine, body: bytes, headers: dict[str, str], status: int, reason: str
) -> None:
    got, media, answer = _call(engine, "POST" if body else "GET", "vms", body, **headers)
    assert got == status
    if media == JSON:
        assert json.loads(answer)["reason"].startswith(reason)
    else:
        assert f"<reason>{reason}".encode() in answer


def test_unknown_id_is_an_empty_404_in_json(engine: Engine) -> None:
    assert _call(engine, "GET", "vms/none-such", accept=JSON) == (404, None, b"")


def test_the_contract_documents_stay_xml(engine: Engine) -> None:
    status, media, body = _call(engine, "GET", "?rsdl", accept=f"{JSON}, {XML};q=0.5")
    assert (status, media) == (200, XML) and body.lstrip().startswith(b"<?xml")


# -- the example suite in both representations ---------------------------------------------


@cache
def _recorded(representation: str, folder: str) -> dict[str, list[tuple[str, int, object]]]:
    done = contracttest(
        "run",
        "--engine-representation",
        representation,
        "--record-mode",
        "all",
        "--cassette-dir",
        folder,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no contract violations" in done.stdout
    rsdl, xsd = bundled_contract()
    contract, schema = load_contract(rsdl), load_schema(xsd)
    entities: dict[str, list[tuple[str, int, object]]] = {}
    for path in sorted(Path(folder).rglob("*.yaml")):
        cassette = load_cassette(path)
        seen = entities[str(path.relative_to(folder))] = []
        for exchange in cassette.exchanges:
            ctx = Context(exchange, contract, schema, CassetteState())
            if not ctx.in_api:
                continue
            media = exchange.response.content_type
            if exchange.response.body.strip() and not ctx.serves_contract:
                assert media == ("application/json" if representation == "json" else XML)
            root = ctx.response_root
            shown = _canonical(root) if root is not None and not ctx.serves_contract else None
            seen.append((exchange.request.method, exchange.response.status, shown))
    return entities


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_LAB = re.compile(r"(ct-[a-z0-9-]+?)-[0-9a-f]{6}\b")
_DATE = re.compile(r"^\d{4}-\d\d-\d\dT[\d:.]+(Z|[+-]\d\d:\d\d)?$")
_VARYING = frozenset({"datum", "correlation_id"})


def _text(tag: str, text: str) -> str:
    text = _LAB.sub(r"\1", _UUID.sub("ID", text.strip()))
    if _DATE.match(text) or tag in _VARYING:
        return "VARIES"
    if text.startswith(("not well-formed XML", "the body is not valid JSON")):
        return "MALFORMED"  # the one difference: which parser found the body broken
    return text


def _canonical(element: Element) -> object:
    """An element by meaning: ids, lab names' random part, dates and samples masked;
    attributes and children as unordered collections (JSON groups repeated keys)."""
    tag = str(element.tag)
    attributes = tuple(sorted((str(k), _text("", str(v))) for k, v in element.attrib.items()))
    children = sorted(repr(_canonical(child)) for child in element if isinstance(child.tag, str))
    text = _text(tag, element.text or "") if not children else ""
    return (tag, attributes, text, tuple(children))


def test_the_example_suite_gives_the_same_entities_in_xml_and_json(tmp_path: Path) -> None:
    as_xml = _recorded("xml", str(tmp_path / "xml"))
    as_json = _recorded("json", str(tmp_path / "json"))
    assert sorted(as_xml) == sorted(as_json) and len(as_xml) > 20
    differing = [name for name, exchanges in as_xml.items() if as_json[name] != exchanges]
    assert differing == []

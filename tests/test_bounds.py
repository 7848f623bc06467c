"""Input of any size or depth is checked, never crashes the checker (no ``RecursionError``).

The cases are what an engine or a client may send: an href of thousands of path segments,
long request URIs, many matrix parameters, huge query strings, documents as deep as the safe
parser admits; and what a contract may hold: long chains of XSD types and group references,
deeply nested RSDL parameters. Each is checked from a call stack already deep, so the
checker's own depth is bounded too. No timing is asserted.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import TypeVar

import pytest
import yaml

from contracttest import Checker, Exchange, Severity, Violation, load_cassette
from contracttest.checks.walk import compiled_type
from contracttest.cli import main
from contracttest.matching import canonical_body, nearest, request_key
from contracttest.parameters import missing_parameters
from contracttest.rsdl import contract_from_bytes
from contracttest.schema import schema_from_bytes
from contracttest.xmlsafe import XMLProblem, parse
from tests.corpus_contracts import RSDL, XSD

T = TypeVar("T")

ONE_VM = ("deltacloud-rhevm__test_0004_must_allow_to_retrieve_single_instance.yml", 0)
#: The deepest document the safe parser admits (libxml2's limit without XML_PARSE_HUGE).
DEEPEST = 256
#: How long a message may grow, whatever it quotes.
MESSAGE = 400
#: Frames left to the checker: a test runner, a plugin, a client may be this deep already.
HEADROOM = DEEPEST + 200


def at_depth(frames: int, call: Callable[[], T]) -> T:
    """``call()`` with the stack about ``frames`` frames deeper than here."""
    if frames <= 0:
        return call()
    return at_depth(frames - 1, call)


def deep_stack(call: Callable[[], T]) -> T:
    """``call()`` with only ``HEADROOM`` frames left before the recursion limit."""
    frames = sys.getrecursionlimit() - HEADROOM - len(_stack())
    return at_depth(frames, call)


def _stack() -> list[object]:
    frames = []
    frame = sys._getframe()
    while frame is not None:
        frames.append(frame)
        frame = frame.f_back  # type: ignore[assignment]
    return frames


@pytest.fixture(scope="module")
def checker(corpus: Path) -> Checker:
    from contracttest import load_contract, load_schema

    return Checker(load_contract(corpus / RSDL["3.3"]), load_schema(corpus / XSD["3.3"]))


@pytest.fixture(scope="module")
def vm(corpus: Path) -> Exchange:
    read = cache(load_cassette)
    return read(corpus / "cassettes" / "vcrpy" / ONE_VM[0]).exchanges[ONE_VM[1]]


def with_uri(exchange: Exchange, uri: str) -> Exchange:
    return replace(exchange, request=replace(exchange.request, uri=uri))


def with_body(exchange: Exchange, body: bytes) -> Exchange:
    return replace(exchange, response=replace(exchange.response, body=body))


def bounded(violations: list[Violation]) -> None:
    for violation in violations:
        assert len(violation.message) <= MESSAGE, violation.message[:100]
        assert len(violation.received) <= MESSAGE
        assert len(violation.expected) <= MESSAGE


# --- long paths -------------------------------------------------------------------------------


def long_href(segments: int) -> str:
    return "/api/" + "/".join(f"s{i}" for i in range(segments))


@pytest.mark.parametrize("segments", [5_000, 50_000])
def test_an_href_of_thousands_of_segments_is_an_error_not_a_crash(
    checker: Checker, vm: Exchange, segments: int
) -> None:
    body = vm.response.body.replace(
        b'<cluster href="/api/clusters/', b'<cluster href="' + long_href(segments).encode() + b"/"
    )
    assert body != vm.response.body
    found = deep_stack(lambda: checker.check_exchange(with_body(vm, body)))
    (href,) = [v for v in found if v.rule == "response.href"]
    assert href.severity is Severity.ERROR
    assert href.xpath == "/vm/cluster"
    assert "does not resolve to an RSDL GET link" in href.message
    assert f"({len(long_href(segments)) + 37} characters)" in href.message
    bounded(found)


def test_a_long_href_through_the_command_line_is_reported(
    tmp_path: Path, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What used to end as 'internal error: RecursionError'."""
    href = long_href(5_000)
    cassette = tmp_path / "long.yaml"
    cassette.write_text(
        yaml.safe_dump(
            {
                "version": 1,
                "interactions": [
                    {
                        "request": {"method": "GET", "uri": "https://h/api/vms", "body": None},
                        "response": {
                            "status": {"code": 200, "message": "OK"},
                            "headers": {"Content-Type": ["application/xml"]},
                            "body": {"string": f'<vms><vm href="{href}" id="1"/></vms>'},
                        },
                    }
                ],
            }
        )
    )
    code = main(["check", str(cassette), "--contract", str(corpus / RSDL["3.3"])])
    captured = capsys.readouterr()
    assert code == 1, captured.err
    assert "internal error" not in captured.out + captured.err
    assert "does not resolve to an RSDL GET link" in captured.out


@pytest.mark.parametrize(
    ("path", "rule"),
    [
        pytest.param("/".join(["vms"] * 5_000), "link.undocumented", id="5000-segments"),
        pytest.param("vms" + "/" * 20_000 + "1", None, id="20000-empty-segments"),
        pytest.param(
            "vms/1" + ";x=1" * 10_000 + "/nics", "request.url.parameter", id="10000-matrix"
        ),
    ],
)
def test_long_request_uris_are_checked(
    checker: Checker, vm: Exchange, path: str, rule: str | None
) -> None:
    exchange = with_uri(vm, f"https://rhevm.example.com/api/{path}")
    found = deep_stack(lambda: checker.check_exchange(exchange))
    if rule is None:  # empty segments do not count: this is vms/1
        assert found == checker.check_exchange(vm)
    else:
        assert rule in {v.rule for v in found}
    bounded(found)


def test_the_router_walks_any_path_in_a_loop(checker: Checker) -> None:
    router = checker.contract.router
    path = "/".join(["vms", "1"] * 50_000)
    assert deep_stack(lambda: router.reach(path)) == ()
    assert deep_stack(lambda: router.links_at(path.split("/"))) is None
    assert router.links_at(("vms", "1")) is not None
    assert router.reach("vms/1/nics/2") != ()
    empty = "vms" + "/" * 50_000 + "1"
    assert deep_stack(lambda: router.reach(empty)) == router.reach("vms/1")


# --- many parameters, huge query strings -------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "count"),
    [
        pytest.param("&".join(f"p{i}=v" for i in range(20_000)), 20_000, id="20000-unknown"),
        pytest.param("&".join(["max=abc"] * 5_000), 5_000, id="5000-invalid"),
        pytest.param("search=" + "x" * 1_000_000, 1, id="1MB-value"),
        pytest.param("x" * 1_000_000 + "=1", 1, id="1MB-name"),
    ],
)
def test_many_or_huge_query_parameters_are_reported_one_each(
    checker: Checker, corpus: Path, query: str, count: int
) -> None:
    listing = load_cassette(
        corpus
        / "cassettes"
        / "vcrpy"
        / "deltacloud-rhevm__test_0002_must_return_list_of_instances.yml"
    ).exchanges[1]
    exchange = with_uri(listing, f"https://rhevm.example.com/api/vms?{query}")
    found = [v for v in checker.check_exchange(exchange) if v.rule == "request.url.parameter"]
    if query.startswith("search="):
        assert found == []  # a documented parameter, however long its value
        return
    assert len(found) == count
    bounded(found)


def test_many_matrix_parameters_are_reported(checker: Checker, vm: Exchange) -> None:
    matrix = "".join(f";m{i}=v" for i in range(10_000))
    found = checker.check_exchange(with_uri(vm, vm.request.uri + matrix))
    assert len([v for v in found if v.rule == "request.url.parameter"]) == 10_000
    bounded(found)


# --- deep documents ----------------------------------------------------------------------------


def nested(depth: int, tag: str = "x") -> bytes:
    return f"<{tag}>".encode() * depth + f"</{tag}>".encode() * depth


def test_the_safe_parser_bounds_document_depth() -> None:
    assert parse(nested(DEEPEST)) is not None
    with pytest.raises(XMLProblem, match="depth"):
        parse(nested(DEEPEST + 1))


@pytest.mark.parametrize("depth", [DEEPEST - 2, 10_000])
def test_deep_representations_are_walked_or_refused(
    checker: Checker, vm: Exchange, depth: int
) -> None:
    """As deep as the parser admits: walked (an unknown element, hrefs inside checked);
    deeper: reported as unreadable."""
    inner = b'<link href="/api/nowhere" rel="x"/>'
    deep = b"<warp>" * depth + inner + b"</warp>" * depth
    body = vm.response.body.replace(b"</vm>", deep + b"</vm>")
    found = deep_stack(lambda: checker.check_exchange(with_body(vm, body)))
    rules = {v.rule for v in found}
    if depth < DEEPEST:
        assert {"response.schema", "response.href"} <= rules
        (href,) = [v for v in found if v.rule == "response.href"]
        assert href.xpath.count("/warp") == depth
    else:
        assert "response.body.type" in rules
    bounded(found)


def test_deep_bodies_are_matched_and_shown() -> None:
    deep = nested(DEEPEST, "vm")
    key = request_key("POST", "/api/vms", deep, "application/xml")
    assert deep_stack(lambda: canonical_body(deep)) == key.body
    other = request_key("POST", "/api/vms", nested(DEEPEST - 1, "vm"), "application/xml")
    miss = deep_stack(lambda: nearest(other, "/api/vms", [(key, "/api/vms")]))
    assert miss is not None
    (difference,) = miss.differences
    assert difference[0] == "body" and len(difference[1]) <= 160


# --- contracts: long chains, deep nesting ------------------------------------------------------

XS = 'xmlns:xs="http://www.w3.org/2001/XMLSchema"'


def xsd(*parts: str) -> bytes:
    return f"<xs:schema {XS}>{''.join(parts)}</xs:schema>".encode()


def extension_chain(length: int) -> bytes:
    """T{n} extends T{n-1} ... extends T0, declared most derived first."""
    types = [
        '<xs:complexType name="T0"><xs:sequence>'
        '<xs:element name="e0" type="xs:int"/></xs:sequence></xs:complexType>'
    ]
    types += [
        f'<xs:complexType name="T{i}"><xs:complexContent><xs:extension base="T{i - 1}">'
        f'<xs:sequence><xs:element name="e{i}" type="xs:int"/></xs:sequence>'
        "</xs:extension></xs:complexContent></xs:complexType>"
        for i in range(1, length)
    ]
    return xsd(f'<xs:element name="top" type="T{length - 1}"/>', *reversed(types))


def child_chain(length: int) -> bytes:
    """T0 has a child of T1, which has a child of T2, ..."""
    return xsd(
        '<xs:element name="top" type="T0"/>',
        *(
            f'<xs:complexType name="T{i}"><xs:sequence>'
            f'<xs:element name="c" type="T{i + 1}" minOccurs="0"/>'
            f'<xs:element name="n" type="xs:int" minOccurs="0"/></xs:sequence></xs:complexType>'
            for i in range(length)
        ),
    )


def group_chain(length: int) -> bytes:
    return xsd(
        *(
            f'<xs:group name="g{i}"><xs:sequence><xs:group ref="g{i + 1}"/>'
            f'<xs:element name="e{i}" type="xs:string"/></xs:sequence></xs:group>'
            for i in range(length)
        ),
        '<xs:complexType name="T"><xs:group ref="g0"/></xs:complexType>',
    )


def test_a_chain_of_thousands_of_base_types_reads_whole() -> None:
    schema = deep_stack(lambda: schema_from_bytes(extension_chain(3_000)))
    top = schema.complex_types["T2999"]
    assert list(top.children) == [f"e{i}" for i in range(3_000)]  # bases' elements first
    compiled = deep_stack(lambda: compiled_type(schema, "T2999"))
    assert compiled is not None and len(compiled.children) == 3_000


def test_a_chain_of_thousands_of_child_types_compiles_and_checks(vm: Exchange) -> None:
    schema = deep_stack(lambda: schema_from_bytes(child_chain(3_000)))
    compiled = deep_stack(lambda: compiled_type(schema, "T0"))
    assert compiled is not None
    contract = contract_from_bytes(
        b'<rsdl href="/api?rsdl"><links><link href="/api/top" rel="get">'
        b"<request><http_method>GET</http_method></request>"
        b"<response><type>T0</type></response></link></links></rsdl>"
    )
    body = b"<top>" + b"<c>" * 200 + b"<n>deep</n>" + b"</c>" * 200 + b"</top>"
    exchange = with_uri(with_body(vm, body), "https://h/api/top")
    found = deep_stack(lambda: Checker(contract, schema).check_exchange(exchange))
    (value,) = [v for v in found if v.rule == "response.schema"]
    assert value.xpath == "/top" + "/c" * 200 + "/n"
    assert "not a valid xs:int" in value.message


def test_group_reference_chains_and_cycles_read() -> None:
    schema = deep_stack(lambda: schema_from_bytes(group_chain(3_000)))
    assert len(schema.complex_types["T"].children) == 3_000
    cycle = xsd(
        '<xs:group name="g"><xs:sequence><xs:group ref="g"/>'
        '<xs:element name="x" type="xs:string"/></xs:sequence></xs:group>',
        '<xs:complexType name="T"><xs:group ref="g"/></xs:complexType>',
    )
    assert list(schema_from_bytes(cycle).complex_types["T"].children) == ["x"]
    loop = xsd(
        '<xs:complexType name="A"><xs:complexContent><xs:extension base="B"/>'
        "</xs:complexContent></xs:complexType>",
        '<xs:complexType name="B"><xs:complexContent><xs:extension base="A"/>'
        "</xs:complexContent></xs:complexType>",
    )
    assert set(schema_from_bytes(loop).complex_types) == {"A", "B"}


def nested_parameters(depth: int) -> bytes:
    inner = '<parameter required="true" type="xs:string"><name>leaf.name</name></parameter>'
    for i in range(depth):
        inner = (
            f'<parameter required="true" type="collection"><name>thing.c{i}.item</name>'
            f"<parameters_set>{inner}</parameters_set></parameter>"
        )
    return (
        '<rsdl href="?rsdl"><links><link href="things" rel="add"><request>'
        "<http_method>POST</http_method><body><type>Thing</type>"
        f"<parameters_set>{inner}</parameters_set></body></request></link></links></rsdl>"
    ).encode()


def satisfying_body(depth: int) -> bytes:
    body = "<name>n</name>"
    for i in range(depth):
        body = f"<c{i}><item>{body}</item></c{i}>"
    return f"<thing>{body}</thing>".encode()


def test_rsdl_parameters_nested_as_deep_as_parseable_load_and_check() -> None:
    depth = (DEEPEST - 8) // 2  # rsdl/links/link/request/body/parameters_set, then 2 a level
    contract = deep_stack(lambda: contract_from_bytes(nested_parameters(depth)))
    (parameter_set,) = contract.links[0].parameter_sets
    body = parse(satisfying_body(depth))
    assert deep_stack(lambda: missing_parameters(body, parameter_set)) == []
    with pytest.raises(Exception, match="depth"):
        contract_from_bytes(nested_parameters(depth + 2))


@contextmanager
def lower_recursion_limit(limit: int) -> Iterator[None]:
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(limit)
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def test_the_corpus_checks_with_a_small_stack(corpus: Path, checker: Checker) -> None:
    """Every real exchange checks within a few hundred frames."""
    from tests.corpus_contracts import nearest as nearest_contract
    from tests.corpus_contracts import vcrpy_cassettes

    names = [p for p in vcrpy_cassettes(corpus) if nearest_contract(p)[0] == "3.3"]
    cassettes = [load_cassette(p) for p in names]
    with lower_recursion_limit(len(_stack()) + 150):
        for cassette in cassettes:
            Checker(checker.contract, checker.schema).check_cassette(cassette)

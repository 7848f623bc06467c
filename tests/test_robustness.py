"""Whatever an exchange holds, checking it reports and never raises."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracttest import RULES, Checker, Exchange, Request, Response, load_contract, load_schema
from contracttest.checks import CassetteState

SAMPLE = Path(__file__).resolve().parent.parent / "cassettes" / "sample"
CHECKER = Checker(load_contract(SAMPLE / "rsdl.xml"), load_schema(SAMPLE / "api.xsd"))

PREFIXES = ["", "/api", "/ovirt-engine/api", "/ovirt-engine/api/v4", "/other"]
WORDS = ["vms", "nics", "start", "clusters", "templates", "x", "6f1c", "%2F", "a;b=c", ""]
TAGS = ["vm", "vms", "nic", "link", "actions", "action", "fault", "status", "memory", "x"]
HREFS = [
    "/ovirt-engine/api/vms/1",
    "/ovirt-engine/api/vms/1/nics",
    "/ovirt-engine/api/vms/1/start",
    "/api/vms/1",
    "https://h/ovirt-engine/api/vms/1",
    "vms",
    "",
    "/ovirt-engine/api/vms/1?x={y}",
]


@st.composite
def uris(draw: st.DrawFn) -> str:
    host = draw(st.sampled_from(["https://h.example.com", "http://u:p@h:8443", ""]))
    path = "/".join(draw(st.lists(st.sampled_from(WORDS), max_size=4)))
    query = draw(st.sampled_from(["", "?search=name%3Dx", "?max=abc", "?follow=nics&x"]))
    return f"{host}{draw(st.sampled_from(PREFIXES))}/{path}{query}"


def elements(depth: int = 3) -> st.SearchStrategy[str]:
    leaf = st.builds(
        lambda tag, text: f"<{tag}>{text}</{tag}>",
        st.sampled_from(TAGS),
        st.sampled_from(["", "1", "up", "true", "no", "x" * 3]),
    )
    if depth == 0:
        return leaf
    nested = st.builds(
        lambda tag, attrs, kids: f"<{tag}{attrs}>{''.join(kids)}</{tag}>",
        st.sampled_from(TAGS),
        st.builds(
            lambda href, ident, rel: f' href="{href}" id="{ident}" rel="{rel}"',
            st.sampled_from(HREFS),
            st.sampled_from(["1", "2", "start"]),
            st.sampled_from(["nics", "start", "bogus"]),
        )
        | st.just(""),
        st.lists(elements(depth - 1), max_size=3),
    )
    return leaf | nested


bodies = (
    elements().map(str.encode)
    | st.binary(max_size=64)
    | st.sampled_from([b"", b"<html>x</html>", b"<?xml version='1.0'?><vm", b"<!DOCTYPE a>"])
)
media = st.sampled_from(["application/xml", "text/html", "application/json", "", "text/plain"])


@st.composite
def exchanges(draw: st.DrawFn) -> Exchange:
    request_type = draw(media)
    response_type = draw(media)
    return Exchange(
        Request(
            draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "OPTIONS"])),
            draw(uris()),
            {"content-type": (request_type,)} if request_type else {},
            draw(bodies),
        ),
        Response(
            draw(st.sampled_from([200, 201, 202, 204, 301, 400, 401, 404, 409, 500])),
            "",
            {"content-type": (response_type,)} if response_type else {},
            draw(bodies),
        ),
    )


@given(st.lists(exchanges(), min_size=1, max_size=4))
@settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
def test_any_exchange_is_reported_on_never_raised_on(sequence: list[Exchange]) -> None:
    state = CassetteState()
    for exchange in sequence:
        for violation in CHECKER.check_exchange(exchange, state):
            assert violation.rule in RULES
            assert violation.severity in ("error", "warning")
            assert violation.message

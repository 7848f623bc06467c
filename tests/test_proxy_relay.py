"""The proxy's HTTP, as pure functions: what it relays where, which headers travel."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from contracttest.engine.http import HttpRequest
from contracttest.proxy.relay import (
    HOP_BY_HOP,
    Refusal,
    Target,
    answer_of,
    forwarded_headers,
    relocated,
    target_of,
)

TARGET = Target.of("https://engine.example:8443/ovirt-engine/api")
hosts = st.from_regex(r"[a-z][a-z0-9-]{0,20}(\.[a-z]{2,5}){0,2}", fullmatch=True)
ports = st.none() | st.integers(1, 65535)
paths = st.from_regex(r"/[A-Za-z0-9/._~-]{0,30}(\?[a-z]=[a-z0-9]{0,5})?", fullmatch=True)


def request(uri: str, **headers: str) -> HttpRequest:
    return HttpRequest("GET", uri, {"host": "proxy:1", **headers})


@given(hosts, ports, paths, st.sampled_from(["http", "https", "HTTP"]))
def test_an_absolute_url_is_relayed_only_to_the_target(
    host: str, port: int | None, path: str, scheme: str
) -> None:
    authority = host if port is None else f"{host}:{port}"
    uri = f"{scheme}://{authority}{path}"
    allowed = host == "engine.example" and port in (None, 8443)
    try:
        assert target_of(request(uri), TARGET) == path
        assert allowed, uri
    except Refusal as refusal:
        assert not allowed, uri
        assert refusal.response.status == 403
    assert target_of(request(uri), None) == path  # replaying: nothing is reached anyway


@given(
    st.dictionaries(
        st.sampled_from([*sorted(HOP_BY_HOP), "accept", "x-a", "expect"]),
        st.text("abc, -", max_size=8),
    )
)
def test_no_hop_by_hop_header_travels(headers: dict[str, str]) -> None:
    sent = forwarded_headers(headers)
    assert not set(sent) & HOP_BY_HOP
    named = {n.strip() for n in headers.get("connection", "").split(",")}
    assert all(sent[name] == headers[name] for name in sent)
    assert set(headers) - HOP_BY_HOP - named - set(sent) <= {"expect"}


def test_expect_100_continue_stops_and_201_created_travels() -> None:
    assert forwarded_headers({"expect": "100-continue"}) == {}
    assert forwarded_headers({"expect": "201-created"}) == {"expect": "201-created"}
    assert forwarded_headers({"connection": "x-secret", "x-secret": "1", "x-b": "2"}) == {
        "x-b": "2"
    }


def test_answers_keep_the_engines_headers_but_those_of_one_connection() -> None:
    answer = answer_of(
        201,
        [
            ("Content-Type", ("application/xml",)),
            ("Transfer-Encoding", "chunked"),
            ("Date", "x"),
            ("Location", "https://engine.example:8443/ovirt-engine/api/vms/1"),
            ("Set-Cookie", ["a=1", "b=2"]),
        ],
        b"<vm/>",
    )
    assert answer.content_type == "application/xml" and answer.body == b"<vm/>"
    assert [name for name, _ in answer.headers] == ["Location", "Set-Cookie", "Set-Cookie"]
    moved = relocated(answer, TARGET, "127.0.0.1:9")
    assert ("Location", "http://127.0.0.1:9/ovirt-engine/api/vms/1") in moved.headers


def test_what_is_not_a_path_is_a_400() -> None:
    for uri in ("*", "vms", "ftp://engine.example/x"):
        try:
            target_of(request(uri), TARGET)
        except Refusal as refusal:
            assert refusal.response.status == 400, uri
        else:
            raise AssertionError(uri)

"""The router: any concrete request URI of a link routes back to that link's template."""

from __future__ import annotations

import functools
import string
from pathlib import Path
from urllib.parse import parse_qsl, quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracttest import Contract, Link, load_contract
from contracttest.router import KNOWN_PREFIXES, Target, split_uri
from contracttest.rsdl import contract_from_bytes
from tests.corpus_contracts import RSDL

PREFIXES = ("/api", "/ovirt-engine/api", "/ovirt-engine/api/v4")
HOSTS = ("", "https://h.example.com:8443", "http://engine.example.com", "https://u:p@h.example.com")
#: RFC 3986 unreserved characters: safe in a path segment without escaping.
URL_SAFE = string.ascii_letters + string.digits + "-._~"

PROPERTY = settings(
    max_examples=50,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@functools.cache
def _load(path: str) -> Contract:
    return load_contract(path)


def real(corpus: Path, key: str) -> Contract:
    return _load(str(corpus / RSDL[key]))


def literal_segments(contract: Contract) -> frozenset[str]:
    return frozenset(
        segment for link in contract.links for segment in link.segments if "{" not in segment
    )


def route_uri(contract: Contract, method: str, uri: str) -> Link | None:
    return contract.router.route(method, split_uri(uri, contract.prefix).segments)


@st.composite
def concrete_uris(
    draw: st.DrawFn, links: tuple[Link, ...], literals: frozenset[str], prefix: str
) -> tuple[Link, str]:
    """One of ``links`` and a concrete URI for it: ids filled in, a host, parameters."""
    link = draw(st.sampled_from(links))
    ids = st.text(URL_SAFE, min_size=1, max_size=24).filter(lambda s: s not in literals)
    segments = [draw(ids) if segment.startswith("{") else segment for segment in link.segments]
    if draw(st.booleans()):
        segments[-1] += draw(st.sampled_from([";max=5", ";async=true", ";detach_only;max=1"]))
    host = draw(st.sampled_from(HOSTS))
    query = draw(st.sampled_from(["", "?search=name%3Dweb*", "?all_content=true&max=10", "?"]))
    return link, f"{host}{prefix}/{'/'.join(segments)}{query}"


@pytest.mark.parametrize("key", ["3.6", "3.3"])
@pytest.mark.parametrize("prefix", PREFIXES)
def test_every_link_routes_back_to_its_template(corpus: Path, key: str, prefix: str) -> None:
    contract = real(corpus, key)

    @PROPERTY
    @given(case=concrete_uris(contract.links, literal_segments(contract), prefix))
    def check(case: tuple[Link, str]) -> None:
        link, uri = case
        routed = route_uri(contract, link.method, uri)
        assert routed is not None, uri
        assert (routed.href, routed.method) == (link.href, link.method), uri

    check()


@pytest.mark.parametrize("key", ["3.6", "3.3", "v3-on-4.x", "gluster"])
def test_every_link_routes_with_plain_ids(corpus: Path, key: str) -> None:
    """Exhaustive, without Hypothesis: each link with '123' ids under the contract's prefix."""
    contract = real(corpus, key)
    for link in contract.links:
        segments = ["123" if s.startswith("{") else s for s in link.segments]
        routed = route_uri(contract, link.method, f"{contract.prefix}/{'/'.join(segments)}")
        assert routed is not None and routed.href == link.href, link.describe()


@pytest.mark.parametrize("key", ["3.6", "3.3"])
@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize(
    ("host", "tail"),
    [("", ""), ("", "/"), (HOSTS[1], ";max=5"), (HOSTS[3], "?rsdl"), (HOSTS[2], "/?schema")],
)
def test_api_root_routes_to_root_link(
    corpus: Path, key: str, prefix: str, host: str, tail: str
) -> None:
    contract = real(corpus, key)
    assert route_uri(contract, "GET", f"{host}{prefix}{tail}") is contract.root_link
    assert route_uri(contract, "POST", f"{host}{prefix}{tail}") is None


@pytest.mark.parametrize("key", ["3.6", "3.3"])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "nosuchcollection"),
        ("GET", "vms/123/nosuchthing"),
        ("GET", "vms/123/disks/456/nosuchthing/789"),
        ("PATCH", "vms/123"),
        ("POST", "vms/123"),
        ("DELETE", "vms"),
        ("GET", "vms/123/start"),
        ("GET", "api/vms"),
    ],
)
def test_unknown_paths_route_to_none(corpus: Path, key: str, method: str, path: str) -> None:
    contract = real(corpus, key)
    assert route_uri(contract, method, f"{contract.prefix}/{path}") is None


def test_links_at_lists_every_method(corpus: Path) -> None:
    contract = real(corpus, "3.6")
    links = contract.router.links_at(("vms", "123"))
    assert links is not None
    assert set(links) == {"GET", "PUT", "DELETE"}
    assert contract.router.links_at(("nosuchcollection",)) is None


def test_literal_segments_win_over_ids(corpus: Path) -> None:
    contract = real(corpus, "3.6")
    start = contract.router.route("POST", ("vms", "123", "start"))
    assert start is not None and start.href == "vms/{vm:id}/start"
    disks = contract.router.route("GET", ("vms", "123", "disks"))
    assert disks is not None and disks.href == "vms/{vm:id}/disks"


def test_route_is_case_insensitive_for_methods(corpus: Path) -> None:
    contract = real(corpus, "3.6")
    assert contract.router.route("get", ("vms",)) is contract.router.route("GET", ("vms",))


BACKTRACK_RSDL = b"""<rsdl href="?rsdl"><links>
  <link href="things/special" rel="get"><request><http_method>GET</http_method></request></link>
  <link href="things/{thing:id}/parts" rel="get">
    <request><http_method>GET</http_method></request></link>
</links></rsdl>"""


def test_router_backtracks_from_a_literal_dead_end() -> None:
    contract = contract_from_bytes(BACKTRACK_RSDL, "backtrack.xml")
    routed = contract.router.route("GET", ("things", "special", "parts"))
    assert routed is not None and routed.href == "things/{thing:id}/parts"
    special = contract.router.route("GET", ("things", "special"))
    assert special is not None and special.href == "things/special"
    assert contract.router.route("GET", ("things", "other")) is None


# --- split_uri --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "prefix", "expected"),
    [
        pytest.param(
            "/ovirt-engine/api/vms/123",
            "/ovirt-engine/api",
            Target("/ovirt-engine/api", ("vms", "123"), (), ()),
            id="plain",
        ),
        pytest.param(
            "https://h.example.com:8443/api/vms;max=5?search=name%3Dweb*",
            "/api",
            Target("/api", ("vms",), (("max", "5"),), (("search", "name=web*"),)),
            id="matrix-and-query",
        ),
        pytest.param(
            "/api/storagedomains/1/vms;unregistered/2;detach_only=true",
            "/api",
            Target(
                "/api",
                ("storagedomains", "1", "vms", "2"),
                (("unregistered", ""), ("detach_only", "true")),
                (),
            ),
            id="matrix-on-several-segments",
        ),
        pytest.param(
            "https://fakeuser:fakepassword@rhevm.example.com/api/datacenters?search=",
            "/api",
            Target("/api", ("datacenters",), (), (("search", ""),)),
            id="userinfo-and-blank-query",
        ),
        pytest.param(
            "/ovirt-engine/api/vms/a%20b/tags/x%2Fy",
            "/ovirt-engine/api",
            Target("/ovirt-engine/api", ("vms", "a b", "tags", "x/y"), (), ()),
            id="percent-decoding-after-splitting",
        ),
        pytest.param(
            "/ovirt-engine/api/vms;name=a%3Bb?search=a%26b&x=1+2",
            "/ovirt-engine/api",
            Target(
                "/ovirt-engine/api", ("vms",), (("name", "a;b"),), (("search", "a&b"), ("x", "1 2"))
            ),
            id="percent-decoded-parameters",
        ),
        pytest.param(
            "/api/vms/123",
            "/ovirt-engine/api",
            Target("/api", ("vms", "123"), (), ()),
            id="api-alias-under-another-prefix",
        ),
        pytest.param(
            "/ovirt-engine/api/v4/vms",
            "/api",
            Target("/ovirt-engine/api/v4", ("vms",), (), ()),
            id="v4-under-api-contract",
        ),
        pytest.param(
            "/ovirt-engine/api/v4/vms",
            "/ovirt-engine/api",
            Target("/ovirt-engine/api/v4", ("vms",), (), ()),
            id="v4-under-ovirt-engine-contract",
        ),
        pytest.param(
            "/ovirt-engine/api;max=1",
            "/ovirt-engine/api",
            Target("/ovirt-engine/api", (), (("max", "1"),), ()),
            id="matrix-on-root",
        ),
        pytest.param(
            "/ovirt-engine/api/vms/",
            "/ovirt-engine/api",
            Target("/ovirt-engine/api", ("vms",), (), ()),
            id="trailing-slash",
        ),
        pytest.param(
            "https://h.example.com/ovirt-engine/sso/oauth/token?grant_type=password",
            "/ovirt-engine/api",
            Target(
                "", ("ovirt-engine", "sso", "oauth", "token"), (), (("grant_type", "password"),)
            ),
            id="outside-the-api",
        ),
        pytest.param(
            "/apidocs/index.html",
            "/api",
            Target("", ("apidocs", "index.html"), (), ()),
            id="prefix-is-a-whole-segment",
        ),
        pytest.param("", "/api", Target("", (), (), ()), id="empty"),
        pytest.param(
            "https://h.example.com/ovirt-engine/api/vms?next=https://x.example.com/y#top",
            "/ovirt-engine/api",
            Target("/ovirt-engine/api", ("vms",), (), (("next", "https://x.example.com/y"),)),
            id="url-in-query-of-absolute-uri",
        ),
        pytest.param(
            "/ovirt-engine/api/vms?search=up&next=https://x.example.com/y",
            "/ovirt-engine/api",
            Target(
                "/ovirt-engine/api",
                ("vms",),
                (),
                (("search", "up"), ("next", "https://x.example.com/y")),
            ),
            id="url-in-query-of-path-only-uri",
        ),
        pytest.param(
            "https://h.example.com?search=a/b",
            "/api",
            Target("", (), (), (("search", "a/b"),)),
            id="slash-in-query-without-path",
        ),
    ],
)
def test_split_uri(uri: str, prefix: str, expected: Target) -> None:
    assert split_uri(uri, prefix) == expected


def test_target_path() -> None:
    target = split_uri("/ovirt-engine/api/vms/1/nics;max=2?x=y", "/ovirt-engine/api")
    assert target.path == "vms/1/nics"


def test_known_prefixes_longest_first() -> None:
    assert KNOWN_PREFIXES == ("/ovirt-engine/api/v4", "/ovirt-engine/api", "/api")


@PROPERTY
@given(
    segments=st.lists(st.text(URL_SAFE, min_size=1, max_size=12), max_size=6),
    prefix=st.sampled_from(("/api", "/ovirt-engine/api")),
    host=st.sampled_from(HOSTS),
)
def test_split_uri_round_trips_safe_segments(segments: list[str], prefix: str, host: str) -> None:
    uri = f"{host}{prefix}/{'/'.join(segments)}"
    target = split_uri(uri, prefix)
    assert target.base == prefix
    assert target.segments == tuple(segments)
    assert (target.matrix, target.query) == ((), ())


@PROPERTY
@given(
    segments=st.lists(
        st.text(st.characters(codec="utf-8"), min_size=1, max_size=12),
        max_size=5,
    ),
    prefix=st.sampled_from(("/api", "/ovirt-engine/api")),
)
def test_split_uri_decodes_any_percent_encoded_segment(segments: list[str], prefix: str) -> None:
    """Escaped '/', ';', '?', '%' and non-ASCII stay inside their segment, decoded."""
    uri = f"https://h.example.com{prefix}/{'/'.join(quote(s, safe='') for s in segments)}"
    target = split_uri(uri, prefix)
    assert (target.base, target.segments, target.matrix) == (prefix, tuple(segments), ())


@given(
    st.lists(
        st.tuples(
            st.text(alphabet="abcxyz_-.=%2F3D+ ", max_size=6),
            st.text(alphabet="abcxyz_-.=%2F3D+ /:", max_size=8),
        ),
        max_size=4,
    )
)
@settings(max_examples=100, deadline=None, database=None)
def test_query_parsing_agrees_with_the_standard_library(pairs: list[tuple[str, str]]) -> None:
    query = "&".join(f"{name}={value}" for name, value in pairs)
    target = split_uri(f"https://h.example.com/ovirt-engine/api/vms?{query}", "/ovirt-engine/api")
    assert target.query == tuple(parse_qsl(query, keep_blank_values=True))

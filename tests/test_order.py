"""A verdict never depends on what was checked before: no memo lends one exchange's verdict
to another.

Property: checking an exchange with a ``Checker`` that has checked any sequence of others
before (drawn, with repetitions, from the real corpus, the seeded defects and the 4.x-in-v3
cases, each possibly moved to another status, media type, prefix, version, method or place)
gives the same violations as a fresh checker, of freshly copied contract, schema and v4
model, checking it alone. The two state rules follow a cassette's order by design; here
every exchange gets a fresh ``CassetteState`` (``check_exchange(exchange)``), so what is
compared is what the memos remember.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import corpus_path
from contracttest import Checker, Exchange, Schema, Violation, load_cassette, load_contract
from contracttest import load_schema as load_xsd
from contracttest.checks.fallback import BUNDLED, V4Model, bundled_v4_contract
from contracttest.rsdl import Contract
from tests.corpus_contracts import RSDL, XSD, nearest, vcrpy_cassettes
from tests.test_defects import DEFECTS, DELETE_TEMPLATE_FAULT, GET_VM, POST_VM
from tests.test_v3_on_4x import API_ROOT, CLUSTER, CLUSTER_ID, cluster_action, with_links

CORPUS = corpus_path()
pytestmark = pytest.mark.skipif(
    not (CORPUS / "rsdl").is_dir(), reason=f"real corpus not found at {CORPUS}"
)

ORDER = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@cache
def contract(key: str) -> Contract:
    return load_contract(CORPUS / RSDL[key])


@cache
def schema(key: str) -> Schema | None:
    return load_xsd(CORPUS / XSD[key]) if key in XSD else None


@cache
def groups() -> dict[str, tuple[tuple[str, Exchange], ...]]:
    """(contract key, exchange), by kind: the corpus, the seeded defects, the 4.x-in-v3 cases."""
    read = cache(load_cassette)
    corpus: list[tuple[str, Exchange]] = []
    for path in vcrpy_cassettes(CORPUS):
        key = nearest(path)[0]
        corpus.extend((key, exchange) for exchange in read(path).exchanges)

    def recorded(where: tuple[str, int]) -> Exchange:
        return read(CORPUS / "cassettes" / "vcrpy" / where[0]).exchanges[where[1]]

    defects: list[tuple[str, Exchange]] = []
    for defect in DEFECTS:
        key = nearest(defect.cassette)[0]
        seeded = defect.seed(tuple(recorded(where) for where in defect.exchanges))
        defects.extend((key, exchange) for exchange in seeded)
    cluster, root = recorded(CLUSTER), recorded(API_ROOT)
    v3_on_4x = [("v3-on-4.x", with_links(cluster, cluster_action(rel))) for rel in V4_ACTIONS]
    v3_on_4x += [
        ("v3-on-4.x", with_links(root, (".", f"/ovirt-engine/api/{name}", name)))
        for name in ("affinitylabels", "teleporters")
    ]
    writes = [(key, e) for key, e in corpus + defects if e.request.method != "GET"]
    return {
        "corpus": tuple(corpus),
        "defects": tuple(defects),
        "v3-on-4.x": tuple(v3_on_4x),
        "writes": tuple(writes),
    }


V4_ACTIONS = ("syncallnetworks", "upgrade", "teleport")
#: Where an exchange comes from: a group and a position in it (taken modulo its size).
Origin = tuple[str, int]


def entry(origin: Origin) -> tuple[str, Exchange]:
    group = groups()[origin[0]]
    return group[origin[1] % len(group)]


origins = st.tuples(
    st.sampled_from(["corpus", "defects", "v3-on-4.x", "writes"]), st.integers(0, 10**6)
)


@dataclass(frozen=True)
class Move:
    """Where an exchange is put: another status, media type, prefix, version, method or
    place, another Location, another header; its bodies stay as they are. None keeps what it
    had."""

    status: int | None = None
    media: str | None = None  # "" drops the Content-Type
    prefix: str | None = None
    version: str | None = None  # "" drops the header
    method: str | None = None
    place: str | None = None  # "rsdl": the API root's ?rsdl; "outside": not under the API
    location: str | None = None
    #: A request header set ("" value: dropped), of the names real clients send.
    request_header: tuple[str, str] | None = None
    #: A response header set ("" value: dropped), of the names real engines send.
    response_header: tuple[str, str] | None = None

    def apply(self, exchange: Exchange) -> Exchange:
        request, response = exchange.request, exchange.response
        uri = request.uri
        if self.prefix is not None:
            for known in ("/ovirt-engine/api/v4", "/ovirt-engine/api", "/api"):
                if known in uri:
                    uri = uri.replace(known, self.prefix, 1)
                    break
        if self.place == "rsdl":
            uri = "https://engine.example.com/ovirt-engine/api?rsdl"
        elif self.place == "outside":
            uri = "https://engine.example.com/ovirt-engine/sso/oauth/token"
        request_headers = dict(request.headers)
        if self.version is not None:
            request_headers.pop("version", None)
            if self.version:
                request_headers["version"] = (self.version,)
        response_headers = dict(response.headers)
        if self.media is not None:
            response_headers.pop("content-type", None)
            if self.media:
                response_headers["content-type"] = (self.media,)
        if self.location is not None:
            response_headers["location"] = (self.location,)
        for headers, change in (
            (request_headers, self.request_header),
            (response_headers, self.response_header),
        ):
            if change is not None:
                name, value = change
                headers.pop(name, None)
                if value:
                    headers[name] = (value,)
        return replace(
            exchange,
            request=replace(
                request, method=self.method or request.method, uri=uri, headers=request_headers
            ),
            response=replace(
                response,
                status=response.status if self.status is None else self.status,
                headers=response_headers,
            ),
        )


def maybe(*values: object) -> st.SearchStrategy[object]:
    """Mostly None (kept as it was), so that most moved exchanges are still walked."""
    return st.one_of(st.none(), st.none(), st.none(), st.sampled_from(values))


#: Header changes, (name, value) with "" for dropping it, of the names real clients and
#: real engines send.
REQUEST_HEADER_CHANGES = (
    ("content-type", "application/json"),
    ("content-type", ""),
    ("expect", "201-created"),
    ("accept", "application/xml"),
    ("prefer", "persistent-auth"),
    ("filter", "true"),
    ("cookie", "JSESSIONID=x"),
)
RESPONSE_HEADER_CHANGES = (
    ("date", "Thu, 01 Feb 2018 10:43:28 GMT"),
    ("correlation-id", "4c727be7"),
    ("set-cookie", "JSESSIONID=x; path=/ovirt-engine/api"),
    ("www-authenticate", 'Basic realm="RESTAPI"'),
    ("link", "</ovirt-engine/api/vms>; rel=vms"),
    ("content-encoding", "gzip"),
    ("jsessionid", "x"),
)
#: Every field of a move, with the values it may take.
CHOICES: dict[str, tuple[object, ...]] = {
    "status": (200, 201, 202, 204, 400, 404, 409, 500),
    "media": ("application/xml", "text/html;charset=UTF-8", "text/plain", ""),
    "prefix": ("/api", "/ovirt-engine/api", "/ovirt-engine/api/v4"),
    "version": ("3", "4", ""),
    "method": ("GET", "POST", "PUT", "DELETE"),
    "place": ("rsdl", "outside"),
    "location": (f"/ovirt-engine/api/clusters/{CLUSTER_ID}", "/api/vms/1"),
    "request_header": REQUEST_HEADER_CHANGES,
    "response_header": RESPONSE_HEADER_CHANGES,
}
moves = st.builds(Move, **{name: maybe(*values) for name, values in CHOICES.items()})
#: A move that differs from another in one thing: ``(field, value)``, applied to it.
nudges = st.one_of(
    *(st.tuples(st.just(name), st.sampled_from(values)) for name, values in CHOICES.items())
)
#: Before the target: the target itself, moved a little (one thing differs) or anywhere;
#: or any exchange, moved anywhere.
picks = st.one_of(
    st.tuples(st.just("nudged"), nudges),
    st.tuples(st.just("moved"), moves),
    st.tuples(origins, moves),
)


def fresh_checker(key: str, v4: V4Model) -> Checker:
    """A checker sharing nothing with any other: copies of the contract and schema (their
    cached routers, compiled types and memos start empty) and of the v4 model."""
    copied = schema(key)
    return Checker(replace(contract(key)), replace(copied) if copied is not None else None, v4=v4)


def fresh_model() -> V4Model:
    return V4Model(replace(bundled_v4_contract()))


@cache
def alone(origin: Origin, move: Move) -> tuple[Violation, ...]:
    key, exchange = entry(origin)
    return tuple(fresh_checker(key, fresh_model()).check_exchange(move.apply(exchange)))


@ORDER
@given(target=origins, move=moves, history=st.lists(picks, max_size=8))
def test_a_verdict_does_not_depend_on_what_was_checked_before(
    target: Origin, move: Move, history: list[tuple[object, object]]
) -> None:
    shared: dict[str, Checker] = {}
    v4 = fresh_model()

    def checker(key: str) -> Checker:
        if key not in shared:
            shared[key] = fresh_checker(key, v4)
        return shared[key]

    for how, what in history:
        if how == "nudged":
            name, value = what  # type: ignore[misc]
            origin, before = target, replace(move, **{name: value})
        else:
            origin = target if how == "moved" else how  # type: ignore[assignment]
            before = what  # type: ignore[assignment]
        key, exchange = entry(origin)
        checker(key).check_exchange(before.apply(exchange))
    key, exchange = entry(target)
    assert tuple(checker(key).check_exchange(move.apply(exchange))) == alone(target, move)


@ORDER
@given(target=origins, move=moves, nudge=nudges)
def test_an_exchange_checked_elsewhere_before_lends_nothing(
    target: Origin, move: Move, nudge: tuple[str, object]
) -> None:
    """The sharpest case: the same exchange checked just before, one thing different."""
    key, exchange = entry(target)
    checker = fresh_checker(key, fresh_model())
    checker.check_exchange(replace(move, **{nudge[0]: nudge[1]}).apply(exchange))
    assert tuple(checker.check_exchange(move.apply(exchange))) == alone(target, move)


#: Exchanges whose verdicts depend on much: v4 representations against a v3 contract (href
#: and schema findings), a creation, a fault, a 4.x-in-v3 answer.
REPRESENTATIVE = {
    "v4-clusters": ("manageiq-providers-ovirt__ovirt_sdk_refresh_graph_target_vm.yml", 0),
    "created-vm": POST_VM,
    "template-fault": DELETE_TEMPLATE_FAULT,
    "vm": GET_VM,
    "4x-cluster": CLUSTER,
}
BASES = (Move(), Move(status=201), Move(status=400), Move(version="3"))


@pytest.mark.parametrize("name", list(REPRESENTATIVE))
def test_every_single_difference_is_told_apart(name: str) -> None:
    """Exhaustively, for a few exchanges: the same exchange just checked with any one thing
    different lends nothing."""
    cassette, index = REPRESENTATIVE[name]
    key = nearest(cassette)[0]
    exchange = load_cassette(CORPUS / "cassettes" / "vcrpy" / cassette).exchanges[index]
    if name == "4x-cluster":
        exchange = with_links(exchange, cluster_action("syncallnetworks"))
    contract_copy, schema_copy = replace(contract(key)), schema(key)
    schema_copy = replace(schema_copy) if schema_copy is not None else None
    v4 = fresh_model()
    for base in BASES:
        expected = tuple(fresh_checker(key, fresh_model()).check_exchange(base.apply(exchange)))
        for field, values in CHOICES.items():
            for value in values:
                # a checker of its own (its memos start empty), on the same compiled copies
                checker = Checker(contract_copy, schema_copy, v4=v4)
                checker.check_exchange(replace(base, **{field: value}).apply(exchange))
                found = tuple(checker.check_exchange(base.apply(exchange)))
                assert found == expected, (base, field, value)


def test_the_pool_holds_corpus_defects_and_v3_on_4x_cases() -> None:
    found = groups()
    assert len(found["corpus"]) == 1258
    assert len(found["defects"]) >= len(DEFECTS)
    assert {key for group in found.values() for key, _ in group} == {"3.3", "3.6", "v3-on-4.x"}
    assert {"POST", "DELETE"} <= {e.request.method for _, e in found["writes"]}


def test_a_body_first_seen_as_a_success_lends_nothing_to_its_error() -> None:
    """The reproduced defect: a body checked as a 200, then as a 400, gave the 200's href
    problems to the 400 too."""
    href_defect = next(d for d in DEFECTS if d.id == "href-outside-api")
    key = nearest(href_defect.cassette)[0]
    read = cache(load_cassette)
    real = tuple(
        read(CORPUS / "cassettes" / "vcrpy" / name).exchanges[index]
        for name, index in href_defect.exchanges
    )
    ok = href_defect.seed(real)[-1]
    failed = Move(status=400).apply(ok)
    shared = Checker(contract(key), schema(key))
    assert [v.rule for v in shared.check_exchange(ok)] == ["response.href"]
    assert [v.rule for v in shared.check_exchange(failed)] == ["response.fault"]
    assert shared.check_exchange(failed) == Checker(contract(key), schema(key)).check_exchange(
        failed
    )


def test_the_default_model_is_shared_and_compared_by_identity() -> None:
    assert Checker(contract("3.3")).v4 is BUNDLED
    assert V4Model(bundled_v4_contract()) != V4Model(bundled_v4_contract())

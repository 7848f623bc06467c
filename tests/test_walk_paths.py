"""The walk's fast paths say exactly what its general paths say, and their memos stay bounded.

A ``<link href rel/>`` under its entity (attributes in the order engines write them) takes a
fast path: both values at once, the verdict from its owner's table. Written ``<link rel
href/>`` it takes the general path. So any document, with its links damaged at will (another
rel, another href, an unknown attribute) must get the same violations whichever order each
link's attributes come in, whatever was checked before. The words of schema findings are
remembered per schema; where each one is stays its own.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracttest import Checker, Exchange, Violation, load_cassette, load_contract, load_schema
from contracttest.router import MEMO_BYTES
from tests.corpus_contracts import RSDL, XSD

#: A v3 VM with actions and sub-collection links; a v4 VM list (links under many owners).
SAMPLES = {
    "3.3": ("deltacloud-rhevm__test_0004_must_allow_to_retrieve_single_instance.yml", 0),
}
LINK = re.compile(rb'<link href="([^"]*)" rel="([^"]*)"/>')


@cache
def _exchange(corpus: Path, name: str, index: int) -> Exchange:
    return load_cassette(corpus / "cassettes" / "vcrpy" / name).exchanges[index]


def _checker(corpus: Path, version: str) -> Checker:
    """A checker of its own: nothing it remembers comes from another test."""
    return Checker(load_contract(corpus / RSDL[version]), load_schema(corpus / XSD[version]))


def _with_body(exchange: Exchange, body: bytes) -> Exchange:
    return replace(exchange, response=replace(exchange.response, body=body))


def _said(violations: list[Violation]) -> list[tuple[str, ...]]:
    return sorted((v.rule, v.xpath, v.message, v.expected, v.received) for v in violations)


#: What may happen to one link: nothing, another rel, another href, an unknown attribute, a
#: rel with a path, or the rel and place of a sub-collection or of an action (so the same rel
#: comes both as an action and as a link, where the verdicts differ).
Damage = st.sampled_from(["none", "rel", "href", "extra", "rel-path", "disks", "start"])


def _rewrite(body: bytes, damages: list[str], flips: list[bool]) -> bytes:
    """Each link damaged as told, and written rel-first where ``flips`` says so (the links
    past the lists' ends are left alone, in the engine's order)."""
    damage_of, flip_of = iter(damages), iter(flips)

    def one(match: re.Match[bytes]) -> bytes:
        damage, flip = next(damage_of, "none"), next(flip_of, False)
        href, rel = match.group(1), match.group(2)
        extra = b""
        if damage == "rel":
            rel = rel + b"x"
        elif damage == "href":
            href = href.rpartition(b"/")[0] + b"/nowhere"
        elif damage == "extra":
            extra = b' type="odd"'
        elif damage == "rel-path":
            rel = rel + b"/search"
        elif damage in ("disks", "start"):
            rel = damage.encode()
            href = href.rpartition(b"/")[0] + b"/" + rel
        if flip:
            return b'<link rel="' + rel + b'" href="' + href + b'"' + extra + b"/>"
        return b'<link href="' + href + b'" rel="' + rel + b'"' + extra + b"/>"

    return LINK.sub(one, body)


@settings(max_examples=60)
@given(
    damages=st.lists(Damage, min_size=0, max_size=20),
    flips=st.lists(st.booleans(), min_size=0, max_size=40),
)
def test_a_link_gets_one_verdict_whichever_path_it_takes(
    corpus: Path, damages: list[str], flips: list[bool]
) -> None:
    name, index = SAMPLES["3.3"]
    vm = _exchange(corpus, name, index)
    assert len(LINK.findall(vm.response.body)) >= 15
    fast = _with_body(vm, _rewrite(vm.response.body, damages, []))
    general = _with_body(vm, _rewrite(vm.response.body, damages, [True] * 100))
    mixed = _with_body(vm, _rewrite(vm.response.body, damages, flips))
    assert not LINK.search(general.response.body)
    # each on a checker of its own, and all on one checker in either order
    alone = [_said(_checker(corpus, "3.3").check_exchange(e)) for e in (fast, general, mixed)]
    assert alone[0] == alone[1] == alone[2]
    shared = _checker(corpus, "3.3")
    for order in ((fast, general, mixed), (mixed, general, fast)):
        assert [_said(shared.check_exchange(e)) for e in order] == [alone[0]] * 3


@settings(max_examples=30)
@given(damages=st.lists(Damage, min_size=1, max_size=20))
def test_a_links_verdict_does_not_depend_on_the_other_links(
    corpus: Path, damages: list[str]
) -> None:
    """What the href rule says of each link with every damage at once is what it says of it with its
    own damage alone: no link lends its verdict to another (an action and a sub-collection
    of the same rel, a rel met before under another owner)."""
    name, index = SAMPLES["3.3"]
    vm = _exchange(corpus, name, index)
    checker = _checker(corpus, "3.3")

    def links_said(body: bytes) -> set[tuple[str, ...]]:
        found = checker.check_exchange(_with_body(vm, body))
        return {said for said in _said(found) if said[0] == "response.href"}

    together = links_said(_rewrite(vm.response.body, damages, []))
    alone: set[tuple[str, ...]] = set()
    for at, damage in enumerate(damages):
        only = ["none"] * at + [damage]
        alone |= links_said(_rewrite(vm.response.body, only, []))
    assert together == alone


def test_a_damaged_link_is_told_on_either_path(corpus: Path) -> None:
    name, index = SAMPLES["3.3"]
    vm = _exchange(corpus, name, index)
    for flip in (False, True):
        damages = ["rel", "href", "extra"]
        body = _rewrite(vm.response.body, damages, [flip] * 3)
        said = _checker(corpus, "3.3").check_exchange(_with_body(vm, body))
        told = {(v.message, v.received) for v in said}
        assert any("'ticketx'" in m and "not an action" in m for m, _ in told), told
        assert any("'migrate'" in m and r.endswith("/nowhere") for m, r in told), told
        assert any("attribute 'type' is not an attribute of Link" in m for m, _ in told), told


def test_owner_tables_are_bounded_by_the_routers_memo(corpus: Path) -> None:
    """Rels come from the traffic: each one an owner's table learns counts in the router's
    bounded memo, so a flood of distinct rels never grows it past its limit."""
    name, index = SAMPLES["3.3"]
    vm = _exchange(corpus, name, index)
    entity = b"/api/vms/4b4f9b94-3f85-45f3-9284-adf3deb72601"
    assert entity in vm.response.body
    checker = _checker(corpus, "3.3")
    cache_ = checker.contract.router.cache
    for batch in range(30):
        links = b"".join(
            b'<link href="' + entity + b"/r%d" % n + b'" rel="r%d"/>' % n
            for n in range(batch * 2000, (batch + 1) * 2000)
        )
        body = vm.response.body.replace(b"<name>", links + b"<name>", 1)
        said = checker.check_exchange(_with_body(vm, body))
        assert any(f"'r{batch * 2000}'" in v.message for v in said)
        assert cache_.size <= MEMO_BYTES
    # and the verdicts after the flood are the verdicts of a fresh checker
    assert _said(checker.check_exchange(vm)) == _said(_checker(corpus, "3.3").check_exchange(vm))


def test_a_remembered_schema_finding_keeps_its_own_place(corpus: Path) -> None:
    name, index = SAMPLES["3.3"]
    vm = _exchange(corpus, name, index)
    checker = _checker(corpus, "3.3")
    one = vm.response.body.partition(b"?>")[2]
    odd = one.replace(b"<name>", b"<bogus>1</bogus><name>", 1)
    # the same problem, once per body, in the first VM of a list and then in the second
    first, second = b"<vms>" + odd + one + b"</vms>", b"<vms>" + one + odd + b"</vms>"
    found = [
        [v for v in checker.check_exchange(_with_body(vm, body)) if "<bogus>" in v.message]
        for body in (first, second)
    ]
    assert [len(f) for f in found] == [1, 1]
    assert found[0][0].message == found[1][0].message
    assert [f[0].xpath for f in found] == ["/vms/vm[1]/bogus", "/vms/vm[2]/bogus"]


@pytest.mark.parametrize("values", [5_000])
def test_the_remembered_words_are_bounded(corpus: Path, values: int) -> None:
    """Values quoted in findings come from the traffic: a schema remembers a bounded number."""
    name, index = SAMPLES["3.3"]
    vm = _exchange(corpus, name, index)
    checker = _checker(corpus, "3.3")
    assert checker.schema is not None
    for n in range(values):
        body = vm.response.body.replace(b"<name>", b"<memory>x%d</memory><name>" % n, 1)
        checker.check_exchange(_with_body(vm, body))
    said = checker.schema.__dict__.get("_said", {})
    assert 0 < len(said) <= 4096

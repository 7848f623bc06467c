"""The checker's caches change nothing but speed."""

from __future__ import annotations

from pathlib import Path

import pytest

from contracttest import Checker, load_cassette, load_contract, load_schema
from contracttest.checks import Memo
from tests.corpus_contracts import RSDL, XSD, nearest, vcrpy_cassettes


def test_reuse_gives_the_same_violations_as_checking_afresh(corpus: Path) -> None:
    files = vcrpy_cassettes(corpus)
    loaded = {
        key: (load_contract(corpus / RSDL[key]), load_schema(corpus / XSD[key]))
        for key in {nearest(f)[0] for f in files}
    }
    reusing = {key: Checker(*pair) for key, pair in loaded.items()}
    afresh = {key: Checker(*pair, reuse=False) for key, pair in loaded.items()}
    total = 0
    for path in files:
        cassette = load_cassette(path)
        key = nearest(path)[0]
        found = reusing[key].check_cassette(cassette)
        assert found == afresh[key].check_cassette(cassette), path.name
        total += len(found)
    assert total > 1000  # the v4 cassettes against the v3 contract: plenty to compare


@pytest.mark.parametrize("size", [1, 7, 10])
def test_memo_keeps_within_its_byte_budget(size: int) -> None:
    memo = Memo(max_bytes=10)
    for i in range(20):
        body = b"<a>%d</a>" % i
        memo.body(body)
        memo.store(("walk", body), i, size)
    assert sum(len(b) for b in memo._bodies) <= 10
    assert memo._results_size <= 10
    last = b"<a>19</a>"
    assert memo.result(("walk", last)) == 19
    assert memo.result(("walk", b"<a>0</a>")) is Memo.MISSING


def test_memo_parses_a_body_once() -> None:
    memo = Memo()
    first = memo.body(b"<vm id='1'/>")
    assert memo.body(b"<vm id='1'/>") is first
    assert first.root is not None and first.root.tag == "vm"


def test_memo_counts_a_result_stored_twice_once() -> None:
    memo = Memo(max_bytes=10)
    for _ in range(5):
        memo.store(("walk", b"<a/>"), 1, 4)
    assert memo._results_size == 4
    memo.store(("walk", b"<b/>"), 2, 4)
    assert memo.result(("walk", b"<a/>")) == 1 and memo.result(("walk", b"<b/>")) == 2

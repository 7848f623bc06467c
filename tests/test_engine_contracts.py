"""The embedded engine serves every real contract in the corpus, and checks clean against it."""

from __future__ import annotations

import base64
import re
import time
from pathlib import Path

import pytest

from contracttest.checker import Checker
from contracttest.engine import HttpRequest, open_engine
from contracttest.engine.tap import Tap
from contracttest.loading import load_contract, load_schema
from contracttest.rules import Severity
from tests.corpus_contracts import RSDL, XSD

SCHEMA_OF = {**{key: key for key in XSD}, "gluster": "v3-on-4.x"}
CREDENTIALS = "Basic " + base64.b64encode(b"admin@internal:ovirt").decode()
_COLLECTION_LINK = re.compile(rb'<link href="([^"?]+)" rel="([^"/]+)"/>')


@pytest.mark.parametrize("key", sorted(RSDL))
def test_engine_serves_each_corpus_contract_cleanly(corpus: Path, key: str) -> None:
    rsdl, xsd = corpus / RSDL[key], corpus / XSD[SCHEMA_OF[key]]
    started = time.thread_time()  # the work of opening, which a busy machine does not change
    engine = open_engine(rsdl, xsd)
    assert time.thread_time() - started < 1.0
    tap = Tap("http://localhost", key)
    engine.observers.append(tap)
    headers = {"authorization": CREDENTIALS, "accept": "application/xml", "host": "localhost"}

    def get(path: str) -> int:
        return engine.handle(HttpRequest("GET", path, headers)).status

    assert get(engine.prefix) == 200
    root = tap.exchanges[-1].response.body
    collections = [href.decode() for href, _ in _COLLECTION_LINK.findall(root)]
    assert len(collections) >= 8
    assert {get(href) for href in collections} == {200}
    assert get(f"{engine.prefix}?rsdl") == 200
    engine.close()

    violations = Checker(load_contract(rsdl), load_schema(xsd)).check_exchanges(tap.exchanges)
    assert [v for v in violations if v.severity is Severity.ERROR] == []

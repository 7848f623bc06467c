"""Property: whatever a client sends, the engine answers as an engine does, never with a 500.

Requests are drawn from the contract itself (every link template, with real ids, made-up
ids and stray segments), with bodies from valid entities to garbage, and odd headers and
query parameters. Every answer is a status below 500 with, when it has a body, XML.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracttest.engine import Engine, HttpRequest, open_engine
from contracttest.xmlsafe import XMLProblem, parse

CREDENTIALS = "Basic " + base64.b64encode(b"admin@internal:ovirt").decode()
BODIES = [
    b"",
    b"<action/>",
    b"<vm><name>fuzz</name><cluster><name>Default</name></cluster>"
    b"<template><name>Blank</name></template></vm>",
    b"<vm><name>x</name><type>bogus</type></vm>",
    b"<nic><name>n</name></nic>",
    b"<disk><name>d</name><provisioned_size>-1</provisioned_size></disk>",
    b"<vm><name>",
    b'<!DOCTYPE vm [<!ENTITY x SYSTEM "file:///etc/passwd">]><vm><name>&x;</name></vm>',
    b"\xff\xfe\x00garbage",
    b'{"name": "json"}',
    b"<action><vm><initialization><custom_script>#x</custom_script></initialization></vm>"
    b"<async>true</async></action>",
]


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    engine = open_engine()
    yield engine
    engine.close()


def requests(engine: Engine) -> st.SearchStrategy[HttpRequest]:
    templates = sorted({link.href for link in engine.model.contract.links})
    ids = [row.id for kind in ("vms", "hosts", "clusters") for row in engine.store.list(kind)]
    segment_id = st.sampled_from([*ids, "nope", "00000000-0000-0000-0000-000000000000", "%00"])

    @st.composite
    def request(draw: st.DrawFn) -> HttpRequest:
        template = draw(st.sampled_from(templates))
        segments = [draw(segment_id) if s.startswith("{") else s for s in template.split("/")]
        segments += draw(st.lists(st.sampled_from(["x", "..", "nics", ";max=1"]), max_size=2))
        query = draw(
            st.sampled_from(
                ["", "?search=name%3Dfuzz*", "?max=abc", "?follow=nics,zzz.y", "?search=page%20x"]
            )
        )
        headers = {"host": "localhost", "authorization": CREDENTIALS}
        headers.update(
            draw(
                st.dictionaries(
                    st.sampled_from(["version", "filter", "prefer", "correlation-id", "expect"]),
                    st.sampled_from(["4", "3", "true", "persistent-auth", "201-created", "\x7f!"]),
                    max_size=3,
                )
            )
        )
        method = draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"]))
        return HttpRequest(
            method,
            f"{engine.prefix}/{'/'.join(segments)}{query}",
            headers,
            draw(st.sampled_from(BODIES)),
        )

    return request()


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_request_gets_a_500(engine: Engine, data: st.DataObject) -> None:
    request = data.draw(requests(engine))
    response = engine.handle(request)
    assert response.status < 500, (request, response.body[:300])
    if response.body:
        assert response.content_type == "application/xml"
        try:
            parse(response.body)
        except XMLProblem as exc:  # pragma: no cover - the assertion message
            pytest.fail(f"{request.method} {request.uri}: answer is not XML: {exc}")

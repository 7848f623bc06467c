"""The scrubber's proof from bytes (``scrubproof.nothing_to_find``) only ever spares a parse
and a walk that would have replaced nothing: scrubbing a body with it gives the same bytes and
the same findings as the parser and the walk forced on every document, over the real corpus
and over XML and JSON documents made of secret shapes (names in every spelling, pairs,
base64, credentials, CDATA, references, escapes), whole or cut short, with and without
configured values, its memo of runs cold or warm. The one difference allowed: a document
that does not parse, proved to hold no secret name, pair, shape or value, is kept as it is
rather than replaced whole. And it spares the walk where it should: an engine's listing.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracttest import scrubdocs, scrubproof
from contracttest.cassette import load_cassette
from contracttest.scrub import _scope
from contracttest.scrubbody import scrub_body
from contracttest.scrubconfig import BODY_PLACEHOLDERS, ScrubConfig
from tests.corpus_contracts import vcrpy_cassettes

PASSWORD = "Zq7-Kn0wn-engine-passw0rd"
CONFIGS = (
    ScrubConfig(),
    ScrubConfig().extended(values=[PASSWORD], identities=["admin@internal"]),
    ScrubConfig().extended(fields=["my_field", "box/lid"], headers=["X-Thing"]),
)


def both(
    data: bytes, config: ScrubConfig, status: int, monkeypatch: Any, kind: str = "xml"
) -> tuple[Any, Any]:
    """Scrubbed with the proof, and with the parser and the walk forced: (bytes, findings)."""
    quick = _scope(config, [], status)
    fast = scrub_body(data, f"application/{kind}", quick, "body")
    with monkeypatch.context() as patch:
        patch.setattr(scrubdocs, "nothing_to_find", lambda *args, **kw: False)
        walked = _scope(config, [], status)
        slow = scrub_body(data, f"application/{kind}", walked, "body")
    return (fast, quick.found), (slow, walked.found)


def assert_alike(data: bytes, config: ScrubConfig, status: int, kind: str = "xml") -> None:
    """The same bytes and findings, or a document that does not parse kept as it is (proved
    clean) where the walk replaced it whole."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        fast, slow = both(data, config, status, monkeypatch, kind)
    if fast == slow:
        return
    unread = BODY_PLACEHOLDERS[f"{kind.upper()} that does not parse"].encode()
    assert slow[0] == unread, (data[:300], fast, slow)
    assert fast == (data, []), (data[:300], fast, slow)
    assert scrubproof.nothing_to_find(data, _scope(config, [], status), json=kind == "json")


def test_the_corpus_scrubs_alike_and_mostly_without_a_walk(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bodies = [
        exchange.response.body
        for path in vcrpy_cassettes(corpus)
        for exchange in load_cassette(path).exchanges
        if exchange.response.body.lstrip().startswith(b"<")
    ]
    assert len(bodies) > 100
    spared = 0
    for body in bodies:
        for config in CONFIGS:
            assert_alike(body, config, 200)
        spared += spares(body)
    assert spared > len(bodies) * 0.7  # an engine's listings name no secret


def spares(body: bytes, config: ScrubConfig = CONFIGS[0]) -> bool:
    """Whether the proof spares ``body`` its parser and the walk."""
    return scrubproof.nothing_to_find(body, _scope(config, [], 200))


def test_an_engine_listing_is_spared_the_walk() -> None:
    body = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<vms><vm href="/ovirt-engine/api/vms/1d61ac65-fb22" id="1d61ac65-fb22-52ef-bf57-5ec24cc0132b">
  <name>web</name><custom_script/><pass_through><mode>disabled</mode></pass_through>
  <link href="/ovirt-engine/api/vms/1d61ac65-fb22-52ef-bf57-5ec24cc0132b/sessions" rel="sessions"/>
  <authorized_ssh_keys/><regenerate_ssh_keys>false</regenerate_ssh_keys>
  <data_center href="/ovirt-engine/api/datacenters/1" id="1"/>
  <description>Basic web server</description>
</vm></vms>"""
    assert not spares(body)  # <custom_script/> is a secret's name (empty: nothing found)
    assert spares(body.replace(b"<custom_script/>", b""))


SECRET = "Xv4-other-s3cret-marker"
#: Names as a document may spell them: harmless ones (near misses), and secret ones (by the
#: rule or configured), in every spelling.
plain_names = [
    "pass_discard", "passthrough", "tokenizer", "public_key", "authorized_ssh_keys",
    "sessions", "custom_scheduling", "my_field_x", "author", "data", "value", "content",
    "name", "web", "x-things", "lid", "configuration", "file",
]  # fmt: skip
secret_names = [
    "password", "Pass-Word", "root.password", "x_pwd", "old_pwd2", "PWD", "pass", "token",
    "csrftoken", "tokens", "token_2", "api-key", "ApiKey", "session_id", "JSESSIONID",
    "cookie", "custom_script", "custom--script", "my.field", "x-thing", "secret", "auth",
    "credentials", "authentication_key", "signature", "api_\u212aey", "_pwd_", "pwd.",
    "Authorization", "ticket", "box",
]  # fmt: skip
plain_texts = [
    "", "true", "web", "Token authentication", "1d61ac65-fb22-52ef-bf57-5ec24cc0132b",
    "externalhostproviders", "a &amp; b", "Basic web server", "admin", "/ovirt-engine/api/x",
]  # fmt: skip
secret_texts = [
    SECRET, PASSWORD, "Basic dXNlcjpwYXNzd29yZA==", "Bearer\nabcdefgh1234",
    base64.b64encode(b"password=" + SECRET.encode()).decode(), "https://user:pw@host/x",
    "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----", "pass%77ord=x",
    "&#112;assword=x", "pa<![CDATA[ss]]>word=x", "Zq7-Kn0wn-<![CDATA[engine-passw0rd]]>",
    "Zq7-Kn0wn&#45;engine-passw0rd", PASSWORD.upper(), "admin@internal", "password: hunter22",
    "&lt;password&gt;x&lt;/password&gt;", "custom script", "custom\n script", "my  field",
]  # fmt: skip


def pick(harmless: list[str], risky: list[str]) -> st.SearchStrategy[str]:
    """Mostly harmless, now and then risky: documents near the line, on both sides."""
    return st.one_of(*[st.sampled_from(harmless)] * 15, st.sampled_from(risky))


names = pick(plain_names, secret_names)
texts = pick(plain_texts, secret_texts)


@st.composite
def documents(draw: st.DrawFn) -> bytes:
    def element(depth: int) -> str:
        tag = draw(names).replace(" ", "_")
        attributes = "".join(
            f' {draw(names)}="{draw(texts)}"'.replace("<![CDATA[", "").replace("]]>", "")
            for _ in range(draw(st.integers(0, 2)))
        )
        attributes = attributes.replace("<", "&lt;")
        if depth and draw(st.booleans()):
            inner = "".join(element(depth - 1) for _ in range(draw(st.integers(1, 3))))
        else:
            inner = draw(texts)
        if draw(st.integers(0, 3)) == 0:
            inner = f"<name>{draw(names)}</name><value>{draw(texts)}</value>{inner}"
        tail = draw(
            st.sampled_from(["", "\n  ", " <!-- password=x --> ", "<?pi token=abcdefgh1?>"])
        )
        return f"<{tag}{attributes}>{inner}</{tag}>{tail}"

    body = element(2)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<root>{body}</root>'.encode()


@settings(max_examples=300, deadline=None)
@given(document=documents(), config=st.sampled_from(CONFIGS), status=st.sampled_from([200, 401]))
def test_a_document_of_secret_shapes_scrubs_alike(
    document: bytes, config: ScrubConfig, status: int
) -> None:
    assert_alike(document, config, status)
    assert_alike(document[: len(document) * 2 // 3], config, status)  # cut short


@pytest.mark.parametrize(
    "body",
    [
        b"<a><b>pa<![CDATA[ss]]>word=hunter2xyz</b></a>",  # CDATA joins a name
        "<a><api_\u212aey>hunter2xyz</api_\u212aey></a>".encode(),  # a Kelvin sign is a k
        b"<o><name>custom\nscript</name><value>#!/bin/sh hunter2xyz</value></o>",
        b"<o><name>custom--script</name><value>#!/bin/sh hunter2xyz</value></o>",
    ],
)
def test_names_the_first_byte_test_once_missed_are_scrubbed(body: bytes) -> None:
    from contracttest.scrub import scrub_body

    assert b"hunter2xyz" not in scrub_body(body, "application/xml", ScrubConfig())


@st.composite
def json_documents(draw: st.DrawFn) -> bytes:
    """JSON as an engine or a client writes it: keys of every kind of name, strings of every
    kind of text (escaped where JSON must, so those go to the walk), pairs by name."""

    def value(depth: int) -> object:
        if depth and draw(st.booleans()):
            if draw(st.booleans()):
                return [value(depth - 1) for _ in range(draw(st.integers(0, 2)))]
            pairs = {draw(names): value(depth - 1) for _ in range(draw(st.integers(0, 3)))}
            if draw(st.integers(0, 3)) == 0:
                pairs |= {"name": draw(names), "value": draw(texts)}
            return pairs
        return draw(st.one_of(texts, st.sampled_from([True, None, 5, "5", 2.5])))

    written = json.dumps(value(3), separators=(",", draw(st.sampled_from([":", ": "]))))
    return written.encode()


@settings(max_examples=300, deadline=None)
@given(
    document=json_documents(), config=st.sampled_from(CONFIGS), status=st.sampled_from([200, 401])
)
def test_a_json_document_of_secret_shapes_scrubs_alike(
    document: bytes, config: ScrubConfig, status: int
) -> None:
    if not document.startswith((b"{", b"[")):
        document = b'{"v": ' + document + b"}"
    assert_alike(document, config, status, "json")
    assert_alike(document[: len(document) * 2 // 3], config, status, "json")


def test_the_memo_of_runs_changes_no_verdict(corpus: Path) -> None:
    """A cold memo, a warm one and one emptied at every step prove the same documents."""
    bodies = [
        exchange.response.body
        for path in vcrpy_cassettes(corpus)
        for exchange in load_cassette(path).exchanges
        if exchange.response.body.lstrip()[:1] in (b"<", b"{", b"[")
    ]
    for config in CONFIGS:
        scope = _scope(config, [], 200)
        warm = [scrubproof.nothing_to_find(b, scope) for b in bodies * 2]
        assert warm[: len(bodies)] == warm[len(bodies) :]
        tiny = scrubproof.Seen(scope.plan, limit=3, longest=8)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(scrubproof, "seen_for", lambda plan, memo=tiny: memo)
            cold = [scrubproof.nothing_to_find(b, scope) for b in bodies]
            assert len(tiny.plain) <= 3 and len(tiny.marked) <= 3
        assert cold == warm[: len(bodies)]


def test_a_run_that_hides_a_secret_in_base64_is_never_remembered_as_plain() -> None:
    secret = base64.b64encode(b"password=hunter2xyz").decode()
    body = f'<?xml version="1.0"?><a><b>{secret}</b></a>'.encode()
    for _ in range(3):
        assert not spares(body)
        scrubbed = scrub_body(body, "application/xml", _scope(ScrubConfig(), [], 200))
        assert secret.encode() not in scrubbed


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    ("body", "config"),
    [
        # an encoding named after white space the declaration may hold: UTF-7's "+AGE-" is "a"
        (
            b'<?xml version="1.0"' + b" " * 250 + b'encoding="UTF-7"?><vm>'
            b"<p+AGE-ssword>x1</p+AGE-ssword><d>+AGg-unter2</d></vm>",
            ScrubConfig().extended(values=["hunter2"]),
        ),
        # base64 touching a comment's dashes: the comment's text is the run alone
        (f"<vm><!--{_b64('password=hunter2xx')}--></vm>".encode(), ScrubConfig()),
        (f"<vm><!-- {_b64('password=hunter2xx')}--></vm>".encode(), ScrubConfig()),
        (f"<vm><!--{_b64('password=hunter2xx')}-->\u00e9</vm>".encode(), ScrubConfig()),
        # a reference only HTML defines: a text view reads a secret's name through it
        (b"<a>private&lowbar;key=hunter2xx</a", ScrubConfig()),
    ],
)
def test_what_the_proof_once_missed_is_not_proved(body: bytes, config: ScrubConfig) -> None:
    assert not scrubproof.nothing_to_find(body, _scope(config, [], 200))
    assert_alike(body, config, 200)
    scrubbed = scrub_body(body, "application/xml", _scope(config, [], 200))
    assert b"hunter2" not in scrubbed and _b64("password=hunter2xx").encode() not in scrubbed

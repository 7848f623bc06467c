"""What every check sees of one exchange: routed, with each body parsed at most once."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from contracttest.checks.fallback import V4Model
from contracttest.exchange import Exchange
from contracttest.jsontree import JSONProblem, is_json, read_json, root_of
from contracttest.router import Target, split_uri
from contracttest.rsdl import Contract, Link
from contracttest.rules import Finding
from contracttest.schema import Schema
from contracttest.xmlsafe import Element, XMLProblem, looks_like_xml, parse


@dataclass(slots=True)
class CassetteState:
    """What one cassette has done so far: entity paths deleted and created, by index."""

    deleted: dict[str, int] = field(default_factory=dict)
    created: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class _Body:
    root: Element | None = None
    problem: str | None = None
    #: A JSON body: its departures from the engine's JSON (``jsontree``).
    notes: tuple[Finding, ...] = ()
    #: Which representation the body is in: "xml", "json", or "" (none, or unreadable).
    representation: str = ""


class Memo:
    """What identical response bodies share across exchanges: the parsed tree and results.

    Polling, refreshes and replays answer the same bytes again and again; each distinct body
    is parsed once, and walked once per distinct walk key. A parsed body depends on its bytes
    alone. A result depends on more, and its key must hold all of it: the walk's key is the
    body, the API base, the router, the compiled root type and the v4 model in use
    (``walk.walk_of``); whether a walk applies to an exchange at all (its status, media
    type, request) is decided before the memo is asked, never stored in it. The checker keeps
    the findings of the checks of one exchange here too, under everything of the exchange
    they read (``checker.verdict_key``). So the verdict on an exchange never depends on what
    was checked before it.

    Bounded: the parsed bodies, and the results (which may hold on to their trees), each
    stand for at most ``max_bytes`` of body text, least recently used first out. Trees are
    shared, so checks must not modify them.
    """

    def __init__(self, max_bytes: int = 16 << 20) -> None:
        self.max_bytes = max_bytes
        self._bodies: OrderedDict[bytes, _Body] = OrderedDict()
        self._size = 0
        self._results: OrderedDict[tuple[object, ...], tuple[object, int]] = OrderedDict()
        self._results_size = 0

    def body(self, data: bytes) -> _Body:
        found = self._bodies.get(data)
        if found is not None:
            self._bodies.move_to_end(data)
            return found
        parsed = _parse_body(data)
        if len(data) <= self.max_bytes:
            self._bodies[data] = parsed
            self._size += len(data)
            while self._size > self.max_bytes:
                evicted, _ = self._bodies.popitem(last=False)
                self._size -= len(evicted)
        return parsed

    def result(self, key: tuple[object, ...]) -> object:
        """A stored result, or ``Memo.MISSING``."""
        found = self._results.get(key)
        if found is None:
            return Memo.MISSING
        self._results.move_to_end(key)
        return found[0]

    def store(self, key: tuple[object, ...], value: object, size: int) -> None:
        """Keep ``value``, made from ``size`` bytes of body, while the budget allows."""
        if size > self.max_bytes:
            return
        replaced = self._results.pop(key, None)
        if replaced is not None:
            self._results_size -= replaced[1]
        self._results[key] = (value, size)
        self._results_size += size
        while self._results_size > self.max_bytes:
            _, (_, evicted) = self._results.popitem(last=False)
            self._results_size -= evicted

    MISSING: object = object()


class Context:
    """One exchange, routed against the contract; bodies are parsed lazily, once."""

    __slots__ = (
        "_media_type",
        "_request_body",
        "_response_body",
        "_response_is_html",
        "api_base",
        "cache",
        "contract",
        "exchange",
        "in_api",
        "link",
        "links_here",
        "memo",
        "schema",
        "serves_contract",
        "state",
        "target",
        "v4",
    )

    def __init__(
        self,
        exchange: Exchange,
        contract: Contract,
        schema: Schema | None,
        state: CassetteState,
        memo: Memo | None = None,
        v4: V4Model | None = None,
    ) -> None:
        """``v4``: the model of a 4.x engine's v3 answers (``checks.fallback``), or None."""
        self.exchange = exchange
        self.memo = memo
        self.v4 = v4
        self._media_type: str | None = None
        self._response_is_html: bool | None = None
        self.contract = contract
        self.schema = schema
        self.state = state
        self.target: Target = split_uri(exchange.request.uri, contract.prefix)
        base = self.target.base
        #: False for requests outside the API prefix (SSO, logout, web pages).
        self.in_api = bool(base)
        #: The API prefix the request used, without a ``/v4`` version suffix.
        self.api_base = base[: -len("/v4")] if base.endswith("/v4") else base
        self.links_here: dict[str, list[Link]] | None = None
        self.link: Link | None = None
        #: ``<api>?rsdl`` or ``<api>?schema``: the contract itself, not a representation.
        self.serves_contract = bool(base) and _asks_for_contract(self.target)
        if self.serves_contract:
            self.links_here = {"GET": [_CONTRACT_DOCUMENT]}
            self.link = _CONTRACT_DOCUMENT if exchange.request.method == "GET" else None
        elif base:
            self.links_here = contract.router.links_at(self.target.segments)
            if self.links_here:
                found = self.links_here.get(exchange.request.method)
                self.link = found[0] if found else None
        self._request_body: _Body | None = None
        self._response_body: _Body | None = None
        #: Results several checks share (the representation walk), by name.
        self.cache: dict[str, object] = {}

    @property
    def media_type(self) -> str:
        """The response's media type, lower-case, without parameters ('' when absent)."""
        if self._media_type is None:
            self._media_type = self.exchange.response.content_type
        return self._media_type

    @property
    def response_is_html(self) -> bool:
        """An HTML page (real engines answer some 401/404 so): not parsed as XML."""
        if self._response_is_html is None:
            media = self.media_type
            self._response_is_html = "html" in media or (
                "xml" not in media and _starts_html(self.exchange.response.body)
            )
        return self._response_is_html

    @property
    def request_root(self) -> Element | None:
        return self._request().root

    @property
    def request_problem(self) -> str | None:
        return self._request().problem

    @property
    def response_root(self) -> Element | None:
        return self._response().root

    @property
    def response_problem(self) -> str | None:
        return self._response().problem

    @property
    def request_notes(self) -> tuple[Finding, ...]:
        return self._request().notes

    @property
    def response_notes(self) -> tuple[Finding, ...]:
        return self._response().notes

    @property
    def request_representation(self) -> str:
        return self._request().representation

    @property
    def response_representation(self) -> str:
        return self._response().representation

    def _request(self) -> _Body:
        if self._request_body is None:
            request = self.exchange.request
            body = request.body
            if is_json(body, (request.header("content-type") or "").lower()):
                link = self.link
                root = root_of(self.schema, link.body_type if link is not None else None)
                self._request_body = _json_body(body, root, self.schema, request=True)
            else:
                self._request_body = _parse_body(body)
        return self._request_body

    def _response(self) -> _Body:
        if self._response_body is None:
            body = self.exchange.response.body
            if self.response_is_html:
                self._response_body = _Body()
            elif is_json(body, self.media_type):
                self._response_body = self._json_response(body)
            elif self.memo is not None:
                self._response_body = self.memo.body(body)
            else:
                self._response_body = _parse_body(body)
        return self._response_body

    def _json_response(self, body: bytes) -> _Body:
        """A JSON answer read as the document it stands for, its root from where it was:
        the link's response type on success, ``<fault>`` (or a failed ``<action>``) on an
        error. Memoised by everything the reading depends on."""
        link, status = self.link, self.exchange.response.status
        if status >= 400:
            root = (
                "action" if link is not None and link.is_action and b'"fault"' in body else "fault"
            )
        elif 200 <= status < 300 and link is not None:
            root = root_of(self.schema, link.response_type)
        else:
            root = root_of(None, None)
        memo = self.memo
        if memo is None:
            return _json_body(body, root, self.schema, request=False)
        key = ("json", body, root, _token(self.schema))
        found = memo.result(key)
        if found is Memo.MISSING:
            found = _json_body(body, root, self.schema, request=False)
            memo.store(key, found, len(body))
        assert isinstance(found, _Body)
        return found


#: The longest value a message shows whole (URIs, hrefs, parameters come from anywhere).
SHOWN = 200


def shown(text: str) -> str:
    """``text``, or its start and its size when it is longer than a message should be."""
    if len(text) <= SHOWN:
        return text
    return f"{text[: SHOWN - 40]}... ({len(text)} characters)"


def _starts_html(body: bytes) -> bool:
    head = body[:512].lstrip()[:64].lower()
    return head.startswith((b"<html", b"<!doctype html"))


def _parse_body(data: bytes) -> _Body:
    if not looks_like_xml(data):
        return _Body()
    try:
        return _Body(root=parse(data), representation="xml")
    except XMLProblem as exc:
        return _Body(problem=str(exc), representation="xml")


def _token(schema: Schema | None) -> object:
    """An object standing for one schema in memo keys (a schema holds dicts: no hash)."""
    if schema is None:
        return None
    return schema.__dict__.setdefault("_memo_token", object())


def _json_body(data: bytes, root: str, schema: Schema | None, *, request: bool) -> _Body:
    try:
        element, notes = read_json(data, root, schema, request=request)
    except JSONProblem as exc:
        return _Body(problem=str(exc), representation="json")
    return _Body(root=element, notes=notes, representation="json")


_CONTRACT_DOCUMENT = Link(href="", rel="get", method="GET", description="the RSDL or XSD")


def _asks_for_contract(target: Target) -> bool:
    return not target.segments and any(key in ("rsdl", "schema") for key, _ in target.query)


def element_matches_type(tag: str, type_name: str, schema: Schema | None) -> bool:
    """Whether a root tag is an element of ``type_name`` (``vm`` for ``VM``)."""
    if schema is not None:
        names = schema.element_names(type_name)
        if names:
            return tag in names
    return _squash(tag) == _squash(type_name)


def expected_elements(type_name: str, schema: Schema | None) -> str:
    names = schema.element_names(type_name) if schema is not None else ()
    if not names:
        names = (type_name.lower(),)
    return " or ".join(f"<{name}>" for name in names)


def _squash(name: str) -> str:
    return name.replace("_", "").lower()

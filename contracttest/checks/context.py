"""What every check sees of one exchange: routed, with each body parsed at most once."""

from __future__ import annotations

from dataclasses import dataclass, field

from contracttest.exchange import Exchange
from contracttest.router import Target, split_uri
from contracttest.rsdl import Contract, Link
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


class Context:
    """One exchange, routed against the contract; bodies are parsed lazily, once."""

    __slots__ = (
        "_request_body",
        "_response_body",
        "contract",
        "exchange",
        "link",
        "links_here",
        "schema",
        "state",
        "target",
    )

    def __init__(
        self,
        exchange: Exchange,
        contract: Contract,
        schema: Schema | None,
        state: CassetteState,
    ) -> None:
        self.exchange = exchange
        self.contract = contract
        self.schema = schema
        self.state = state
        self.target: Target = split_uri(exchange.request.uri, contract.prefix)
        self.links_here: dict[str, list[Link]] | None = None
        self.link: Link | None = None
        if self.in_api:
            self.links_here = contract.router.links_at(self.target.segments)
            if self.links_here:
                found = self.links_here.get(exchange.request.method)
                self.link = found[0] if found else None
        self._request_body: _Body | None = None
        self._response_body: _Body | None = None

    @property
    def in_api(self) -> bool:
        """False for requests outside the API prefix (SSO, logout, web pages)."""
        return bool(self.target.base)

    @property
    def api_base(self) -> str:
        base = self.target.base
        return base[: -len("/v4")] if base.endswith("/v4") else base

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
    def response_is_html(self) -> bool:
        response = self.exchange.response
        if "html" in response.content_type:
            return True
        head = response.body.lstrip()[:64].lower()
        return head.startswith((b"<html", b"<!doctype html"))

    def _request(self) -> _Body:
        if self._request_body is None:
            self._request_body = _parse_body(self.exchange.request.body)
        return self._request_body

    def _response(self) -> _Body:
        if self._response_body is None:
            self._response_body = (
                _Body() if self.response_is_html else _parse_body(self.exchange.response.body)
            )
        return self._response_body


def _parse_body(data: bytes) -> _Body:
    if not data.strip() or not looks_like_xml(data):
        return _Body()
    try:
        return _Body(root=parse(data))
    except XMLProblem as exc:
        return _Body(problem=str(exc))


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

"""The test client's JSON: ``api.Engine`` speaking ``application/json`` on the wire.

``Codec`` holds the contract and its XSD: it renders a request body given as XML (a string,
bytes, an element) to the engine's JSON (``jsonmodel.to_json``), and reads a JSON answer
back into the document it stands for (``jsontree``, the root from the RSDL link the request
reached, ``<fault>`` on an error), so a suite written against elements runs unchanged in
JSON. ``JsonCalls`` (``engine.json``) is the same client returning the parsed JSON itself,
for tests about the JSON representation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from contracttest.client import Reply
from contracttest.jsonmodel import JSON_MEDIA, to_json
from contracttest.jsontree import JSONProblem, Reader, looks_like_json, parse_json, root_of
from contracttest.router import split_uri
from contracttest.rsdl import Contract
from contracttest.schema import Schema
from contracttest.xmlsafe import Element, XMLProblem, parse

if TYPE_CHECKING:
    from contracttest.api import Engine

JsonBody = dict[str, object]


@dataclass(frozen=True)
class Codec:
    """XML documents to and from the engine's JSON, for one contract."""

    contract: Contract | None
    schema: Schema | None

    def body(self, body: str | bytes | Element | JsonBody | None) -> bytes | None:
        """A request body as JSON bytes: a dict as it is, XML as the engine writes it."""
        if body is None:
            return None
        if isinstance(body, dict):
            return json.dumps(body).encode()
        if isinstance(body, str):
            body = body.encode()
        if isinstance(body, bytes):
            if not body.strip() or looks_like_json(body):
                return body
            try:
                return json.dumps(to_json(parse(body), self.schema)).encode()
            except XMLProblem:
                return body  # sent as given: the engine says what is wrong with it
        return json.dumps(to_json(body, self.schema)).encode()

    def _root(self, method: str, target: str, status: int, value: JsonBody) -> str:
        if status >= 400:
            return "action" if "fault" in value and "status" in value else "fault"
        if self.contract is None:
            return root_of(None, None)
        here = self.contract.router.links_at(split_uri(target, self.contract.prefix).segments)
        links = (here or {}).get(method) or []
        return root_of(self.schema, links[0].response_type if links else None)

    def reply(self, method: str, target: str, reply: Reply) -> Reply:
        """The reply with ``root``: the document its JSON body stands for (None: no JSON)."""
        if reply.root is not None or not reply.body.strip():
            return reply
        try:
            value = parse_json(reply.body)
            root = self._root(method, target, reply.status, value)
            element, _ = Reader(self.schema, request=False).read(value, root)
        except JSONProblem:
            return reply
        return replace(reply, root=element)


class JsonCalls:
    """``engine.json.get("vms/123")``: the engine's JSON, parsed; errors raise
    ``EngineError`` as the XML calls do."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def request(
        self, method: str, path: str, body: JsonBody | str | None = None, **query: str
    ) -> Reply:
        """Any call in JSON, raw: status, headers and body, whatever the status."""
        data = json.dumps(body).encode() if isinstance(body, dict) else body
        reply = self._engine.client.request(method, path, data, query=query, media=JSON_MEDIA)
        self._engine.last = reply
        return reply

    def _value(self, method: str, path: str, reply: Reply) -> JsonBody:
        from contracttest.api import EngineError

        self._engine.last = reply
        if reply.status >= 400:
            raise EngineError(method, path, self._engine.codec_reply(method, path, reply))
        if not reply.body.strip():
            return {}
        value = json.loads(reply.body)
        assert isinstance(value, dict), f"{method} {path}: the engine answered {value!r}"
        return value

    def get(self, path: str, **query: str) -> JsonBody:
        return self._value("GET", path, self.request("GET", path, **query))

    def list(self, path: str, **query: str) -> list[JsonBody]:
        """The entities of a collection: ``{"vm": [...]}``'s array (``[]`` for ``{}``)."""
        found = self.get(path, **query)
        items = next(iter(found.values()), []) if len(found) == 1 else []
        return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []

    def add(self, path: str, body: JsonBody, **query: str) -> JsonBody:
        return self._value("POST", path, self.request("POST", path, body, **query))

    def update(self, path: str, body: JsonBody, **query: str) -> JsonBody:
        return self._value("PUT", path, self.request("PUT", path, body, **query))

    def remove(self, path: str, **query: str) -> None:
        self._value("DELETE", path, self.request("DELETE", path, **query))

    def action(self, path: str, name: str, body: JsonBody | None = None) -> JsonBody:
        target = f"{path.rstrip('/')}/{name}"
        return self._value("POST", target, self.request("POST", target, body or {}))

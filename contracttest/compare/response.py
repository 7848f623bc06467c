"""Comparing a new response with the recorded one: status, headers, then bodies by meaning.

A fault where there was success (or the reverse) is one breaking difference and ends the
comparison: the two bodies say different kinds of things. Otherwise a changed status is
breaking, headers are compared by name (masked ones aside; ``Content-Type`` by media type,
``Location`` as an href, ids mapped), and bodies by meaning: XML, and JSON read as the same
kind of tree (``id`` and ``href`` members as attributes). A body that is neither is compared
by presence only (an HTML error page says nothing an API client reads).
"""

from __future__ import annotations

import json
import re
from typing import Any

from lxml import etree

from contracttest.compare.ids import IdMap
from contracttest.compare.masks import Masks
from contracttest.compare.tree import BREAKING, COMPATIBLE, Difference, TreeWalk
from contracttest.exchange import Response
from contracttest.schema import Schema
from contracttest.xmlsafe import Element, XMLProblem, looks_like_xml, parse

_MAX_JSON_DEPTH = 256
_NOT_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_NAME = re.compile(r"[A-Za-z_][\w.-]*")


class Comparer:
    """Compares new responses with recorded ones, exchange after exchange of one replay:
    the ids it learns (``ids``) carry over to the next exchange, and to the requests the
    replay rewrites with them. ``schema`` is the new contract's XSD: where masks come from
    (``xs:dateTime`` values) and what says whether a change was announced."""

    def __init__(
        self, masks: Masks | None = None, schema: Schema | None = None, ids: IdMap | None = None
    ) -> None:
        self.masks = masks if masks is not None else Masks()
        self.schema = schema
        self.ids = ids if ids is not None else IdMap()

    def compare(self, recorded: Response, received: Response) -> list[Difference]:
        """Every difference of ``received`` from ``recorded`` that is not noise."""
        walk = TreeWalk(self.masks, self.schema, self.ids)
        old, new = _Body.of(recorded), _Body.of(received)
        old_failed = recorded.status >= 400 or old.fault
        new_failed = received.status >= 400 or new.fault
        if old_failed != new_failed:
            message = (
                "a fault where there was success"
                if new_failed
                else ("success where there was a fault")
            )
            walk.add(BREAKING, "status", _status(recorded, old), _status(received, new), message)
            return walk.finish()
        if recorded.status != received.status:
            walk.add(
                BREAKING, "status", str(recorded.status), str(received.status), "the status changed"
            )
        self._headers(recorded, received, walk)
        self._bodies(old, new, walk)
        return walk.finish()

    def _headers(self, recorded: Response, received: Response, walk: TreeWalk) -> None:
        masked = self.masks.headers
        old = {k: v for k, v in recorded.headers.items() if k not in masked}
        new = {k: v for k, v in received.headers.items() if k not in masked}
        for name in dict.fromkeys([*old, *new]):
            where = f"header:{_title(name)}"
            before, after = ", ".join(old.get(name, ())), ", ".join(new.get(name, ()))
            if name not in new:
                walk.add(BREAKING, where, before, "", f"header {_title(name)} removed")
            elif name not in old:
                walk.add(COMPATIBLE, where, "", after, f"header {_title(name)} added")
            elif name == "location":
                walk.href(before, after, where, ())
            elif name == "content-type":
                if _media(before) != _media(after):
                    walk.add(BREAKING, where, before, after, "the media type changed")
            elif before != after:
                walk.add(BREAKING, where, before, after, f"header {_title(name)} changed")

    def _bodies(self, old: _Body, new: _Body, walk: TreeWalk) -> None:
        if old.kind == "empty" or new.kind == "empty":
            if old.kind != new.kind:
                if old.kind == "empty":
                    walk.add(COMPATIBLE, "body", "", new.shown, "a body where there was none")
                else:
                    walk.add(BREAKING, "body", old.shown, "", "the body is gone")
            return
        if old.root is not None and new.root is not None and old.kind == new.kind:
            walk.document(old.root, new.root)
        elif old.kind != new.kind and old.kind != "other":
            walk.add(
                BREAKING,
                "body",
                old.kind,
                new.kind,
                f"the body is no longer {old.kind}: {new.problem or new.kind}",
            )


class _Body:
    """A response body read once: its kind (``xml``, ``json``, ``empty``, ``other``) and,
    for XML and JSON, its tree."""

    __slots__ = ("fault", "kind", "problem", "root", "shown")

    def __init__(self, kind: str, root: Element | None, shown: str, problem: str = "") -> None:
        self.kind, self.root, self.shown, self.problem = kind, root, shown, problem
        self.fault = root is not None and kind == "xml" and root.tag == "fault"

    @classmethod
    def of(cls, response: Response) -> _Body:
        body = response.body
        shown = body[:160].decode("utf-8", "replace")
        if not body.strip():
            return cls("empty", None, "")
        media = response.content_type
        if media.endswith("json") or (not media and body.lstrip()[:1] in (b"{", b"[")):
            try:
                return cls("json", json_tree(json.loads(body)), shown)
            except (ValueError, RecursionError):
                return cls("other", None, shown, "not JSON")
        if "xml" in media or looks_like_xml(body):
            try:
                return cls("xml", parse(body), shown)
            except XMLProblem as exc:
                return cls("other", None, shown, str(exc))
        return cls("other", None, shown)


def json_tree(value: Any, tag: str = "json", depth: int = 0) -> Element:
    """A JSON value as an XML tree: members as children (a list as repeated children of the
    member's name), ``id`` and ``href`` members as attributes, scalars as text."""
    element = etree.Element(_xml_name(tag))
    if depth >= _MAX_JSON_DEPTH:
        return element
    if isinstance(value, dict):
        for key, item in value.items():
            name = str(key)
            if name in ("id", "href") and not isinstance(item, dict | list):
                element.set(name, _xml_text(item))
                continue
            for one in item if isinstance(item, list) else [item]:
                element.append(json_tree(one, name, depth + 1))
    elif isinstance(value, list):
        for one in value:
            element.append(json_tree(one, "item", depth + 1))
    else:
        element.text = _xml_text(value)
    return element


def _xml_text(value: object) -> str:
    if value is None:
        return ""
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return _NOT_XML_CHARS.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)


def _xml_name(name: str) -> str:
    return name if _NAME.fullmatch(name) else "_" + re.sub(r"[^\w.-]", "_", name)


def _status(response: Response, body: _Body) -> str:
    shown = f"{response.status} {response.reason}".strip()
    if body.fault and body.root is not None:
        reason = body.root.findtext("reason") or ""
        detail = body.root.findtext("detail") or ""
        shown += f": {reason} {detail}".rstrip()
    return shown


def _media(value: str) -> str:
    return value.split(";", 1)[0].strip().lower()


def _title(name: str) -> str:
    return "-".join(part.capitalize() for part in name.split("-"))

"""How a request meets its recording: method, path (with matrix parameters), query in any
order, and the body compared by meaning (canonical XML, form pairs, JSON), never by bytes.

``request_key`` turns a request into a hashable key once; a cassette indexes its recordings
by key, so finding the response to play is one dictionary lookup. ``nearest`` explains a miss:
the recorded request closest to the one asked for, and which parts of it differ.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from contracttest.exchange import request_target
from contracttest.memo import Memo
from contracttest.xmlsafe import Element, XMLProblem, parse

MATCHERS = ("method", "path", "query", "body")


@dataclass(frozen=True, slots=True)
class Key:
    """What matching compares; equal keys are the same request."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    body: object  # a canonical form: a tuple tree, sorted pairs, JSON text, or bytes


def request_key(method: str, uri: str, body: bytes, content_type: str = "") -> Key:
    parts = urlsplit(uri)
    query = tuple(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return Key(method.upper(), parts.path or "/", query, canonical_body(body, content_type))


def canonical_body(body: bytes, content_type: str = "") -> object:
    """A body's meaning: XML as a tree (whitespace, attribute order and namespace prefixes
    do not count), a form as sorted pairs, JSON as sorted JSON; anything else as bytes."""
    if not body:
        return b""
    key = (body, content_type.split(";", 1)[0].strip().lower())
    found = _MEANINGS.get(key)
    if found is None:
        found = _MEANINGS.put(key, _canonical(*key), len(body))
    return found


#: Bodies' meanings, memoised (polling repeats bodies), bounded by the bodies' bytes.
_MEANINGS: Memo[tuple[bytes, str], object] = Memo(32 << 20, largest=1 << 20)


def _canonical(body: bytes, media: str) -> object:
    head = body.lstrip()[:1]
    if head == b"<":
        try:
            return _tree(parse(body))
        except XMLProblem:
            return body
    if media == "application/x-www-form-urlencoded":
        return ("form", tuple(sorted(parse_qsl(body.decode("latin-1"), keep_blank_values=True))))
    if head in (b"{", b"[") or media.endswith("json"):
        try:
            return ("json", json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")))
        except ValueError:
            return body
    return body


def _tree(root: Element) -> tuple[object, ...]:
    """An element's meaning: ``("xml", nodes)``, every element in document order as
    (depth, tag, sorted attributes, stripped text). lxml tags and attribute names are in
    ``{namespace}local`` form already, so prefixes do not count.

    Flat, so that comparing and hashing two meanings never recurses, whatever the depth;
    the depths make it one tree exactly (a preorder with depths is a tree).
    """
    nodes: list[tuple[int, object, tuple[tuple[object, object], ...], str]] = []
    stack: list[tuple[Element, int]] = [(root, 0)]
    while stack:
        element, depth = stack.pop()
        attributes = tuple(sorted(element.attrib.items()))
        nodes.append((depth, element.tag, attributes, (element.text or "").strip()))
        stack.extend(
            (child, depth + 1) for child in reversed(element) if isinstance(child.tag, str)
        )
    return ("xml", tuple(nodes))


@dataclass(frozen=True, slots=True)
class Miss:
    """The recorded request nearest to one that matched none, and what differs."""

    index: int
    method: str
    uri: str
    differences: tuple[tuple[str, str, str], ...]  # (matcher, asked for, recorded)


def explained(miss: Miss | None) -> list[str]:
    """A miss in the lines of a replay error: the nearest recorded request, what differs."""
    if miss is None:
        return ["  nearest:   (the cassette records no exchange)"]
    lines = [f"  nearest:   #{miss.index} {miss.method} {request_target(miss.uri)}"]
    for matcher, asked, recorded in miss.differences:
        lines.append(f"  differs:   {matcher}: asked {asked}")
        lines.append(f"             {' ' * len(matcher)}  recorded {recorded}")
    return lines


def nearest(asked: Key, asked_uri: str, recorded: Sequence[tuple[Key, str]]) -> Miss | None:
    """The recorded request sharing the most matchers with ``asked`` (ties: the most similar
    method and URI text, then the earliest)."""
    best: tuple[int, float, int] | None = None
    for index, (key, uri) in enumerate(recorded):
        same = sum(1 for name in MATCHERS if _part(asked, name) == _part(key, name))
        # The path counts double: a request to the same resource is the nearer one.
        score = same + (asked.path == key.path)
        similarity = difflib.SequenceMatcher(
            None, f"{asked.method} {asked_uri}", f"{key.method} {uri}"
        ).ratio()
        candidate = (score, similarity, -index)
        if best is None or candidate > best:
            best = candidate
    if best is None:
        return None
    index = -best[2]
    key, uri = recorded[index]
    differences = tuple(
        (name, _show(asked, name), _show(key, name))
        for name in MATCHERS
        if _part(asked, name) != _part(key, name)
    )
    return Miss(index, key.method, uri, differences)


def _part(key: Key, name: str) -> object:
    return getattr(key, name)


def _show(key: Key, name: str) -> str:
    value = _part(key, name)
    if name == "query":
        return "&".join(f"{k}={v}" for k, v in key.query) or "(none)"
    if name == "body":
        return _show_body(value)
    return str(value)


def _show_body(body: object, limit: int = 160) -> str:
    if body == b"":
        return "(empty)"
    if isinstance(body, bytes):
        text = body.decode("utf-8", "replace")
    elif isinstance(body, tuple) and body and body[0] == "form":
        text = "&".join(f"{k}={v}" for k, v in body[1])
    elif isinstance(body, tuple) and body and body[0] == "json":
        text = str(body[1])
    else:
        text = _xml_text(body)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _xml_text(tree: object, limit: int = 4096) -> str:
    """A body's meaning back as compact XML text, for messages (about ``limit`` characters at
    most: messages show less)."""
    if not isinstance(tree, tuple) or len(tree) != 2 or tree[0] != "xml":
        return str(tree)
    nodes = tree[1]
    out: list[str] = []
    size = 0
    open_tags: list[str] = []
    for position, (depth, tag, attributes, text) in enumerate(nodes):
        while len(open_tags) > depth:
            out.append(f"</{open_tags.pop()}>")
        name = _local(str(tag))
        attrs = "".join(f' {_local(k)}="{v}"' for k, v in attributes)
        has_children = position + 1 < len(nodes) and nodes[position + 1][0] > depth
        if text or has_children:
            out.append(f"<{name}{attrs}>{text}")
            open_tags.append(name)
        else:
            out.append(f"<{name}{attrs}/>")
        size += len(out[-1])
        if size > limit:
            return "".join(out)
    out.extend(f"</{name}>" for name in reversed(open_tags))
    return "".join(out)


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]

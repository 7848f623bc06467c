"""Secrets in XML and JSON documents, as their parsers read them.

XML: elements and attributes by their local names (``<password>``, ``root_password="..."``),
a ``parent/child`` pair (``<ticket><value>``), a ``<value>`` whose sibling ``<name>`` or
``<key>`` (or whose ``name``/``key`` attribute) names a secret, and the free text of every
text, tail, attribute, comment and processing instruction, the top-level ones too (CDATA is
text). It is parsed with ``xmlsafe``'s safe configuration, but keeping comments and processing
instructions, since the document is written back; a DOCTYPE is refused as everywhere. JSON:
keys as the parser decoded them (``"pass\\u0077ord"`` is ``password``), pairs alike, every
string's free text. A document with nothing to replace is returned as the same object (one
``scrubproof`` proves so from its bytes is not parsed at all); one with something is written
back whole (XML keeps its declaration and encoding, JSON is compact). ``None`` means the bytes
are not such a document. Pure but for ``scrubproof``'s memo of words: no I/O.
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any

from lxml import etree

from contracttest import xmlsafe
from contracttest.scrubconfig import canonical_name, placeholder
from contracttest.scrubplan import Plan
from contracttest.scrubproof import nothing_to_find
from contracttest.scrubtext import Scope, carries, scrub_text
from contracttest.xmlsafe import new_parser

_MAX_JSON_DEPTH = 256
#: The most attributes one element may have to be read (lxml reads them in quadratic time;
#: an engine's elements have a handful).
MAX_ATTRIBUTES = 256


def _parser() -> etree.XMLParser:
    """``xmlsafe``'s configuration, keeping comments and processing instructions: they are
    written back, so what they hold is scrubbed too."""
    return new_parser(keep_comments=True)


_local = threading.local()


def scrub_xml(data: bytes, scope: Scope, where: str) -> bytes | None:
    if nothing_to_find(data, scope):
        return data
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = _parser()
    try:
        root = etree.fromstring(data, parser)
    except (etree.XMLSyntaxError, ValueError):
        return None
    docinfo: Any = root.getroottree().docinfo if root is not None else None
    if docinfo is None or docinfo.doctype:
        return None  # a DOCTYPE: refused as everywhere (xmlsafe)
    before = len(scope.found)
    try:  # ValueError: too many attributes, or lxml refusing a comment's new text
        for node in (*reversed(list(root.itersiblings(preceding=True))), *root.itersiblings()):
            _xml_other(node, "", scope, where)
        _xml_walk(root, scope, where)
    except ValueError:
        del scope.found[before:]
        return None
    if len(scope.found) == before:
        return data
    prolog = _PROLOG.match(data)
    encoding = docinfo.encoding or "UTF-8"
    out = etree.tostring(root.getroottree(), encoding=encoding, xml_declaration=False)
    written = out.encode(encoding) if isinstance(out, str) else out
    tail = data[len(data.rstrip()) :]
    return (prolog.group() if prolog else b"") + written + tail


_PROLOG = re.compile(rb"\A\s*(?:<\?xml[^>]*\?>\s*)?")


def _xml_walk(root: etree._Element, scope: Scope, where: str) -> None:
    plan, found = scope.plan, scope.found
    stack: list[tuple[etree._Element, str, str]] = [(root, "", "")]
    while stack:
        node, parent, path = stack.pop()
        if not isinstance(node.tag, str):
            _xml_other(node, path, scope, where)
            continue
        local = xmlsafe.local_name(node.tag)
        name, here = canonical_name(local), f"{path}/{local}"
        node.tail = _text(node.tail, scope, f"{where} {path or '/'}")
        if plan.secret_field(name, parent) and _has_secret(node):
            found.append(f"{where} {here}")
            _wipe(node, name)
            continue
        if len(node.attrib) > MAX_ATTRIBUTES:
            raise ValueError("too many attributes to read")  # unread: lxml's are quadratic
        children = list(node)
        paired = _paired_by_child(children, plan)
        for child in children:
            if paired and xmlsafe.local_name(child.tag) == "value" and _has_secret(child):
                found.append(f"{where} {here}/value ({paired})")
                _wipe(child, paired)
        by_attribute = _secret_of(node.get("name") or node.get("key"), plan)
        _xml_attributes(node, by_attribute, here, scope, where)
        if by_attribute and not children and carries(node.text or ""):
            found.append(f"{where} {here} ({by_attribute})")
            node.text = placeholder(by_attribute)
        node.text = _text(node.text, scope, f"{where} {here}")
        stack.extend((child, name, here) for child in reversed(children))


def _xml_attributes(node: etree._Element, paired: str, here: str, scope: Scope, where: str) -> None:
    """Attributes by their names (``root_password="..."``), and ``value`` where a ``name`` or
    ``key`` attribute names a secret (``<option name="password" value="..."/>``)."""
    for key, raw in node.attrib.items():
        value = raw if isinstance(raw, str) else raw.decode("utf-8", "replace")
        local = xmlsafe.local_name(key)
        name = canonical_name(local)
        kind = paired if paired and name == "value" else name
        if scope.plan.secret_field(name) or kind != name:
            if carries(value):
                scope.found.append(f"{where} {here}/@{local}")
                node.set(key, placeholder(kind))
            continue
        new = scrub_text(value, scope, f"{where} {here}/@{local}")
        if new is not value:
            node.set(key, new)


def _paired_by_child(children: list[etree._Element], plan: Plan) -> str:
    """The secret name a ``<name>`` or ``<key>`` child gives its siblings ``<value>``:
    ``<option><name>password</name><value>...</value></option>``."""
    for child in children:
        if xmlsafe.local_name(child.tag) in ("name", "key"):
            return _secret_of(child.text, plan)
    return ""


def _secret_of(text: str | None, plan: Plan) -> str:
    """``text`` as a canonical name when it names a secret field, else ''."""
    if not text or len(text) > 64:
        return ""
    name = canonical_name(text)
    return name if name and plan.secret_field(name) else ""


def _has_secret(node: etree._Element) -> bool:
    return len(node) > 0 or carries(node.text or "")


def _wipe(node: etree._Element, name: str) -> None:
    for child in list(node):
        node.remove(child)
    node.text = placeholder(name)


def _xml_other(node: Any, path: str, scope: Scope, where: str) -> None:
    """A comment or processing instruction: its text and the text after it."""
    kind = "comment()" if isinstance(node, etree._Comment) else "processing-instruction()"
    node.text = _text(node.text, scope, f"{where} {path}/{kind}")
    node.tail = _text(node.tail, scope, f"{where} {path or '/'}")


def _text(text: str | None, scope: Scope, where: str) -> str | None:
    if not text:
        return text
    return scrub_text(text, scope, where)


# ---------------------------------------------------------------- JSON


def scrub_json(data: bytes, scope: Scope, where: str) -> bytes | None:
    if nothing_to_find(data, scope, json=True):
        return data
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):
        return None
    before = len(scope.found)
    try:
        new = _json_value(value, "", "", scope, where, 0)
    except RecursionError:  # nested deeper than _MAX_JSON_DEPTH: not read, as the parser's
        return None
    if len(scope.found) == before:
        return data
    return json.dumps(new, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _json_value(value: Any, parent: str, path: str, scope: Scope, where: str, depth: int) -> Any:
    if depth > _MAX_JSON_DEPTH:
        raise RecursionError("JSON nested too deep to scrub")
    if isinstance(value, str):
        return scrub_text(value, scope, f"{where} {path or '/'}")
    if isinstance(value, list):
        return [
            _json_value(v, parent, f"{path}/{i}", scope, where, depth + 1)
            for i, v in enumerate(value)
        ]
    if not isinstance(value, dict):
        return value
    named = value.get("name", value.get("key"))
    paired = _secret_of(named, scope.plan) if isinstance(named, str) else ""
    result = {}
    for key, item in value.items():
        name = canonical_name(key)
        here = f"{path}/{key}"
        secret = scope.plan.secret_field(name, parent) or (paired and name == "value")
        if secret and _json_secret(item):
            scope.found.append(f"{where} {here}")
            result[key] = placeholder(paired if paired and name == "value" else name)
        else:
            result[key] = _json_value(item, name, here, scope, where, depth + 1)
    return result


def _json_secret(value: Any) -> bool:
    if isinstance(value, str):
        return carries(value)
    if value is None or isinstance(value, bool):
        return False
    return not isinstance(value, list | dict) or bool(value)

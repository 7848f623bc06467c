"""Safe XML parsing: one parser configuration for everything contracttest reads.

Entities are never resolved, DTDs never loaded, the network never touched and huge trees
refused, so an XXE or entity-expansion ("billion laughs") payload is inert. A document that
declares entities is still reported, because no engine ever sends one.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from lxml import etree

from contracttest.errors import ContractTestError

Element = etree._Element


def new_parser(*, keep_comments: bool = False) -> etree.XMLParser:
    """A parser of the one safe configuration; ``keep_comments`` keeps comments and
    processing instructions (for whoever writes a document back, as the scrubber does)."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=not keep_comments,
        remove_pis=not keep_comments,
    )


def _parser() -> etree.XMLParser:
    return new_parser()


PARSER = _parser()
_local = threading.local()


def _thread_parser() -> etree.XMLParser:
    """``PARSER`` in the main thread; a parser of its own in any other (lxml's advice)."""
    if threading.current_thread() is threading.main_thread():
        return PARSER
    parser: etree.XMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = _parser()
    return parser


class XMLProblem(ContractTestError, ValueError):
    """A body that is not usable XML; the message says why in one line."""


def parse(data: bytes) -> Element:
    """Parse ``data`` safely; raise ``XMLProblem`` for malformed or entity-bearing XML."""
    try:
        root = etree.fromstring(data, _thread_parser())
    except etree.XMLSyntaxError as exc:
        raise XMLProblem(f"not well-formed XML: {_first_line(str(exc))}") from None
    if root is None:
        raise XMLProblem("empty XML document")
    docinfo: Any = root.getroottree().docinfo
    if docinfo.doctype:
        dtd: Any = docinfo.internalDTD
        if dtd is not None and any(True for _ in dtd.iterentities()):
            raise XMLProblem(
                "declares XML entities in a DOCTYPE (XXE or entity-expansion payload); not expanded"
            )
        raise XMLProblem("carries a DOCTYPE, which the engine never sends")
    return root


def parse_written(data: bytes) -> Element:
    """Parse XML this program wrote itself (``jsontree``'s document of a JSON body): the
    safe parser, without looking for a DOCTYPE: a document that starts with its root
    element has none (one that does not is looked at as any other)."""
    if not data.startswith(b"<") or data.startswith((b"<!", b"<?")):
        return parse(data)
    try:
        return etree.fromstring(data, _thread_parser())
    except etree.XMLSyntaxError as exc:
        raise XMLProblem(f"not well-formed XML: {_first_line(str(exc))}") from None


def root_or_none(data: bytes) -> Element | None:
    """The root of an XML body, or None when the body is not XML or not usable XML."""
    if not looks_like_xml(data):
        return None
    try:
        return parse(data)
    except XMLProblem:
        return None


def looks_like_xml(data: bytes) -> bool:
    """True when ``data`` starts (after white space and a BOM) with ``<``."""
    head = data[:4096].lstrip(b" \t\r\n")
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:].lstrip(b" \t\r\n")
    return head[:1] == b"<"


def _first_line(text: str) -> str:
    line = text.splitlines()[0] if text else "syntax error"
    return re.sub(r" \(<string>, line \d+\)$", "", line)


def local_name(tag: object) -> str:
    """The tag without its namespace; '' for comments and processing instructions."""
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]

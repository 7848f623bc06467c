"""Reading answers: the child, text or href a test needs, or an assertion naming what is
missing (rather than an ``AttributeError`` on ``None`` three lines later)."""

from __future__ import annotations

from collections.abc import Iterable

from contracttest.api import Engine
from contracttest.xmlsafe import Element


def child(element: Element, path: str) -> Element:
    __tracebackhide__ = True
    found = element.find(path)
    assert found is not None, f"<{element.tag}> has no {path}"
    return found


def text(element: Element, path: str) -> str:
    __tracebackhide__ = True
    return child(element, path).text or ""


def href(element: Element) -> str:
    __tracebackhide__ = True
    value = element.get("href")
    assert value, f"<{element.tag}> has no href"
    return value


def ident(element: Element) -> str:
    __tracebackhide__ = True
    value = element.get("id")
    assert value, f"<{element.tag}> has no id"
    return value


def status(element: Element) -> str:
    """The status of an entity or an action answer: v4's ``<status>up</status>``, v3's
    ``<status><state>up</state></status>``."""
    __tracebackhide__ = True
    value = Engine.status(element)
    assert value is not None, f"<{element.tag}> has no status"
    return value


def names(elements: Iterable[Element]) -> list[str]:
    return [element.findtext("name") or "" for element in elements]


def ids(elements: Iterable[Element]) -> set[str]:
    return {element.get("id", "") for element in elements}

"""The change catalogue and the value a difference is.

A change class is data: a stable id (part of the public interface: ignore files and CI
scripts name it), a severity and why, judged from the side of a client written against the
old contract. What a client sends (links, headers, URL and body parameters, enumeration
values it may send) must not narrow; what a server returns (response types, elements,
enumeration values it may return) must not grow in ways a client cannot read. A ``Change`` is
one instance: its class, where it is (stable, so one known change can be accepted alone)
and a message; its id is ``class:where``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    BREAKING = "breaking"

    @property
    def rank(self) -> int:
        return _RANKS[self]


_RANKS = {Severity.INFO: 1, Severity.WARNING: 2, Severity.BREAKING: 3}


@dataclass(frozen=True, slots=True)
class ChangeClass:
    id: str
    severity: Severity
    title: str
    why: str


_B, _W, _I = Severity.BREAKING, Severity.WARNING, Severity.INFO


def _classes(*rows: tuple[str, Severity, str, str]) -> dict[str, ChangeClass]:
    return {row[0]: ChangeClass(*row) for row in rows}


#: Every change class, in the order reports list them (within a severity).
CATALOGUE: dict[str, ChangeClass] = _classes(
    # links, matched by method and href template (variable names and API prefix aside)
    ("link-removed", _B, "A link is gone", "a client calling it gets an error"),
    ("action-removed", _B, "An action is gone", "a client calling it gets an error"),
    ("rel-removed", _B, "A rel of a link is gone", "a client following the rel finds nothing"),
    ("link-added", _I, "A link is new", "nothing a client does changes"),
    ("action-added", _I, "An action is new", "nothing a client does changes"),
    ("rel-added", _I, "A rel is new on a link", "nothing a client does changes"),
    # the request body: its type and parameter sets (what a client sends)
    ("body-type-changed", _B, "The body type changed", "the body a client sends is refused"),
    ("body-type-removed", _B, "A body type is gone", "a client sending it is refused"),
    ("body-type-added", _I, "A body type is new", "an alternative; old bodies still go"),
    ("parameter-set-removed", _B, "A parameter set is gone", "requests built on it fail"),
    ("parameter-set-added", _I, "A parameter set is new", "an alternative way to call"),
    ("parameter-required-added", _B, "A new required parameter", "old requests lack it"),
    (
        "parameter-now-required",
        _B,
        "An optional parameter is now required",
        "old requests may lack it",
    ),
    ("parameter-type-changed", _B, "A parameter's type changed", "old values may be refused"),
    (
        "parameter-alternatives-removed",
        _B,
        "A parameter takes fewer alternatives (id|name)",
        "a client naming the other alternative is refused",
    ),
    (
        "parameter-removed",
        _W,
        "A parameter is gone",
        "what a client sends is ignored, and what it selected silently lost",
    ),
    ("parameter-deprecated", _W, "A parameter is deprecated", "it will go; plan to stop it"),
    ("parameter-added", _I, "An optional parameter is new", "old requests still go"),
    ("parameter-now-optional", _I, "A required parameter is now optional", "old requests go"),
    (
        "parameter-alternatives-added",
        _I,
        "A parameter takes more alternatives (id|name)",
        "old requests still go",
    ),
    # headers and URL parameters (matrix ;x=1 or query ?x=1)
    ("header-required-added", _B, "A new required header", "old requests lack it"),
    ("header-now-required", _B, "An optional header is now required", "old requests may lack it"),
    ("header-removed", _W, "A header is gone", "what it selected is silently lost"),
    (
        "header-value-changed",
        _W,
        "A header's documented value changed",
        "a client sending the old value may be refused or get another answer",
    ),
    ("header-added", _I, "An optional header is new", "old requests still go"),
    ("header-now-optional", _I, "A required header is now optional", "old requests go"),
    ("url-parameter-required-added", _B, "A new required URL parameter", "old requests lack it"),
    (
        "url-parameter-now-required",
        _B,
        "An optional URL parameter is now required",
        "old requests may lack it",
    ),
    (
        "url-parameter-type-changed",
        _B,
        "A URL parameter's type changed",
        "old values may be refused",
    ),
    (
        "url-parameter-moved",
        _W,
        "A URL parameter moved between matrix and query",
        "engines read both places, a strict server or proxy does not",
    ),
    ("url-parameter-removed", _W, "A URL parameter is gone", "what it selected is silently lost"),
    ("url-parameter-deprecated", _W, "A URL parameter is deprecated", "it will go"),
    ("url-parameter-added", _I, "An optional URL parameter is new", "old requests still go"),
    (
        "url-parameter-now-optional",
        _I,
        "A required URL parameter is now optional",
        "old requests go",
    ),
    # the response type (what a server returns)
    (
        "response-type-changed",
        _B,
        "The response type changed",
        "a client reads another document than it expects",
    ),
    (
        "response-type-specialised",
        _W,
        "The response type is a richer type",
        "every old element and attribute is still there; the root element may differ",
    ),
    (
        "response-type-added",
        _W,
        "A response type is new",
        "a client may get a document it does not expect",
    ),
    (
        "response-type-removed",
        _W,
        "A response type is gone",
        "a client expecting it gets another document, or none",
    ),
    # the entity XSD
    ("type-removed", _B, "An XSD type is gone", "documents of that type no longer exist"),
    ("root-element-removed", _B, "A global element is gone", "documents with that root are gone"),
    (
        "root-element-renamed",
        _B,
        "A global element is renamed",
        "a client dispatching on the root tag misses it",
    ),
    (
        "root-element-type-changed",
        _B,
        "A global element's type changed",
        "its documents change shape",
    ),
    (
        "element-removed",
        _B,
        "An element is gone from a type",
        "a client reading or sending it breaks",
    ),
    (
        "element-renamed",
        _B,
        "An element is renamed in a type",
        "a client reading or sending the old name breaks",
    ),
    ("element-type-changed", _B, "An element's type changed", "its values change shape"),
    ("attribute-removed", _B, "An attribute is gone from a type", "a client reading it breaks"),
    ("attribute-type-changed", _B, "An attribute's type changed", "its values change shape"),
    (
        "attribute-to-element",
        _B,
        "An attribute became an element",
        "a client reading the attribute finds nothing",
    ),
    (
        "element-to-attribute",
        _B,
        "An element became an attribute",
        "a client reading the element finds nothing",
    ),
    ("text-type-changed", _B, "A type's text content changed type", "its values change shape"),
    (
        "request-enum-value-removed",
        _B,
        "A value a client may send is gone",
        "a client sending it is refused",
    ),
    (
        "element-occurrence-changed",
        _W,
        "How often an element may occur changed",
        "a client may find it missing, or repeated",
    ),
    (
        "attribute-occurrence-changed",
        _W,
        "Whether an attribute is required changed",
        "a client may find it missing, or must send it",
    ),
    (
        "response-enum-value-added",
        _W,
        "A value a server may return is new",
        "a client switching on the values meets one it does not know",
    ),
    ("type-added", _I, "An XSD type is new", "nothing a client does changes"),
    ("root-element-added", _I, "A global element is new", "nothing a client does changes"),
    ("element-added", _I, "An element is new in a type", "tolerant readers ignore it"),
    ("attribute-added", _I, "An attribute is new in a type", "tolerant readers ignore it"),
    ("request-enum-value-added", _I, "A value a client may send is new", "old requests go"),
    (
        "response-enum-value-removed",
        _I,
        "A value a server returned is gone",
        "a client handling it still works",
    ),
)

ORDER = {class_id: index for index, class_id in enumerate(CATALOGUE)}
_VARIABLE = re.compile(r"\{[^{}/]*\}")


@dataclass(frozen=True, slots=True)
class Change:
    """One difference: ``kind`` is its class id, ``where`` a stable place, ``message`` what."""

    kind: str
    where: str
    message: str

    @property
    def id(self) -> str:
        return f"{self.kind}:{self.where}"

    @property
    def severity(self) -> Severity:
        return CATALOGUE[self.kind].severity

    def as_json(self) -> dict[str, str]:
        return {
            "id": self.id,
            "severity": str(self.severity),
            "where": self.where,
            "message": self.message,
        }


def sort_key(change: Change) -> tuple[int, int, str]:
    return (-change.severity.rank, ORDER[change.kind], change.where)


def unnamed(text: str) -> str:
    """``text`` with its href variables unnamed (``{vm:id}``, ``{id}``: ``{}``)."""
    return _VARIABLE.sub("{}", text)


def normal_id(change_id: str) -> str:
    """An id as an ignore file matches it: whatever the engine called its variables."""
    return unnamed(change_id.strip())


def counts(changes: Iterable[Change]) -> dict[str, int]:
    found = {str(severity): 0 for severity in (Severity.BREAKING, Severity.WARNING, _I)}
    for change in changes:
        found[str(change.severity)] += 1
    return found

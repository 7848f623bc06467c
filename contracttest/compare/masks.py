"""Noise masks: what differs between two runs of the same request and means nothing.

A masked value is never compared as a value, only by its format (an id that is still an id,
a date that is still a date): a new engine gives new ids, hrefs, dates, statistics and job
ids to the same request. Masks come from three places:

* headers by name (``Date``, ``Correlation-Id``, cookies, the transport's own);
* XSD types (``xs:dateTime``, ``xs:date``, ``xs:time``): every element or attribute the
  contract's schema declares with such a type (or a simple type based on one); where the
  schema says nothing, a value that looks like one of them;
* element paths, matched against the end of an element's path (``statistic/values`` masks
  every statistic's values; ``/api/product_info/version`` only that one; ``vm/@id`` an
  attribute): statistics values, and the engine's own version.

``id`` attributes are always masked (and mapped, see ``ids``), and so are the id segments
of hrefs. ``Masks.of(["header:Expires", "type:xs:duration", "vm/stop_time"])`` adds to the
defaults, as ``contracttest verify --mask`` does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from contracttest.errors import UsageError
from contracttest.schema import Schema

#: Headers never compared: they differ on every answer, or belong to the connection.
DEFAULT_HEADERS = frozenset(
    {
        "date", "correlation-id", "set-cookie", "cookie", "jsessionid", "server",
        "content-length", "connection", "keep-alive", "transfer-encoding", "content-encoding",
        "expires", "cache-control", "pragma", "vary", "etag", "last-modified", "age", "via",
        "strict-transport-security",
    }
)  # fmt: skip
#: XSD types whose values are compared by format only.
DEFAULT_TYPES = frozenset({"xs:dateTime", "xs:date", "xs:time"})
#: Element paths whose values are compared by format only: statistics values move between
#: two reads; an upgrade changes the engine's version by definition.
DEFAULT_PATHS = ("statistic/values", "/api/product_info/version")

_DATE_TIME = re.compile(r"-?\d{4,}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?")
_DATE = re.compile(r"-?\d{4,}-\d\d-\d\d(?:Z|[+-]\d\d:\d\d)?")
_TIME = re.compile(r"\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)?")
UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_SHAPES = (
    ("a uuid", UUID),
    ("a date and time", _DATE_TIME),
    ("a date", _DATE),
    ("a time", _TIME),
    ("a boolean", re.compile(r"true|false")),
    ("an integer", re.compile(r"[+-]?\d+")),
    ("a decimal", re.compile(r"[+-]?(?:\d+\.\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]?\d+[eE][+-]?\d+")),
)
#: What a value that looks like a date or time is, when no schema says: masked as noise.
_TEMPORAL = frozenset({"a date and time", "a date", "a time"})


def shape(text: str) -> str:
    """What kind of value ``text`` is, by its look: 'a uuid', 'an integer', ... or 'text'."""
    if not text:
        return "empty"
    for name, pattern in _SHAPES:
        if pattern.fullmatch(text):
            return name
    return "text"


def temporal(text: str) -> bool:
    return shape(text) in _TEMPORAL


@dataclass(frozen=True)
class Masks:
    """What is noise: header names (lower-case), XSD type names, element path patterns."""

    headers: frozenset[str] = DEFAULT_HEADERS
    types: frozenset[str] = DEFAULT_TYPES
    paths: tuple[str, ...] = DEFAULT_PATHS
    _index: dict[str, list[tuple[tuple[str, ...], bool]]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        index: dict[str, list[tuple[tuple[str, ...], bool]]] = {}
        for pattern in self.paths:
            anchored = pattern.startswith("/")
            parts = tuple(p for p in pattern.strip("/").split("/") if p)
            if parts:
                index.setdefault(parts[-1], []).append((parts, anchored))
        object.__setattr__(self, "_index", index)

    @classmethod
    def of(cls, words: Iterable[str], *, defaults: bool = True) -> Masks:
        """The defaults (or none) plus ``words``: ``header:NAME``, ``type:xs:NAME`` or an
        element path (``statistic/values``, ``/api/time``, ``vm/@id``)."""
        base = cls() if defaults else cls(frozenset(), frozenset(), ())
        headers, types, paths = set(base.headers), set(base.types), list(base.paths)
        for word in words:
            kind, _, rest = word.partition(":")
            if kind == "header" and rest:
                headers.add(rest.strip().lower())
            elif kind == "type" and rest:
                types.add(rest.strip())
            elif word.strip("/") and ":" not in word and not word.isspace():
                paths.append(word.strip())
            else:
                raise UsageError(
                    f"--mask {word!r}: not header:NAME, type:xs:NAME or an element path "
                    "(statistic/values, /api/time, vm/@id)"
                )
        return replace(base, headers=frozenset(headers), types=frozenset(types), paths=tuple(paths))

    def path_masked(self, path: tuple[str, ...]) -> bool:
        """Whether the element (or ``@attribute``) at ``path`` (local names from the root)
        is masked by a path pattern."""
        candidates = self._index.get(path[-1]) if path else None
        if not candidates:
            return False
        for parts, anchored in candidates:
            size = len(parts)
            if anchored and len(path) != size:
                continue
            if path[-size:] == parts:
                return True
        return False

    def type_masked(self, schema: Schema | None, type_name: str | None) -> bool:
        """Whether values of ``type_name`` are noise (its own name, or a base's, masked)."""
        if schema is None or type_name is None:
            return False
        for _ in range(64):  # a chain of simple types; cycles, which no XSD has, end here
            if type_name in self.types:
                return True
            simple = schema.simple_types.get(type_name)
            if simple is None or simple.base == type_name:
                return False
            type_name = simple.base
        return False

"""The engine's search language, the part clients use: ``name=web* and status=up sortby name
desc page 2``.

A query is conditions joined by ``and``/``or`` (``and`` binds tighter), an optional leading
``Vms:`` type prefix, ``sortby FIELD [asc|desc]`` and ``page N``. Values may be quoted; ``*``
is a wildcard with ``=`` and ``!=``; ``<``, ``>``, ``<=``, ``>=`` compare numbers as numbers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

T = TypeVar("T")
DEFAULT_PAGE_SIZE = 100
_TOKEN = re.compile(r'"[^"]*"|!=|<=|>=|=|<|>|[^\s=!<>"]+')
_OPERATORS = frozenset({"=", "!=", "<", ">", "<=", ">="})
_PREFIX = re.compile(r"^\s*[A-Za-z_]+\s*:\s*")
_PAGE = re.compile(r"[0-9]{1,9}")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


class SearchError(ValueError):
    """A query the engine cannot read; the message says where."""


@dataclass(frozen=True)
class Condition:
    field: str
    operator: str
    value: str

    def holds(self, actual: str | None, case_sensitive: bool) -> bool:
        if actual is None:
            return self.operator == "!="
        expected = self.value
        if not case_sensitive:
            actual, expected = actual.lower(), expected.lower()
        if self.operator in ("=", "!="):
            same = (
                _wildcard(expected).fullmatch(actual) is not None
                if "*" in expected
                else (actual == expected)
            )
            return same if self.operator == "=" else not same
        left, right = _comparable(actual), _comparable(expected)
        if type(left) is not type(right):
            left, right = str(left), str(right)
        if self.operator == "<":
            return left < right  # type: ignore[operator]
        if self.operator == ">":
            return left > right  # type: ignore[operator]
        if self.operator == "<=":
            return left <= right  # type: ignore[operator]
        return left >= right  # type: ignore[operator]


@dataclass(frozen=True)
class Query:
    """Conditions in disjunctive form (any group whose conditions all hold), sort and page."""

    groups: tuple[tuple[Condition, ...], ...] = ()
    sort_by: str | None = None
    descending: bool = False
    page: int | None = None

    def select(
        self,
        items: Sequence[T],
        value_of: Callable[[T, str], str | None],
        *,
        case_sensitive: bool = True,
        page_size: int | None = None,
    ) -> list[T]:
        found = [
            item
            for item in items
            if not self.groups
            or any(
                all(c.holds(value_of(item, c.field), case_sensitive) for c in group)
                for group in self.groups
            )
        ]
        if self.sort_by is not None:
            field = self.sort_by
            found.sort(key=lambda item: _sort_key(value_of(item, field)), reverse=self.descending)
        if self.page is not None:
            size = page_size or DEFAULT_PAGE_SIZE
            found = found[(self.page - 1) * size : self.page * size]
        return found


def parse_search(text: str) -> Query:
    """Read a search expression; raise ``SearchError`` naming what is wrong."""
    if text.count('"') % 2:
        raise SearchError("a quoted value is not closed")
    tokens = _TOKEN.findall(_PREFIX.sub("", text, count=1))
    groups: list[tuple[Condition, ...]] = []
    current: list[Condition] = []
    sort_by: str | None = None
    descending = False
    page: int | None = None
    i = 0
    while i < len(tokens):
        word = tokens[i].lower()
        if word == "sortby":
            if i + 1 >= len(tokens):
                raise SearchError("'sortby' needs a field name")
            sort_by = tokens[i + 1]
            i += 2
            if i < len(tokens) and tokens[i].lower() in ("asc", "desc"):
                descending = tokens[i].lower() == "desc"
                i += 1
        elif word == "page":
            if i + 1 >= len(tokens) or not _PAGE.fullmatch(tokens[i + 1]) or int(tokens[i + 1]) < 1:
                raise SearchError("'page' needs a page number from 1")
            page = int(tokens[i + 1])
            i += 2
        elif word == "and":
            i += 1
        elif word == "or":
            if current:
                groups.append(tuple(current))
            current = []
            i += 1
        else:
            operator = tokens[i + 1] if i + 1 < len(tokens) else ""
            if operator not in _OPERATORS or i + 2 >= len(tokens):
                raise SearchError(f"expected FIELD=VALUE at {' '.join(tokens[i : i + 3])!r}")
            current.append(Condition(tokens[i], operator, _unquote(tokens[i + 2])))
            i += 3
    if current:
        groups.append(tuple(current))
    return Query(tuple(groups), sort_by, descending, page)


def _unquote(value: str) -> str:
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value


def _comparable(value: str) -> float | str:
    """A number when the text is written as one (not ``nan``, ``inf`` or ``1_000``)."""
    return float(value) if _NUMBER.fullmatch(value) else value


@lru_cache(maxsize=256)
def _wildcard(pattern: str) -> re.Pattern[str]:
    """``web*`` as a pattern: ``*`` is the only wildcard, as in the engine's search."""
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)


def _sort_key(value: str | None) -> tuple[int, float | str]:
    if value is None:
        return (2, "")
    number = _comparable(value)
    return (0, number) if isinstance(number, float) else (1, number.lower())

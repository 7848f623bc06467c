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
from typing import TypeVar

from contracttest.errors import ContractTestError

T = TypeVar("T")
DEFAULT_PAGE_SIZE = 100
_TOKEN = re.compile(r'"[^"]*"|!=|<=|>=|=|<|>|[^\s=!<>"]+')
_OPERATORS = frozenset({"=", "!=", "<", ">", "<=", ">="})
_PREFIX = re.compile(r"^\s*[A-Za-z_]+\s*:\s*")
_PAGE = re.compile(r"[0-9]{1,9}")
_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,63}(?:\.[A-Za-z_][A-Za-z0-9_-]{0,63}){0,7}")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


class SearchError(ContractTestError, ValueError):
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
            same = glob_match(expected, actual) if "*" in expected else actual == expected
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
            sort_by = _field_name(tokens[i + 1])
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
            current.append(Condition(_field_name(tokens[i]), operator, _unquote(tokens[i + 2])))
            i += 3
    if current:
        groups.append(tuple(current))
    return Query(tuple(groups), sort_by, descending, page)


def _unquote(value: str) -> str:
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value


def _comparable(value: str) -> float | str:
    """A number when the text is written as one (not ``nan``, ``inf`` or ``1_000``)."""
    return float(value) if _NUMBER.fullmatch(value) else value


def _field_name(token: str) -> str:
    """A field as the engine's search language names one (``name``, ``cluster.name``)."""
    if _FIELD.fullmatch(token) is None:
        shown = token if len(token) <= 40 else f"{token[:40]}..."
        raise SearchError(f"{shown!r} is not a field name")
    return token


def glob_match(pattern: str, text: str) -> bool:
    """Whether ``text`` matches ``pattern``, whose only wildcard is ``*`` (any run of
    characters), as in the engine's search. Linear: each literal part is found once, leftmost,
    after the one before it (no backtracking, whatever the pattern)."""
    parts = pattern.split("*")
    if len(parts) == 1:
        return pattern == text
    head, *middle, tail = parts
    if len(text) < len(head) + len(tail) or not text.startswith(head) or not text.endswith(tail):
        return False
    position, end = len(head), len(text) - len(tail)
    for part in middle:
        if part:
            found = text.find(part, position, end)
            if found < 0:
                return False
            position = found + len(part)
    return True


def _sort_key(value: str | None) -> tuple[int, float | str]:
    if value is None:
        return (2, "")
    number = _comparable(value)
    return (0, number) if isinstance(number, float) else (1, number.lower())

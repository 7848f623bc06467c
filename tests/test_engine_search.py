"""The embedded engine's search language (``contracttest.engine.search``), on its own."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from contracttest.engine.search import (
    DEFAULT_PAGE_SIZE,
    Condition,
    Query,
    SearchError,
    glob_match,
    parse_search,
)

Row = dict[str, str]


def value_of(row: Row, field: str) -> str | None:
    return row.get(field)


def select(text: str, rows: list[Row], **options: object) -> list[str]:
    found = parse_search(text).select(rows, value_of, **options)  # type: ignore[arg-type]
    return [row["name"] for row in found]


VMS: list[Row] = [
    {"name": "web1", "status": "down", "memory": "2048", "description": "front end"},
    {"name": "web2", "status": "up", "memory": "512"},
    {"name": "Web3", "status": "down", "memory": "1024"},
    {"name": "db1", "status": "up", "memory": "16384", "description": "the database"},
]


# -- reading -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Query()),
        ("   ", Query()),
        ("name=web*", Query(((Condition("name", "=", "web*"),),))),
        ("Vms: name=web*", Query(((Condition("name", "=", "web*"),),))),
        ("vms :name = web*", Query(((Condition("name", "=", "web*"),),))),
        ('name="my vm"', Query(((Condition("name", "=", "my vm"),),))),
        ("memory>=1024", Query(((Condition("memory", ">=", "1024"),),))),
        ("status!=up", Query(((Condition("status", "!=", "up"),),))),
        (
            "a=1 and b=2 or c=3",
            Query(
                (
                    (Condition("a", "=", "1"), Condition("b", "=", "2")),
                    (Condition("c", "=", "3"),),
                )
            ),
        ),
        (
            "a=1 or b=2 and c=3",
            Query(
                (
                    (Condition("a", "=", "1"),),
                    (Condition("b", "=", "2"), Condition("c", "=", "3")),
                )
            ),
        ),
        ("a=1 b=2", Query(((Condition("a", "=", "1"), Condition("b", "=", "2")),))),
        ("sortby name", Query(sort_by="name")),
        ("sortby name asc", Query(sort_by="name")),
        ("SORTBY name DESC", Query(sort_by="name", descending=True)),
        ("page 3", Query(page=3)),
        (
            "status=up sortby memory desc page 2",
            Query(((Condition("status", "=", "up"),),), "memory", True, 2),
        ),
    ],
)
def test_parse(text: str, expected: Query) -> None:
    assert parse_search(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "sortby",
        "page",
        "page 0",
        "page x",
        "page -1",
        "name",
        "name=",
        "name >",
        "= x",
        "a=1 and b",
    ],
)
def test_malformed_query_is_a_search_error(text: str) -> None:
    with pytest.raises(SearchError):
        parse_search(text)


# -- selecting -----------------------------------------------------------------------------


def test_select() -> None:
    assert select("name=web*", VMS) == ["web1", "web2"]
    assert select("name=web*", VMS, case_sensitive=False) == ["web1", "web2", "Web3"]
    assert select("name=WEB1", VMS, case_sensitive=False) == ["web1"]
    assert select("name=*1", VMS) == ["web1", "db1"]
    assert select("name=*e*", VMS) == ["web1", "web2", "Web3"]
    assert select("name=web", VMS) == []
    assert select("status=up", VMS) == ["web2", "db1"]
    assert select("name=web* and status=down", VMS) == ["web1"]
    assert select("name=db1 or name=web2", VMS) == ["web2", "db1"]
    assert select("status!=up", VMS) == ["web1", "Web3"]
    assert select('description="the database"', VMS) == ["db1"]


def test_missing_field_holds_only_for_not_equal() -> None:
    assert select("description=*", VMS) == ["web1", "db1"]
    assert select("description!=x", VMS) == ["web1", "web2", "Web3", "db1"]
    assert select("description!=*", VMS) == ["web2", "Web3"]
    assert select("nothing=x", VMS) == []
    assert select("nothing>1", VMS) == []


def test_numbers_compare_as_numbers() -> None:
    assert select("memory>1024", VMS) == ["web1", "db1"]  # "16384" > "1024" as text too
    assert select("memory<1024", VMS) == ["web2"]  # "512" < "1024" only as a number
    assert select("memory>=1024", VMS) == ["web1", "Web3", "db1"]
    assert select("memory<=1024", VMS) == ["web2", "Web3"]
    assert select("name>db1", VMS) == ["web1", "web2"]  # text: "Web3" < "db1"


def test_sort() -> None:
    assert select("sortby name", VMS) == ["db1", "web1", "web2", "Web3"]  # case-insensitive
    assert select("sortby name desc", VMS) == ["Web3", "web2", "web1", "db1"]
    assert select("sortby memory", VMS) == ["web2", "Web3", "web1", "db1"]  # numbers
    assert select("sortby description", VMS) == ["web1", "db1", "web2", "Web3"]  # missing last
    assert select("status=down sortby name desc", VMS) == ["Web3", "web1"]


def test_pages() -> None:
    assert select("sortby name page 1", VMS, page_size=3) == ["db1", "web1", "web2"]
    assert select("sortby name page 2", VMS, page_size=3) == ["Web3"]
    assert select("sortby name page 3", VMS, page_size=3) == []
    assert select("page 1", VMS) == ["web1", "web2", "Web3", "db1"]  # default page size
    many = [{"name": f"vm{k:03}"} for k in range(DEFAULT_PAGE_SIZE + 5)]
    assert len(select("page 1", many)) == DEFAULT_PAGE_SIZE
    assert select("page 2", many) == [f"vm{k:03}" for k in range(DEFAULT_PAGE_SIZE, 105)]


# -- engine bugs ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["page ²", "page ①", "page " + "9" * 5000], ids=["superscript", "circled", "huge"]
)
def test_odd_page_number_is_a_search_error(text: str) -> None:
    with pytest.raises(SearchError):
        parse_search(text)


@pytest.mark.parametrize(
    ("pattern", "name"),
    [("web?*", "web1"), ("[wx]eb*", "web1"), ("web[0-9]*", "web1")],
)
def test_only_star_is_a_wildcard(pattern: str, name: str) -> None:
    assert not Condition("name", "=", pattern).holds(name, case_sensitive=True)


# -- properties ----------------------------------------------------------------------------


WORDS = st.sampled_from(
    ["name", "status", "=", "!=", "<", ">=", "and", "or", "sortby", "page", "asc", "desc",
     "Vms:", '"', '"a b"', "*", "web*", "1", "0", "-1", "up"]
)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.text(), st.lists(st.one_of(WORDS, st.text(max_size=4))).map(" ".join)))
@example("page 2 sortby")
@example('name="unterminated')
def test_parse_never_raises_anything_but_search_error(text: str) -> None:
    try:
        query = parse_search(text)
    except SearchError:
        return
    assert isinstance(query, Query)
    assert query.page is None or query.page >= 1
    for group in query.groups:
        assert group, "no empty group"
        for condition in group:
            assert condition.operator in {"=", "!=", "<", ">", "<=", ">="}
            assert condition.field


FIELDS = st.from_regex(r"[a-z][a-z_]{0,5}(\.[a-z][a-z_]{0,5}){0,2}", fullmatch=True).filter(
    lambda field: field not in {"and", "or", "sortby", "page", "asc", "desc"}
)
VALUES = st.text(st.characters(exclude_characters='"', exclude_categories=("Cs",)), max_size=12)
OPERATORS = st.sampled_from(["=", "!=", "<", ">", "<=", ">="])
CONDITIONS = st.builds(Condition, FIELDS, OPERATORS, VALUES)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.lists(CONDITIONS, min_size=1, max_size=3), max_size=3),
    st.none() | FIELDS,
    st.booleans(),
    st.none() | st.integers(1, 10**6),
)
def test_written_query_reads_back(
    groups: list[list[Condition]], sort_by: str | None, descending: bool, page: int | None
) -> None:
    text = " or ".join(
        " and ".join(f'{c.field}{c.operator}"{c.value}"' for c in group) for group in groups
    )
    if sort_by is not None:
        text += f" sortby {sort_by} {'desc' if descending else 'asc'}"
    if page is not None:
        text += f" page {page}"
    expected = Query(
        tuple(tuple(group) for group in groups),
        sort_by,
        descending if sort_by is not None else False,
        page,
    )
    assert parse_search(text) == expected


NAMES = st.text(st.characters(codec="ascii", exclude_characters='*?[]"'), max_size=8)


def _not_nan(text: str) -> bool:
    try:
        return float(text) == float(text)
    except ValueError:
        return True


@settings(max_examples=100, deadline=None)
@given(st.lists(NAMES, max_size=12), NAMES, st.booleans())
def test_prefix_pattern_selects_by_prefix_in_order(
    names: list[str], prefix: str, sensitive: bool
) -> None:
    rows = [{"name": name} for name in names]
    found = parse_search(f'name="{prefix}*"').select(rows, value_of, case_sensitive=sensitive)
    if sensitive:
        expected = [row for row in rows if row["name"].startswith(prefix)]
    else:
        expected = [row for row in rows if row["name"].lower().startswith(prefix.lower())]
    assert found == expected


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.one_of(NAMES.filter(_not_nan), st.integers(-999, 999).map(str)), max_size=25),
    st.integers(1, 7),
    st.booleans(),
)
def test_pages_split_the_sorted_result(values: list[str], size: int, descending: bool) -> None:
    rows = [{"name": f"r{k}", "v": value} for k, value in enumerate(values)]
    order = "desc" if descending else "asc"
    whole = parse_search(f"sortby v {order}").select(rows, value_of)
    assert sorted(map(id, whole)) == sorted(map(id, rows))  # a permutation
    pages: list[Row] = []
    for page in range(1, len(rows) // size + 3):
        found = parse_search(f"sortby v {order} page {page}").select(rows, value_of, page_size=size)
        assert len(found) <= size
        pages.extend(found)
    assert pages == whole
    # numbers sort as numbers, before text
    numbers = [float(row["v"]) for row in whole if re.fullmatch(r"-?\d+", row["v"])]
    assert numbers == sorted(numbers, reverse=descending)


def test_sort_with_a_nan_value_keeps_numbers_in_order() -> None:
    rows = [{"name": value} for value in ["5", "nan", "3", "1", "4", "2"]]
    found = [row["name"] for row in parse_search("sortby name").select(rows, value_of)]
    numbers = [value for value in found if value != "nan"]
    assert numbers == ["1", "2", "3", "4", "5"]


# -- wildcards in linear time, field names only --------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text("ab*", max_size=10), st.text("ab", max_size=12))
def test_glob_match_agrees_with_a_regular_expression(pattern: str, text: str) -> None:
    """The linear matcher says what the (backtracking) regular expression says."""
    expected = re.fullmatch(".*".join(map(re.escape, pattern.split("*"))), text, re.DOTALL)
    assert glob_match(pattern, text) is (expected is not None), (pattern, text)


@pytest.mark.parametrize("stars", [12, 40, 200])
def test_hostile_wildcards_cost_linear_time(stars: int) -> None:
    """``*a*a*...*b`` against ``aaaa...``: exponential for a backtracking matcher (seconds
    at 12 stars), linear here. The bound is the work done, counted, not the clock."""
    pattern = "*a" * stars + "*b"
    text = "a" * 5000
    calls = 0
    real_find = str.find

    class Counting(str):
        def find(self, *args: object) -> int:  # type: ignore[override]
            nonlocal calls
            calls += 1
            return real_find(self, *args)  # type: ignore[arg-type]

    assert glob_match(pattern, Counting(text)) is False
    assert calls <= stars + 1  # each literal part looked for once
    rows = [{"name": text}]
    query = parse_search(f"name={pattern}")
    assert query.select(rows, value_of) == []


@pytest.mark.parametrize(
    "text", ["a[b=x", "@x=x", "..=x", "name=x or a(=y", "a/b=1", "a..b=1", "sortby a[1]", "*=x"]
)
def test_a_field_must_be_a_name(text: str) -> None:
    with pytest.raises(SearchError, match="is not a field name"):
        parse_search(text)

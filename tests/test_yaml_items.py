"""A cassette written from items made once each (``dump_item``, ``dump_cassette``) holds the
data ``dump_yaml`` would write: read back by our loader and by vcrpy's (PyYAML's full
loader) alike, whatever the text (control characters, line separators, quotes, look-alikes
of numbers, booleans and nulls), bytes, headers and nesting; what ``dump_item`` does not
write falls back to ``dump_yaml`` whole.
"""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from contracttest.yamlfile import dump_cassette, dump_item, dump_yaml, load_yaml

text = st.text(st.characters(exclude_categories=("Cs",)), max_size=40) | st.sampled_from(
    ["4", "yes", "On", "null", "~", "", " x", "x ", "a: b", "- x", "#x", "1.5", "2026-11-29",
     "0x1F", "12:30", "=", "<<", "http://h:1/p?q=1#f", "\u2028", "\x85", "\ufeff", "a\tb"]
)  # fmt: skip
scalars = text | st.binary(max_size=20) | st.integers() | st.booleans() | st.none()
plain = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=12,
)
interactions = st.fixed_dictionaries(
    {
        "request": st.fixed_dictionaries(
            {
                "body": st.none() | text,
                "headers": st.dictionaries(text, st.lists(text, max_size=2), max_size=3),
                "method": st.just("GET"),
                "uri": text,
            }
        ),
        "response": st.fixed_dictionaries(
            {"body": st.fixed_dictionaries({"string": text | st.binary(max_size=30)})}
        ),
    }
) | st.dictionaries(text, plain, max_size=3)


class Item:
    def __init__(self, raw: object) -> None:
        self.raw = raw
        self.text: bytes | None = None


@settings(max_examples=300, deadline=None)
@given(items=st.lists(interactions, max_size=4))
@example(items=[{"request": {"uri": "\x7f", "method": "GET"}, "response": {"x": "a\x7fb"}}])
def test_joined_items_hold_what_dump_yaml_writes(items: list[Any]) -> None:
    tail = {"contracttest": {"scrubbed": "abc", "recorded_at": "2026-11-29T02:00:00+00:00"}}
    kept = [Item(raw) for raw in items]
    written = dump_cassette({"version": 1}, kept, tail)
    again = dump_cassette({"version": 1}, kept, tail)  # each item's text made once, kept
    assert again == written
    expected = {"version": 1, "interactions": items, **tail}
    assert load_yaml(written, "c.yaml") == expected == load_yaml(dump_yaml(expected), "d.yaml")
    assert yaml.load(written, Loader=yaml.CLoader) == expected  # as vcrpy reads it


def test_an_item_written_plainly_where_it_can_be() -> None:
    item = {"request": {"method": "GET", "headers": {"Version": ["4"], "On": ["yes"]}}}
    assert dump_item(item) == (
        b'- request:\n    method: GET\n    headers:\n      Version:\n      - "4"\n'
        b'      "On":\n      - "yes"\n'
    )


def test_what_dump_item_does_not_write_is_written_whole_by_dump_yaml() -> None:
    assert dump_item({"when": 1.5}) is None  # a float: dump_yaml's to write
    assert dump_item({"x" * 2000: 1}) is None  # too long for a simple key
    kept = [Item({"a": 1}), Item({"b": (1, 2)})]
    written = dump_cassette({"version": 1}, kept, {})
    assert written == dump_yaml({"version": 1, "interactions": [{"a": 1}, {"b": (1, 2)}]})

"""Text for simple XSD types, and the strategies a body is drawn from, made once each.

``from_simple_type`` draws text a type's value check accepts: an enumeration's values, an
integer type's range, booleans, decimals, date-times; a field called ``name`` draws an
identifier (``NAMES``), any other string ``TEXT``. Strategies are kept by key (``made``):
Hypothesis works out a strategy's properties when first used, so a body drawn many times
should not build its parts anew each time.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any

from hypothesis import strategies as st

from contracttest.properties.values import base_of
from contracttest.schema import Schema

#: Parts of a representation the server owns: never drawn.
READ_ONLY = frozenset({"actions", "link", "status", "creation_status", "href", "id"})
_INTEGER_RANGES = {
    "byte": (-(2**7), 2**7 - 1), "short": (-(2**15), 2**15 - 1),
    "int": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1),
    "integer": (-(2**63), 2**63 - 1), "negativeInteger": (-(2**63), -1),
    "nonNegativeInteger": (0, 2**63 - 1), "positiveInteger": (1, 2**63 - 1),
    "unsignedByte": (0, 2**8 - 1), "unsignedShort": (0, 2**16 - 1),
    "unsignedInt": (0, 2**32 - 1), "unsignedLong": (0, 2**64 - 1),
}  # fmt: skip
_NAME_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789_"
#: Text of a string field: letters, digits, punctuation, symbols and spaces (what XML 1.0
#: holds, without control characters), no white space at either end.
TEXT = (
    st.text(st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs")), max_size=24)
    .map(str.strip)
    .filter(bool)
)
#: A name: what oVirt accepts in every entity's name, lower case (searches and duplicate
#: checks stay unambiguous).
NAMES = st.text(_NAME_ALPHABET, min_size=1, max_size=12).map(lambda s: f"ct-{s}")


_MADE: dict[tuple[object, ...], st.SearchStrategy[Any]] = {}


def made(key: tuple[object, ...], make: Callable[[], st.SearchStrategy[Any]]) -> Any:
    """A strategy made once per key (bounded): Hypothesis works out a strategy's properties
    on first use, so a body drawn many times should not build its parts anew each time."""
    found = _MADE.get(key)
    if found is None:
        if len(_MADE) >= 4096:
            _MADE.clear()
        found = _MADE[key] = make()
    return found


def from_simple_type(
    schema: Schema | None,
    type_name: str,
    *,
    enumeration: Collection[str] | None = None,
    field: str = "",
) -> st.SearchStrategy[str]:
    """Text valid for the simple type ``type_name`` (``"xs:int"``, ``"VmType"``)."""
    allowed = tuple(sorted(enumeration)) if enumeration else ()
    key = ("simple", id(schema), type_name, allowed, field == "name")
    found: st.SearchStrategy[str] = made(
        key, lambda: _simple(schema, type_name, allowed, field == "name")
    )
    return found


def _simple(
    schema: Schema | None, type_name: str, enumeration: tuple[str, ...], name: bool
) -> st.SearchStrategy[str]:
    if enumeration:
        return st.sampled_from(sorted(enumeration))
    simple = schema.simple_types.get(type_name) if schema is not None else None
    if simple is not None and simple.enumeration:
        return st.sampled_from(sorted(simple.enumeration))
    kind = base_of(schema, type_name).removeprefix("xs:")
    if kind in _INTEGER_RANGES:
        low, high = _INTEGER_RANGES[kind]
        return st.integers(low, high).map(str)
    if kind == "boolean":
        return st.sampled_from(("true", "false"))
    if kind in ("double", "float"):
        if kind == "float":
            return st.floats(allow_nan=False, allow_infinity=False, width=32).map(repr)
        return st.floats(allow_nan=False, allow_infinity=False).map(repr)
    if kind == "decimal":
        return st.decimals(-(10**9), 10**9, allow_nan=False, places=3).map(lambda d: f"{d:f}")
    if kind == "dateTime":
        return st.datetimes(datetime(1970, 1, 1), datetime(2100, 1, 1)).map(_date_time)
    if kind == "date":
        return st.dates(datetime(1970, 1, 1).date(), datetime(2100, 1, 1).date()).map(str)
    return NAMES if name else TEXT


def _date_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"

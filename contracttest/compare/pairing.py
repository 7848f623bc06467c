"""Pairing the items of two lists of one tag, whatever their order.

A list's items are paired by id (the recorded id mapped to the new engine's), then by
``<name>``, then by ``rel`` (links), then, for items with none of these, by what they hold;
what is left of the items without an identity is paired by position. An entity (an item
with an id or a name) is never paired by position: one entity is not another.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from contracttest.compare.ids import IdMap
from contracttest.xmlsafe import Element

Pair = tuple[Element | None, Element | None, str]
_Key = Callable[[Element], "str | None"]


def grouped(kids: list[Element]) -> dict[str, list[Element]]:
    """Children by tag, in document order."""
    groups: dict[str, list[Element]] = {}
    for kid in kids:
        groups.setdefault(str(kid.tag), []).append(kid)
    return groups


def pairs(rs: list[Element], ns: list[Element], ids: IdMap) -> Iterator[Pair]:
    """(recorded, received, xpath predicate) for each item, None on the side it is
    missing from."""
    if len(rs) == 1 and len(ns) == 1:
        yield rs[0], ns[0], ""
        return
    left_r, left_n = list(rs), list(ns)
    for key_of_old, key_of_new, shown in _keys(ids):
        if not left_r or not left_n:
            break
        waiting: dict[str, list[Element]] = {}
        for n in left_n:
            key = key_of_new(n)
            if key is not None:
                waiting.setdefault(key, []).append(n)
        unpaired: list[Element] = []
        taken: set[int] = set()
        for r in left_r:
            key = key_of_old(r)
            found = waiting.get(key) if key is not None else None
            if found:
                n = found.pop(_likest(r, found) if len(found) > 1 else 0)
                taken.add(id(n))
                yield r, n, predicate(r) if shown else ""
            else:
                unpaired.append(r)
        left_r = unpaired
        left_n = [n for n in left_n if id(n) not in taken]
    plain_r = [r for r in left_r if not _identified(r)]
    plain_n = [n for n in left_n if not _identified(n)]
    for index, (r, n) in enumerate(zip(plain_r, plain_n, strict=False), 1):
        yield r, n, f"[{index}]"
    paired = min(len(plain_r), len(plain_n))
    for r in [*(r for r in left_r if _identified(r)), *plain_r[paired:]]:
        yield r, None, predicate(r)
    for n in [*(n for n in left_n if _identified(n)), *plain_n[paired:]]:
        yield None, n, predicate(n)


def _likest(r: Element, candidates: list[Element]) -> int:
    """Of several items with the same key, the one that holds what ``r`` holds (else the
    first): two NICs both named ``eth0`` under one list stay apart."""
    wanted = _content(r, identified=True)
    for index, candidate in enumerate(candidates):
        if _content(candidate, identified=True) == wanted:
            return index
    return 0


def _keys(ids: IdMap) -> tuple[tuple[_Key, _Key, bool], ...]:
    """(key of a recorded item, key of a new one, whether the key names the item)."""

    def old_id(e: Element) -> str | None:
        found = e.get("id")
        return ids.mapped(found) if found else None

    def new_id(e: Element) -> str | None:
        return e.get("id") or None

    return (
        (old_id, new_id, True),
        (name_of, name_of, True),
        (_rel, _rel, True),
        (_content, _content, False),
    )


def name_of(element: Element) -> str | None:
    name = element.find("name")
    return ((name.text or "").strip() or None) if name is not None else None


def _rel(element: Element) -> str | None:
    return element.get("rel")


def _content(element: Element, identified: bool = False) -> str | None:
    """What an item holds (ids and hrefs aside), to pair reordered lists; None for an item
    with an identity unless ``identified``."""
    if not identified and _identified(element):
        return None
    parts: list[str] = []
    places: dict[Element | None, str] = {}
    for node in element.iter():
        if isinstance(node.tag, str):
            place = places[node] = f"{places.get(node.getparent(), '')}/{node.tag}"
            attributes = sorted((k, v) for k, v in node.attrib.items() if k not in ("id", "href"))
            parts.append(f"{place} {attributes} {(node.text or '').strip()}")
    return "\n".join(sorted(parts))  # in any order of the children


def _identified(element: Element) -> bool:
    return element.get("id") is not None or name_of(element) is not None


def predicate(element: Element) -> str:
    """How an xpath names an item: ``[name='web']``, ``[@rel='nics']``, ``[@id='...']``."""
    name = name_of(element)
    if name is not None:
        return f"[name={_quoted(name)}]"
    rel = element.get("rel")
    if rel is not None:
        return f"[@rel={_quoted(rel)}]"
    found = element.get("id")
    return f"[@id={_quoted(found)}]" if found else ""


def _quoted(text: str) -> str:
    return f"'{text}'" if "'" not in text else f'"{text}"'

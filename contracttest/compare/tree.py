"""Two XML documents compared by meaning: order aside, noise masked, each change classified.

Children are grouped by tag; one on each side is a pair, and the items of a list are paired
whatever their order (``pairing``: by mapped id, ``<name>``, ``rel``, content). What is left
over was removed (breaking) or added (compatible). Attributes are compared by name; ``id``
and the id segments of an ``href`` are masked, and ids teach the ``IdMap``. Leaf values are
compared unless masked (``masks``), and a change is a changed format (no longer valid for
its XSD type, or of another kind: an integer that became text) or a changed value: both
breaking. Walks are bounded by the parser's depth limit (256 levels).
"""

from __future__ import annotations

from typing import NamedTuple

from lxml import etree

from contracttest.compare.ids import IdMap, href_template
from contracttest.compare.masks import Masks, shape, temporal
from contracttest.compare.pairing import grouped, pairs
from contracttest.schema import ComplexType, Schema
from contracttest.xmlsafe import Element, local_name

BREAKING, COMPATIBLE = "breaking", "compatible"
#: The most differences one response reports; the rest are counted in a last one.
MAX_DIFFERENCES = 200
_SNIPPET = 160


class Difference(NamedTuple):
    """One way the new response differs from the recorded one. ``announced``: whether the
    new contract's schema describes the new form (None: no schema, or a place it does not
    describe)."""

    kind: str  # BREAKING | COMPATIBLE
    xpath: str
    recorded: str
    received: str
    message: str
    announced: bool | None = None


class TreeWalk:
    """One comparison of two documents; ``differences`` holds what it found."""

    def __init__(self, masks: Masks, schema: Schema | None, ids: IdMap) -> None:
        self.masks = masks
        self.schema = schema
        self.ids = ids
        self.differences: list[Difference] = []
        self.dropped: dict[str, int] = {}

    # -- what is found ---------------------------------------------------------------

    def add(
        self,
        kind: str,
        xpath: str,
        recorded: str,
        received: str,
        message: str,
        announced: bool | None = None,
    ) -> None:
        if len(self.differences) >= MAX_DIFFERENCES:
            self.dropped[kind] = self.dropped.get(kind, 0) + 1
            return
        self.differences.append(
            Difference(kind, xpath, _one_line(recorded), _one_line(received), message, announced)
        )

    def finish(self) -> list[Difference]:
        for kind, count in self.dropped.items():
            self.differences.append(
                Difference(kind, "", "", "", f"{count} more {kind} difference(s) not listed")
            )
        self.dropped.clear()
        return self.differences

    # -- the walk --------------------------------------------------------------------

    def document(self, recorded: Element, received: Element) -> None:
        tag = local_name(recorded.tag)
        if recorded.tag != received.tag:
            self.add(
                BREAKING,
                f"/{tag}",
                f"<{tag}>",
                f"<{local_name(received.tag)}>",
                "the body is another element",
            )
            return
        type_name = self.schema.elements.get(tag) if self.schema is not None else None
        self.element(recorded, received, f"/{tag}", (tag,), type_name, False, ())

    def element(
        self,
        r: Element,
        n: Element,
        xpath: str,
        path: tuple[str, ...],
        type_name: str | None,
        masked: bool,
        owners: tuple[str, ...],
    ) -> None:
        masked = masked or self.masks.path_masked(path)
        ctype = self._complex(type_name)
        owners = owners + tuple(i for i in (r.get("id"), n.get("id")) if i)
        if r.attrib or n.attrib:
            self.attributes(r, n, xpath, path, ctype, masked, owners)
        r_kids = [c for c in r if isinstance(c.tag, str)]
        n_kids = [c for c in n if isinstance(c.tag, str)]
        r_text, n_text = _text(r), _text(n)
        if not r_kids and not n_kids:
            text_type = ctype.text_type if ctype is not None else type_name
            self.value(r_text, n_text, xpath, path, text_type, masked)
            return
        if (not r_kids and r_text) or (not n_kids and n_text):
            self.add(
                BREAKING,
                xpath,
                _snippet(r),
                _snippet(n),
                "the type changed: a value became a structure, or the reverse",
                _contract_silent(self.schema),
            )
            return
        self.children(r_kids, n_kids, xpath, path, ctype, masked, owners)

    def attributes(
        self,
        r: Element,
        n: Element,
        xpath: str,
        path: tuple[str, ...],
        ctype: ComplexType | None,
        masked: bool,
        owners: tuple[str, ...],
    ) -> None:
        declared = ctype.attributes if ctype is not None else None
        for raw in dict.fromkeys([*r.attrib, *n.attrib]):
            name = local_name(raw)
            where = f"{xpath}/@{name}"
            old, new = r.get(raw), n.get(raw)
            if new is None:
                self.add(
                    BREAKING,
                    where,
                    old or "",
                    "",
                    f"attribute {name!r} removed",
                    None if declared is None else name not in declared,
                )
            elif old is None:
                self.add(
                    COMPATIBLE,
                    where,
                    "",
                    new,
                    f"attribute {name!r} added",
                    None if declared is None else name in declared,
                )
            elif name == "id":
                self.identity(old, new, where)
            elif name == "href":
                self.href(old, new, where, owners)
            else:
                attribute = declared.get(name) if declared is not None else None
                self.value(
                    old,
                    new,
                    where,
                    (*path, f"@{name}"),
                    attribute.type if attribute is not None else None,
                    masked,
                )

    def identity(self, old: str, new: str, where: str) -> None:
        if not self.ids.learn(old, new):
            self.add(
                BREAKING,
                where,
                old,
                new,
                f"refers to another entity than the one the replay made of it "
                f"({self.ids.mapped(old)})",
            )
        elif shape(old) != shape(new):
            self.add(
                BREAKING,
                where,
                old,
                new,
                f"the id's format changed: {shape(old)} became {shape(new)}",
            )

    def href(self, old: str, new: str, where: str, owners: tuple[str, ...]) -> None:
        if old == new or self.ids.rewrite(old) == new:
            return
        if href_template(old, self.ids, owners) == href_template(new, self.ids, owners):
            self.ids.learn_href(old, new)
            return
        self.add(
            BREAKING,
            where,
            old,
            new,
            "the href leads elsewhere (ids aside)",
            _contract_silent(self.schema),
        )

    def value(
        self,
        old: str,
        new: str,
        where: str,
        path: tuple[str, ...],
        type_name: str | None,
        masked: bool,
    ) -> None:
        old, new = old.strip(), new.strip()
        if old == new or (self.ids and self.ids.rewrite(old) == new):
            return
        masked = (
            masked
            or self.masks.path_masked(path)
            or self.masks.type_masked(self.schema, type_name)
            or (type_name is None and temporal(old) and temporal(new))
        )
        if masked and (not old or not new):
            return
        check = self.schema.value_check(type_name) if self.schema and type_name else None
        if check is not None and check(old) is None and check(new) is not None:
            self.add(
                BREAKING, where, old, new, f"the value is no longer a valid {type_name}", False
            )
        elif old and new and shape(old) != shape(new):
            announced = None if check is None else check(old) is not None
            self.add(
                BREAKING,
                where,
                old,
                new,
                f"the value's format changed: {shape(old)} became {shape(new)}",
                announced,
            )
        elif not masked:
            self.add(BREAKING, where, old, new, "the value changed", _contract_silent(self.schema))

    def children(
        self,
        r_kids: list[Element],
        n_kids: list[Element],
        xpath: str,
        path: tuple[str, ...],
        ctype: ComplexType | None,
        masked: bool,
        owners: tuple[str, ...],
    ) -> None:
        r_groups, n_groups = grouped(r_kids), grouped(n_kids)
        declared = ctype.children if ctype is not None else None
        for tag, rs in r_groups.items():
            name = local_name(tag)
            where = f"{xpath}/{name}"
            child = declared.get(name) if declared is not None else None
            child_type = child.type if child is not None else None
            ns = n_groups.get(tag)
            if not ns:
                self.add(
                    BREAKING,
                    where,
                    _many(rs),
                    "",
                    f"element <{name}> removed",
                    None if declared is None else child is None,
                )
                continue
            for r, n, key in pairs(rs, ns, self.ids):
                if r is None:
                    assert n is not None
                    self.add(
                        COMPATIBLE,
                        f"{where}{key}",
                        "",
                        _snippet(n),
                        f"<{name}> added to the list",
                        None if declared is None else child is not None,
                    )
                elif n is None:
                    self.add(
                        BREAKING,
                        f"{where}{key}",
                        _snippet(r),
                        "",
                        f"<{name}> missing from the list",
                        _contract_silent(self.schema),
                    )
                else:
                    self.element(r, n, f"{where}{key}", (*path, name), child_type, masked, owners)
        for tag, ns in n_groups.items():
            if tag not in r_groups:
                name = local_name(tag)
                open_type = ctype is not None and ctype.open
                self.add(
                    COMPATIBLE,
                    f"{xpath}/{name}",
                    "",
                    _many(ns),
                    f"element <{name}> added",
                    None if declared is None else (name in declared or open_type),
                )

    def _complex(self, type_name: str | None) -> ComplexType | None:
        if self.schema is None or type_name is None:
            return None
        return self.schema.complex_types.get(type_name)


def _text(element: Element) -> str:
    return (element.text or "").strip()


def _contract_silent(schema: Schema | None) -> bool | None:
    """A change no schema can announce (a value, a structure): not announced, when the new
    contract is known."""
    return None if schema is None else False


def _snippet(element: Element) -> str:
    if not len(element) and not element.attrib:
        return _text(element)
    text = etree.tostring(element, encoding="unicode", with_tail=False)
    return _one_line(text)


def _many(elements: list[Element]) -> str:
    first = _snippet(elements[0])
    return first if len(elements) == 1 else f"{len(elements)} elements, first: {first}"


def _one_line(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _SNIPPET else flat[: _SNIPPET - 3] + "..."

"""A JSON body read back into the XML document it stands for, with its departures noted.

The engine's JSON has no root wrapper, so the root element comes from where the body was
(the RSDL link's body or response type, a ``<fault>`` after an error: ``root_of``). Every
key becomes what it is in the XSD: an attribute (``id``, ``href``, ``rel``), a child, or a
repeated child (an array); every scalar becomes the text the engine would write in XML
(``jsonmodel``: dates from milliseconds, numbers as decimals). The document then goes
through the very walk and checks an XML body does, so every rule applies to JSON alike.

What the engine would not have written is noted as a ``Finding`` of its own rule:
``json.root-wrapper`` (``{"vm": {...}}``), ``json.scalar`` (a boolean literal or a number
where the engine writes a string, a string where it writes a number; the 64-bit integers of
engines before 4.2.3, and literals in requests, which the engine accepts, as warnings),
``json.null`` and ``json.shape`` (an array where the XSD has one element, a nested list
without its wrapper, an object where a value belongs). Notes are folded: one per rule,
place in the schema and kind of value, with a count. Nesting is bounded by the JSON parser
(``MAX_DEPTH``), like XML's.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from contracttest.jsonlists import Lists
from contracttest.jsonmodel import (
    UNTYPED,
    JSONProblem,
    Kind,
    is_json,
    kinds_of,
    looks_like_json,
    parse_json,
    representation,
    root_of,
)
from contracttest.jsonscalars import MAY_NEED_ESCAPES, Scalars, escape_attribute, escape_text, same
from contracttest.rules import Finding, Severity
from contracttest.schema import Child, ComplexType, Schema
from contracttest.xmlsafe import Element, XMLProblem, parse_written

#: How deep a JSON body may nest (XML's parser refuses beyond 256 levels as well).
MAX_DEPTH = 200
#: A key that can be an element name.
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")


class Reader(Scalars, Lists):
    """Reads one JSON object into a document of root ``root``, noting departures."""

    def __init__(self, schema: Schema | None, *, request: bool, plain: bool = False) -> None:
        """``plain``: no string of the body needs escaping in XML (``read_json`` knows)."""
        self.schema = schema
        self.request = request
        self._notes: dict[tuple[str, str, str], list[object]] = {}
        self._plain = plain
        #: Each complex type's slots (``_slots``), kept with the schema across readers.
        self._slot_cache: dict[str, dict[str, _Slot]] = (
            schema.__dict__.setdefault("_json_slots", {}) if schema is not None else {}
        )
        self._text = same if plain else escape_text
        self._attribute = same if plain else escape_attribute

    def read(self, value: dict[str, object], root: str) -> tuple[Element, tuple[Finding, ...]]:
        schema = self.schema
        type_name = schema.elements.get(root) if schema is not None else None
        ctype = schema.complex_types.get(type_name) if schema is not None and type_name else None
        if len(value) == 1 and root != UNTYPED:
            ((key, inner),) = value.items()
            if (
                key == root
                and isinstance(inner, dict)
                and (ctype is None or key not in ctype.children)
            ):
                self.note(
                    "json.root-wrapper",
                    f"/{root}",
                    "wrapper",
                    f'the body wraps its {root} in {{"{root}": ...}}; the engine writes '
                    "and reads it bare",
                    expected=f"the {root}'s keys at the top level",
                    received=f'{{"{root}": {{...}}}}',
                    hint="send and expect the object itself, without a root key",
                )
                value = inner
        out: list[str] = []
        self._fill(out, root, value, ctype, f"/{root}", 1)
        try:
            element = parse_written("".join(out).encode())
        except XMLProblem as exc:  # not expected: every name and text is made safe
            raise JSONProblem(f"cannot be read as a document: {exc}") from None
        return element, self.findings()

    def note(
        self,
        rule: str,
        where: str,
        what: str,
        message: str,
        *,
        expected: str = "",
        received: str = "",
        hint: str = "",
        severity: Severity | None = None,
    ) -> None:
        key = (rule, re.sub(r"\[\d+\]", "", where), what)
        found = self._notes.get(key)
        if found is None:
            self._notes[key] = [
                Finding(rule, message, where, expected, received, hint, severity),
                1,
            ]
        else:
            found[1] = int(found[1]) + 1  # type: ignore[call-overload]

    def findings(self) -> tuple[Finding, ...]:
        out = []
        for finding, count in self._notes.values():
            assert isinstance(finding, Finding)
            if count != 1:
                finding = finding._replace(message=f"{finding.message} ({count} times)")
            out.append(finding)
        return tuple(out)

    def _fill(
        self,
        out: list[str],
        tag: str,
        value: dict[str, object],
        ctype: ComplexType | None,
        where: str,
        depth: int,
    ) -> None:
        """Write element ``tag`` holding ``value`` (XML text, to ``out``)."""
        if depth > MAX_DEPTH:
            raise JSONProblem(f"is nested deeper than {MAX_DEPTH} levels")
        slots = self._slots(ctype)
        start = len(out)
        append = out.append
        append("")  # the start tag, once its attributes are known
        attributes: list[str] = []
        text, attribute, plain = self._text, self._attribute, self._plain
        for key, item in value.items():
            slot = slots.get(key)
            if slot is not None:
                if type(item) is str:  # the commonest case, inline
                    if slot[0]:
                        attributes.append(f' {key}="{item if plain else attribute(item)}"')
                        continue
                    if slot[5]:
                        append(f"<{key}>{item if plain else text(item)}</{key}>")
                        continue
                sub = slot[3]
                if type(item) is dict and sub is not None:  # a structure of a known type
                    made = self._empty(key, item, slot[4])
                    if made is not None:
                        append(made)
                    else:
                        self._fill(out, key, item, sub, f"{where}/{key}", depth + 1)
                    continue
                done = self._fast(out, key, item, slot)
                if done is not None:
                    if done:
                        attributes.append(done)
                    continue
            here = f"{where}/{key}"
            if item is None:
                self.note(
                    "json.null",
                    here,
                    "null",
                    f"{key} is null; engines leave an unset value out",
                    expected="the key absent",
                    received="null",
                    hint="omit the key instead of sending null",
                    severity=Severity.WARNING if self.request else None,
                )
                continue
            if slot is None and not _NAME.fullmatch(key):
                self.note(
                    "json.shape",
                    here,
                    "name",
                    f"key {key[:60]!r} is no element or attribute name of the XSD",
                    expected="a name of the XSD",
                    received=repr(key[:60]),
                )
                continue
            if slot is not None and slot[0] and not isinstance(item, dict | list):
                scalar = self._attribute(self._scalar(item, Kind.STRING, here))
                attributes.append(f' {key}="{scalar}"')
                continue
            spec = ctype.children.get(key) if ctype is not None else None
            kind = slot[2] if slot is not None else Kind.STRING
            if isinstance(item, list):
                self._list(out, key, item, spec, kind, here, depth)
            else:
                self._child(out, key, item, spec, kind, here, depth)
        joined = "".join(attributes)
        if len(out) == start + 1:
            out[start] = f"<{tag}{joined}/>"
        else:
            out[start] = f"<{tag}{joined}>"
            out.append(f"</{tag}>")

    def _slots(self, ctype: ComplexType | None) -> dict[str, _Slot]:
        """Each key of a type: (an attribute?, its child, its kind, its complex type, and
        that type's attribute names), made once per schema and type."""
        schema = self.schema
        if schema is None or ctype is None:
            return _UNTYPED_SLOTS
        cache = self._slot_cache
        found = cache.get(ctype.name)
        if found is None:
            kinds = kinds_of(schema, ctype)
            found = {
                name: (True, None, Kind.STRING, None, frozenset(), False)
                for name in ctype.attributes
            }
            for name, child in ctype.children.items():
                sub = schema.complex_types.get(child.type)
                names = frozenset(sub.attributes) if sub is not None else frozenset()
                textual = sub is None and kinds[name] not in (Kind.NUMBER, Kind.DATE)
                found[name] = (False, child, kinds[name], sub, names, textual)
            cache[ctype.name] = found
        return found

    def _fast(self, out: list[str], key: str, item: object, slot: _Slot) -> str | None:
        """The common cases, without a path or a note: a string attribute (returned, to go
        in the start tag) or value, references and links of string attributes, lists of
        them ("": written); None for anything else."""
        attribute, spec, kind, sub, names, _ = slot
        text = self._text
        if type(item) is str:
            if attribute:
                return f' {key}="{self._attribute(item)}"'
            if sub is None and kind is not Kind.NUMBER and kind is not Kind.DATE:
                out.append(f"<{key}>{text(item)}</{key}>")
                return ""
            return None
        if type(item) is dict and sub is not None:
            made = self._empty(key, item, names)
            if made is None:
                return None
            out.append(made)
            return ""
        if type(item) is list and spec is not None and spec.max_occurs != 1:
            made_all: list[str] = []
            add = made_all.append
            if sub is None:
                if kind is Kind.NUMBER or kind is Kind.DATE:
                    return None
                for one in item:
                    if type(one) is not str:
                        return None
                    add(f"<{key}>{text(one)}</{key}>")
            else:
                plain = self._plain
                links = plain and "href" in names and "rel" in names
                if links and _links(item, key, add):
                    out.extend(made_all)
                    return ""
                made_all.clear()
                for one in item:  # references, mostly: ``_empty``, inline
                    if type(one) is not dict:
                        return None
                    if not names.issuperset(one):
                        return None
                    made = "<" + key
                    for name, value in one.items():
                        if type(value) is not str:
                            return None
                        made += f' {name}="{value if plain else escape_attribute(value)}"'
                    add(made + "/>")
            out.extend(made_all)
            return ""
        return None

    def _empty(self, tag: str, item: dict[str, object], names: frozenset[str]) -> str | None:
        """An element of string attributes only (a reference, a link) as XML, or None."""
        if not names.issuperset(item):
            return None
        plain = self._plain
        made = "<" + tag
        for name, value in item.items():
            if type(value) is not str:
                return None
            made += f' {name}="{value if plain else escape_attribute(value)}"'
        return made + "/>"

    def _child(
        self,
        out: list[str],
        key: str,
        item: object,
        spec: Child | None,
        kind: Kind,
        where: str,
        depth: int,
    ) -> None:
        schema = self.schema
        sub = (
            schema.complex_types.get(spec.type) if schema is not None and spec is not None else None
        )
        if isinstance(item, dict):
            if spec is not None and sub is None:
                self.note(
                    "json.shape",
                    where,
                    "object",
                    f"{key} is an object; the XSD has a value ({spec.type}) here",
                    expected=f"a {kind} value",
                    received="an object",
                )
            self._fill(out, key, item, sub, where, depth + 1)
            return
        if sub is not None and not sub.text_type:
            self.note(
                "json.shape",
                where,
                "value",
                f"{key} is a value; the XSD has a structure ({spec.type if spec else ''}) here",
                expected="an object",
                received=type(item).__name__,
            )
        out.append(f"<{key}>{self._text(self._scalar(item, kind, where))}</{key}>")


def _links(items: list[object], tag: str, add: Callable[[str], None]) -> bool:
    """Write ``items`` as elements ``tag`` if each is a link of a plain body (two strings,
    ``href`` and ``rel``), the commonest array; False at the first that is not one."""
    try:
        for one in items:
            href, rel = one["href"], one["rel"]  # type: ignore[index]
            if type(href) is not str or type(rel) is not str or len(one) != 2:  # type: ignore[arg-type]
                return False
            add(f'<{tag} href="{href}" rel="{rel}"/>')
    except (KeyError, TypeError):  # not an object, or without href or rel
        return False
    return True


#: What ``Reader`` knows of a key: (an attribute?, the child, its kind, its complex type,
#: that type's attribute names, whether a string is its text as it is).
_Slot = tuple[bool, Child | None, Kind, ComplexType | None, frozenset[str], bool]
#: The keys of a reference an untyped body may hold, read as attributes as in XML.
_UNTYPED_SLOTS: dict[str, _Slot] = {
    name: (True, None, Kind.STRING, None, frozenset(), False) for name in ("href", "id", "rel")
}


def read_json(
    data: bytes, root: str, schema: Schema | None, *, request: bool = False
) -> tuple[Element, tuple[Finding, ...]]:
    """A JSON body as the document of root ``root``; ``JSONProblem`` when it has none (not
    an object, or nested deeper than ``MAX_DEPTH``)."""
    amp, lt, gt, backslash = MAY_NEED_ESCAPES
    plain = amp not in data and lt not in data and gt not in data and backslash not in data
    return Reader(schema, request=request, plain=plain).read(parse_json(data), root)


__all__ = [
    "UNTYPED",
    "JSONProblem",
    "Reader",
    "is_json",
    "looks_like_json",
    "parse_json",
    "read_json",
    "representation",
    "root_of",
]

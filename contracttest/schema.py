"""The schema model: the entity XSD (what ``<api>?schema`` serves) read once into plain maps.

For every complex type: its child elements (name -> type, occurrence), its attributes and,
for simple content, the type of its text; for every simple type: its kind and enumeration.
Inheritance (``complexContent/extension``), groups, ``ref`` elements and anonymous local
types are resolved here, so checks look a child up by name, whatever the element order.
Chains of bases and of group references are followed in loops, not recursions, so an XSD of
any size reads without exhausting the stack (cycles, which no valid XSD has, end there).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from contracttest.errors import ContractError
from contracttest.xmlsafe import Element, XMLProblem, local_name, parse

XS = "{http://www.w3.org/2001/XMLSchema}"
UNBOUNDED = -1

_INTEGER = re.compile(r"\s*[+-]?\d+\s*")
#: More digits than any bounded XSD integer type has (unsignedLong: 20).
_BOUNDED_DIGITS = 20
_BOOLEAN = re.compile(r"\s*(?:true|false|1|0)\s*")
_DECIMAL = re.compile(r"\s*(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?INF|NaN)\s*")
_DATETIME = re.compile(r"\s*-?\d{4,}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)?\s*")
_DATE = re.compile(r"\s*-?\d{4,}-\d\d-\d\d(?:Z|[+-]\d\d:\d\d)?\s*")

#: Integer types and their inclusive ranges (None: unbounded on that side).
_INTEGER_RANGES: dict[str, tuple[int | None, int | None]] = {
    "byte": (-(2**7), 2**7 - 1),
    "short": (-(2**15), 2**15 - 1),
    "int": (-(2**31), 2**31 - 1),
    "long": (-(2**63), 2**63 - 1),
    "integer": (None, None),
    "negativeInteger": (None, -1),
    "unsignedByte": (0, 2**8 - 1),
    "unsignedShort": (0, 2**16 - 1),
    "unsignedInt": (0, 2**32 - 1),
    "unsignedLong": (0, 2**64 - 1),
    "nonNegativeInteger": (0, None),
    "positiveInteger": (1, None),
}
_BUILTIN_PATTERNS: dict[str, re.Pattern[str]] = {
    "boolean": _BOOLEAN,
    **dict.fromkeys(("double", "float", "decimal"), _DECIMAL),
    "dateTime": _DATETIME,
    "date": _DATE,
}

#: A compiled value check: returns None when the text is valid, else what was expected.
ValueCheck = Callable[[str], "str | None"]


@dataclass(frozen=True, slots=True)
class Child:
    name: str
    type: str
    min_occurs: int = 0
    max_occurs: int = 1


@dataclass(frozen=True, slots=True)
class Attribute:
    name: str
    type: str
    required: bool = False


@dataclass(frozen=True)
class ComplexType:
    name: str
    children: dict[str, Child] = field(default_factory=dict)
    attributes: dict[str, Attribute] = field(default_factory=dict)
    text_type: str | None = None  # simple content
    open: bool = False  # has xs:any: any child is allowed


@dataclass(frozen=True, slots=True)
class SimpleType:
    name: str
    base: str
    enumeration: frozenset[str] | None = None


@dataclass(frozen=True)
class Schema:
    """The entity XSD: global elements, complex and simple types."""

    elements: dict[str, str]
    complex_types: dict[str, ComplexType]
    simple_types: dict[str, SimpleType]
    source: str = "<xsd>"

    def element_names(self, type_name: str) -> tuple[str, ...]:
        """The global element names declared with ``type_name`` (``VM`` -> ``("vm",)``)."""
        return self._by_type.get(type_name, ())

    @property
    def _by_type(self) -> dict[str, tuple[str, ...]]:
        cache = self.__dict__.get("_by_type_cache")
        if cache is None:
            built: dict[str, list[str]] = {}
            for name, type_name in self.elements.items():
                built.setdefault(type_name, []).append(name)
            cache = {k: tuple(v) for k, v in built.items()}
            self.__dict__["_by_type_cache"] = cache
        return cache

    def holder_of(self, owner_type: str, rel: str, list_element: str) -> str | None:
        """The child of ``owner_type`` that ``follow=rel`` fills with the collection listed
        as ``list_element``: the child named ``rel`` or ``list_element`` (``nics``), else the
        one whose name without underscores is ``rel`` (``enabled_features`` for the rel
        ``enabledfeatures``: the engine names a link after its property), else the one of
        the list's type. None when the owner's type has no place for it (nothing to inline)."""
        owner = self.complex_types.get(owner_type)
        if owner is None:
            return None
        children = owner.children
        for name in (rel, list_element):
            if name in children:
                return name
        for name in children:
            if name.replace("_", "") == rel:
                return name
        list_type = self.elements.get(list_element)
        typed = [name for name, child in children.items() if child.type == list_type]
        return typed[0] if list_type is not None and len(typed) == 1 else None

    def value_check(self, type_name: str) -> ValueCheck | None:
        """A check for text of ``type_name``, or None when any text is valid."""
        cache: dict[str, ValueCheck | None] = self.__dict__.setdefault("_checks", {})
        if type_name not in cache:
            cache[type_name] = self._compile(type_name)
        return cache[type_name]

    def _compile(self, type_name: str) -> ValueCheck | None:
        simple = self.simple_types.get(type_name)
        if simple is not None and simple.enumeration is not None:
            allowed = simple.enumeration
            shown = ", ".join(sorted(allowed))

            def check_enum(text: str) -> str | None:
                return None if text.strip() in allowed else f"one of: {shown}"

            return check_enum
        base = simple.base if simple is not None else type_name
        if not base.startswith("xs:"):
            return None
        kind = base[3:]
        if kind in _INTEGER_RANGES:
            return _integer_check(base, *_INTEGER_RANGES[kind])
        pattern = _BUILTIN_PATTERNS.get(kind)
        if pattern is None:
            return None
        expected = f"a valid {base}"
        fullmatch = pattern.fullmatch

        def check(text: str) -> str | None:
            return None if fullmatch(text) else expected

        return check


def _integer_check(base: str, low: int | None, high: int | None) -> ValueCheck:
    shown = f"a valid {base}" + (
        f" ({low} to {high})" if low is not None and high is not None else ""
    )
    fullmatch = _INTEGER.fullmatch

    bounded = low is not None or high is not None

    def check(text: str) -> str | None:
        if not fullmatch(text):
            return shown
        if not bounded:
            return None  # any number of digits: no conversion needed
        if len(text.strip().lstrip("+-").lstrip("0")) > _BOUNDED_DIGITS:
            return shown  # beyond every bounded XSD integer, and never converted
        value = int(text)
        if (low is not None and value < low) or (high is not None and value > high):
            return shown
        return None

    return check


def schema_from_bytes(data: bytes, source: str = "<xsd>") -> Schema:
    try:
        root = parse(data)
    except XMLProblem as exc:
        raise ContractError(source, f"not an XML schema: {exc}") from None
    if root.tag != f"{XS}schema":
        raise ContractError(
            source, f"not an XML schema (root element is <{local_name(root.tag)}>, not <xs:schema>)"
        )
    return _SchemaReader(root, source).read()


class _SchemaReader:
    def __init__(self, root: Element, source: str) -> None:
        self.root = root
        self.source = source
        self.elements: dict[str, str] = {}
        self.simple: dict[str, SimpleType] = {}
        self.raw: dict[str, Element] = {}
        self.groups: dict[str, Element] = {}
        self.anonymous: dict[str, Element] = {}
        self.done: dict[str, ComplexType] = {}

    def read(self) -> Schema:
        for el in self.root:
            tag = el.tag
            name = el.get("name", "")
            if tag == f"{XS}element":
                self.elements[name] = self._element_type(el, name)
            elif tag == f"{XS}complexType":
                self.raw[name] = el
            elif tag == f"{XS}simpleType":
                self.simple[name] = _simple_type(el, name)
            elif tag == f"{XS}group":
                self.groups[name] = el
        for name in list(self.raw):
            self._complex(name)
        for name in list(self.anonymous):
            self._complex(name)
        return Schema(self.elements, self.done, self.simple, self.source)

    def _element_type(self, el: Element, name: str) -> str:
        declared = el.get("type")
        if declared:
            return declared
        for kid in el:
            if kid.tag == f"{XS}complexType":
                anon = f"{name}#anonymous"
                self.anonymous[anon] = kid
                return anon
            if kid.tag == f"{XS}simpleType":
                anon = f"{name}#simple"
                self.simple[anon] = _simple_type(kid, anon)
                return anon
        return "xs:string"

    def _complex(self, name: str) -> ComplexType:
        """The type ``name``, read once; its bases first, in a loop (a chain of any length)."""
        if name in self.done:
            return self.done[name]
        chain: list[tuple[str, Element]] = []
        named: set[str] = set()
        current: str | None = name
        while current is not None and current not in self.done and current not in named:
            el = self.raw.get(current) if current in self.raw else self.anonymous.get(current)
            if el is None:
                break
            named.add(current)
            chain.append((current, el))
            current = _complex_base(el)
        for type_name, el in reversed(chain):  # the deepest base first: filled before its heirs
            result = ComplexType(type_name)
            self.done[type_name] = result  # guards cycles; filled in place below
            self._fill(result, el)
        return self.done.get(name) or ComplexType(name)

    def _fill(self, result: ComplexType, el: Element) -> None:
        for kid in el:
            tag = kid.tag
            if tag in (f"{XS}sequence", f"{XS}choice", f"{XS}all", f"{XS}group"):
                self._particles(result, kid)
            elif tag == f"{XS}attribute":
                self._attribute(result, kid)
            elif tag in (f"{XS}complexContent", f"{XS}simpleContent"):
                for derivation in kid:
                    if derivation.tag not in (f"{XS}extension", f"{XS}restriction"):
                        continue
                    base = derivation.get("base", "")
                    if tag == f"{XS}simpleContent":
                        object.__setattr__(result, "text_type", base)
                    elif base in self.raw:
                        parent = self._complex(base)
                        result.children.update(parent.children)
                        result.attributes.update(parent.attributes)
                        if parent.open:
                            object.__setattr__(result, "open", True)
                    self._fill(result, derivation)
            elif tag == f"{XS}any":
                object.__setattr__(result, "open", True)

    def _particles(self, result: ComplexType, el: Element) -> None:
        """The elements of a model group, nested groups and group references included, in
        document order: a loop over a stack (any nesting, any chain of references), each
        referenced group read once (a group that refers to itself ends there)."""
        stack: list[Iterator[Element]] = [iter((el,))]
        referenced: set[str] = set()
        while stack:
            kid = next(stack[-1], None)
            if kid is None:
                stack.pop()
                continue
            tag = kid.tag
            if tag == f"{XS}element":
                child = self._child(kid, result.name)
                result.children[child.name] = child
            elif tag == f"{XS}group" and kid.get("ref"):
                ref = kid.get("ref", "")
                group = self.groups.get(ref)
                if group is not None and ref not in referenced:
                    referenced.add(ref)
                    stack.append(iter(group))
            elif tag in (f"{XS}sequence", f"{XS}choice", f"{XS}all", f"{XS}group"):
                stack.append(iter(kid))
            elif tag == f"{XS}any":
                object.__setattr__(result, "open", True)

    def _child(self, el: Element, owner: str) -> Child:
        ref = el.get("ref")
        if ref:
            name, type_name = ref, self.elements.get(ref) or self._global_type(ref)
        else:
            name = el.get("name", "")
            type_name = self._element_type(el, f"{owner}.{name}")
            if type_name in self.anonymous:
                self._complex(type_name)
        return Child(
            name=name,
            type=type_name,
            min_occurs=self._occurs(el, "minOccurs", name),
            max_occurs=self._occurs(el, "maxOccurs", name),
        )

    def _occurs(self, el: Element, attribute: str, name: str) -> int:
        raw = el.get(attribute, "1").strip()
        if raw == "unbounded" and attribute == "maxOccurs":
            return UNBOUNDED
        if not raw.isdigit() or len(raw) > 9:
            raise ContractError(
                self.source, f"element {name!r} has {attribute}={raw!r}, which is not a count"
            )
        return int(raw)

    def _global_type(self, ref: str) -> str:
        """The type of a global element referenced before its declaration was read."""
        for el in self.root.iterchildren(f"{XS}element"):
            if el.get("name") == ref:
                found = self._element_type(el, ref)
                self.elements[ref] = found
                return found
        return "xs:string"

    def _attribute(self, result: ComplexType, el: Element) -> None:
        name = el.get("name") or el.get("ref") or ""
        type_name = el.get("type", "xs:string")
        for kid in el:
            if kid.tag == f"{XS}simpleType":
                type_name = f"{result.name}@{name}"
                self.simple[type_name] = _simple_type(kid, type_name)
        result.attributes[name] = Attribute(name, type_name, el.get("use") == "required")


def _complex_base(el: Element) -> str | None:
    """The base a complex type extends or restricts (``complexContent``), if any."""
    for kid in el:
        if kid.tag == f"{XS}complexContent":
            for derivation in kid:
                if derivation.tag in (f"{XS}extension", f"{XS}restriction"):
                    return derivation.get("base") or None
    return None


def _simple_type(el: Element, name: str) -> SimpleType:
    for kid in el:
        if kid.tag == f"{XS}restriction":
            values = frozenset(e.get("value", "") for e in kid.iterchildren(f"{XS}enumeration"))
            return SimpleType(name, kid.get("base", "xs:string"), values or None)
    return SimpleType(name, "xs:string")


def iter_types(schema: Schema) -> Iterator[str]:
    """Every complex type name, in declaration order."""
    yield from schema.complex_types

"""The JSON representation of the v4 API: how each XSD type appears in JSON, and XML to JSON.

An oVirt engine renders its JAXB model (the XML object model) with Jackson's JAXB module
(``OVIRT-JSON.md``), so a JSON body is the XML document under other rules:

* no root wrapper: an entity is a bare object; a collection is ``{"vm": [...]}`` (its
  repeated element under the singular name), and an empty one ``{}``;
* attributes (``id``, ``href``, ``rel``) are ordinary keys; a repeated element is an array
  under its name; nested lists keep their wrapper (``{"disks": {"disk": [...]}}``);
* scalars by XSD type (``kind``): booleans and integers are strings (``"true"``, ``"5900"``;
  the 64-bit integers engines before 4.2.3 wrote as numbers), decimals JSON numbers, dates
  JSON numbers of milliseconds since 1970, enumerations and every other text strings;
* unset values are absent, never ``null``.

``to_json`` renders a document by these rules (the embedded engine's answers, a JSON
client's request bodies); ``jsontree`` reads JSON back into the document, noting every
departure from them. Both take the XSD model, so one mapping serves both directions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from contracttest.errors import ContractTestError
from contracttest.schema import ComplexType, Schema
from contracttest.xmlsafe import Element

JSON_MEDIA = "application/json"


class Kind(StrEnum):
    """How a value of an XSD type is written in the engine's JSON."""

    STRING = "string"  # strings, enumerations (lower case), anything untyped
    BOOLEAN = "boolean"  # "true" / "false": a string
    INTEGER = "integer"  # a string of digits
    LONG = "long"  # a string since 4.2.3; a JSON number on engines before
    NUMBER = "number"  # xs:decimal, xs:double, xs:float: a JSON number
    DATE = "date"  # xs:dateTime: a JSON number, milliseconds since 1970-01-01 UTC


_INTEGERS = frozenset(
    {
        "byte",
        "short",
        "int",
        "long",
        "integer",
        "negativeInteger",
        "unsignedByte",
        "unsignedShort",
        "unsignedInt",
        "unsignedLong",
        "nonNegativeInteger",
        "positiveInteger",
    }
)

#: The members the metamodel writes as ``xs:long`` (every other integer is ``xs:int``):
#: ``ovirt-engine-api-metamodel`` ``SchemaGenerator`` (``addMemberSchemaTypeNameException``),
#: by owning type (squashed lower case, with the subclasses that inherit the member).
LONG_MEMBERS: dict[str, frozenset[str]] = {
    **dict.fromkeys(
        ("disk", "disksnapshot"),
        frozenset({"actual_size", "provisioned_size", "initial_size", "total_size"}),
    ),
    "glusterclient": frozenset({"bytes_read", "bytes_written"}),
    "host": frozenset({"max_scheduling_memory", "memory"}),
    "hostnic": frozenset({"speed"}),
    "image": frozenset({"size"}),
    "imagetransfer": frozenset({"transferred"}),
    "logicalunit": frozenset({"discard_max_size", "size"}),
    "memorypolicy": frozenset({"guaranteed", "max"}),
    **dict.fromkeys(("numanode", "virtualnumanode"), frozenset({"memory"})),
    "quotastoragelimit": frozenset({"limit"}),
    "storagedomain": frozenset({"available", "used", "committed"}),
    **dict.fromkeys(
        ("vm", "vmbase", "template", "instancetype", "snapshot"), frozenset({"memory"})
    ),
}


def distinguishes_long(schema: Schema) -> bool:
    """Whether the XSD writes ``xs:int`` apart from ``xs:long`` (a real engine's does; the
    bundled v4 contract types every integer ``xs:long``, so ``LONG_MEMBERS`` decides)."""
    found = schema.__dict__.get("_distinguishes_long")
    if found is None:
        found = any(
            child.type == "xs:int"
            for ctype in schema.complex_types.values()
            for child in ctype.children.values()
        )
        schema.__dict__["_distinguishes_long"] = found
    return bool(found)


def kind(schema: Schema | None, owner: str, name: str, type_name: str | None) -> Kind:
    """How element ``name`` of complex type ``owner``, of type ``type_name``, is written."""
    if schema is None or type_name is None:
        return Kind.STRING
    base = type_name
    simple = schema.simple_types.get(type_name)
    if simple is not None:
        if simple.enumeration is not None:
            return Kind.STRING
        base = simple.base
    if not base.startswith("xs:"):
        return Kind.STRING
    builtin = base[3:]
    if builtin == "boolean":
        return Kind.BOOLEAN
    if builtin in ("decimal", "double", "float"):
        return Kind.NUMBER
    if builtin == "dateTime":
        return Kind.DATE
    if builtin in _INTEGERS:
        if builtin != "long":
            return Kind.INTEGER
        if distinguishes_long(schema):
            return Kind.LONG
        members = LONG_MEMBERS.get(owner.replace("_", "").lower(), frozenset())
        return Kind.LONG if name in members else Kind.INTEGER
    return Kind.STRING


def kinds_of(schema: Schema, ctype: ComplexType) -> dict[str, Kind]:
    """Every child's kind for one complex type, made once per schema and type."""
    cache: dict[str, dict[str, Kind]] = schema.__dict__.setdefault("_json_kinds", {})
    found = cache.get(ctype.name)
    if found is None:
        found = {
            name: kind(schema, ctype.name, name, child.type)
            for name, child in ctype.children.items()
        }
        cache[ctype.name] = found
    return found


# -- reading JSON --------------------------------------------------------------------------

#: The root tag of a body whose type is not known (only its hrefs are checked).
UNTYPED = "json"


class JSONProblem(ContractTestError, ValueError):
    """A body that is not a JSON object (malformed, too deep, an array or a scalar)."""


def looks_like_json(data: bytes) -> bool:
    head = data[:64].lstrip()[:1]
    return head in (b"{", b"[")


def is_json(data: bytes, media: str) -> bool:
    """A JSON body: declared so (and not XML after all), or undeclared (or declared XML)
    and JSON indeed: a console file's ``[virt-viewer]`` is shaped like JSON, and is not."""
    from contracttest.xmlsafe import looks_like_xml

    if not data or data.isspace() or looks_like_xml(data):  # no copy of the body
        return False
    if "json" in media:
        return True
    if not looks_like_json(data):
        return False
    try:
        _loads(data)
    except RecursionError:
        return True  # JSON, too deep: reading it says so
    except ValueError:
        return False
    return True


def representation(data: bytes, media: str) -> str:
    """``json``, ``xml``, or ``""`` (no body, or one in another format) for a body."""
    from contracttest.xmlsafe import looks_like_xml

    if is_json(data, media):
        return "json"
    return "xml" if looks_like_xml(data) else ""


def _fast_loads() -> Callable[[bytes], object] | None:
    """orjson's reader when it is installed (several times faster than json's); what it
    refuses (integers beyond 64 bits, ``NaN``) is read again by json, which decides."""
    try:
        import orjson
    except ImportError:  # an optional speed-up, not a dependency
        return None
    return orjson.loads


_FAST_LOADS = _fast_loads()


def _loads(data: bytes) -> object:
    if _FAST_LOADS is not None:
        try:
            return _FAST_LOADS(data)
        except ValueError:  # orjson's error: json has the last word, and its message
            pass
    return json.loads(data)


def parse_json(data: bytes) -> dict[str, object]:
    """A JSON body's top-level object; ``JSONProblem`` says in one line why there is none."""
    try:
        value = _loads(data)
    except RecursionError:
        raise JSONProblem("is nested too deep") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise JSONProblem(f"is not valid JSON: {str(exc).splitlines()[0][:120]}") from None
    if not isinstance(value, dict):
        raise JSONProblem(f"is a JSON {type(value).__name__}, not an object: no engine sends one")
    return value


def root_of(schema: Schema | None, type_name: str | None) -> str:
    """The root tag for a body of ``type_name`` (``VM`` -> ``vm``), else ``UNTYPED``."""
    if type_name is None:
        return UNTYPED
    names = schema.element_names(type_name) if schema is not None else ()
    return names[0] if names else type_name.lower()


# -- dates ---------------------------------------------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def epoch_ms(text: str) -> int | None:
    """An ``xs:dateTime`` as milliseconds since 1970 (no zone: UTC), or None."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def date_text(milliseconds: int | float) -> str | None:
    """Milliseconds since 1970 as the ``xs:dateTime`` an engine writes in XML, or None."""
    try:
        moment = datetime.fromtimestamp(milliseconds / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return moment.isoformat(timespec="milliseconds")


def number_text(value: int | float) -> str:
    """A JSON number as XML text (``4.3``, ``1789439294630``)."""
    return str(value) if isinstance(value, int) else repr(value)


def json_number(text: str) -> int | float | str:
    """XML text of a decimal as a JSON number (the text itself when it is not one)."""
    stripped = text.strip()
    try:
        if re.fullmatch(r"[+-]?\d+", stripped):
            return int(stripped)
        value = Decimal(stripped)
    except InvalidOperation:
        return text
    return float(value) if value.is_finite() else text


# -- XML to JSON ---------------------------------------------------------------------------


def to_json(element: Element, schema: Schema | None) -> dict[str, object]:
    """A document as the engine writes it in JSON: the root's content, no wrapper."""
    type_name = schema.elements.get(str(element.tag)) if schema is not None else None
    return _object(element, schema, type_name)


def _object(element: Element, schema: Schema | None, type_name: str | None) -> dict[str, object]:
    ctype = schema.complex_types.get(type_name) if schema is not None and type_name else None
    out: dict[str, object] = {}
    for key, attribute in element.attrib.items():
        out[str(key)] = str(attribute)
    seen: dict[str, int] = {}
    for child in element:
        if isinstance(child.tag, str):
            seen[child.tag] = seen.get(child.tag, 0) + 1
    for child in element:
        tag = child.tag
        if not isinstance(tag, str):
            continue  # comments and processing instructions have no JSON form
        spec = ctype.children.get(tag) if ctype is not None else None
        value = _value(child, schema, ctype, tag, spec.type if spec is not None else None)
        repeated = spec.max_occurs != 1 if spec is not None else seen[tag] > 1
        if repeated:
            listed = out.setdefault(tag, [])
            assert isinstance(listed, list)
            listed.append(value)
        else:
            out[tag] = value
    return out


def _value(
    child: Element,
    schema: Schema | None,
    owner: ComplexType | None,
    tag: str,
    type_name: str | None,
) -> object:
    structured = schema is not None and type_name is not None and type_name in schema.complex_types
    if structured or len(child) or child.attrib:
        return _object(child, schema, type_name)
    text = child.text or ""
    found = kind(schema, owner.name if owner else "", tag, type_name)
    if found is Kind.NUMBER:
        return json_number(text)
    if found is Kind.DATE:
        milliseconds = epoch_ms(text)
        return text if milliseconds is None else milliseconds
    return text

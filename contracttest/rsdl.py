"""The contract model: an RSDL document read once into immutable values.

Every form real engines produced loads into the same model: the served form (absolute hrefs
under ``/api`` or ``/ovirt-engine/api``, a ``<version>``) and the build-time form (relative
hrefs, no version). Awkward input is normalised here, once: ``id|name`` alternatives become
tuples, the ``xs:boolen`` typo and a sentence in a ``type`` attribute become proper types with
a warning, so nothing downstream deals with them again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

from contracttest.errors import ContractError
from contracttest.xmlsafe import Element, XMLProblem, local_name, parse

if TYPE_CHECKING:
    from contracttest.router import Router

DEFAULT_PREFIX = "/ovirt-engine/api"
_T = TypeVar("_T")
KNOWN_TYPES = frozenset(
    {
        "xs:string",
        "xs:int",
        "xs:long",
        "xs:short",
        "xs:unsignedShort",
        "xs:unsignedInt",
        "xs:boolean",
        "xs:double",
        "xs:decimal",
        "xs:dateTime",
        "collection",
    }
)


@dataclass(frozen=True, slots=True)
class Header:
    name: str
    value: str
    required: bool


@dataclass(frozen=True, slots=True)
class UrlParameter:
    name: str
    type: str
    context: str  # "query" or "matrix"
    required: bool
    value: str
    deprecated: bool = False


@dataclass(frozen=True, slots=True)
class Parameter:
    """One body parameter: ``vm.cluster.id|name`` is path ``(("cluster",), ("id", "name"))``.

    The first dotted segment (the body's root element) is not part of ``path``.
    """

    name: str
    path: tuple[tuple[str, ...], ...]
    type: str
    required: bool
    deprecated: bool = False
    parameter_sets: tuple[ParameterSet, ...] = ()

    @property
    def is_collection(self) -> bool:
        return self.type == "collection"


@dataclass(frozen=True, slots=True)
class ParameterSet:
    """One overload of a body: the parameters that together make a valid request."""

    parameters: tuple[Parameter, ...]
    description: str = ""

    @property
    def required(self) -> tuple[Parameter, ...]:
        return tuple(p for p in self.parameters if p.required)


@dataclass(frozen=True, slots=True)
class Link:
    """An RSDL link: one HTTP method on one href template, with what it takes and returns."""

    href: str  # relative to the API prefix: "vms/{vm:id}/start"; "" for the API root
    rel: str
    method: str
    prefix: str = DEFAULT_PREFIX
    description: str = ""
    headers: tuple[Header, ...] = ()
    url_parameters: tuple[UrlParameter, ...] = ()
    body_type: str | None = None
    parameter_sets: tuple[ParameterSet, ...] = ()
    response_type: str | None = None

    @property
    def template(self) -> str:
        return f"{self.prefix}/{self.href}" if self.href else self.prefix

    @property
    def segments(self) -> tuple[str, ...]:
        return tuple(self.href.split("/")) if self.href else ()

    @property
    def is_action(self) -> bool:
        return self.method == "POST" and self.rel != "add"

    def describe(self) -> str:
        """``GET /ovirt-engine/api/vms/{vm:id} (get)``: how messages name a link."""
        return f"{self.method} {self.template} ({self.rel})"


@dataclass(frozen=True)
class Contract:
    """An RSDL document: its links, prefix, version and the defects found while reading it."""

    links: tuple[Link, ...]
    prefix: str = DEFAULT_PREFIX
    version: str | None = None
    source: str = "<rsdl>"
    served_form: bool = False
    general_headers: tuple[Header, ...] = ()
    warnings: tuple[str, ...] = ()
    schema_href: str = ""

    @cached_property
    def router(self) -> Router:
        from contracttest.router import Router

        return Router(self)

    @cached_property
    def root_link(self) -> Link:
        """The API root (``GET <prefix>``), which every engine serves but no RSDL lists."""
        return Link(href="", rel="get", method="GET", prefix=self.prefix, response_type="API")

    @cached_property
    def collections(self) -> tuple[str, ...]:
        """The top-level collection names (``vms``, ``hosts``, ...), sorted."""
        return tuple(sorted({link.href.split("/")[0] for link in self.links if link.href}))

    @property
    def rels(self) -> tuple[str, ...]:
        return tuple(sorted({link.rel for link in self.links}))

    @property
    def major(self) -> int | None:
        return int(self.version.split(".")[0]) if self.version else None


def contract_from_bytes(data: bytes, source: str = "<rsdl>") -> Contract:
    try:
        root = parse(data)
    except XMLProblem as exc:
        raise ContractError(source, f"not an RSDL document: {exc}") from None
    if root.tag != "rsdl":
        raise ContractError(
            source, f"not an RSDL document (root element is <{local_name(root.tag)}>, not <rsdl>)"
        )
    reader = _Reader(source, _prefix_of(root.get("href", "")))
    top = _kids(root)
    links_el = top.get("links")
    if links_el is None:
        raise ContractError(source, "not an RSDL document (no <links> element)")
    links = tuple(reader.link(el) for el in links_el.iterchildren("link"))
    version_el = top.get("version")
    version = None
    if version_el is not None:
        version = f"{version_el.get('major', '?')}.{version_el.get('minor', '0')}"
    general_headers = reader.headers(_kids(top.get("general")).get("request"))
    schema_el = top.get("schema")
    return Contract(
        links=links,
        prefix=reader.prefix,
        version=version,
        source=source,
        served_form=reader.served,
        general_headers=general_headers,
        warnings=tuple(reader.warnings),
        schema_href=schema_el.get("href", "") if schema_el is not None else "",
    )


def _prefix_of(rsdl_href: str) -> str | None:
    """``/ovirt-engine/api?rsdl`` -> ``/ovirt-engine/api``; ``?rsdl`` (build-time) -> None."""
    path = urlsplit(rsdl_href).path.rstrip("/")
    return path or None


class _Reader:
    def __init__(self, source: str, prefix: str | None) -> None:
        self.source = source
        self.served = prefix is not None
        self.prefix = prefix or DEFAULT_PREFIX
        self.warnings: list[str] = []
        self._values: dict[tuple[object, tuple[object, ...]], object] = {}

    def link(self, el: Element) -> Link:
        # Each element's children are gathered by tag in one pass (``_groups``): the reader
        # visits every element of the document once.
        href = self._relative(el.get("href", ""))
        kids = _groups(el)
        request = _first(kids, "request")
        req = _groups(request)
        method = (_text(_first(req, "http_method")) or "GET").upper()
        body = _groups(_first(req, "body"))
        rel = el.get("rel", "")
        where = (method, href, rel)
        return Link(
            href=href,
            rel=rel,
            method=method,
            prefix=self.prefix,
            description=_text(_first(kids, "description")),
            headers=self._headers(req),
            url_parameters=tuple(self._url_parameters(_first(req, "url"), where)),
            body_type=_text(_first(body, "type")) or None,
            parameter_sets=tuple(
                self._parameter_set(ps, where) for ps in body.get("parameters_set", ())
            ),
            response_type=_text(_first(_groups(_first(kids, "response")), "type")) or None,
        )

    def _relative(self, href: str) -> str:
        path = urlsplit(href).path if "://" in href else href
        if path.startswith(self.prefix + "/"):
            path = path[len(self.prefix) + 1 :]
        elif path == self.prefix:
            path = ""
        return path.strip("/")

    def headers(self, request: Element | None) -> tuple[Header, ...]:
        return self._headers(_groups(request))

    def _headers(self, request: dict[str, list[Element]]) -> tuple[Header, ...]:
        found = []
        for headers in request.get("headers", ()):
            for h in _children(headers, "header"):
                kids = _groups(h)
                fields = (
                    _text(_first(kids, "name")),
                    _text(_first(kids, "value")),
                    h.get("required") == "true",
                )
                found.append(self._one(Header, fields))
        return tuple(found)

    def _one(self, kind: Callable[..., _T], fields: tuple[object, ...]) -> _T:
        """One shared value for equal fields: the same headers and parameters come with
        hundreds of links, and a frozen value costs more to make than to look up."""
        key = (kind, fields)
        found = self._values.get(key)
        if found is None:
            found = self._values[key] = kind(*fields)
        return found  # type: ignore[return-value]

    def _url_parameters(self, url: Element | None, where: _Where) -> Iterator[UrlParameter]:
        for ps in _children(url, "parameters_set"):
            for p in _children(ps, "parameter"):
                kids = _groups(p)
                name = _text(_first(kids, "name"))
                fields = (
                    name,
                    self._type(p.get("type", "xs:string"), where, "URL parameter", name),
                    p.get("context", "query"),
                    p.get("required") == "true",
                    _text(_first(kids, "value")),
                    _text(_first(kids, "deprecated")) == "true",
                )
                yield self._one(UrlParameter, fields)

    def _parameter_set(self, el: Element, where: _Where) -> ParameterSet:
        # Plain loops, not generator expressions: nested sets recurse through here, and a
        # loop costs no extra frame per level (the parser bounds the nesting).
        kids = _groups(el)
        parameters = []
        for parameter in kids.get("parameter", ()):
            parameters.append(self._parameter(parameter, where))
        return ParameterSet(tuple(parameters), description=_text(_first(kids, "description")))

    def _parameter(self, el: Element, where: _Where) -> Parameter:
        kids = _groups(el)
        name = _text(_first(kids, "name"))
        parameter_sets = []
        for parameter_set in kids.get("parameters_set", ()):
            parameter_sets.append(self._parameter_set(parameter_set, where))
        fields = (
            name,
            self._type(el.get("type", "xs:string"), where, "parameter", name),
            el.get("required") == "true",
            _text(_first(kids, "deprecated")) == "true",
            tuple(parameter_sets),
        )
        if parameter_sets:  # a collection's own sets: made once, not looked up (no deep hashing)
            return _make_parameter(*fields)
        return self._one(_make_parameter, fields)

    def _type(self, declared: str, link: _Where, kind: str, name: str) -> str:
        if declared in KNOWN_TYPES:
            return declared
        method, href, rel = link
        where = f"{method} {href} ({rel}) {kind} {name}"
        fixed = _fix_typo(declared)
        if fixed is not None:
            self.warnings.append(
                f"{self.source}: {where}: type {declared!r} read as {fixed!r} (a typo in the RSDL)"
            )
            return fixed
        if " " in declared or not declared:
            shown = declared if len(declared) <= 40 else declared[:37] + "..."
            self.warnings.append(
                f"{self.source}: {where}: type attribute holds text ({shown!r}); "
                "read as 'xs:string'"
            )
            return "xs:string"
        self.warnings.append(f"{self.source}: {where}: unknown type {declared!r}; kept as is")
        return declared


def _make_parameter(
    name: str,
    type_name: str,
    required: bool,
    deprecated: bool,
    parameter_sets: tuple[ParameterSet, ...],
) -> Parameter:
    segments = [tuple(part.split("|")) for part in name.split(".")]
    # "vm.cluster.id|name": the first segment is the body's root; a lone "description"
    # (a real 3.4/3.5 defect) names a child of the root.
    path = segments[1:] if len(segments) > 1 else segments
    return Parameter(name, tuple(path), type_name, required, deprecated, parameter_sets)


#: Where a parameter is, for warnings: the link's method, href and rel.
_Where = tuple[str, str, str]


def _groups(el: Element | None) -> dict[str, list[Element]]:
    """The element's children by tag, in order, gathered in one pass."""
    groups: dict[str, list[Element]] = {}
    if el is not None:
        for child in el:
            tag = child.tag
            if isinstance(tag, str):
                found = groups.get(tag)
                if found is None:
                    groups[tag] = [child]
                else:
                    found.append(child)
    return groups


def _first(groups: dict[str, list[Element]], tag: str) -> Element | None:
    found = groups.get(tag)
    return found[0] if found else None


def _children(el: Element | None, tag: str) -> list[Element]:
    # a comparison per child: cheaper than iterchildren(tag), which builds a matcher a call
    return [] if el is None else [child for child in el if child.tag == tag]


def _kids(el: Element | None) -> dict[str, Element]:
    """The element's children by tag (the first of each), read in one C-level pass."""
    if el is None:
        return {}
    kids: dict[str, Element] = {}
    for child in el:
        tag = child.tag
        if isinstance(tag, str) and tag not in kids:
            kids[tag] = child
    return kids


def _text(el: Element | None) -> str:
    if el is None or el.text is None:
        return ""
    return el.text.strip()


def _fix_typo(declared: str) -> str | None:
    """``xs:boolen`` -> ``xs:boolean``, ``xs:int,`` -> ``xs:int``: real RSDL typos."""
    if declared == "xs:boolen":
        return "xs:boolean"
    if declared.startswith("xs.") and "xs:" + declared[3:] in KNOWN_TYPES:
        return "xs:" + declared[3:]
    stripped = declared.strip(" ,;")
    return stripped if stripped != declared and stripped in KNOWN_TYPES else None

"""Checks of the representation: field by field against the XSD, and every href it holds.

Both walk the parsed tree once. The XSD side is compiled per complex type on first use into
``{child tag: (child type, value check)}`` maps, so a walk costs one dictionary lookup per
element. Repeats are folded: the same problem at the same schema position is reported once
per exchange, with a count.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote

from lxml import etree

from contracttest.checks.context import Context
from contracttest.router import KNOWN_PREFIXES, Router
from contracttest.rules import Finding, Severity
from contracttest.schema import ComplexType, Schema, ValueCheck
from contracttest.xmlsafe import Element


@dataclass(slots=True)
class _Compiled:
    type: ComplexType
    children: dict[str, tuple[_Compiled | None, ValueCheck | None]]
    attributes: dict[str, ValueCheck | None]
    text: ValueCheck | None


def _compiled(schema: Schema, type_name: str) -> _Compiled | None:
    cache: dict[str, _Compiled | None] = schema.__dict__.setdefault("_compiled", {})
    if type_name in cache:
        return cache[type_name]
    ctype = schema.complex_types.get(type_name)
    if ctype is None:
        cache[type_name] = None
        return None
    compiled = _Compiled(ctype, {}, {}, None)
    cache[type_name] = compiled  # before the children: types are recursive
    for name, child in ctype.children.items():
        compiled.children[name] = (_compiled(schema, child.type), schema.value_check(child.type))
    for name, attribute in ctype.attributes.items():
        compiled.attributes[name] = schema.value_check(attribute.type)
    if ctype.text_type:
        compiled.text = schema.value_check(ctype.text_type)
    return compiled


class _Walk:
    """One pass over a representation; problems keyed by (type, name, kind), counted."""

    def __init__(self) -> None:
        self.problems: dict[tuple[str, str, str], list[object]] = {}

    def note(self, key: tuple[str, str, str], element: Element, detail: str) -> None:
        seen = self.problems.get(key)
        if seen is None:
            self.problems[key] = [element, detail, 1]
        else:
            seen[2] = int(str(seen[2])) + 1

    def element(self, element: Element, compiled: _Compiled) -> None:
        type_name = compiled.type.name
        if element.attrib:
            attributes = compiled.attributes
            for raw_name, raw_value in element.attrib.items():
                name, value = str(raw_name), str(raw_value)
                if name not in attributes:
                    if name[0] != "{":
                        self.note((type_name, "@" + name, "attribute"), element, value)
                    continue
                check = attributes[name]
                if check is not None and check(value) is not None:
                    self.note((type_name, "@" + name, "value"), element, value)
        if compiled.text is not None and compiled.text(element.text or "") is not None:
            self.note((type_name, "text()", "value"), element, element.text or "")
        children = compiled.children
        is_open = compiled.type.open
        for child in element:
            spec = children.get(child.tag)
            if spec is None:
                if not is_open:
                    self.note((type_name, str(child.tag), "unknown"), child, "")
                continue
            sub, check = spec
            if sub is not None:
                self.element(child, sub)
            elif check is not None and check(child.text or "") is not None:
                self.note((type_name, str(child.tag), "value"), child, child.text or "")


def check_schema(ctx: Context) -> Iterator[Finding]:
    schema, root = ctx.schema, ctx.response_root
    if schema is None or root is None or not 200 <= ctx.exchange.response.status < 300:
        return
    type_name = schema.elements.get(str(root.tag))
    compiled = _compiled(schema, type_name) if type_name else None
    if compiled is None:
        return
    walk = _Walk()
    walk.element(root, compiled)
    tree = root.getroottree()
    for (owner, name, kind), (element, detail, count) in walk.problems.items():
        assert isinstance(element, etree._Element)
        more = f" ({count} times)" if int(str(count)) > 1 else ""
        xpath = tree.getpath(element)
        yield _schema_finding(schema, owner, name, kind, str(detail), xpath, more)


def _schema_finding(
    schema: Schema, owner: str, name: str, kind: str, detail: str, xpath: str, more: str
) -> Finding:
    ctype = schema.complex_types[owner]
    if kind == "unknown":
        return Finding(
            "response.schema",
            f"<{name}> is not an element of {owner} in the XSD{more}",
            xpath=xpath,
            expected=f"one of {owner}'s elements",
            received=f"<{name}>",
            hint="an element of a neighbouring engine version; check the contract version",
            severity=Severity.WARNING,
        )
    if kind == "attribute":
        known = ", ".join(sorted(ctype.attributes)) or "none"
        return Finding(
            "response.schema",
            f"attribute {name[1:]!r} is not an attribute of {owner}{more}",
            xpath=xpath,
            expected=f"attributes: {known}",
            received=f"{name[1:]}={detail!r}",
            hint="only id and href are attributes of entities; send it as an element",
        )
    if name.startswith("@"):
        declared = ctype.attributes[name[1:]].type
    elif name == "text()":
        declared = ctype.text_type or "xs:string"
    else:
        declared = ctype.children[name].type
    shown = detail if len(detail) <= 60 else detail[:57] + "..."
    return Finding(
        "response.schema",
        f"{name} of {owner} holds {shown!r}, not a valid {declared}{more}",
        xpath=xpath,
        expected=_expected(schema, declared),
        received=shown,
    )


def _expected(schema: Schema, declared: str) -> str:
    check = schema.value_check(declared)
    return (check("\x00") or declared) if check is not None else declared


_WITH_HREF = etree.XPath("//*[@href]")


def check_hrefs(ctx: Context) -> Iterator[Finding]:
    root = ctx.response_root
    if root is None or not ctx.in_api or not 200 <= ctx.exchange.response.status < 300:
        return
    base = ctx.api_base
    router = ctx.contract.router
    tree = root.getroottree()
    elements = _WITH_HREF(root)
    assert isinstance(elements, list)
    other_prefix: list[object] = []  # the first such element, then each prefix seen
    for element in elements:
        assert isinstance(element, etree._Element)
        href = str(element.get("href"))
        path = href.partition("?")[0]
        href_base = _base_of(path, base)
        if href_base is None:
            yield Finding(
                "response.href",
                f"href {href!r} is not a path under the API prefix {base}",
                xpath=tree.getpath(element),
                expected=f"{base}/...",
                received=href,
                hint="hrefs are absolute paths under the API prefix, never full URLs",
            )
            continue
        if href_base != base:
            if not other_prefix:
                other_prefix.append(element)
            other_prefix.append(href_base)
        segments = [
            unquote(s.partition(";")[0]) for s in path[len(href_base) + 1 :].split("/") if s
        ]
        problem = _href_problem(element, segments, path, router)
        if problem is not None:
            message, expected, *severity = problem
            yield Finding(
                "response.href",
                message,
                tree.getpath(element),
                expected,
                href,
                severity=severity[0] if severity else None,
            )
    if other_prefix:
        first = other_prefix[0]
        assert isinstance(first, etree._Element)
        yield Finding(
            "response.href",
            f"{len(other_prefix) - 1} href(s) use the API prefix {other_prefix[1]}, "
            f"the request used {base}",
            xpath=tree.getpath(first),
            expected=f"{base}/...",
            received=str(first.get("href")),
            hint="real RHEV-M 3.x engines answer with their /api alias; clients that "
            "follow hrefs must accept both",
            severity=Severity.WARNING,
        )


def _base_of(path: str, base: str) -> str | None:
    """The API prefix ``path`` lies under: the request's, another known one, or None."""
    if "://" in path:
        return None
    for candidate in (base, *KNOWN_PREFIXES):
        if path == candidate or path.startswith(candidate + "/"):
            return candidate
    return None


def _resolves(router: Router, segments: list[str]) -> bool:
    links = router.links_at(segments)
    return links is not None and "GET" in links


_Problem = tuple[str, str] | tuple[str, str, Severity]


def _href_problem(
    element: Element, segments: list[str], path: str, router: Router
) -> _Problem | None:
    tag = element.tag
    parent = element.getparent()
    rel = element.get("rel")
    if tag == "link" and parent is not None and parent.tag == "actions":
        owner = parent.getparent()
        link = router.route("POST", segments)
        if link is None or link.rel != rel or not link.is_action:
            where = f" of <{owner.tag}>" if owner is not None else ""
            return f"action {rel!r}{where} is not an action in the RSDL", "an RSDL action"
        return None
    if tag == "link" and rel and parent is not None and parent.get("href"):
        owner_path = str(parent.get("href")).partition("?")[0]
        sub = f"{owner_path}/{rel.split('/')[0]}"
        if path != sub and not path.startswith(sub + "/"):
            return (
                f"link rel={rel!r} of <{parent.tag}> does not point to its {rel!r} sub-collection",
                sub,
            )
        if not _resolves(router, segments):
            return (
                f"<{parent.tag}> links to {rel!r}, which the RSDL does not document for it",
                "a sub-collection in the RSDL",
                Severity.WARNING,
            )
        return None
    if not _resolves(router, segments):
        return f"href {path} does not resolve to an RSDL GET link", "an RSDL GET link"
    identifier = element.get("id")
    if identifier is not None and segments and identifier != segments[-1]:
        return f"id {identifier!r} is not the last segment of its href", segments[-1]
    return None

"""Checks of the request: is it documented, and does it carry what its RSDL link asks for."""

from __future__ import annotations

import re
from collections.abc import Iterator

from contracttest.checks.context import (
    Context,
    element_matches_type,
    expected_elements,
    shown,
)
from contracttest.parameters import missing_parameters
from contracttest.rules import Finding, suggest

_TRUE_FALSE = frozenset({"true", "t", "yes", "y", "1", "false", "f", "no", "n", "0"})
_INTEGER = re.compile(r"[+-]?\d+")
_ROOT_PARAMETERS = frozenset({"rsdl", "schema"})


def check_link(ctx: Context) -> Iterator[Finding]:
    if not ctx.in_api or ctx.link is not None:
        return
    method = ctx.exchange.request.method
    path = shown("/".join((ctx.target.base, *ctx.target.segments)))
    if ctx.links_here:
        allowed = ", ".join(sorted(ctx.links_here))
        yield Finding(
            "link.undocumented",
            f"{method} is not documented for {path}; the RSDL has {allowed} there",
            expected=allowed,
            received=method,
            hint=f"use one of {allowed}, or check the contract version",
        )
        return
    first = ctx.target.segments[0] if ctx.target.segments else ""
    collections = ctx.contract.collections
    hint = suggest(shown(first), collections) if first not in collections else ""
    yield Finding(
        "link.undocumented",
        f"no RSDL link for {method} {path}{hint}",
        received=f"{method} {path}",
        hint="check the path against the contract (`contracttest contract RSDL`)",
    )


def check_required_headers(ctx: Context) -> Iterator[Finding]:
    request = ctx.exchange.request
    if ctx.link is None or not request.headers:
        return  # no headers at all: the recorder did not keep them
    for header in ctx.link.headers:
        if header.required and request.header(header.name) is None:
            yield Finding(
                "request.header.required",
                f"required header {header.name} is missing",
                expected=f"{header.name}: {header.value}",
                received="(absent)",
                hint=f"send {header.name}: {header.value.split('|')[0]}",
            )


def check_body_type(ctx: Context) -> Iterator[Finding]:
    link = ctx.link
    if link is None or link.body_type is None:
        return
    expected = expected_elements(link.body_type, ctx.schema)
    if ctx.request_problem is not None:
        yield Finding("request.body.type", f"request body {ctx.request_problem}", "/", expected)
        return
    root = ctx.request_root
    if root is None and link.rel == "delete":
        return  # the engine takes a DELETE without its optional <action> body
    if root is None:
        yield Finding(
            "request.body.type",
            f"{link.rel} needs a {expected} body; the request has none",
            expected=expected,
            received="(no XML body)",
        )
    elif not element_matches_type(root.tag, link.body_type, ctx.schema):
        yield Finding(
            "request.body.type",
            f"request body is <{root.tag}>, the RSDL declares {link.body_type}",
            xpath=f"/{root.tag}",
            expected=expected,
            received=f"<{root.tag}>",
        )


def check_parameters(ctx: Context) -> Iterator[Finding]:
    link = ctx.link
    if link is None or not link.parameter_sets:
        return
    root = ctx.request_root
    if root is None:
        return
    if not element_matches_type(root.tag, link.body_type or root.tag, ctx.schema):
        return  # request.body.type reports it
    gaps = [missing_parameters(root, ps) for ps in link.parameter_sets]
    if any(not gap for gap in gaps):
        return
    best = min(range(len(gaps)), key=lambda i: len(gaps[i]))
    lacking = ", ".join(gaps[best])
    overload = f"parameter set {best + 1} of {len(gaps)}"
    desc = link.parameter_sets[best].description
    yield Finding(
        "request.parameters.required",
        f"the body satisfies none of the {len(gaps)} parameter set(s); the closest, "
        f"{overload}{f' ({desc})' if desc else ''}, lacks: {lacking}",
        xpath=f"/{root.tag}",
        expected=lacking,
        received="(absent)",
        hint=f"add {lacking} to the <{root.tag}> body",
    )


def check_url_parameters(ctx: Context) -> Iterator[Finding]:
    link = ctx.link
    if link is None:
        return
    declared = {p.name: p for p in link.url_parameters}
    sent = [*ctx.target.query, *ctx.target.matrix]
    for name, value in sent:
        parameter = declared.get(name)
        if parameter is None:
            if not link.href and name in _ROOT_PARAMETERS:
                continue
            known = sorted(declared)
            listed = ", ".join(known) if known else "none"
            yield Finding(
                "request.url.parameter",
                f"URL parameter {shown(name)!r} is not documented for {link.describe()}"
                f"{suggest(shown(name), known)}; documented: {listed}",
                expected=listed,
                received=shown(f"{name}={value}"),
                hint="the engine ignores unknown parameters: remove it or fix its name",
            )
        elif not _valid(parameter.type, value):
            yield Finding(
                "request.url.parameter",
                f"URL parameter {name}={shown(value)!r} is not a valid {parameter.type}",
                expected=parameter.type,
                received=shown(value),
                hint="the engine ignores an invalid value: send a valid one",
            )
    names = {name for name, _ in sent}
    for parameter in link.url_parameters:
        if parameter.required and parameter.name not in names:
            yield Finding(
                "request.url.parameter",
                f"required URL parameter {parameter.name!r} is missing",
                expected=f"{parameter.name} ({parameter.context})",
                received="(absent)",
            )


def _valid(type_name: str, value: str) -> bool:
    if type_name == "xs:boolean":
        return value.strip().lower() in _TRUE_FALSE
    if type_name in ("xs:int", "xs:long", "xs:short", "xs:unsignedShort", "xs:unsignedInt"):
        return _INTEGER.fullmatch(value.strip()) is not None
    return True

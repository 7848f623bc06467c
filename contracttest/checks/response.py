"""Checks of the response envelope: status, content type, root element, faults, Location."""

from __future__ import annotations

from collections.abc import Iterator

from contracttest.checks.context import Context, element_matches_type, expected_elements
from contracttest.router import api_relative
from contracttest.rules import Finding, Severity

#: What a real engine answers, by rel, when the request succeeds.
_SUCCESS = {"get": (200,), "update": (200,), "add": (201, 202), "delete": (200,)}
_ACTION_SUCCESS = (200, 202)
#: Statuses for which real engines send an HTML page or nothing instead of a fault.
_TOLERATED_NON_FAULT = frozenset({401, 404, 405})
_EMPTY_IN_V4 = frozenset({404, 405})


def _speaks_v4(ctx: Context) -> bool:
    version = ctx.exchange.request.header("version")
    if version is not None:
        return version.strip() == "4"
    return ctx.target.base.endswith("/v4") or ctx.contract.major == 4


def check_status(ctx: Context) -> Iterator[Finding]:
    link, status = ctx.link, ctx.exchange.response.status
    if link is None or 400 <= status < 600:
        return
    expected = _SUCCESS.get(link.rel) or (_ACTION_SUCCESS if link.is_action else (200,))
    if status in expected:
        return
    shown = " or ".join(str(code) for code in expected)
    hint = f"answer {shown}"
    if link.rel == "delete" and status == 204:
        hint += " with an empty or <action> body: the real ovirtsdk4 client rejects 204"
    yield Finding(
        "response.status",
        f"status {status} for {link.describe()}; the engine answers {shown}",
        expected=shown,
        received=str(status),
        hint=hint,
    )


def check_content_type(ctx: Context) -> Iterator[Finding]:
    if ctx.response_is_html or (ctx.response_root is None and ctx.response_problem is None):
        return
    media = ctx.media_type
    if ctx.response_representation == "json":
        if media == "application/json" or media.endswith("+json"):
            return
        yield Finding(
            "response.content-type",
            f"JSON body sent with Content-Type {media or '(absent)'!s}",
            expected="application/json",
            received=media or "(absent)",
            hint="send Content-Type: application/json with a JSON body",
        )
        return
    if media in ("application/xml", "text/xml") or media.endswith("+xml"):
        return
    yield Finding(
        "response.content-type",
        f"XML body sent with Content-Type {media or '(absent)'!s}",
        expected="application/xml",
        received=media or "(absent)",
        hint="send Content-Type: application/xml; ovirtsdk4 refuses other types",
    )


def _declared_types(ctx: Context) -> list[str]:
    """Every response type declared for the request's method at its path: some RSDLs list
    two GETs at one path (3.x ``glustervolumes/{id}``: profile details, then the volume)."""
    here = ctx.links_here.get(ctx.exchange.request.method, []) if ctx.links_here else []
    found = [link.response_type for link in here if link.response_type]
    return found or ([ctx.link.response_type] if ctx.link and ctx.link.response_type else [])


def check_response_type(ctx: Context) -> Iterator[Finding]:
    link, response = ctx.link, ctx.exchange.response
    if link is None or link.response_type is None or not 200 <= response.status < 300:
        return
    if ctx.response_problem is not None:
        expected = expected_elements(link.response_type, ctx.schema)
        yield Finding("response.body.type", f"response body {ctx.response_problem}", "/", expected)
        return
    root = ctx.response_root
    if root is None:
        if response.status == 202 or (not response.body.strip() and link.rel != "get"):
            return  # accepted, or no content to show
        yield Finding(
            "response.body.type",
            f"{link.describe()} answered {response.status} without an XML body",
            expected=expected_elements(link.response_type, ctx.schema),
            received="(no XML body)",
        )
    elif not element_matches_type(root.tag, link.response_type, ctx.schema) and not any(
        element_matches_type(root.tag, declared, ctx.schema) for declared in _declared_types(ctx)
    ):
        yield Finding(
            "response.body.type",
            f"response body is <{root.tag}>, the RSDL declares {link.response_type}",
            xpath=f"/{root.tag}",
            expected=expected_elements(link.response_type, ctx.schema),
            received=f"<{root.tag}>",
        )


def check_fault(ctx: Context) -> Iterator[Finding]:
    response = ctx.exchange.response
    status = response.status
    if not ctx.in_api or status < 400:
        return
    root = ctx.response_root
    if root is not None and root.tag == "fault":
        missing = [tag for tag in ("reason", "detail") if root.find(tag) is None]
        if missing:
            yield Finding(
                "response.fault",
                f"<fault> lacks <{'> and <'.join(missing)}>",
                xpath="/fault",
                expected="<fault><reason/><detail/></fault>",
                received="<fault> without " + ", ".join(missing),
            )
        return
    if root is not None and root.tag == "action" and root.find("fault") is not None:
        return  # a failed action carries its fault inside
    tolerated = status in _TOLERATED_NON_FAULT
    if not response.body.strip():
        if status in _EMPTY_IN_V4 and _speaks_v4(ctx):
            return  # v4 engines answer an unknown id or method with an empty body
        received, severity = "an empty body", Severity.WARNING
    elif ctx.response_is_html:
        received = "an HTML page"
        severity = Severity.WARNING if tolerated else Severity.ERROR
    elif root is not None:
        received, severity = f"<{root.tag}>", Severity.ERROR
    else:
        received = ctx.response_problem or "a body that is not XML"
        severity = Severity.WARNING if tolerated else Severity.ERROR
    yield Finding(
        "response.fault",
        f"status {status} with {received} instead of a <fault>",
        expected="<fault><reason/><detail/></fault>",
        received=received,
        hint="clients read the reason and detail only from a <fault> body",
        severity=severity,
    )


def check_location(ctx: Context) -> Iterator[Finding]:
    response = ctx.exchange.response
    if response.status != 201 or ctx.link is None:
        return
    root = ctx.response_root
    href = root.get("href") if root is not None else None
    location = response.header("location")
    if location is None:
        yield Finding(
            "response.location",
            "201 Created without a Location header",
            expected=href or "the new entity's href",
            received="(absent)",
            hint="send Location with the created entity's URL",
        )
    elif href is not None and api_relative(location, ctx.api_base) != api_relative(
        href, ctx.api_base
    ):
        yield Finding(
            "response.location",
            f"Location {location} is not the created entity's href {href}",
            expected=href,
            received=location,
        )

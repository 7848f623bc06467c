"""The JSON convention rules, and the rule for bodies no check can read.

A JSON body is read into the document it stands for (``jsontree``), so the schema, href,
parameter, fault and state rules apply to it as to XML; what reading it noted about the
engine's JSON conventions is reported here, each under its own rule, for the request body
and the response body alike. ``body.unreadable`` reports, rather than skips, a body in the
API that is neither XML, JSON nor an HTML error page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from contracttest.checks.context import Context
from contracttest.rules import Finding


def _notes_of(rule: str) -> Callable[[Context], Sequence[Finding]]:
    def check(ctx: Context) -> Sequence[Finding]:
        if not ctx.in_api:
            return ()
        sent, answered = ctx.request_notes, ctx.response_notes
        if not sent and not answered:  # every body the engine's JSON, or XML: most of them
            return ()
        return [
            *(
                finding._replace(message=f"request body: {finding.message}")
                for finding in sent
                if finding.rule == rule
            ),
            *(finding for finding in answered if finding.rule == rule),
        ]

    check.__name__ = check.__qualname__ = "check_" + rule.replace(".", "_").replace("-", "_")
    return check


check_json_root_wrapper = _notes_of("json.root-wrapper")
check_json_scalar = _notes_of("json.scalar")
check_json_null = _notes_of("json.null")
check_json_shape = _notes_of("json.shape")


def check_unreadable(ctx: Context) -> Iterator[Finding]:
    if not ctx.in_api or ctx.serves_contract:
        return
    request = ctx.exchange.request
    if request.body.strip() and not ctx.request_representation:
        media = request.header("content-type") or "(no Content-Type)"
        yield Finding(
            "body.unreadable",
            f"request body ({media}) is neither XML nor JSON: no rule could check it",
            xpath="/",
            expected="an XML or JSON body",
            received=media,
            hint="send application/xml or application/json, as engines read",
        )
    response = ctx.exchange.response
    if response.body.strip() and not ctx.response_is_html and not ctx.response_representation:
        media = ctx.media_type or "(no Content-Type)"
        yield Finding(
            "body.unreadable",
            f"response body ({media}) is neither XML nor JSON: no rule could check it",
            xpath="/",
            expected="an XML or JSON body",
            received=media,
        )

"""Checks: pure functions from one exchange's context to findings, registered by rule id.

Every check takes a ``Context`` (the exchange, its routed RSDL link, bodies parsed once) and
returns its ``Finding`` values (a generator, or a ready tuple when they were found before);
none raises, so one exchange reports everything wrong with it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from contracttest.checks.context import CassetteState, Context, Memo
from contracttest.checks.json import (
    check_json_null,
    check_json_root_wrapper,
    check_json_scalar,
    check_json_shape,
    check_unreadable,
)
from contracttest.checks.representation import check_hrefs, check_schema
from contracttest.checks.request import (
    check_body_type,
    check_link,
    check_parameters,
    check_required_headers,
    check_url_parameters,
)
from contracttest.checks.response import (
    check_content_type,
    check_fault,
    check_location,
    check_response_type,
    check_status,
)
from contracttest.checks.state import check_created_found, check_use_after_delete
from contracttest.rules import Finding

Check = Callable[[Context], Iterable[Finding]]

#: Rule id -> the check that reports it, in the order they run.
CHECKS: dict[str, Check] = {
    "link.undocumented": check_link,
    "request.header.required": check_required_headers,
    "request.body.type": check_body_type,
    "request.parameters.required": check_parameters,
    "request.url.parameter": check_url_parameters,
    "response.status": check_status,
    "response.content-type": check_content_type,
    "response.body.type": check_response_type,
    "response.schema": check_schema,
    "response.fault": check_fault,
    "response.href": check_hrefs,
    "response.location": check_location,
    "state.use-after-delete": check_use_after_delete,
    "state.created-not-found": check_created_found,
    "json.root-wrapper": check_json_root_wrapper,
    "json.scalar": check_json_scalar,
    "json.null": check_json_null,
    "json.shape": check_json_shape,
    "body.unreadable": check_unreadable,
}

#: The rules that follow a cassette's order (``CassetteState``); every other rule is a
#: function of one exchange alone.
STATE_RULES = frozenset({"state.use-after-delete", "state.created-not-found"})

__all__ = ["CHECKS", "STATE_RULES", "CassetteState", "Check", "Context", "Memo"]

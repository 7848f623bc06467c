"""Checks across one cassette: what was deleted stays gone, what was created can be found."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from contracttest.checks.context import Context
from contracttest.router import api_relative
from contracttest.rules import Finding

# The state rules run on every exchange, even one whose other findings were remembered:
# plain functions returning a tuple, not generators, as most exchanges find nothing.


def check_use_after_delete(ctx: Context) -> Sequence[Finding]:
    link, exchange = ctx.link, ctx.exchange
    if link is None:
        return ()
    status = exchange.response.status
    deleted = ctx.state.deleted
    if link.rel == "delete" and 200 <= status < 300:
        path = ctx.target.path
        deleted[path] = exchange.index
        ctx.state.created.pop(path, None)
        return ()
    if exchange.request.method != "GET" or not 200 <= status < 300 or not deleted:
        return ()
    for ancestor in _self_and_ancestors(ctx.target.path):
        if ancestor in deleted:
            finding = Finding(
                "state.use-after-delete",
                f"GET found {ancestor} after interaction {deleted[ancestor]} deleted it",
                expected="404",
                received=str(status),
                hint="a deleted entity must not be found again",
            )
            return (finding,)
    return ()


def check_created_found(ctx: Context) -> Sequence[Finding]:
    link, exchange = ctx.link, ctx.exchange
    if link is None:
        return ()
    status = exchange.response.status
    if link.rel == "add" and status in (201, 202):
        root = ctx.response_root
        href = root.get("href") if root is not None else None
        location = exchange.response.header("location")
        created = api_relative(href or location or "", ctx.api_base)
        if created:
            ctx.state.created[created] = exchange.index
            ctx.state.deleted.pop(created, None)
        return ()
    if exchange.request.method != "GET" or status != 404:
        return ()
    path = ctx.target.path
    if path in ctx.state.created:
        finding = Finding(
            "state.created-not-found",
            f"GET {path} answered 404 after interaction {ctx.state.created[path]} created it",
            expected="200",
            received="404",
            hint="an entity the engine created must be found at its href",
        )
        return (finding,)
    return ()


def _self_and_ancestors(path: str) -> Iterator[str]:
    parts = path.split("/")
    for end in range(len(parts), 1, -1):
        yield "/".join(parts[:end])

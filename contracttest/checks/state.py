"""Checks across one cassette: what was deleted stays gone, what was created can be found."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from contracttest.checks.context import Context
from contracttest.router import api_relative
from contracttest.rules import Finding

# The state rules run on every exchange, even one whose other findings were remembered:
# plain functions returning a tuple, not generators, as most exchanges find nothing. They only
# read the cassette's state; ``record`` keeps it, after them, whichever of them are selected.


def record(ctx: Context) -> None:
    """Keep what this exchange did to the cassette's state: an entity deleted, one created.

    Deleting an entity deletes what hangs below it: whatever was created under its path is
    no longer expected to be found (a NIC of a deleted VM answers 404, rightly).
    """
    link, exchange = ctx.link, ctx.exchange
    if link is None:
        return
    status = exchange.response.status
    state = ctx.state
    if link.rel == "delete" and 200 <= status < 300:
        path = ctx.target.path
        state.deleted[path] = exchange.index
        _forget_under(state.created, path)
    elif link.rel == "add" and status in (201, 202):
        root = ctx.response_root
        href = root.get("href") if root is not None else None
        location = exchange.response.header("location")
        created = api_relative(href or location or "", ctx.api_base)
        if created:
            state.created[created] = exchange.index
            _forget_under(state.deleted, created)


def check_use_after_delete(ctx: Context) -> Sequence[Finding]:
    exchange = ctx.exchange
    deleted = ctx.state.deleted
    if (
        not deleted
        or ctx.link is None
        or exchange.request.method != "GET"
        or not 200 <= exchange.response.status < 300
    ):
        return ()
    for ancestor in _self_and_ancestors(ctx.target.path):
        if ancestor in deleted:
            finding = Finding(
                "state.use-after-delete",
                f"GET found {ancestor} after interaction {deleted[ancestor]} deleted it",
                expected="404",
                received=str(exchange.response.status),
                hint="a deleted entity must not be found again",
            )
            return (finding,)
    return ()


def check_created_found(ctx: Context) -> Sequence[Finding]:
    exchange = ctx.exchange
    created = ctx.state.created
    if (
        not created
        or ctx.link is None
        or exchange.request.method != "GET"
        or exchange.response.status != 404
    ):
        return ()
    path = ctx.target.path
    if path in created:
        finding = Finding(
            "state.created-not-found",
            f"GET {path} answered 404 after interaction {created[path]} created it",
            expected="200",
            received="404",
            hint="an entity the engine created must be found at its href",
        )
        return (finding,)
    return ()


def _forget_under(paths: dict[str, int], path: str) -> None:
    """Drop ``path`` and every path below it."""
    below = path + "/"
    for known in [known for known in paths if known == path or known.startswith(below)]:
        del paths[known]


def _self_and_ancestors(path: str) -> Iterator[str]:
    parts = path.split("/")
    for end in range(len(parts), 1, -1):
        yield "/".join(parts[:end])

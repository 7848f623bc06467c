"""The ``ovirt_cleanup`` fixture's work: what a test created on the engine, removed when the
test ends, whatever its outcome, in an order the engine accepts.

``Cleanup`` watches every exchange of the test's cassette, recorded or replayed alike (so a
replay sends the recording's removals in the recording's order). A ``POST`` answered 200, 201
or 202 with an entity one level under the collection it was posted to is a creation (as
``Engine.add`` makes one); so is an entity described in full inside an attachment (a disk in
its disk attachment: the engine creates the disk too). A ``DELETE`` answered 2xx or 404 takes
away what it names and everything under it. ``track`` and ``keep`` add and drop by hand.

``run`` removes what is left: entities under another entity first, deepest first (a NIC, a
disk attachment before their VM), then top-level ones by kind, from what uses others to what
is used (``ORDER``: VM pools, VMs, templates, disks, ..., data centres last; kinds it does not
name go first), the most recent first within a kind. A VM is stopped and a host put into
maintenance first, and a locked disk or template waited for, as the engine requires. An
entity the engine would not remove is named in one ``CleanupError`` once all the others are
gone.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracttest.api import Engine, EngineError
from contracttest.errors import ContractTestError, UsageError
from contracttest.exchange import Exchange
from contracttest.router import split_uri
from contracttest.xmlsafe import Element, root_or_none

API_PREFIX = "/ovirt-engine/api"

#: Top-level collections, in the order their entities are removed.
ORDER = (
    "vmpools",
    "vms",
    "templates",
    "instancetypes",
    "disks",
    "diskprofiles",
    "cpuprofiles",
    "vnicprofiles",
    "networks",
    "storagedomains",
    "storageconnections",
    "hosts",
    "clusters",
    "datacenters",
    "macpools",
)
_RANK = {name: rank for rank, name in enumerate(ORDER, start=1)}

#: Before removing: (the states to wait through, the action that leaves the state, the state
#: the engine removes it in). ``None`` as states: any state but the removable one.
PREPARE: dict[str, tuple[frozenset[str] | None, str | None, str]] = {
    "vms": (None, "stop", "down"),
    "hosts": (None, "deactivate", "maintenance"),
    "disks": (frozenset({"locked"}), None, "ok"),
    "templates": (frozenset({"locked"}), None, "ok"),
}

#: How long a live removal waits for an entity to reach its removable state.
WAIT_SECONDS = 300.0


class CleanupError(ContractTestError):
    """Entities the test created that the engine would not remove; ``str()`` names them."""


@dataclass(frozen=True)
class Created:
    href: str  # as the engine answered it
    path: tuple[str, ...]  # segments under the API prefix: ("vms", "1", "nics", "2")
    order: int  # when it was created

    def sort_key(self) -> tuple[int, int, int]:
        rank = _RANK.get(self.path[0], 0) if len(self.path) <= 2 else 0
        return (-len(self.path), rank, -self.order)


class Cleanup:
    """``ovirt_cleanup``: ``track(element_or_href)`` to remove something more, ``keep(...)``
    to leave it on the engine, ``pending`` for what would be removed, in order."""

    def __init__(self) -> None:
        self._created: dict[tuple[str, ...], Created] = {}
        self._count = 0

    # -- watching the exchanges ------------------------------------------------------

    def observe(self, exchange: Exchange, recorded: bool) -> None:
        request, response = exchange.request, exchange.response
        if request.method == "POST" and response.status in (200, 201, 202):
            self._creations(exchange)
        elif request.method == "DELETE" and (response.status < 300 or response.status == 404):
            self._gone(_path(request.uri))

    def _creations(self, exchange: Exchange) -> None:
        root = root_or_none(exchange.response.body)
        if root is None or root.tag in ("action", "fault"):
            return
        href, ident = root.get("href"), root.get("id")
        if not href or not ident:
            return
        path = _path(href)
        if not path or path[-1] != ident or path[:-1] != _path(exchange.request.uri):
            return
        self._add(href, path)
        # An attachment that describes what it attaches in full: the engine created that too.
        inner = root.tag.removesuffix("_attachment") if isinstance(root.tag, str) else ""
        sent = root_or_none(exchange.request.body) if inner != root.tag else None
        described = sent.find(inner) if sent is not None else None
        made = root.find(inner)
        if described is not None and _describes(described) and made is not None:
            made_href = made.get("href")
            if made_href and _path(made_href):
                self._add(made_href, _path(made_href))

    def _gone(self, path: tuple[str, ...]) -> None:
        if not path:
            return
        for key in [key for key in self._created if key[: len(path)] == path]:
            del self._created[key]

    def _add(self, href: str, path: tuple[str, ...]) -> None:
        if path and path not in self._created:
            self._count += 1
            self._created[path] = Created(href, path, self._count)

    # -- by hand ---------------------------------------------------------------------

    def track(self, thing: Element | str) -> None:
        """Remove ``thing`` (an element with an ``href``, or the href) when the test ends."""
        href = _href(thing)
        self._add(href, _path(href))

    def keep(self, thing: Element | str) -> None:
        """Leave ``thing`` (an element with an ``href``, or the href) on the engine."""
        self._created.pop(_path(_href(thing)), None)

    @property
    def pending(self) -> list[str]:
        """The hrefs that would be removed now, in the order they would be."""
        return [item.href for item in sorted(self._created.values(), key=Created.sort_key)]

    # -- removing --------------------------------------------------------------------

    def run(self, engine: Engine) -> None:
        """Remove everything pending through ``engine``; ``CleanupError`` names what the
        engine kept. A replay miss (``ReplayError``) or an unreachable engine stops it."""
        items = sorted(self._created.values(), key=Created.sort_key)
        self._created.clear()
        left = [f"  {item.href}: {problem}" for item in items if (problem := _remove(engine, item))]
        if left:
            count = len(left)
            raise CleanupError(
                "\n".join(
                    [
                        f"contracttest: ovirt_cleanup could not remove {count} "
                        f"entit{'y' if count == 1 else 'ies'} the test created; "
                        "the engine still has:",
                        *left,
                    ]
                )
            )


def _remove(engine: Engine, item: Created) -> str:
    """Remove one entity; what went wrong, or ``""``."""
    prepare = PREPARE.get(item.path[0]) if len(item.path) == 2 else None
    if prepare is not None:
        waiting, action, removable = prepare
        reply = engine.request("GET", item.href)
        if reply.status == 404:
            return ""  # gone already
        status = _status(reply.root)
        if status and status != removable and (waiting is None or status in waiting):
            try:
                if action is not None:
                    engine.action(item.href, action)
                engine.wait_for(
                    item.href, lambda root: _status(root) == removable, timeout=WAIT_SECONDS
                )
            except (EngineError, TimeoutError) as exc:
                return f"not {removable} ({exc})"
    reply = engine.request("DELETE", item.href)
    if reply.status < 300 or reply.status == 404:
        return ""
    reason, detail = reply.fault or ("", "")
    return f"DELETE answered {reply.status} {reason} {detail}".rstrip()


def _status(root: Element | None) -> str:
    """An entity's status, v4 (``<status>up</status>``) or v3 (``<status><state>``)."""
    if root is None:
        return ""
    return (root.findtext("status/state") or root.findtext("status") or "").strip()


def _describes(reference: Element) -> bool:
    """A reference that carries an entity to create (no id; fields beyond ``name``)."""
    if reference.get("id") or reference.find("id") is not None:
        return False
    fields = (child.tag for child in reference if isinstance(child.tag, str))
    return any(tag not in ("name", "href") for tag in fields)


def _path(uri: str) -> tuple[str, ...]:
    target = split_uri(uri, API_PREFIX)
    return target.segments if target.base else ()


def _href(thing: Element | str) -> str:
    href = thing if isinstance(thing, str) else thing.get("href")
    if not href or not _path(href):
        shown = thing if isinstance(thing, str) else f"<{thing.tag}>"
        raise UsageError(f"ovirt_cleanup: {shown} is not the href of an entity of the API")
    return href

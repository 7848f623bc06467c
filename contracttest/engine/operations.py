"""The engine's operations, chosen by the RSDL link a request reaches.

``GET`` of a collection lists (``listing``: search, max, filter, follow), of an entity reads;
``POST`` of an ``add`` link creates (``writes``), of any other rel runs an action
(``actions``); ``PUT`` updates; ``DELETE`` removes with everything under the entity. Writes
run in one store transaction.

Paths are walked entity by entity. An entity of a view (``datacenters/{id}/clusters/{id}``)
is the top-level one (``clusters/{id}``), so everything under it has one place.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import TYPE_CHECKING, NamedTuple

from lxml import etree

from contracttest.engine.access import EVERYONE, Access
from contracttest.engine.auth import ADMIN, Principal
from contracttest.engine.defects import SOUND, Defects
from contracttest.engine.documents import Fault, Lookup
from contracttest.engine.http import HttpResponse
from contracttest.engine.lifecycle import STATISTICS
from contracttest.engine.listing import Listing
from contracttest.engine.model import EngineModel, Kind, Template, View, generic
from contracttest.engine.render import Renderer, to_bytes
from contracttest.engine.store import Row, Store
from contracttest.rsdl import Link
from contracttest.xmlsafe import Element, parse

if TYPE_CHECKING:
    from contracttest.engine.app import Call
    from contracttest.engine.served import Documents


class Step(NamedTuple):
    """One entity on the way down a path: its kind, its row (None when generated), its id,
    the path it is stored under (``clusters/<id>``) and the path it was reached by
    (``datacenters/<dc>/clusters/<id>``, its href there)."""

    kind: Kind
    row: Row | None
    id: str
    path: str
    address: str

    def render(self, renderer: Renderer) -> Element:
        assert self.row is not None
        return renderer.entity(self.kind, self.row, self.address)


class Place(NamedTuple):
    """Where a request path leads: the entities on the way, and the stored path of what it
    names (sub-collections of a view's entity are stored under its top-level path)."""

    steps: list[Step]
    path: str  # a collection's ("vms/<id>/nics") or an entity's ("vms/<id>") stored path
    address: str  # the request's own path ("datacenters/<dc>/clusters")

    @property
    def last(self) -> Step:
        return self.steps[-1]


class Operations:
    def __init__(
        self, model: EngineModel, store: Store, renderer: Renderer, defects: Defects = SOUND
    ) -> None:
        from contracttest.engine.actions import Actions
        from contracttest.engine.writes import Writes

        self.model = model
        self.store = store
        self.renderer = renderer
        self.defects = defects
        self.access = Access()
        self._known: tuple[int, dict[str, bool]] = (-1, {})
        self.listing = Listing(self)
        self.writes = Writes(self)
        self.actions = Actions(self)

    def perform(self, call: Call, documents: Documents) -> HttpResponse:
        segments = call.target.segments
        method = call.request.method  # case-sensitive, as HTTP methods are
        if method == "HEAD":  # wherever GET is, HEAD is (the server leaves out the body)
            method = "GET"
        if not segments:
            return documents.root(call, method, self)
        links = self.model.contract.router.links_at(segments)
        if links is None:
            raise self.not_found(f"no resource at {'/'.join(segments)}")
        found = links.get(method)
        if not found:
            allowed = ", ".join(sorted(links))
            raise Fault(405, body=False, headers=(("Allow", allowed),))
        link = found[0]
        template = generic(link.segments)
        with self.store.transaction() if method != "GET" else nullcontext():
            if link.is_action:
                return self.actions.run(call, link, template)
            if method == "GET":
                return self.get(call, link, template)
            if method == "POST":
                return self.writes.add(call, link, template)
            if method == "PUT":
                return self.writes.update(call, template)
            return self.writes.delete(call, template)

    def not_found(self, detail: str) -> Fault:
        if self.model.major >= 4:
            return Fault(404, body=False)  # v4 answers an unknown id with an empty 404
        return Fault(404, "Not Found", detail)

    # -- paths -------------------------------------------------------------------------

    def locate(
        self,
        call: Call,
        template: Template,
        segments: tuple[str, ...],
        *,
        write: bool = False,
        spare_last: bool = False,
    ) -> Place:
        """Every entity named on the path, each checked to exist, be visible to the caller
        and (in a view) to belong to its owner; to ``write``, the caller must also be allowed
        to change every entity of its own on the path (what a sub-entity belongs to), but the
        last one with ``spare_last`` (a detach decides about it).

        This is where every path of every request is authorized: what the caller may not see
        answers as an unknown id does, what it sees but may not change answers 403. A
        sub-entity is seen with what it belongs to, except under what is shared with every
        user: there each is seen by its own owner (the admin's affinity group in the shared
        cluster is the admin's)."""
        steps: list[Step] = []
        governing: list[Row] = []
        path = ""
        for k, segment in enumerate(template):
            address = "/".join(segments[: k + 1])
            if segment != "{id}":
                path = f"{path}/{segments[k]}" if path else segments[k]
                continue
            entity_id = segments[k]
            kind = self.model.kind(template[:k])
            if kind is None:
                raise self.not_found(f"nothing is stored at {address}")
            if kind.generated:
                path = f"{path}/{entity_id}"
                steps.append(Step(kind, None, entity_id, path, address))
                continue
            view = self.model.view(kind)
            collection = view.top.name if view is not None else path
            row = self.store.get(collection, entity_id)
            if (
                row is None
                and self.defects.orphan_subresources
                and k < len(template) - 1
                and self.store.holds_below(collection, entity_id)
            ):  # gone, but what hung below it is still reached through it
                path = f"{collection}/{entity_id}"
                steps.append(Step(kind, None, entity_id, path, address))
                continue
            top_level = kind.top_level or view is not None
            if (
                row is None
                or ((top_level or self.shared(steps)) and not self.visible(call, row))
                or (view is not None and not self.belongs(view, row, steps[-1].id, path))
            ):
                raise self.not_found(f"{kind.entity_type} {entity_id} does not exist")
            if top_level:
                governing.append(row)
            path = f"{collection}/{entity_id}"
            steps.append(Step(kind, row, entity_id, path, address))
        if write:
            if not governing and not self.access.adds(call.principal, path.partition("/")[0]):
                raise self.access.forbidden()  # a top-level collection of the admin's
            changed = governing[:-1] if spare_last and steps and governing else governing
            if not all(self.access.changes(call.principal, row) for row in changed):
                raise self.access.forbidden()
        return Place(steps, path, "/".join(segments))

    def visible(self, call: Call, row: Row) -> bool:
        return self.access.sees(call.principal, row)

    def present(self, call: Call, element: Element) -> Element:
        """A representation as the caller is shown it: for a filtered user, without what the
        real engine removes (a VM's host) and without any reference to an entity the user
        may not see (an admin's label its VM was put in, the admin's disk attached to it):
        what it may not see does not exist for it, in representations too."""
        principal = call.principal
        if principal.admin:
            return element
        self.access.restrict(principal, element)
        kinds = self.model.kinds_by_element
        seen: dict[tuple[str, str], bool] = {}
        for node in list(element.iterdescendants()):
            entity_id = node.get("id")
            kind = kinds.get(node.tag) if entity_id and isinstance(node.tag, str) else None
            if kind is None or entity_id is None:
                continue
            key = (kind.name, entity_id)
            if key not in seen:
                row = self.store.get(kind.name, entity_id)
                seen[key] = row is None or self.access.sees(principal, row)
            parent = node.getparent()
            if not seen[key] and parent is not None:
                parent.remove(node)
        return element

    def shared(self, steps: list[Step]) -> bool:
        """Whether what the path reached last is shared with every user: what hangs under it
        is then seen by its own owner."""
        return bool(steps) and steps[-1].row is not None and steps[-1].row.owner == EVERYONE

    def members(self, view: View, owner_id: str, here: str) -> list[Row]:
        """The top-level entities a view shows for one owner: those that refer to it, and
        those attached to it (a membership row under ``here``, the view's stored path)."""
        attached = {row.id for row in self.store.list(here)}
        return [
            row
            for row in self.store.list(view.top.name)
            if row.id in attached or view.holds(parse(row.doc), owner_id)
        ]

    def belongs(self, view: View, row: Row, owner_id: str, here: str) -> bool:
        return view.holds(parse(row.doc), owner_id) or self.store.get(here, row.id) is not None

    # -- read --------------------------------------------------------------------------

    def get(self, call: Call, link: Link, template: Template) -> HttpResponse:
        segments = call.target.segments
        kind = self.model.kind(template)
        if kind is not None:
            place = self.locate(call, template, segments)
            element = self.listing.collection(call, kind, place)
            return HttpResponse(200, to_bytes(self.present(call, element)))
        if template[-1] == "{id}" and self.model.kind(template[:-1]) is not None:
            place = self.locate(call, template, segments)
            element = self.read(place)
            self.listing.follow(call, element, place.last)
            return HttpResponse(200, to_bytes(self.present(call, element)))
        names = self.model.schema.element_names(link.response_type or "")
        return HttpResponse(200, to_bytes(etree.Element(names[0] if names else "empty")))

    def read(self, place: Place) -> Element:
        step = place.last
        if step.row is not None:
            return step.render(self.renderer)
        owner = place.steps[-2] if len(place.steps) >= 2 else None
        if owner is None:
            raise self.not_found("no statistics here")
        for statistic in STATISTICS.get(owner.kind.element, ()):
            element = self.renderer.statistic(
                step.kind, owner.kind, owner.address, owner.id, statistic.name
            )
            if element.get("id") == step.id:
                return element
        raise self.not_found(f"statistic {step.id} does not exist")

    # -- lookups -----------------------------------------------------------------------

    def lookup(
        self, principal: Principal, kind: Kind, entity_id: str | None, name: str | None
    ) -> str | None:
        """The id of the entity of ``kind`` a reference names, among those ``principal``
        sees: what it may not see is not found, as what does not exist."""
        sees = self.access.sees
        if entity_id:
            row = self.store.get(kind.name, entity_id)
            return row.id if row is not None and sees(principal, row) else None
        rows = self.store.named(kind.name, name or "")
        if not rows and name:  # users go by user_name; a reference may give <name>
            rows = [r for r in self.store.list(kind.name) if parse(r.doc).findtext("name") == name]
        return next((row.id for row in rows if sees(principal, row)), None)

    def finder(self, principal: Principal) -> Lookup:
        """``lookup`` for one principal, as the document helpers take it."""

        def find(kind: Kind, entity_id: str | None, name: str | None) -> str | None:
            return self.lookup(principal, kind, entity_id, name)

        return find

    def user_exists(self, user: str) -> bool:
        """Whether ``user`` is one of the engine's users (asked on every request: the
        answers are remembered until the users collection changes)."""
        users = self.model.top_kinds.get("users")
        if users is None:
            return user == ADMIN
        generation = self.store.users_generation
        if self._known[0] != generation:
            self._known = (generation, {})
        known = self._known[1]
        found = known.get(user)
        if found is None:
            found = self.store.by_name(users.name, user) is not None
            if len(known) < 10_000:
                known[user] = found
        return found

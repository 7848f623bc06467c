"""The engine's operations, chosen by the RSDL link a request reaches.

``GET`` of a collection lists (search, max, filter, follow), of an entity reads; ``POST`` of
an ``add`` link creates, of any other rel runs an action; ``PUT`` updates; ``DELETE``
removes with everything under the entity. Writes run in one store transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from contextlib import nullcontext
from typing import TYPE_CHECKING, NamedTuple

from lxml import etree

from contracttest.engine import documents as doc
from contracttest.engine.auth import ADMIN
from contracttest.engine.documents import Fault
from contracttest.engine.http import HttpResponse
from contracttest.engine.lifecycle import (
    ASYNC_CREATED,
    REMOVAL_REFUSED,
    STATISTICS,
    TRANSITIONS,
    initial_status,
)
from contracttest.engine.listing import Listing
from contracttest.engine.model import EngineModel, Kind, Template, generic
from contracttest.engine.render import Renderer, sub, to_bytes
from contracttest.engine.store import Row, Store
from contracttest.rsdl import Link
from contracttest.xmlsafe import Element, XMLProblem, parse

if TYPE_CHECKING:
    from contracttest.engine.app import Call
    from contracttest.engine.served import Documents

_TRUE = frozenset({"true", "t", "yes", "y", "1"})


class Step(NamedTuple):
    """One entity on the way down a path: its kind, row (None when generated) and id."""

    kind: Kind
    row: Row | None
    id: str


class Operations:
    def __init__(self, model: EngineModel, store: Store, renderer: Renderer) -> None:
        self.model = model
        self.store = store
        self.renderer = renderer
        self.listing = Listing(self)

    def perform(self, call: Call, documents: Documents) -> HttpResponse:
        segments = call.target.segments
        method = call.request.method.upper()
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
                return self.action(call, link, template)
            if method == "GET":
                return self.get(call, link, template)
            if method == "POST":
                return self.add(call, link, template)
            if method == "PUT":
                return self.update(call, template)
            return self.delete(call, template)

    def not_found(self, detail: str) -> Fault:
        if self.model.major >= 4:
            return Fault(404, body=False)  # v4 answers an unknown id with an empty 404
        return Fault(404, "Not Found", detail)

    # -- paths -------------------------------------------------------------------------

    def walk(self, call: Call, template: Template, segments: tuple[str, ...]) -> list[Step]:
        """Every entity named on the path, each checked to exist and be visible."""
        steps: list[Step] = []
        for k, segment in enumerate(template):
            if segment != "{id}":
                continue
            kind = self.model.kind(template[:k])
            if kind is None:
                raise self.not_found(f"nothing is stored at {'/'.join(segments[: k + 1])}")
            if kind.generated:
                steps.append(Step(kind, None, segments[k]))
                continue
            row = self.store.get("/".join(segments[:k]), segments[k])
            if row is None or (kind.top_level and not self.visible(call, row)):
                raise self.not_found(f"{kind.entity_type} {segments[k]} does not exist")
            steps.append(Step(kind, row, segments[k]))
        return steps

    def visible(self, call: Call, row: Row) -> bool:
        return not call.filtered or row.owner == call.principal.user

    # -- read --------------------------------------------------------------------------

    def get(self, call: Call, link: Link, template: Template) -> HttpResponse:
        segments = call.target.segments
        kind = self.model.kind(template)
        if kind is not None:
            steps = self.walk(call, template, segments)
            element = self.listing.collection(call, kind, template, steps)
            return HttpResponse(200, to_bytes(element))
        if template[-1] == "{id}" and self.model.kind(template[:-1]) is not None:
            step = self.walk(call, template, segments)[-1]
            element = self.read(step, template, segments)
            self.listing.follow(call, element, step)
            return HttpResponse(200, to_bytes(element))
        names = self.model.schema.element_names(link.response_type or "")
        return HttpResponse(200, to_bytes(etree.Element(names[0] if names else "empty")))

    def read(self, step: Step, template: Template, segments: tuple[str, ...]) -> Element:
        if step.row is not None:
            return self.renderer.entity(step.kind, step.row)
        owner_kind = self.model.kind(template[:-3])  # vms/{id}/statistics/{id} -> vms
        if owner_kind is None:
            raise self.not_found("no statistics here")
        owner_path, owner_id = "/".join(segments[:-2]), segments[-3]
        for statistic in STATISTICS.get(owner_kind.element, ()):
            element = self.renderer.statistic(
                step.kind, owner_kind, owner_path, owner_id, statistic.name
            )
            if element.get("id") == step.id:
                return element
        raise self.not_found(f"statistic {step.id} does not exist")

    # -- write -------------------------------------------------------------------------

    def add(self, call: Call, link: Link, template: Template) -> HttpResponse:
        segments = call.target.segments
        kind = self.model.kind(template)
        if kind is None or kind.generated:
            raise Fault(405, body=False)
        self.walk(call, template, segments)
        root = doc.read_body(call.request.body, link, self.model)
        doc.require_parameters(root, link, kind.entity_type)
        collection = "/".join(segments)
        item = self.model.list_item(link.body_type or "")
        if item is not None and item[1] == kind.entity_type and root.tag == kind.list_element:
            return self._add_list(call, kind, collection, root.iterchildren(item[0]))  # bricks
        attached = self._attached(kind, collection, root)
        row = self.create(kind, collection, root, call.principal.user, attached)
        element = self.renderer.entity(kind, row)
        expect = (call.request.header("expect") or "").lower()
        if (
            "201-created" not in expect
            and attached is None  # attaching an existing entity creates nothing
            and kind.element in ASYNC_CREATED
            and self.model.child_type(kind.entity_type, "creation_status") is not None
        ):
            status = sub(element, "creation_status")
            if self.model.is_v3_status(kind.entity_type):
                sub(status, "state", "pending")
            else:
                status.text = "pending"
            return HttpResponse(202, to_bytes(element))
        host = call.request.header("host")
        href = element.get("href", "")
        location = f"http://{host}{href}" if host else href
        return HttpResponse(201, to_bytes(element), [("Location", location)])

    def _add_list(
        self, call: Call, kind: Kind, collection: str, items: Iterable[Element]
    ) -> HttpResponse:
        """Every item created; the list answered, located at the collection."""
        rows = [self.create(kind, collection, item, call.principal.user) for item in items]
        listing = self.renderer.listing(kind, [self.renderer.entity(kind, r) for r in rows])
        host = call.request.header("host")
        href = self.renderer.href(collection)
        location = f"http://{host}{href}" if host else href
        return HttpResponse(201, to_bytes(listing), [("Location", location)])

    def _attached(self, kind: Kind, collection: str, root: Element) -> str | None:
        """The id of the existing entity an add attaches, where the added entity has no path
        of its own to GET (a VM added to an affinity group): None for a new entity."""
        if kind.top_level or "GET" in self.model.links.get(kind.entity_template, {}):
            return None
        target = self.model.reference_kinds.get(kind.entity_type)
        if target is None:
            return None
        given_id = root.get("id") or root.findtext("id")
        found = self.lookup(target, given_id, root.findtext("name"))
        if found is None:
            raise Fault(400, "Operation Failed", f"Entity not found: {kind.entity_type}")
        if self.store.get(collection, found) is not None:
            raise Fault(409, "Operation Failed", f"[{kind.entity_type} {found} is already here.]")
        return found

    def create(
        self, kind: Kind, collection: str, root: Element, owner: str, entity_id: str | None = None
    ) -> Row:
        doc.strip_read_only(root)
        doc.drop_unknown(root, kind.entity_type, self.model)
        doc.check_values(root, kind.entity_type, self.model)
        doc.resolve_references(root, kind.entity_type, self.model, self.lookup)
        if self.model.child_type(kind.entity_type, "status") is not None:
            allowed = self.model.status_values(kind.entity_type)
            sub(root, "status", initial_status(kind.element, allowed))
        name = doc.name_of(root)
        if kind.top_level and name and self.store.by_name(collection, name) is not None:
            raise Fault(
                409,
                "Operation Failed",
                f"[Cannot add {kind.entity_type}. The name {name} is already in use.]",
            )
        row = Row(collection, entity_id or str(uuid.uuid4()), name, owner, doc.compact(root))
        self.store.insert(row)
        return row

    def update(self, call: Call, template: Template) -> HttpResponse:
        segments = call.target.segments
        step = self.walk(call, template, segments)[-1]
        if step.row is None:
            raise Fault(405, body=False)
        link = self.model.links[template]["PUT"]
        root = doc.strip_read_only(doc.read_body(call.request.body, link, self.model))
        owner = self.renderer.href(step.row.collection.rpartition("/")[0])
        for child in list(root) if not step.kind.top_level else ():
            if child.get("href") == owner:  # the back-reference the engine renders: read-only
                root.remove(child)
        doc.drop_unknown(root, step.kind.entity_type, self.model)
        doc.check_values(root, step.kind.entity_type, self.model)
        doc.resolve_references(root, step.kind.entity_type, self.model, self.lookup)
        stored = parse(step.row.doc)
        doc.merge(stored, root)
        name = doc.name_of(stored)
        if step.kind.top_level and name and name != step.row.name:
            clash = self.store.by_name(step.row.collection, name)
            if clash is not None and clash.id != step.row.id:
                raise Fault(
                    409,
                    "Operation Failed",
                    f"[Cannot edit {step.kind.entity_type}. The name {name} is already in use.]",
                )
        self.store.update(step.row.collection, step.row.id, doc.compact(stored), name)
        row = step.row._replace(doc=doc.compact(stored), name=name)
        return HttpResponse(200, to_bytes(self.renderer.entity(step.kind, row)))

    def delete(self, call: Call, template: Template) -> HttpResponse:
        if template and template[-1] != "{id}":
            return self._delete_listed(call, template)
        step = self.walk(call, template, call.target.segments)[-1]
        if step.row is None:
            raise Fault(405, body=False)
        refused = REMOVAL_REFUSED.get(step.kind.element)
        if refused is not None and _status(step.row) in refused[0]:
            raise Fault(409, "Operation Failed", refused[1])
        self.store.delete_tree(step.row.collection, step.row.id)
        return HttpResponse(200, content_type=None)

    def _delete_listed(self, call: Call, template: Template) -> HttpResponse:
        """``DELETE`` of a collection (3.6's gluster bricks): the entities the body names,
        never the owner of the collection."""
        segments = call.target.segments
        self.walk(call, template, segments)
        kind = self.model.kind(template)
        try:
            root = parse(call.request.body) if call.request.body.strip() else None
        except XMLProblem as exc:
            raise Fault(400, doc.SYNTAX, str(exc)) from None
        named = list(root.iter(kind.element)) if root is not None and kind is not None else []
        if kind is None or not named:
            raise Fault(400, "Incomplete parameters", "name the entities to remove")
        collection = "/".join(segments)
        for item in named:
            given = item.get("id") or item.findtext("id")
            row = (
                self.store.get(collection, given)
                if given
                else self.store.by_name(collection, item.findtext("name") or "")
            )
            if row is None:
                raise self.not_found(f"{kind.entity_type} {given or ''} does not exist")
            self.store.delete_tree(collection, row.id)
        return HttpResponse(200, content_type=None)

    # -- actions -----------------------------------------------------------------------

    def action(self, call: Call, link: Link, template: Template) -> HttpResponse:
        segments = call.target.segments
        steps = self.walk(call, template[:-1], segments[:-1])
        step = steps[-1] if steps and template[-2] == "{id}" else None
        root = self._action_body(call.request.body, link)
        doc.require_parameters(root, link, "Action")
        doc.check_values(root, link.body_type or "Action", self.model)
        row = step.row if step is not None else None
        if step is not None and row is not None:
            self._transition(step.kind, row, link.rel, root)
        job = self._job(link.rel, step) if step is not None else None
        asynchronous = (root.findtext("async") or "").strip().lower() in _TRUE
        state = "pending" if asynchronous else "complete"
        element = self.renderer.action(root, state, job)
        return HttpResponse(202 if asynchronous else 200, to_bytes(element))

    def _action_body(self, body: bytes, link: Link) -> Element:
        if not body.strip():
            return etree.Element("action")
        try:
            root = parse(body)
        except XMLProblem as exc:
            raise Fault(400, doc.SYNTAX, str(exc)) from None
        if root.tag != "action":
            raise Fault(400, doc.SYNTAX, f"the body is <{root.tag}>; {link.rel} takes <action>")
        return root

    def _transition(self, kind: Kind, row: Row, rel: str, root: Element) -> None:
        stored = parse(row.doc)
        changed = False
        transition = TRANSITIONS.get((kind.element, rel))
        if transition is not None:
            status = stored.find("status")
            current = status.text if status is not None else None
            if current is not None and current not in transition.allowed:
                raise Fault(409, "Operation Failed", transition.refusal)
            if status is not None:
                status.text = transition.target
                changed = True
        given = root.find(kind.element)
        initialization = given.find("initialization") if given is not None else None
        if initialization is not None:
            doc.merge(stored, _holder(initialization))
            changed = True
        if changed:
            self.store.update(row.collection, row.id, doc.compact(stored), row.name)

    def _job(self, rel: str, step: Step) -> tuple[str, str] | None:
        jobs = self.model.top_kinds.get("jobs")
        if jobs is None or step.row is None:
            return None
        element = etree.Element(jobs.element)
        sub(element, "description", f"{rel} {step.kind.element} {step.row.name or step.id}")
        children = self.model.complex_type(jobs.entity_type)
        if children is not None:
            for tag in list(element):
                if tag.tag not in children.children:
                    element.remove(tag)
        row = self.create(jobs, "jobs", element, ADMIN)
        return row.id, row.collection

    # -- lookups -----------------------------------------------------------------------

    def lookup(self, kind: Kind, entity_id: str | None, name: str | None) -> str | None:
        if entity_id:
            row = self.store.get(kind.name, entity_id)
        else:
            row = self.store.by_name(kind.name, name or "")
            if row is None and name:  # users go by user_name; a reference may give <name>
                rows = self.store.list(kind.name)
                row = next((r for r in rows if parse(r.doc).findtext("name") == name), None)
        return row.id if row is not None else None

    def user_exists(self, user: str) -> bool:
        users = self.model.top_kinds.get("users")
        if users is None:
            return user == ADMIN
        return self.store.by_name(users.name, user) is not None


def _status(row: Row) -> str | None:
    return parse(row.doc).findtext("status")


def _holder(child: Element) -> Element:
    holder = etree.Element("holder")
    holder.append(child)
    return holder

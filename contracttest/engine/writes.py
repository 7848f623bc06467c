"""Writing: add (create, attach to a view, or a list of items), update, remove.

An add is checked as the engine checks it (the link's parameter sets, the XSD types,
references resolved) and answered 201 with ``Location``, or 202 with a creation status for
what the engine creates asynchronously when the client did not ask for ``201-created``. An
add to a view creates the entity where it lives, or attaches an existing one it names.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING

from lxml import etree

from contracttest.engine import documents as doc
from contracttest.engine.auth import ADMIN
from contracttest.engine.defects import drop_first_optional, ignore_first_change
from contracttest.engine.documents import Fault
from contracttest.engine.http import HttpResponse, valid_host
from contracttest.engine.lifecycle import ASYNC_CREATED, REMOVAL_REFUSED, initial_status
from contracttest.engine.model import Kind, Template, View
from contracttest.engine.render import sub, to_bytes
from contracttest.engine.store import Row
from contracttest.rsdl import Link
from contracttest.xmlsafe import Element, XMLProblem, parse

if TYPE_CHECKING:
    from contracttest.engine.app import Call
    from contracttest.engine.auth import Principal
    from contracttest.engine.operations import Operations, Place


class Writes:
    def __init__(self, operations: Operations) -> None:
        self.ops = operations
        self.model = operations.model
        self.store = operations.store

    # -- add ---------------------------------------------------------------------------

    def add(self, call: Call, link: Link, template: Template) -> HttpResponse:
        kind = self.model.kind(template)
        if kind is None or kind.generated:
            raise Fault(405, body=False)
        place = self.ops.locate(call, template, call.target.segments, write=True)
        root = doc.read_body(call.request.body, link, self.model)
        if not self.ops.defects.accepts_invalid:
            doc.require_parameters(root, link, kind.entity_type)
        item = self.model.list_item(link.body_type or "")
        if item is not None and item[1] == kind.entity_type and root.tag == kind.list_element:
            return self._add_list(call, kind, place.path, root.iterchildren(item[0]))  # bricks
        if self.ops.defects.add_drops_field:
            drop_first_optional(root, link)
        view = self.model.view(kind)
        if view is not None:
            return self._add_to_view(call, link, kind, view, place, root)
        attached = self._attached(call, kind, place.path, root)
        if attached is None:
            attached = self._attachment(call, kind, place.path, root)
        row = self.create(kind, place.path, root, call.principal, attached)
        return self._created(call, kind, row, asynchronous=attached is None)

    def _created(
        self, call: Call, kind: Kind, row: Row, *, asynchronous: bool, path: str | None = None
    ) -> HttpResponse:
        element = self.ops.present(call, self.ops.renderer.entity(kind, row, path))
        expect = (call.request.header("expect") or "").lower()
        if (
            asynchronous
            and "201-created" not in expect
            and kind.element in ASYNC_CREATED
            and self.model.child_type(kind.entity_type, "creation_status") is not None
        ):
            status = sub(element, "creation_status")
            if self.model.is_v3_status(kind.entity_type):
                sub(status, "state", "pending")
            else:
                status.text = "pending"
            return HttpResponse(202, to_bytes(element))
        return self._created_at(call, element, element.get("href", ""))

    def _created_at(self, call: Call, element: Element, href: str) -> HttpResponse:
        """201 Created with what was created and its ``Location``: ``href`` on the host the
        client named when that is a host name and port (the server refuses any other)."""
        host = call.request.header("host")
        location = f"http://{host}{href}" if host and valid_host(host) else href
        defects = self.ops.defects
        headers = [] if defects.missing_location else [("Location", location)]
        return HttpResponse(200 if defects.wrong_status else 201, to_bytes(element), headers)

    def _add_list(
        self, call: Call, kind: Kind, collection: str, items: Iterable[Element]
    ) -> HttpResponse:
        """Every item created; the list answered, located at the collection."""
        rows = [self.create(kind, collection, item, call.principal) for item in items]
        renderer = self.ops.renderer
        listing = renderer.listing(kind, [renderer.entity(kind, r) for r in rows])
        self.ops.present(call, listing)
        return self._created_at(call, listing, renderer.href(collection))

    def _attached(self, call: Call, kind: Kind, collection: str, root: Element) -> str | None:
        """The id of the existing entity an add attaches, where the added entity has no path
        of its own to GET (a VM added to an affinity group): None for a new entity."""
        if kind.top_level or "GET" in self.model.links.get(kind.entity_template, {}):
            return None
        target = self.model.reference_kinds.get(kind.entity_type)
        if target is None:
            return None
        given_id = root.get("id") or root.findtext("id")
        found = self.ops.lookup(call.principal, target, given_id, root.findtext("name"))
        if found is None:
            raise Fault(400, "Operation Failed", f"Entity not found: {kind.entity_type}")
        if self.store.get(collection, found) is not None:
            raise Fault(409, "Operation Failed", f"[{kind.entity_type} {found} is already here.]")
        return found

    def _attachment(self, call: Call, kind: Kind, collection: str, root: Element) -> str | None:
        """An attachment (a ``DiskAttachment``: an ``<X>Attachment`` holding an ``<x>``) has
        the id of what it attaches, attaches it once, and may carry it in full rather than
        name it, as ovirtsdk4 adds a VM's disk: then the engine creates it where it lives,
        checked as an add there would be."""
        found = self._attached_reference(kind, root)
        if found is None:
            return None
        reference, target = found
        given_id = reference.get("id") or reference.findtext("id")
        name = reference.findtext("name")
        entity_id = self.ops.lookup(call.principal, target, given_id, name)
        if entity_id is None and given_id:
            raise doc.entity_not_found(target.entity_type, given_id, None)
        if entity_id is None and _describes(reference):
            if not self.ops.access.adds(call.principal, target.name):
                raise self.ops.access.forbidden()
            entity = copy.deepcopy(reference)
            add = self.model.links.get(target.template, {}).get("POST")
            if add is not None:
                doc.require_parameters(entity, add, target.entity_type)
            entity_id = self.create(target, target.name, entity, call.principal).id
            for child in list(reference):
                reference.remove(child)
            reference.attrib.clear()
            reference.set("id", entity_id)
        if not entity_id:
            return None  # resolving the reference answers what is wrong with it
        if self.store.get(collection, entity_id) is not None:
            raise Fault(
                409,
                "Operation Failed",
                f"[Cannot attach {target.entity_type}. It is already attached here.]",
            )
        return entity_id

    def _attached_reference(self, kind: Kind, root: Element) -> tuple[Element, Kind] | None:
        if not kind.entity_type.endswith("Attachment"):
            return None
        wanted = kind.entity_type.removesuffix("Attachment").lower()
        for reference, target in self.model.references(root, kind.entity_type):
            if reference.tag == wanted and target.top_level:
                return reference, target
        return None

    def _add_to_view(
        self, call: Call, link: Link, kind: Kind, view: View, place: Place, root: Element
    ) -> HttpResponse:
        """Attach the existing entity the body names, or create one that belongs here; it
        is answered as it is seen here (``vms/<vm>/disks/<id>``)."""
        owner_id = place.last.id
        existing = self._named(call, view.top, link, root)
        if existing is None:
            if not self.ops.access.adds(call.principal, view.top.name):
                raise self.ops.access.forbidden()
            _join(root, view, owner_id)
            row = self.create(view.top, view.top.name, root, call.principal)
            path = f"{place.address}/{row.id}"
            return self._created(call, kind, row, asynchronous=True, path=path)
        if self.ops.belongs(view, existing, owner_id, place.path):
            raise Fault(
                409, "Operation Failed", f"[{view.top.entity_type} {existing.id} is already here.]"
            )
        row = existing
        if view.item is not None:  # a list of owners: join it (which changes the entity)
            if not self.ops.access.changes(call.principal, existing):
                raise self.ops.access.forbidden()
            stored = parse(existing.doc)
            _join(stored, view, owner_id)
            row = existing._replace(doc=doc.compact(stored))
            self.store.update(row.collection, row.id, row.doc, row.name)
        else:  # one reference, which an attachment must not steal: a membership row
            member = etree.Element(kind.element)
            self.store.insert(
                Row(place.path, row.id, row.name, call.principal.user, doc.compact(member))
            )
        path = f"{place.address}/{row.id}"
        return self._created(call, kind, row, asynchronous=False, path=path)

    def _named(self, call: Call, top: Kind, link: Link, root: Element) -> Row | None:
        """The existing entity an add names: by id, or by name where the link takes
        ``<element>.id|name`` (a reference, not a new entity)."""
        given_id = root.get("id") or root.findtext("id")
        by_reference = any(
            _names_the_entity(p.name, root.tag) for ps in link.parameter_sets for p in ps.parameters
        )
        name = root.findtext("name") if by_reference else None
        if not given_id and not name:
            return None
        found = self.ops.lookup(call.principal, top, given_id, name)
        if found is None:
            raise doc.entity_not_found(top.entity_type, given_id, name)
        return self.store.get(top.name, found)

    def create(
        self,
        kind: Kind,
        collection: str,
        root: Element,
        principal: Principal,
        entity_id: str | None = None,
        *,
        owner: str | None = None,
    ) -> Row:
        """Store a new entity created by ``principal`` (owned by it unless ``owner`` says)."""
        doc.strip_read_only(root)
        doc.drop_unknown(root, kind.entity_type, self.model)
        doc.check_values(root, kind.entity_type, self.model)
        doc.resolve_references(root, kind.entity_type, self.model, self.ops.finder(principal))
        if self.model.child_type(kind.entity_type, "status") is not None:
            allowed = self.model.status_values(kind.entity_type)
            sub(root, "status", initial_status(kind.element, allowed))
        name = doc.name_of(root)
        if kind.unique_names and name and self._clash(principal, collection, name, None):
            raise Fault(
                409,
                "Operation Failed",
                f"[Cannot add {kind.entity_type}. The name {name} is already in use.]",
            )
        row = Row(
            collection,
            entity_id or str(uuid.uuid4()),
            name,
            owner or principal.user,
            doc.compact(root),
        )
        self.store.insert(row)
        return row

    def _clash(self, principal: Principal, collection: str, name: str, own: str | None) -> bool:
        """Whether another entity the principal sees holds ``name``: names it cannot see
        clash with nothing, so a name is no way to learn what exists."""
        if self.ops.defects.duplicate_name_accepted:
            return False
        return any(
            row.id != own and self.ops.access.sees(principal, row)
            for row in self.store.named(collection, name)
        )

    # -- update ------------------------------------------------------------------------

    def update(self, call: Call, template: Template) -> HttpResponse:
        place = self.ops.locate(call, template, call.target.segments, write=True)
        step = place.last
        if step.row is None:
            raise Fault(405, body=False)
        link = self.model.links[template]["PUT"]
        root = doc.strip_read_only(doc.read_body(call.request.body, link, self.model))
        owner = self.ops.renderer.href(step.row.collection.rpartition("/")[0])
        for child in list(root) if not step.kind.top_level else ():
            if child.get("href") == owner:  # the back-reference the engine renders: read-only
                root.remove(child)
        doc.drop_unknown(root, step.kind.entity_type, self.model)
        doc.check_values(root, step.kind.entity_type, self.model)
        finder = self.ops.finder(call.principal)
        doc.resolve_references(root, step.kind.entity_type, self.model, finder)
        stored = parse(step.row.doc)
        if self.ops.defects.update_ignores_field:
            ignore_first_change(stored, root)
        doc.merge(stored, root, step.kind.entity_type, self.model)
        name = doc.name_of(stored)
        if (
            step.kind.unique_names
            and name
            and name != step.row.name
            and self._clash(call.principal, step.row.collection, name, step.row.id)
        ):
            raise Fault(
                409,
                "Operation Failed",
                f"[Cannot edit {step.kind.entity_type}. The name {name} is already in use.]",
            )
        row = step.row._replace(doc=doc.compact(stored), name=name)
        self.store.update(row.collection, row.id, row.doc, name)
        element = step._replace(row=row).render(self.ops.renderer)
        return HttpResponse(200, to_bytes(self.ops.present(call, element)))

    # -- remove ------------------------------------------------------------------------

    def delete(self, call: Call, template: Template) -> HttpResponse:
        if template and template[-1] != "{id}":
            return self._delete_listed(call, template)
        kind = self.model.kind(template[:-1])
        view = self.model.view(kind) if kind is not None else None
        segments = call.target.segments
        # detaching changes the owner; the entity itself only when it leaves a list of its
        # own or is removed, which is decided below
        place = self.ops.locate(call, template, segments, write=True, spare_last=view is not None)
        step = place.last
        if step.row is None:
            raise Fault(405, body=False)
        here = place.path.rpartition("/")[0] if view is None else self._view_path(place)
        if view is not None and self.store.delete_tree(here, step.id):
            return HttpResponse(200, content_type=None)  # an attachment: detached
        if view is not None and not self.ops.access.changes(call.principal, step.row):
            raise self.ops.access.forbidden()
        if view is not None and view.item is not None:  # a membership: leave the list
            stored = parse(step.row.doc)
            _leave(stored, view, place.steps[-2].id)
            self.store.update(step.row.collection, step.row.id, doc.compact(stored), step.row.name)
            return HttpResponse(200, content_type=None)
        refused = REMOVAL_REFUSED.get(step.kind.element)
        if refused is not None and parse(step.row.doc).findtext("status") in refused[0]:
            raise Fault(409, "Operation Failed", refused[1])
        if self.ops.defects.delete_leaves_entity:
            return HttpResponse(200, content_type=None)
        below = not self.ops.defects.orphan_subresources
        self.store.delete_tree(step.row.collection, step.row.id, below=below)
        if step.kind.top_level and step.kind.name == "users" and step.row.name:
            # what the user created stays, the admin's now: a user of the same name added
            # later does not inherit it (the real engine keys ownership by the user's id)
            self.store.reassign(step.row.name, ADMIN)
        return HttpResponse(200, content_type=None)

    def _view_path(self, place: Place) -> str:
        """The stored path of the view an entity was reached through (its owner's path and
        the view's segment): where its membership row is."""
        owner = place.steps[-2]
        segment = place.address.rsplit("/", 2)[-2]
        return f"{owner.path}/{segment}"

    def _delete_listed(self, call: Call, template: Template) -> HttpResponse:
        """``DELETE`` of a collection (3.6's gluster bricks): the entities the body names,
        never the owner of the collection."""
        place = self.ops.locate(call, template, call.target.segments, write=True)
        kind = self.model.kind(template)
        try:
            root = parse(call.request.body) if call.request.body.strip() else None
        except XMLProblem as exc:
            raise Fault(400, doc.SYNTAX, str(exc)) from None
        named = list(root.iter(kind.element)) if root is not None and kind is not None else []
        if kind is None or not named:
            raise Fault(400, "Incomplete parameters", "name the entities to remove")
        for item in named:
            given = item.get("id") or item.findtext("id")
            row = (
                self.store.get(place.path, given)
                if given
                else self.store.by_name(place.path, item.findtext("name") or "")
            )
            if row is None:
                raise self.ops.not_found(f"{kind.entity_type} {given or ''} does not exist")
            self.store.delete_tree(place.path, row.id)
        return HttpResponse(200, content_type=None)


def _describes(reference: Element) -> bool:
    """Whether a reference carries an entity (fields beyond ``id``, ``name``, ``href``)."""
    return any(
        isinstance(child.tag, str) and child.tag not in ("id", "name", "href")
        for child in reference
    )


def _join(element: Element, view: View, owner_id: str) -> None:
    """Make ``element`` belong to the owner: set its reference, or add to its list."""
    if view.item is None:
        for old in element.findall(view.field):
            element.remove(old)
        sub(element, view.field, id=owner_id)
        return
    holder = element.find(view.field)
    if holder is None:
        holder = sub(element, view.field)
    if not any(ref.get("id") == owner_id for ref in holder.iterchildren(view.item)):
        sub(holder, view.item, id=owner_id)


def _leave(element: Element, view: View, owner_id: str) -> None:
    holder = element.find(view.field)
    if holder is not None and view.item is not None:
        for ref in list(holder.iterchildren(view.item)):
            if ref.get("id") == owner_id:
                holder.remove(ref)


def _names_the_entity(parameter: str, tag: str) -> bool:
    """``storagedomain.id|name`` for ``<storage_domain>``: the body is a reference."""
    head, _, rest = parameter.partition(".")
    return rest == "id|name" and head.replace("_", "") == tag.replace("_", "")

"""Reading many: collections with ``search``, ``max``, ``case_sensitive``, the user filter,
and ``follow`` (linked collections and references inlined, ``follow=nics,disk_attachments.disk``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lxml import etree

from contracttest.engine.access import EVERYONE
from contracttest.engine.documents import Fault
from contracttest.engine.model import Kind
from contracttest.engine.search import SearchError, parse_search
from contracttest.engine.store import Row
from contracttest.xmlsafe import Element, parse

if TYPE_CHECKING:
    from contracttest.engine.app import Call
    from contracttest.engine.operations import Operations, Place, Step

_FOLLOW_DEPTH = 4


class Listing:
    def __init__(self, operations: Operations) -> None:
        self.ops = operations
        self.model = operations.model
        #: The ``search-stale`` defect's index: each collection as its first search found it.
        self._stale: dict[str, list[Row]] = {}

    def collection(self, call: Call, kind: Kind, place: Place) -> Element:
        renderer = self.ops.renderer
        owner = place.steps[-1] if place.steps else None
        if kind.generated:
            if owner is None:
                return etree.Element(kind.list_element)
            return renderer.statistics(kind, owner.kind, owner.address, owner.id)
        view = self.model.view(kind)
        if view is not None and owner is not None:
            rows = self.ops.members(view, owner.id, place.path)
        else:
            rows = self.ops.store.list(place.path)
        if self.ops.defects.search_stale and (call.param("search") or "").strip():
            if len(self._stale) >= 10_000:  # bounded: past it, every index starts afresh
                self._stale.clear()
            rows = self._stale.setdefault(place.path, rows)
        if kind.top_level or view is not None or self.ops.shared(place.steps):
            rows = self.ops.access.visible(call.principal, rows)
        rows = self._search(call, rows)
        limit = _integer(call.param("max"))
        if limit is not None and limit >= 0:
            rows = rows[:limit]
        entities = []
        for row in rows:
            element = renderer.entity(kind, row, f"{place.address}/{row.id}" if view else None)
            self._follow(call, element, kind, row, _follows(call))
            entities.append(element)
        return renderer.listing(kind, entities)

    def _search(self, call: Call, rows: list[Row]) -> list[Row]:
        text = call.param("search")
        if not text or not text.strip():
            return rows
        try:
            query = parse_search(text)
        except SearchError as exc:
            raise Fault(400, "Operation Failed", f"Search query is malformed: {exc}") from None
        sensitive = (call.param("case_sensitive") or "true").strip().lower() not in (
            "false",
            "f",
            "no",
            "n",
            "0",
        )
        parsed: dict[str, Element] = {}

        def value_of(row: Row, field: str) -> str | None:
            element = parsed.get(row.id)
            if element is None:
                element = parsed[row.id] = parse(row.doc)
            return self._field(call, element, field)

        page_size = _integer(call.param("max"))
        return query.select(rows, value_of, case_sensitive=sensitive, page_size=page_size)

    def _field(self, call: Call, element: Element, field: str) -> str | None:
        head, _, rest = field.partition(".")
        child = element.find(head)
        if child is None:
            return None
        if rest:
            return child.findtext(rest.replace(".", "/"))
        if child.get("id") and not (child.text or "").strip():
            return self._reference_name(call, head, child.get("id", ""))
        state = child.find("state")  # v3 status
        text = state.text if state is not None else child.text
        return (text or "").strip()

    def _reference_name(self, call: Call, tag: str, entity_id: str) -> str | None:
        kind = self.model.kinds_by_element.get(tag)
        if kind is None:
            return entity_id
        row = self.ops.store.get(kind.name, entity_id)
        return row.name if row is not None and self.ops.visible(call, row) else None

    # -- follow ------------------------------------------------------------------------

    def follow(self, call: Call, element: Element, step: Step) -> None:
        if step.row is not None:
            self._follow(call, element, step.kind, step.row, _follows(call))

    def _follow(
        self, call: Call, element: Element, kind: Kind, row: Row, paths: list[list[str]]
    ) -> None:
        if not paths:
            return
        heads: dict[str, list[list[str]]] = {}
        for path in paths:
            if len(path) <= _FOLLOW_DEPTH:
                heads.setdefault(path[0], []).append(path[1:])
        allowed = self.model.complex_type(kind.entity_type)
        children = allowed.children if allowed is not None else {}
        for head, rests in heads.items():
            rests = [rest for rest in rests if rest]
            sub_kind = self._subcollection(kind, head)
            holder = (
                self.model.schema.holder_of(kind.entity_type, sub_kind.name, sub_kind.list_element)
                if sub_kind is not None
                else None
            )
            if sub_kind is not None and holder is not None:
                self._inline_list(call, element, sub_kind, row, rests, holder)
                continue
            reference = element.find(head)
            target = (
                self.model.reference_kinds.get(children[head].type) if head in children else None
            )
            if reference is not None and target is not None and reference.get("id"):
                found = self.ops.store.get(target.name, reference.get("id", ""))
                if found is not None and self.ops.visible(call, found):
                    full = self.ops.renderer.entity(target, found)
                    self._follow(call, full, target, found, rests)
                    full.tag = head
                    element.replace(reference, full)

    def _subcollection(self, kind: Kind, head: str) -> Kind | None:
        for segment, sub_kind in self.model.shape(kind.entity_template).subcollections:
            if (
                sub_kind is not None
                and not sub_kind.generated
                and head in (segment, sub_kind.list_element)
            ):
                return sub_kind
        return None

    def _inline_list(
        self,
        call: Call,
        element: Element,
        sub_kind: Kind,
        row: Row,
        rests: list[list[str]],
        tag: str,
    ) -> None:
        for old in element.findall(tag):
            element.remove(old)
        holder = etree.SubElement(element, tag)
        view = self.model.view(sub_kind)
        here = f"{row.collection}/{row.id}/{sub_kind.name}"
        if view is not None:  # entities of their own: only those the caller sees
            rows = self.ops.access.visible(call.principal, self.ops.members(view, row.id, here))
        else:
            rows = self.ops.store.list(here)
            if row.owner == EVERYONE:  # under what is shared: each seen by its own owner
                rows = self.ops.access.visible(call.principal, rows)
        for child_row in rows:
            path = f"{here}/{child_row.id}" if view is not None else None
            child = self.ops.renderer.entity(sub_kind, child_row, path)
            self._follow(call, child, sub_kind, child_row, rests)
            holder.append(child)


def _follows(call: Call) -> list[list[str]]:
    text = call.param("follow") or ""
    return [part.strip().split(".") for part in text.split(",") if part.strip()]


def _integer(text: str | None) -> int | None:
    """The engine ignores an invalid integer."""
    if text is None:
        return None
    try:
        return int(text.strip())
    except ValueError:
        return None

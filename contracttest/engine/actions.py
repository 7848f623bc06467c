"""Actions: ``POST .../{id}/<action>`` with an ``<action>`` body.

The life-cycle table (``lifecycle.TRANSITIONS``) says which states an action may start from
and where it leads; the wrong state answers 409 with the engine's ``[Cannot ...]`` detail.
Any other action completes. ``start`` keeps the ``<vm><initialization>`` it is given, and an
action on an entity leaves a finished job behind where the contract has jobs.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from lxml import etree

from contracttest.engine import documents as doc
from contracttest.engine.auth import SYSTEM
from contracttest.engine.documents import Fault
from contracttest.engine.http import HttpResponse
from contracttest.engine.lifecycle import TRANSITIONS
from contracttest.engine.model import Kind, Template
from contracttest.engine.render import sub, to_bytes
from contracttest.engine.store import Row
from contracttest.rsdl import Link
from contracttest.xmlsafe import Element, XMLProblem, parse

if TYPE_CHECKING:
    from contracttest.engine.app import Call
    from contracttest.engine.operations import Operations, Step

_TRUE = frozenset({"true", "t", "yes", "y", "1"})


class Actions:
    def __init__(self, operations: Operations) -> None:
        self.ops = operations
        self.model = operations.model
        self.store = operations.store

    def run(self, call: Call, link: Link, template: Template) -> HttpResponse:
        segments = call.target.segments
        place = self.ops.locate(call, template[:-1], segments[:-1], write=True)
        step = place.last if place.steps and template[-2] == "{id}" else None
        root = self._body(call.request.body, link)
        doc.require_parameters(root, link, "Action")
        doc.check_values(root, link.body_type or "Action", self.model)
        if step is not None and step.row is not None:
            self._transition(step.kind, step.row, link.rel, root)
        job = self._job(call, link.rel, step) if step is not None else None
        asynchronous = (root.findtext("async") or "").strip().lower() in _TRUE
        state = "pending" if asynchronous else "complete"
        element = self.ops.renderer.action(root, state, job)
        return HttpResponse(202 if asynchronous else 200, to_bytes(element))

    def _body(self, body: bytes, link: Link) -> Element:
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
            if status is not None and not self.ops.defects.lifecycle_stuck:
                status.text = transition.target
                changed = True
        given = root.find(kind.element)
        initialization = given.find("initialization") if given is not None else None
        if initialization is not None:
            holder = etree.Element("holder")
            holder.append(copy.deepcopy(initialization))
            doc.merge(stored, holder, kind.entity_type, self.model)
            changed = True
        if changed:
            self.store.update(row.collection, row.id, doc.compact(stored), row.name)

    def _job(self, call: Call, rel: str, step: Step) -> tuple[str, str] | None:
        jobs = self.model.top_kinds.get("jobs")
        if jobs is None or step.row is None:
            return None
        element = etree.Element(jobs.element)
        sub(element, "description", f"{rel} {step.kind.element} {step.row.name or step.id}")
        row = self.ops.writes.create(
            jobs, "jobs", element, SYSTEM, owner=call.principal.user
        )  # the engine records the job; its user sees it
        return row.id, row.collection

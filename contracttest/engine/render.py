"""Representations: stored documents to the XML the engine answers with.

Shapes come from the schema: a v3 status is ``<status><state>up</state></status>``, a v4 one
``<status>up</status>``; a v3 version has attributes, a v4 one children; references get the
href of the collection that holds their type; sub-collections and actions come from the
RSDL paths under the entity. Only elements the schema allows are added.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable

from lxml import etree

from contracttest.engine.defects import SOUND, Defects
from contracttest.engine.lifecycle import STATISTICS, statistic_id, statistic_value
from contracttest.engine.model import EngineModel, Kind, Template
from contracttest.engine.store import Row
from contracttest.xmlsafe import Element, parse

_HERE = "\x01"  # the entity's href in a decoration template
DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
READ_ONLY = frozenset({"actions", "link", "status", "creation_status", "href"})


#: Characters XML 1.0 cannot hold (a client may put them in a name, a path or a header).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """``text`` with every character XML cannot hold replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


def to_bytes(element: Element) -> bytes:
    """The engine's serialisation: the exact declaration the v3 SDK looks for, then the tree."""
    return DECLARATION + etree.tostring(element, encoding="UTF-8", pretty_print=True)


def sub(parent: Element, tag: str, text: str | None = None, **attributes: str) -> Element:
    child = etree.SubElement(parent, tag, attributes)
    if text is not None:
        child.text = text
    return child


class Renderer:
    """Renders entities, lists, statistics, actions and faults for one engine."""

    def __init__(self, model: EngineModel, prefix: str, defects: Defects = SOUND) -> None:
        self.model = model
        self.prefix = prefix
        self.defects = defects
        self._decorations: dict[Template, tuple[str, str]] = {}

    def href(self, path: str) -> str:
        return f"{self.prefix}/{path}" if path else self.prefix

    # -- entities ----------------------------------------------------------------------

    def entity(self, kind: Kind, row: Row, path: str | None = None) -> Element:
        """``row`` of ``kind`` at ``path`` (default: where it is stored), with its href,
        actions, links and references."""
        element = parse(row.doc)
        path = path or self._path(kind, row)
        href = self.href(path)
        declared = self.model.complex_type(kind.entity_type)
        known = declared.attributes if declared is not None else {}
        own = [(k, v) for k, v in element.attrib.items() if k in known and k not in ("href", "id")]
        element.attrib.clear()
        element.set("href", self._misplaced(path, kind) if self.defects.wrong_href else href)
        element.set("id", row.id)
        for key, value in own:  # v3 keeps some fields as attributes (<qos type="storage">)
            element.set(key, value)
        self.status(element, kind.entity_type)
        self.references(element, kind.entity_type)
        actions, links = self._decoration(kind)
        if actions:
            element.insert(0, etree.fromstring(actions.replace(_HERE, href)))
        if not kind.top_level:
            self._parent(element, kind, path.rpartition("/")[0])
        if links:
            element.extend(list(etree.fromstring(links.replace(_HERE, href))))
        return element

    def _misplaced(self, path: str, kind: Kind) -> str:
        """The href of the ``wrong-href`` defect: the element's name where its collection's
        belongs (``vm/<id>`` for ``vms/<id>``)."""
        head, _, entity_id = path.rpartition("/")
        owner = head.rpartition("/")[0]
        return self.href(
            f"{owner}/{kind.element}/{entity_id}" if owner else f"{kind.element}/{entity_id}"
        )

    def _path(self, kind: Kind, row: Row) -> str:
        """The entity's own path; where the contract cannot GET it there (a VM in an affinity
        group), the path of the top-level collection holding its type, as the engine links it."""
        path = f"{row.collection}/{row.id}"
        if kind.top_level or "GET" in self.model.links.get(kind.entity_template, {}):
            return path
        target = self.model.reference_kinds.get(kind.entity_type)
        return f"{target.name}/{row.id}" if target is not None else path

    def _decoration(self, kind: Kind) -> tuple[str, str]:
        """The ``<actions>`` and ``<link>``s of an entity of ``kind``, as text with the
        entity's href left as a marker: built once per kind, filled in per entity."""
        found = self._decorations.get(kind.template)
        if found is None:
            shape = self.model.shape(kind.entity_template)
            allowed = self._children(kind.entity_type)
            actions = links = ""
            if shape.actions and ("actions" in allowed or not allowed):
                actions = (
                    "<actions>"
                    + "".join(
                        f'<link href="{_HERE}/{action}" rel="{action}"/>'
                        for action in shape.actions
                    )
                    + "</actions>"
                )
            if shape.subcollections and ("link" in allowed or not allowed):
                links = (
                    "<links>"
                    + "".join(
                        f'<link href="{_HERE}/{segment}" rel="{segment}"/>'
                        for segment, _ in shape.subcollections
                    )
                    + "</links>"
                )
            found = self._decorations[kind.template] = (actions, links)
        return found

    def status(self, element: Element, type_name: str) -> None:
        status = element.find("status")
        if status is None or not self.model.is_v3_status(type_name) or len(status):
            return
        value, status.text = status.text, None
        sub(status, "state", value or "")

    def references(self, element: Element, type_name: str) -> None:
        """Give every reference (``<cluster id=".."/>``) the href of its collection."""
        for reference, target in self.model.references(element, type_name):
            entity_id = reference.get("id")
            if entity_id and not reference.get("href"):
                _set_first(reference, "href", self.href(f"{target.name}/{entity_id}"))

    def _parent(self, element: Element, kind: Kind, collection: str) -> None:
        """The back-reference of a sub-entity to its owner (a NIC's ``<vm>``)."""
        owner = self.model.kind(kind.template[:-2])
        if owner is None or owner.generated:
            return
        owner_path = collection.rpartition("/")[0]
        owner_id = owner_path.rpartition("/")[2]
        for name, child in self._children(kind.entity_type).items():
            if child == owner.entity_type and element.find(name) is None:
                sub(element, name, href=self.href(owner_path), id=owner_id)
                return

    def _children(self, type_name: str) -> dict[str, str]:
        complex_type = self.model.complex_type(type_name)
        if complex_type is None:
            return {}
        return {name: child.type for name, child in complex_type.children.items()}

    def listing(self, kind: Kind, entities: Iterable[Element]) -> Element:
        element = etree.Element(kind.list_element)
        element.extend(entities)
        return element

    # -- statistics --------------------------------------------------------------------

    def statistics(self, kind: Kind, owner_kind: Kind, owner_path: str, owner_id: str) -> Element:
        listing = etree.Element(kind.list_element)
        for statistic in STATISTICS.get(owner_kind.element, ()):
            listing.append(self.statistic(kind, owner_kind, owner_path, owner_id, statistic.name))
        return listing

    def statistic(
        self, kind: Kind, owner_kind: Kind, owner_path: str, owner_id: str, name: str
    ) -> Element:
        found = next(s for s in STATISTICS.get(owner_kind.element, ()) if s.name == name)
        sid = statistic_id(owner_id, name)
        element = etree.Element(kind.element, href=self.href(f"{owner_path}/statistics/{sid}"))
        element.set("id", sid)
        children = self._children(kind.entity_type)
        sub(element, "name", found.name)
        sub(element, "description", found.description)
        value = statistic_value(found, owner_id)
        if "kind" in children:  # v4
            sub(element, "kind", found.kind)
            sub(element, "type", found.type)
            sub(element, "unit", found.unit)
            values = sub(element, "values")
        else:  # v3: upper-case enums, the value type on <values>
            values = sub(element, "values", type=found.type.upper())
            sub(element, "type", found.kind.upper())
            sub(element, "unit", found.unit.upper())
        sub(sub(values, "value"), "datum", value)
        for name_, child_type in children.items():
            if child_type == owner_kind.entity_type:
                sub(element, name_, href=self.href(owner_path), id=owner_id)
                break
        return element

    # -- actions, faults, the API root ---------------------------------------------------

    def action(self, request: Element, state: str, job: tuple[str, str] | None) -> Element:
        element = etree.Element("action")
        for child in request:
            if child.tag not in ("status", "job", "fault"):
                element.append(child)
        status = sub(element, "status")
        if self.model.is_v3_status("Action"):
            sub(status, "state", state)
        else:
            status.text = state
        if job is not None and "job" in self._children("Action"):
            sub(element, "job", href=self.href(f"jobs/{job[0]}"), id=job[0])
        return element

    def fault(self, reason: str, detail: str) -> Element:
        element = etree.Element("fault")
        sub(element, "reason", xml_text(reason))
        sub(element, "detail", xml_text(detail))
        return element

    def version(self, parent: Element, tag: str = "version") -> Element:
        major, minor = self.model.version
        version_type = self._children("ProductInfo").get(tag, "Version")
        complex_type = self.model.complex_type(version_type)
        if complex_type is not None and "major" in complex_type.attributes:
            return sub(parent, tag, major=str(major), minor=str(minor), build="0", revision="0")
        element = sub(parent, tag)
        sub(element, "build", "0")
        sub(element, "full_version", f"{major}.{minor}.0")
        sub(element, "major", str(major))
        sub(element, "minor", str(minor))
        sub(element, "revision", "0")
        return element

    def stamp(self) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%S.000+00:00", time.gmtime())


def _set_first(element: Element, name: str, value: str) -> None:
    """Set an attribute so that ``href`` comes before ``id``, as the engine writes them."""
    others = {str(key): str(val) for key, val in element.attrib.items()}
    element.attrib.clear()
    element.set(name, value)
    for key, val in others.items():
        if key != name:
            element.set(key, val)

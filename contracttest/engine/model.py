"""What the embedded engine knows of its contract: collections, entities, actions, shapes.

Everything here is derived once from the RSDL links and the XSD, never written per resource:
a collection is a path whose GET answers a list type or whose POST adds an entity; its entity
element comes from the XSD; sub-collections and actions are the literal paths under an
entity's path; whether a status is ``<status>up</status>`` (v4) or
``<status><state>up</state></status>`` (v3) is read off the schema's type for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property

from contracttest.rsdl import Contract, Link
from contracttest.schema import UNBOUNDED, ComplexType, Schema
from contracttest.xmlsafe import Element

Template = tuple[str, ...]


@dataclass(frozen=True)
class Kind:
    """A collection: its path template, element names and the links that act on it."""

    template: Template  # ("vms",) or ("vms", "{vm:id}", "nics")
    list_element: str  # "vms"
    element: str  # "vm"
    entity_type: str  # the XSD complex type of one entity: "VM"
    add: Link | None = None

    @property
    def name(self) -> str:
        return self.template[-1]

    @property
    def top_level(self) -> bool:
        return len(self.template) == 1

    @property
    def entity_template(self) -> Template:
        return (*self.template, "{id}")

    @property
    def unique_names(self) -> bool:
        """Whether a name in use is refused: top-level names are unique engine-wide, and a
        NIC's within its VM or template."""
        return self.top_level or self.name == "nics"

    @property
    def generated(self) -> bool:
        """Statistics are computed on every read, never stored."""
        return self.name == "statistics"


@dataclass(frozen=True)
class View:
    """A sub-collection that shows top-level entities (``datacenters/{id}/clusters``): those
    whose ``field`` refers to the owner, one reference or (``item`` set) a list of them."""

    top: Kind
    field: str  # "data_center", or the list "data_centers"
    item: str | None = None  # "data_center" when ``field`` is a list

    def holds(self, element: Element, owner_id: str) -> bool:
        holder = element.find(self.field)
        if holder is None:
            return False
        if self.item is None:
            return holder.get("id") == owner_id
        return any(ref.get("id") == owner_id for ref in holder.iterchildren(self.item))


@dataclass(frozen=True)
class EntityShape:
    """What hangs under one entity: its sub-collections and its actions, by path segment."""

    subcollections: tuple[tuple[str, Kind | None], ...]
    actions: tuple[str, ...]


@dataclass
class EngineModel:
    """The engine's view of a contract and schema."""

    contract: Contract
    schema: Schema
    kinds: dict[Template, Kind] = field(default_factory=dict)
    links: dict[Template, dict[str, Link]] = field(default_factory=dict)

    @classmethod
    def build(cls, contract: Contract, schema: Schema) -> EngineModel:
        model = cls(contract, schema)
        for link in contract.links:
            template = generic(link.segments)
            model.links.setdefault(template, {}).setdefault(link.method, link)
        for template, by_method in model.links.items():
            if template and not template[-1].startswith("{"):
                kind = model._kind(template, by_method)
                if kind is not None:
                    model.kinds[template] = kind
        return model

    def _kind(self, template: Template, by_method: dict[str, Link]) -> Kind | None:
        get, add = by_method.get("GET"), by_method.get("POST")
        if add is not None and add.rel != "add":
            add = None
        if get is not None and get.response_type:
            found = self._list_of(get.response_type, add.body_type if add is not None else None)
            if found is not None:
                list_element, element, entity_type = found
                return Kind(template, list_element, element, entity_type, add)
        if add is not None and add.body_type:
            elements = self.schema.element_names(add.body_type)
            if elements:
                plural = elements[0] + "s"
                return Kind(template, plural, elements[0], add.body_type, add)
        return None

    def _list_of(self, type_name: str, added: str | None = None) -> tuple[str, str, str] | None:
        """``VMs`` -> ("vms", "vm", "VM") when the type is a list of one entity type; of a
        list of several (v3 ``VirtualNumaNodes``), the one the collection's add takes."""
        elements = self.schema.element_names(type_name)
        complex_type = self.schema.complex_types.get(type_name)
        if not elements or complex_type is None:
            return None
        items = [
            child
            for child in complex_type.children.values()
            if child.max_occurs == UNBOUNDED and child.type in self.schema.complex_types
        ]
        for child in sorted(items, key=lambda child: child.type != added):
            return elements[0], child.name, child.type
        return None

    # -- lookups -------------------------------------------------------------------------

    def kind(self, template: Template) -> Kind | None:
        return self.kinds.get(generic(template))

    @cached_property
    def top_kinds(self) -> dict[str, Kind]:
        """Top-level collections by name: ``vms`` -> its Kind."""
        return {kind.name: kind for kind in self.kinds.values() if kind.top_level}

    @cached_property
    def kinds_by_element(self) -> dict[str, Kind]:
        """Top-level collections by the element of one entity: ``vm`` -> the vms Kind."""
        return self._first_top_kind_by(lambda kind: kind.element)

    @cached_property
    def reference_kinds(self) -> dict[str, Kind]:
        """Entity type -> the top-level collection holding it (what a reference points to)."""
        return self._first_top_kind_by(lambda kind: kind.entity_type)

    def _first_top_kind_by(self, key: Callable[[Kind], str]) -> dict[str, Kind]:
        """Top-level collections by ``key``; where two share one, the first by name."""
        found: dict[str, Kind] = {}
        for kind in sorted(self.top_kinds.values(), key=lambda k: k.name):
            found.setdefault(key(kind), kind)
        return found

    def shape(self, entity_template: Template) -> EntityShape:
        """The sub-collections and actions under an entity path template."""
        cache: dict[Template, EntityShape] = self.__dict__.setdefault("_shapes", {})
        owner = generic(entity_template)
        found = cache.get(owner)
        if found is None:
            subcollections: list[tuple[str, Kind | None]] = []
            actions: list[str] = []
            size = len(owner) + 1
            for template, by_method in self.links.items():
                if len(template) != size or template[:-1] != owner:
                    continue
                segment = template[-1]
                if segment.startswith("{"):
                    continue
                post = by_method.get("POST")
                if "GET" in by_method:
                    subcollections.append((segment, self.kinds.get(template)))
                elif post is not None and post.is_action:
                    actions.append(segment)
            found = EntityShape(tuple(sorted(subcollections)), tuple(sorted(actions)))
            cache[owner] = found
        return found

    def list_item(self, type_name: str) -> tuple[str, str] | None:
        """(item element, item type) when ``type_name`` is a list: ``VMs`` -> ("vm", "VM")."""
        complex_type = self.schema.complex_types.get(type_name)
        if complex_type is None:
            return None
        for child in complex_type.children.values():
            if child.max_occurs == UNBOUNDED and child.type in self.schema.complex_types:
                return child.name, child.type
        return None

    def view(self, kind: Kind) -> View | None:
        """The view a sub-collection is, when its entities live in a top-level collection
        and refer to the sub-collection's owner; None for a collection of its own."""
        cache: dict[Template, View | None] = self.__dict__.setdefault("_views", {})
        if kind.template not in cache:
            cache[kind.template] = self._view(kind)
        return cache[kind.template]

    def _view(self, kind: Kind) -> View | None:
        if kind.top_level:
            return None
        top = self.top_kinds.get(kind.name)
        if top is None or top.entity_type != kind.entity_type:
            top = self.reference_kinds.get(kind.entity_type)
        owner = self.kind(kind.template[:-2])
        entity = self.schema.complex_types.get(kind.entity_type)
        if top is None or owner is None or entity is None:
            return None
        if not owner.top_level and self.view(owner) is None:
            return None  # the owner is stored under another entity: so is what it holds
        direct = None
        for name, child in sorted(entity.children.items()):
            item = self.list_item(child.type)
            if item is not None and item[1] == owner.entity_type:
                return View(top, name, item[0])
            if child.type == owner.entity_type and direct is None:
                direct = View(top, name)
        return direct

    def typed_children(self, element: Element, type_name: str) -> Iterator[tuple[Element, str]]:
        """The children of an element of ``type_name`` that the schema types, with their type."""
        for child in element:
            if isinstance(child.tag, str):
                child_type = self.child_type(type_name, child.tag)
                if child_type is not None:
                    yield child, child_type

    def references(self, element: Element, type_name: str) -> Iterator[tuple[Element, Kind]]:
        """Every reference an entity holds, with the top-level collection it points into: a
        child typed by an entity type (``<cluster>``), or the items of a list of them
        (``<storage_domains><storage_domain>``)."""
        for child, child_type in self.typed_children(element, type_name):
            kind = self.reference_kinds.get(child_type)
            if kind is not None:
                yield child, kind
                continue
            item = self.list_item(child_type)
            kind = self.reference_kinds.get(item[1]) if item is not None else None
            if kind is not None and item is not None:
                for reference in child.iterchildren(item[0]):
                    yield reference, kind

    def complex_type(self, name: str) -> ComplexType | None:
        return self.schema.complex_types.get(name)

    def child_type(self, type_name: str, child: str) -> str | None:
        complex_type = self.schema.complex_types.get(type_name)
        found = complex_type.children.get(child) if complex_type is not None else None
        return found.type if found is not None else None

    def is_v3_status(self, type_name: str) -> bool:
        """Whether ``status`` of ``type_name`` is v3's ``<status><state>..</state></status>``."""
        status = self.child_type(type_name, "status")
        holder = self.schema.complex_types.get(status) if status else None
        return holder is not None and "state" in holder.children

    def status_values(self, type_name: str) -> frozenset[str] | None:
        """The enumeration of the status of ``type_name`` (v4), when the schema gives one."""
        status = self.child_type(type_name, "status")
        simple = self.schema.simple_types.get(status) if status else None
        return simple.enumeration if simple is not None else None

    @cached_property
    def major(self) -> int:
        """The API major version: the contract's, else read off the schema's shapes."""
        if self.contract.major is not None:
            return self.contract.major
        return 3 if self.is_v3_status("Action") or self.is_v3_status("VM") else 4

    @cached_property
    def version(self) -> tuple[int, int]:
        if self.contract.version:
            major, _, minor = self.contract.version.partition(".")
            if major.isdigit() and minor.isdigit():
                return int(major), int(minor)
        return (3, 6) if self.major == 3 else (4, 5)


def generic(segments: Template | list[str]) -> Template:
    """Variables named alike: ``vms/{vm:id}/nics`` -> ``vms/{id}/nics``."""
    return tuple("{id}" if s.startswith("{") else s for s in segments)

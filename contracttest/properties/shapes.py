"""What the contract says about requests, derived once from the RSDL and the XSD.

``Surface(contract, schema)`` answers two questions, for any contract, never per resource:

* where an RSDL parameter lands in a representation (``slot``): a value of a simple XSD type
  (an element or an attribute), a reference to an entity of a top-level collection
  (``cluster.id|name``), a collection of items (``usages.usage``), a structure the XSD types
  as complex (sent empty, never compared), or a name the XSD does not know (dropped by the
  engine's binding, never compared);
* which collections a CRUD machine can drive (``collections``): a path with an ``add`` link, a
  list, and an entity path that can be read and deleted; with the entity's update link, its
  actions, its sub-collections, and whether the list takes ``search``. Sub-collections whose
  entities live in a top-level collection (``datacenters/{id}/clusters``, a view) are left
  out: an add there attaches, it does not create.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from contracttest.rsdl import Contract, Link, Parameter
from contracttest.schema import UNBOUNDED, Schema

Path = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Slot:
    """Where one RSDL parameter lands.

    ``kind``: ``value`` (``steps`` ends with the leaf, ``"@x"`` for an attribute; ``type``
    is its simple type), ``reference`` (``steps`` is the reference element; ``type`` the
    entity type; ``target`` the collection holding it; ``naming`` the alternatives),
    ``collection`` (``steps`` the container, ``item`` the repeated tag, ``type`` its type),
    ``structure`` (a complex type), or ``unknown``.
    """

    kind: str
    steps: Path = ()
    type: str = "xs:string"
    target: str | None = None
    naming: tuple[str, ...] = ()
    id_attribute: bool = True
    item: str | None = None
    owner: str = ""  # a value's holder: the complex type whose child or attribute it is


@dataclass(frozen=True)
class Collection:
    """A collection a CRUD machine can drive, as the contract describes it."""

    name: str  # "vms", or "vms/nics" for vms/{vm:id}/nics
    template: tuple[
        str, ...
    ]  # the collection's segments with variables: ("vms", "{vm:id}", "nics")
    element: str  # "vm"
    entity_type: str  # "VM"
    list: Link
    add: Link
    get: Link
    delete: Link
    update: Link | None = None
    actions: tuple[Link, ...] = ()
    subcollections: tuple[str, ...] = ()
    owner: str | None = None  # the collection the owner entity is in ("vms")
    searchable: bool = False
    followable: bool = False  # the owner's entity path takes ``follow``

    @property
    def top_level(self) -> bool:
        return self.owner is None

    def action(self, rel: str) -> Link | None:
        return next((link for link in self.actions if link.rel == rel), None)


def _generic(segments: tuple[str, ...]) -> tuple[str, ...]:
    return tuple("{}" if s.startswith("{") else s for s in segments)


class Surface:
    """The contract's requests and collections, derived once (see the module docstring)."""

    def __init__(self, contract: Contract, schema: Schema) -> None:
        self.contract = contract
        self.schema = schema
        self._links: dict[tuple[str, ...], dict[tuple[str, str], Link]] = {}
        for link in contract.links:
            by = self._links.setdefault(_generic(link.segments), {})
            by.setdefault((link.method, link.rel), link)
        self._slots: dict[tuple[str, str, Path], Slot] = {}

    # -- what is referenced -------------------------------------------------------------

    def list_item(self, type_name: str, added: str | None = None) -> tuple[str, str] | None:
        """(item tag, item type) when ``type_name`` is a list of entities (``VMs``); of a
        list of several (v3 ``VirtualNumaNodes``), the one of type ``added`` if any."""
        complex_type = self.schema.complex_types.get(type_name)
        if complex_type is None:
            return None
        items = [
            (child.name, child.type)
            for child in complex_type.children.values()
            if child.max_occurs == UNBOUNDED and child.type in self.schema.complex_types
        ]
        return next((i for i in items if i[1] == added), items[0] if items else None)

    @cached_property
    def referenceable(self) -> Mapping[str, str]:
        """Entity type -> the top-level collection holding it (first by name)."""
        found: dict[str, str] = {}
        for template in sorted(t for t in self._links if len(t) == 1):
            get = self._method(template, "GET")
            item = self.list_item(get.response_type or "") if get is not None else None
            if item is not None:
                found.setdefault(item[1], template[0])
        return found

    def _method(self, template: tuple[str, ...], method: str, rel: str = "") -> Link | None:
        for (m, r), link in self._links.get(template, {}).items():
            if m == method and (not rel or r == rel):
                return link
        return None

    # -- collections --------------------------------------------------------------------

    @cached_property
    def collections(self) -> Mapping[str, Collection]:
        """Every collection a CRUD machine can drive, by name (``vms``, ``vms/nics``)."""
        found: dict[str, Collection] = {}
        for template in sorted(self._links):
            made = self._collection(template)
            if made is not None:
                found[made.name] = made
        return found

    def _collection(self, template: tuple[str, ...]) -> Collection | None:
        if not template or template[-1] == "{}":
            return None
        entity = (*template, "{}")
        add = self._method(template, "POST", "add")
        listing = self._method(template, "GET")
        get, delete = self._method(entity, "GET"), self._method(entity, "DELETE")
        if add is None or listing is None or get is None or delete is None:
            return None
        item = self.list_item(listing.response_type or "", add.body_type)
        if item is None:
            return None
        element, entity_type = item
        owner = None
        if len(template) > 1:
            if entity_type in self.referenceable or len(template) != 3:
                return None  # a view of a top-level collection, or nested deeper
            owner = self._name(template[:-2])
        actions, subcollections = [], []
        for other, by in sorted(self._links.items()):
            if len(other) != len(entity) + 1 or other[:-1] != entity or other[-1] == "{}":
                continue
            post = next((link for (m, r), link in by.items() if m == "POST"), None)
            if any(m == "GET" for m, _ in by):
                subcollections.append(other[-1])
            elif post is not None and post.is_action:
                actions.append(post)
        owner_get = self._method(template[:-1], "GET") if owner else None
        return Collection(
            name=self._name(template),
            template=add.segments,
            element=element,
            entity_type=entity_type,
            list=listing,
            add=add,
            get=get,
            delete=delete,
            update=self._method(entity, "PUT"),
            actions=tuple(actions),
            subcollections=tuple(subcollections),
            owner=owner,
            searchable=any(p.name == "search" for p in listing.url_parameters),
            followable=owner_get is not None
            and any(p.name == "follow" for p in owner_get.url_parameters)
            and self._inlined(owner_get, template[-1], listing),
        )

    def _inlined(self, owner_get: Link, rel: str, listing: Link) -> bool:
        """Whether the owner's representation has a place for the collection ``follow``
        inlines (a VM's ``nics``; a VM's NUMA nodes have none in the v4 XSD)."""
        lists = self.schema.element_names(listing.response_type or "")
        return bool(lists) and (
            self.schema.holder_of(owner_get.response_type or "", rel, lists[0]) is not None
        )

    @staticmethod
    def _name(template: tuple[str, ...]) -> str:
        return "/".join(s for s in template if s != "{}")

    # -- where parameters land ----------------------------------------------------------

    def slot(self, root_type: str, parameter: Parameter) -> Slot:
        """Where ``parameter`` lands in a representation of ``root_type``."""
        key = (root_type, parameter.name, tuple("|".join(a) for a in parameter.path))
        found = self._slots.get(key)
        if found is None:
            found = self._slots[key] = self._slot(root_type, parameter)
        return found

    def _slot(self, root_type: str, parameter: Parameter) -> Slot:
        path = parameter.path
        if parameter.is_collection:
            return self._collection_slot(root_type, path)
        current = owner = root_type
        steps: list[str] = []
        for i, alternatives in enumerate(path):
            complex_type = self.schema.complex_types.get(current)
            if complex_type is None:
                return Slot("unknown")
            last = i == len(path) - 1
            if last and current in self.referenceable and _names(alternatives, nested=bool(steps)):
                return Slot(
                    "reference",
                    tuple(steps),
                    current,
                    target=self.referenceable[current],
                    naming=alternatives,
                    id_attribute="id" in complex_type.attributes,
                )
            name = alternatives[0]
            child = complex_type.children.get(name)
            if child is not None:
                steps.append(name)
                owner, current = current, child.type
            elif last and name in complex_type.attributes:
                attribute = complex_type.attributes[name]
                return Slot("value", (*steps, f"@{name}"), attribute.type, owner=current)
            else:
                return Slot("unknown")
        if current in self.schema.complex_types:
            return Slot("structure", tuple(steps), current)
        return Slot("value", tuple(steps), current, owner=owner)

    def _collection_slot(self, root_type: str, path: tuple[tuple[str, ...], ...]) -> Slot:
        if not path:
            return Slot("unknown")
        *container, (item, *_) = path
        current = root_type
        steps: list[str] = []
        for alternatives in container:
            complex_type = self.schema.complex_types.get(current)
            child = complex_type.children.get(alternatives[0]) if complex_type else None
            if child is None:
                return Slot("unknown")
            steps.append(child.name)
            current = child.type
        holder = self.schema.complex_types.get(current)
        child = holder.children.get(item) if holder is not None else None
        if child is None:
            return Slot("unknown")
        return Slot("collection", tuple(steps), child.type, item=item)

    def item_slot(self, item_tag: str, item_type: str, parameter: Parameter) -> Slot:
        """Where a parameter of a collection's nested set lands, relative to one item: the
        item's own text (``usage``), a reference the item is (``host.id|name``, ``disk.id``;
        a lone ``name`` is the item's own, as a cloud-init ``user.name``), or a slot inside
        it."""
        path = parameter.path
        if len(path) == 1 and path[0] == (item_tag,) and item_type not in self.schema.complex_types:
            return Slot("value", (), item_type, owner=item_type)
        if len(path) == 1 and _names(path[0], nested=False) and item_type in self.referenceable:
            return Slot(
                "reference",
                (),
                item_type,
                target=self.referenceable[item_type],
                naming=path[0],
                id_attribute="id" in self.schema.complex_types[item_type].attributes,
            )
        return self.slot(item_type, parameter)


def _names(alternatives: tuple[str, ...], *, nested: bool) -> bool:
    """Whether the last segment of a parameter names an entity: ``id|name``, or below the
    root a lone ``id`` or ``name`` (``cluster.name``); at the root a lone ``name`` is the new
    entity's own, a lone ``id`` names an existing one (an attach)."""
    if len(alternatives) > 1:
        return True
    return alternatives[0] in (("id", "name") if nested else ("id",))

"""Who may see and change what: one policy, asked on every path of every request.

The embedded engine's permissions follow the real engine's, reduced to two kinds of user:

* The admin (``admin@internal``, SuperUser) sees and changes everything.
* Any other user is filtered, as the real engine filters a user without administrative roles
  by default. It sees what it created, what is shared with Everyone, and its own user. A
  fresh engine's seeded data (the Default data centre and cluster, the Blank template, the
  storage domain, network, vNIC profile, MAC pool, roles, ...) is shared: as if the user held
  PowerUserRole on the Default data centre beside the Everyone grants of a fresh engine. The
  seeded host is not (a filtered user sees no hosts).
* It creates only where a user role of the real engine may (``USER_COLLECTIONS``: the
  ``CREATE_*`` action groups of type USER), and below what it may change; it changes only
  what it created there. Administrative collections (users, groups, roles, tags, data
  centres, clusters, hosts, ...) are the admin's.
* What a user may not see does not exist for it: a path through it answers exactly as an
  unknown id does (404), a body naming it gets "Entity not found" as an unknown name does, a
  name it holds clashes with nothing. What it sees but may not change answers 403 with the
  engine's "[User is not authorized to perform this action.]".
* Under what is shared, each sub-entity is seen by its own owner (the admin's affinity group
  in the shared cluster stays the admin's).
* A filtered user's representations hold no reference to what it may not see (a real engine
  shows such ids), nor what the real engine removes for a filtered user (a VM's host and
  placement policy: ``RESTRICTED``); ``Operations.present`` applies both.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from contracttest.engine.documents import Fault
from contracttest.xmlsafe import Element

if TYPE_CHECKING:
    from contracttest.engine.auth import Principal
    from contracttest.engine.store import Row

#: The owner of what is shared with every user.
EVERYONE = "*"
#: Top-level collections a user role may create in (the real engine's USER action groups:
#: CREATE_VM, CREATE_TEMPLATE, CREATE_DISK, CREATE_VM_POOL, disk image transfers).
USER_COLLECTIONS = frozenset(
    {"vms", "templates", "instancetypes", "disks", "vmpools", "imagetransfers"}
)
#: Collections whose seeded entities are the admin's alone.
PRIVATE_SEEDS = frozenset({"hosts", "users"})
#: What the real engine removes from representations for a filtered user.
RESTRICTED = {"vm": ("host", "placement_policy")}
NOT_AUTHORIZED = "[User is not authorized to perform this action.]"


class Access:
    """The policy; stateless, so one serves every request."""

    def sees(self, principal: Principal, row: Row) -> bool:
        return (
            principal.admin
            or row.owner in (principal.user, EVERYONE)
            or (row.collection == "users" and row.name == principal.user)  # its own user
        )

    def changes(self, principal: Principal, row: Row) -> bool:
        if principal.admin:
            return True
        top = row.collection.partition("/")[0]
        return row.owner == principal.user and top in USER_COLLECTIONS

    def adds(self, principal: Principal, collection: str) -> bool:
        """Whether ``principal`` may create in a top-level collection."""
        return principal.admin or collection in USER_COLLECTIONS

    def visible(self, principal: Principal, rows: Iterable[Row]) -> list[Row]:
        return [row for row in rows if self.sees(principal, row)]

    def forbidden(self) -> Fault:
        return Fault(403, "Operation Failed", NOT_AUTHORIZED)

    def restrict(self, principal: Principal, element: Element) -> Element:
        """Remove what a filtered user is not shown, from an entity and what it inlines."""
        if principal.admin:
            return element
        for tag, children in RESTRICTED.items():
            for entity in element.iter(tag):
                for name in children:
                    for child in entity.findall(name):
                        entity.remove(child)
        return element

    @staticmethod
    def seed_owner(collection: str, admin: str) -> str:
        """Who owns an entity a fresh engine seeds: Everyone, or the admin (hosts, users)."""
        return admin if collection in PRIVATE_SEEDS else EVERYONE

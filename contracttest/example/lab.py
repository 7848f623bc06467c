"""``Lab``: what one test creates on the engine, named after the test and removed after it.

Names are derived from the test's module and name, never random: a replay must send the requests
the recording sent, and two tests (or two pytest-xdist workers on one engine) must never
reach for the same entity. Whatever a test leaves behind is removed when it ends, in the
reverse order of creation, stopping a VM or putting a host into maintenance first where the
engine requires it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from contracttest.api import Engine
from contracttest.example import bodies
from contracttest.example.reading import href
from contracttest.xmlsafe import Element

#: The states the engine removes an entity in, and the action that gets it there.
_REMOVABLE = {"vm": ("down", "stop"), "host": ("maintenance", "deactivate")}


def name_for(test_id: str, limit: int = 40) -> str:
    """``ct-add-read-update-remove-1a2b3c`` for ``example.test_vm::test_add_read_update_remove``:
    the test's name, made safe for an engine name, and a digest of the whole id that keeps
    tests of the same name in different modules (or parameters) apart."""
    test = test_id.rpartition("::")[2].removeprefix("test_")
    slug = re.sub(r"[^a-z0-9]+", "-", test.lower()).strip("-")[:limit].rstrip("-")
    digest = hashlib.sha256(test_id.encode()).hexdigest()[:6]
    return f"ct-{slug}-{digest}"


@dataclass(frozen=True)
class Login:
    user: str
    password: str


class Lab:
    def __init__(self, engine: Engine, test_id: str) -> None:
        self.engine = engine
        self.prefix = name_for(test_id)
        self.created: list[str] = []  # hrefs, in the order they were created
        self.sessions: list[Engine] = []

    def name(self, suffix: str) -> str:
        return f"{self.prefix}-{suffix}"

    def track(self, entity: Element) -> Element:
        """Remove ``entity`` (anything with an href) when the test ends."""
        self.created.append(href(entity))
        return entity

    # -- entities ----------------------------------------------------------------------

    def vm(
        self, suffix: str = "vm", *, description: str | None = None, memory: int = bodies.GiB
    ) -> Element:
        """A VM from the Blank template in the Default cluster, once the engine has it down."""
        body = bodies.vm(self.name(suffix), description=description, memory=memory)
        added = self.track(self.engine.add("vms", body))
        return self.engine.wait_for_status(href(added), "down")

    def running_vm(self, suffix: str = "vm") -> Element:
        vm = self.vm(suffix)
        self.engine.action(href(vm), "start")
        return self.engine.wait_for_status(href(vm), "up")

    def disk(self, suffix: str = "disk", *, storage_domain: str = "data1") -> Element:
        """A 1 GiB disk, once it is no longer locked. (A v3 disk carries its interface;
        a v4 disk does not: its attachment to a VM does.)"""
        interface = "virtio" if self.engine.version == 3 else None
        body = bodies.disk(self.name(suffix), storage_domain=storage_domain, interface=interface)
        added = self.track(self.engine.add("disks", body))
        return self.engine.wait_for_status(href(added), "ok")

    def host(self, suffix: str, address: str, *, root_password: str) -> Element:
        """A host in the Default cluster, once it is installed and up."""
        body = bodies.host(self.name(suffix), address, root_password=root_password)
        added = self.track(self.engine.add("hosts", body))
        return self.engine.wait_for_status(href(added), "up")

    def vnic_profile(self, name: str = "ovirtmgmt") -> Element:
        """The vNIC profile of that name (every engine has ``ovirtmgmt``)."""
        for profile in self.engine.list("vnicprofiles"):
            if profile.findtext("name") == name:
                return profile
        raise LookupError(f"no vNIC profile named {name!r}")

    def session(self, login: Login, *, method: str | None = None) -> Engine:
        """Another client, logged in as ``login`` when it first calls (``method="sso"``: a
        bearer token; ``"basic"``: HTTP Basic; default: the API version's way, SSO for v4 and
        Basic for v3); logged out when the test ends."""
        client = self.engine.session(login.user, login.password, login=method)
        self.sessions.append(client)
        return client

    # -- teardown ----------------------------------------------------------------------

    def cleanup(self) -> None:
        for path in reversed(self.created):
            self._remove(path)
        self.created.clear()
        for client in self.sessions:
            client.close()
        self.sessions.clear()

    def _remove(self, path: str) -> None:
        reply = self.engine.request("GET", path)
        if reply.status == 404 or reply.root is None:
            return  # the test removed it
        wanted = _REMOVABLE.get(str(reply.root.tag))
        if wanted is not None and self.engine.status(reply.root) != wanted[0]:
            self.engine.action(path, wanted[1])
            self.engine.wait_for_status(path, wanted[0])
        self.engine.remove(path)

"""Disks and NICs in v3: a disk in a storage domain and a NIC as in v4, and a VM's disk added
under the VM and detached (v4 attaches disks instead)."""

from __future__ import annotations

from contracttest.api import Engine
from contracttest.example import bodies
from contracttest.example.bodies import field
from contracttest.example.lab import Lab
from contracttest.example.reading import child, href, ident, ids, status, text
from contracttest.example.test_disks_and_nics import (  # noqa: F401 (run here, in v3)
    test_disk_is_created_in_the_storage_domain,
    test_nic_add_update_remove,
)


def test_a_disk_added_under_a_vm_and_detached(ovirt_engine: Engine, lab: Lab) -> None:
    vm = href(lab.vm("app"))
    disks = f"{vm}/disks"
    body = bodies.disk(lab.name("data"), interface="virtio", bootable=True)

    disk = ovirt_engine.add(disks, body)
    assert text(disk, "interface") == "virtio"  # v3: on the disk; v4: on its attachment
    assert text(disk, "bootable") == "true"
    assert ident(child(disk, "vm")) == vm.rpartition("/")[2]
    assert ident(disk) in ids(ovirt_engine.list(disks))

    detach = ovirt_engine.request("DELETE", href(disk), bodies.action(field("detach", True)))
    assert detach.status == 200
    assert ovirt_engine.list(disks) == []
    (kept,) = ovirt_engine.list("disks", search=f"name={lab.name('data')}")
    lab.track(kept)  # detached, not removed: the disk stays in its storage domain
    assert ident(kept) == ident(disk)
    assert status(kept) == "ok"

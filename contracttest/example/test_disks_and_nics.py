"""Storage and network devices of a VM: disks in a storage domain, attached and detached;
NICs on a vNIC profile, added, changed and removed."""

from __future__ import annotations

import pytest

from contracttest.api import Engine
from contracttest.example import bodies
from contracttest.example.bodies import GiB
from contracttest.example.lab import Lab
from contracttest.example.reading import child, href, ident, ids, names, status, text


def test_disk_is_created_in_the_storage_domain(ovirt_engine: Engine, lab: Lab) -> None:
    disk = lab.disk("data")

    read = ovirt_engine.get(href(disk))
    assert text(read, "name") == lab.name("data")
    assert text(read, "format") == "cow"
    assert int(text(read, "provisioned_size")) == GiB
    (data1,) = ovirt_engine.list("storagedomains", search="name=data1")
    assert ident(child(read, "storage_domains/storage_domain")) == ident(data1)
    assert ident(disk) in ids(ovirt_engine.list("disks", search=f"name={lab.name('data')}"))


def test_attach_list_and_detach_a_disk(ovirt_engine: Engine, lab: Lab) -> None:
    disk = lab.disk("logs")
    vm = href(lab.vm("app"))
    attachments = f"{vm}/diskattachments"

    attachment = ovirt_engine.add(attachments, bodies.disk_attachment(ident(disk)))
    assert ident(child(attachment, "disk")) == ident(disk)
    assert text(attachment, "interface") == "virtio_scsi"
    assert text(attachment, "bootable") == "false"

    listed = ovirt_engine.list(attachments)
    assert ident(disk) in {ident(child(a, "disk")) for a in listed}
    assert text(ovirt_engine.follow(child(attachment, "disk")), "name") == lab.name("logs")

    ovirt_engine.remove(href(attachment))  # detaches; the disk stays
    assert ident(disk) not in {ident(child(a, "disk")) for a in ovirt_engine.list(attachments)}
    assert status(ovirt_engine.get(href(disk))) == "ok"

    ovirt_engine.remove(href(disk))
    with pytest.raises(ovirt_engine.Error) as gone:
        ovirt_engine.get(href(disk))
    assert gone.value.status == 404


def test_disk_created_inside_its_attachment(ovirt_engine: Engine, lab: Lab) -> None:
    vm = href(lab.vm("db"))
    described = bodies.disk(lab.name("pgdata"), size=2 * GiB)

    attachment = ovirt_engine.add(f"{vm}/diskattachments", bodies.disk_attachment(described))
    disk = child(attachment, "disk")
    assert ident(attachment) == ident(disk)  # an attachment has its disk's id
    created = ovirt_engine.wait_for_status(href(disk), "ok")
    lab.track(created)
    assert text(created, "name") == lab.name("pgdata")
    assert int(text(created, "provisioned_size")) == 2 * GiB

    with pytest.raises(ovirt_engine.Error) as twice:  # a disk attaches to a VM once
        ovirt_engine.add(f"{vm}/diskattachments", bodies.disk_attachment(ident(disk)))
    assert twice.value.status == 409
    ovirt_engine.remove(href(attachment))


def test_nic_add_update_remove(ovirt_engine: Engine, lab: Lab) -> None:
    vm = href(lab.vm("web"))
    profile = lab.vnic_profile("ovirtmgmt")
    nics = f"{vm}/nics"

    nic = ovirt_engine.add(
        nics, bodies.nic("nic1", vnic_profile=ident(profile), interface="virtio")
    )
    assert text(nic, "name") == "nic1"
    assert ident(child(nic, "vnic_profile")) == ident(profile)
    assert ident(child(nic, "vm")) == vm.rpartition("/")[2]

    ovirt_engine.update(href(nic), bodies.nic(interface="e1000", linked=False))
    read = ovirt_engine.get(href(nic))
    assert text(read, "interface") == "e1000"
    assert text(read, "linked") == "false"
    assert text(read, "name") == "nic1"
    assert ident(child(read, "vnic_profile")) == ident(profile)

    ovirt_engine.remove(href(nic))
    assert "nic1" not in names(ovirt_engine.list(nics))
    assert ovirt_engine.request("GET", href(nic)).status == 404


def test_vm_with_two_nics_and_a_boot_disk(ovirt_engine: Engine, lab: Lab) -> None:
    vm = href(lab.vm("router"))
    profile = ident(lab.vnic_profile())
    for name in ("wan", "lan"):
        ovirt_engine.add(f"{vm}/nics", bodies.nic(name, vnic_profile=profile))
    disk = lab.disk("root")
    boot = bodies.disk_attachment(ident(disk), interface="virtio", bootable=True)
    ovirt_engine.add(f"{vm}/diskattachments", boot)

    assert sorted(names(ovirt_engine.list(f"{vm}/nics"))) == ["lan", "wan"]
    (attachment,) = ovirt_engine.list(f"{vm}/diskattachments")
    assert text(attachment, "bootable") == "true"
    assert text(attachment, "interface") == "virtio"

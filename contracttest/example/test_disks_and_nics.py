"""Storage and network devices of a VM: disks in a storage domain, attached and detached;
NICs on a vNIC profile, added, changed and removed."""

from __future__ import annotations

import pytest

from contracttest.api import Engine
from contracttest.example import bodies
from contracttest.example.bodies import GiB
from contracttest.example.lab import Lab
from contracttest.example.reading import child, href, ident, ids, names, text


def test_disk_is_created_in_the_storage_domain(engine: Engine, lab: Lab) -> None:
    disk = lab.disk("data")

    read = engine.get(href(disk))
    assert text(read, "name") == lab.name("data")
    assert text(read, "format") == "cow"
    assert int(text(read, "provisioned_size")) == GiB
    (data1,) = engine.list("storagedomains", search="name=data1")
    assert ident(child(read, "storage_domains/storage_domain")) == ident(data1)
    assert ident(disk) in ids(engine.list("disks", search=f"name={lab.name('data')}"))


def test_attach_list_and_detach_a_disk(engine: Engine, lab: Lab) -> None:
    disk = lab.disk("logs")
    vm = href(lab.vm("app"))
    attachments = f"{vm}/diskattachments"

    attachment = engine.add(attachments, bodies.disk_attachment(ident(disk)))
    assert ident(child(attachment, "disk")) == ident(disk)
    assert text(attachment, "interface") == "virtio_scsi"
    assert text(attachment, "bootable") == "false"

    listed = engine.list(attachments)
    assert ident(disk) in {ident(child(a, "disk")) for a in listed}
    assert text(engine.follow(child(attachment, "disk")), "name") == lab.name("logs")

    engine.remove(href(attachment))  # detaches; the disk stays
    assert ident(disk) not in {ident(child(a, "disk")) for a in engine.list(attachments)}
    assert text(engine.get(href(disk)), "status") == "ok"

    engine.remove(href(disk))
    with pytest.raises(engine.Error) as gone:
        engine.get(href(disk))
    assert gone.value.status == 404


def test_disk_created_inside_its_attachment(engine: Engine, lab: Lab) -> None:
    vm = href(lab.vm("db"))
    described = bodies.disk(lab.name("pgdata"), size=2 * GiB)

    attachment = engine.add(f"{vm}/diskattachments", bodies.disk_attachment(described))
    disk = child(attachment, "disk")
    assert ident(attachment) == ident(disk)  # an attachment has its disk's id
    created = engine.wait_for_status(href(disk), "ok")
    lab.track(created)
    assert text(created, "name") == lab.name("pgdata")
    assert int(text(created, "provisioned_size")) == 2 * GiB

    with pytest.raises(engine.Error) as twice:  # a disk attaches to a VM once
        engine.add(f"{vm}/diskattachments", bodies.disk_attachment(ident(disk)))
    assert twice.value.status == 409
    engine.remove(href(attachment))


def test_nic_add_update_remove(engine: Engine, lab: Lab) -> None:
    vm = href(lab.vm("web"))
    profile = lab.vnic_profile("ovirtmgmt")
    nics = f"{vm}/nics"

    nic = engine.add(nics, bodies.nic("nic1", vnic_profile=ident(profile), interface="virtio"))
    assert text(nic, "name") == "nic1"
    assert ident(child(nic, "vnic_profile")) == ident(profile)
    assert ident(child(nic, "vm")) == vm.rpartition("/")[2]

    engine.update(href(nic), bodies.nic(interface="e1000", linked=False))
    read = engine.get(href(nic))
    assert text(read, "interface") == "e1000"
    assert text(read, "linked") == "false"
    assert text(read, "name") == "nic1"
    assert ident(child(read, "vnic_profile")) == ident(profile)

    engine.remove(href(nic))
    assert "nic1" not in names(engine.list(nics))
    assert engine.request("GET", href(nic)).status == 404


def test_vm_with_two_nics_and_a_boot_disk(engine: Engine, lab: Lab) -> None:
    vm = href(lab.vm("router"))
    profile = ident(lab.vnic_profile())
    for name in ("wan", "lan"):
        engine.add(f"{vm}/nics", bodies.nic(name, vnic_profile=profile))
    disk = lab.disk("root")
    boot = bodies.disk_attachment(ident(disk), interface="virtio", bootable=True)
    engine.add(f"{vm}/diskattachments", boot)

    assert sorted(names(engine.list(f"{vm}/nics"))) == ["lan", "wan"]
    (attachment,) = engine.list(f"{vm}/diskattachments")
    assert text(attachment, "bootable") == "true"
    assert text(attachment, "interface") == "virtio"

"""Finding things: ``search=`` in the engine's search language, ``max``, and ``follow`` to
read linked collections and references in the same call. (A v3 client sends ``max`` and
``case_sensitive`` as matrix parameters, ``vms;max=2?search=...``; the calls are the same.)"""

from __future__ import annotations

from contracttest.api import Engine
from contracttest.example import bodies
from contracttest.example.lab import Lab
from contracttest.example.reading import child, href, ident, names, text


def test_search_by_name_prefix(ovirt_engine: Engine, lab: Lab) -> None:
    for suffix in ("web1", "web2", "db1"):
        lab.vm(suffix)

    found = ovirt_engine.list("vms", search=f"name={lab.name('web')}*")

    assert sorted(names(found)) == [lab.name("web1"), lab.name("web2")]


def test_search_by_name_and_status(ovirt_engine: Engine, lab: Lab) -> None:
    running = lab.running_vm("busy")
    lab.vm("idle")

    found = ovirt_engine.list("vms", search=f"name={lab.prefix}-* and status=up")

    assert [href(vm) for vm in found] == [href(running)]


def test_search_sorted_and_limited(ovirt_engine: Engine, lab: Lab) -> None:
    for suffix in ("a", "b", "c"):
        lab.vm(suffix)

    found = ovirt_engine.list("vms", search=f"name={lab.prefix}-* sortby name desc", max="2")

    assert names(found) == [lab.name("c"), lab.name("b")]


def test_search_ignoring_case(ovirt_engine: Engine, lab: Lab) -> None:
    vm = lab.vm("MixedCase")
    query = f"name={lab.name('mixedcase').upper()}"

    assert ovirt_engine.list("vms", search=query) == []
    (found,) = ovirt_engine.list("vms", search=query, case_sensitive="false")
    assert href(found) == href(vm)


def test_follow_inlines_nics_and_disk_attachments(ovirt_engine: Engine, lab: Lab) -> None:
    vm = href(lab.vm("app"))
    ovirt_engine.add(f"{vm}/nics", bodies.nic("nic1", vnic_profile=ident(lab.vnic_profile())))
    disk = lab.disk("app-data")
    ovirt_engine.add(f"{vm}/diskattachments", bodies.disk_attachment(ident(disk)))

    read = ovirt_engine.get(vm, follow="nics,disk_attachments")

    assert names(child(read, "nics")) == ["nic1"]
    (attachment,) = child(read, "disk_attachments")
    assert ident(child(attachment, "disk")) == ident(disk)


def test_follow_references_and_links(ovirt_engine: Engine, lab: Lab) -> None:
    vm = lab.vm("app")
    ovirt_engine.add(f"{href(vm)}/nics", bodies.nic("nic1", vnic_profile=ident(lab.vnic_profile())))

    cluster = ovirt_engine.follow(child(vm, "cluster"))
    assert text(cluster, "name") == "Default"
    assert text(ovirt_engine.follow(child(cluster, "data_center")), "name") == "Default"
    assert text(ovirt_engine.follow(child(vm, "template")), "name") == "Blank"

    nics = ovirt_engine.follow(vm, rel="nics")
    assert nics.tag == "nics"
    assert names(nics) == ["nic1"]

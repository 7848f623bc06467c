"""Life cycles: a VM from creation to removal, and a host through maintenance.

What every provisioning job does: add a VM from the Blank template, read back what it
wrote, change it, boot it with cloud-init, wait for it to come up, stop it and remove it.
"""

from __future__ import annotations

import pytest

from contracttest.api import Engine
from contracttest.example import bodies
from contracttest.example.bodies import GiB, field, node
from contracttest.example.lab import Lab
from contracttest.example.reading import child, href, ident, status, text

#: Sent in start and host-add bodies; cassettes keep a placeholder, never the value.
ROOT_PASSWORD = "example-Root-pw1"
CLOUD_CONFIG = (
    "#cloud-config\npackages:\n  - httpd\nruncmd:\n  - [systemctl, enable, --now, httpd]\n"
)


def test_vm_life_cycle(ovirt_engine: Engine, lab: Lab) -> None:
    name = lab.name("web")
    added = lab.track(ovirt_engine.add("vms", bodies.vm(name, description="web front end")))
    vm = href(added)
    ovirt_engine.wait_for_status(vm, "down")

    read = ovirt_engine.get(vm)
    assert text(read, "name") == name
    assert text(read, "description") == "web front end"
    assert int(text(read, "memory")) == GiB
    (default,) = ovirt_engine.list("clusters", search="name=Default")
    assert ident(child(read, "cluster")) == ident(default)
    (blank,) = ovirt_engine.list("templates", search="name=Blank")
    assert ident(child(read, "template")) == ident(blank)

    ovirt_engine.update(
        vm, node("vm", field("description", "web front end, 2 GiB"), field("memory", 2 * GiB))
    )
    read = ovirt_engine.get(vm)
    assert text(read, "description") == "web front end, 2 GiB"
    assert int(text(read, "memory")) == 2 * GiB

    start = bodies.start_with_cloud_init(
        f"{name}.example.com", CLOUD_CONFIG, root_password=ROOT_PASSWORD
    )
    assert status(ovirt_engine.action(vm, "start", start)) == "complete"
    ovirt_engine.wait_for_status(vm, "up")

    assert status(ovirt_engine.action(vm, "stop")) == "complete"
    ovirt_engine.wait_for_status(vm, "down")

    ovirt_engine.remove(vm)
    with pytest.raises(ovirt_engine.Error) as gone:
        ovirt_engine.get(vm)
    assert gone.value.status == 404


def test_update_changes_only_the_fields_sent(ovirt_engine: Engine, lab: Lab) -> None:
    vm = href(lab.vm("db", description="database", memory=4 * GiB))

    answer = ovirt_engine.update(vm, node("vm", field("description", "primary database")))

    assert text(answer, "description") == "primary database"
    read = ovirt_engine.get(vm)
    assert text(read, "description") == "primary database"
    assert text(read, "name") == lab.name("db")
    assert int(text(read, "memory")) == 4 * GiB


def test_suspend_and_resume(ovirt_engine: Engine, lab: Lab) -> None:
    vm = href(lab.running_vm("batch"))

    assert status(ovirt_engine.action(vm, "suspend")) == "complete"
    ovirt_engine.wait_for_status(vm, "suspended")

    ovirt_engine.action(vm, "start")  # resumes a suspended VM
    assert status(ovirt_engine.wait_for_status(vm, "up")) == "up"


def test_host_maintenance_round_trip(ovirt_engine: Engine, lab: Lab) -> None:
    host = href(lab.host("kvm", "192.0.2.101", root_password=ROOT_PASSWORD))

    with pytest.raises(ovirt_engine.Error) as refused:
        ovirt_engine.remove(host)
    assert refused.value.status == 409

    reason = bodies.action(field("reason", "kernel update"))
    assert status(ovirt_engine.action(host, "deactivate", reason)) == "complete"
    ovirt_engine.wait_for_status(host, "maintenance")

    ovirt_engine.action(host, "activate")
    ovirt_engine.wait_for_status(host, "up")

    ovirt_engine.action(host, "deactivate")
    ovirt_engine.wait_for_status(host, "maintenance")
    ovirt_engine.remove(host)
    assert ovirt_engine.request("GET", host).status == 404

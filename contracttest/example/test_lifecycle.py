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
from contracttest.example.reading import child, href, ident, text

#: Sent in start and host-add bodies; cassettes keep a placeholder, never the value.
ROOT_PASSWORD = "example-Root-pw1"
CLOUD_CONFIG = (
    "#cloud-config\npackages:\n  - httpd\nruncmd:\n  - [systemctl, enable, --now, httpd]\n"
)


def test_vm_life_cycle(engine: Engine, lab: Lab) -> None:
    name = lab.name("web")
    added = lab.track(engine.add("vms", bodies.vm(name, description="web front end")))
    vm = href(added)
    engine.wait_for_status(vm, "down")

    read = engine.get(vm)
    assert text(read, "name") == name
    assert text(read, "description") == "web front end"
    assert int(text(read, "memory")) == GiB
    (default,) = engine.list("clusters", search="name=Default")
    assert ident(child(read, "cluster")) == ident(default)
    (blank,) = engine.list("templates", search="name=Blank")
    assert ident(child(read, "template")) == ident(blank)

    engine.update(
        vm, node("vm", field("description", "web front end, 2 GiB"), field("memory", 2 * GiB))
    )
    read = engine.get(vm)
    assert text(read, "description") == "web front end, 2 GiB"
    assert int(text(read, "memory")) == 2 * GiB

    start = bodies.start_with_cloud_init(
        f"{name}.example.com", CLOUD_CONFIG, root_password=ROOT_PASSWORD
    )
    assert text(engine.action(vm, "start", start), "status") == "complete"
    engine.wait_for_status(vm, "up")

    assert text(engine.action(vm, "stop"), "status") == "complete"
    engine.wait_for_status(vm, "down")

    engine.remove(vm)
    with pytest.raises(engine.Error) as gone:
        engine.get(vm)
    assert gone.value.status == 404


def test_update_changes_only_the_fields_sent(engine: Engine, lab: Lab) -> None:
    vm = href(lab.vm("db", description="database", memory=4 * GiB))

    answer = engine.update(vm, node("vm", field("description", "primary database")))

    assert text(answer, "description") == "primary database"
    read = engine.get(vm)
    assert text(read, "description") == "primary database"
    assert text(read, "name") == lab.name("db")
    assert int(text(read, "memory")) == 4 * GiB


def test_suspend_and_resume(engine: Engine, lab: Lab) -> None:
    vm = href(lab.running_vm("batch"))

    assert text(engine.action(vm, "suspend"), "status") == "complete"
    engine.wait_for_status(vm, "suspended")

    engine.action(vm, "start")  # resumes a suspended VM
    assert text(engine.wait_for_status(vm, "up"), "status") == "up"


def test_host_maintenance_round_trip(engine: Engine, lab: Lab) -> None:
    host = href(lab.host("kvm", "192.0.2.101", root_password=ROOT_PASSWORD))

    with pytest.raises(engine.Error) as refused:
        engine.remove(host)
    assert refused.value.status == 409

    reason = bodies.action(field("reason", "kernel update"))
    assert text(engine.action(host, "deactivate", reason), "status") == "complete"
    engine.wait_for_status(host, "maintenance")

    engine.action(host, "activate")
    engine.wait_for_status(host, "up")

    engine.action(host, "deactivate")
    engine.wait_for_status(host, "maintenance")
    engine.remove(host)
    assert engine.request("GET", host).status == 404

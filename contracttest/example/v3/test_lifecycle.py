"""Life cycles in v3: the v4 examples, and v3's shapes of a status, a version and an add
answered before the engine is done."""

from __future__ import annotations

from contracttest.api import Engine
from contracttest.example import bodies
from contracttest.example.lab import Lab
from contracttest.example.reading import child, href, text
from contracttest.example.test_lifecycle import (  # noqa: F401 (run here, in v3)
    test_host_maintenance_round_trip,
    test_suspend_and_resume,
    test_update_changes_only_the_fields_sent,
    test_vm_life_cycle,
)


def test_status_and_version_in_v3_shapes(ovirt_engine: Engine, lab: Lab) -> None:
    vm = lab.vm("shapes")
    assert text(vm, "status/state") == "down"  # v4: <status>down</status>

    started = ovirt_engine.action(href(vm), "start")
    assert text(started, "status/state") == "complete"

    version = child(ovirt_engine.get(""), "product_info/version")
    assert version.get("major") == "3"  # attributes; v4: <version><major>4</major>...
    assert version.get("minor", "").isdigit()


def test_an_add_without_expect_is_answered_pending(ovirt_engine: Engine, lab: Lab) -> None:
    reply = ovirt_engine.request("POST", "vms", bodies.vm(lab.name("async")))

    assert reply.status == 202  # no "Expect: 201-created": answered before it is done
    assert reply.root is not None
    lab.track(reply.root)
    assert text(reply.root, "creation_status/state") == "pending"
    ovirt_engine.wait_for_status(href(reply.root), "down")

"""Faults: what a client gets back when it asks wrongly, and that it can act on it.

Every error answer is a ``<fault>`` with a reason and a detail (v4's 404 has no body), with
the status saying whose fault it is: 400 the request, 404 the id, 409 the entity's state.
"""

from __future__ import annotations

import pytest

from contracttest.api import Engine
from contracttest.example import bodies
from contracttest.example.bodies import field, node
from contracttest.example.lab import Lab
from contracttest.example.reading import href, status, text

#: An id no engine hands out: engines make random (version 4) UUIDs, and this is version 1.
UNKNOWN_ID = "0badc0de-0000-1000-8000-000000000000"


# The request lacks a required parameter on purpose: the check that says so is accepted.
@pytest.mark.contract(skip=["request.parameters.required"])
def test_missing_required_parameter(ovirt_engine: Engine, lab: Lab) -> None:
    no_cluster = node("vm", field("name", lab.name("orphan")), bodies.by_name("template", "Blank"))

    with pytest.raises(ovirt_engine.Error) as fault:
        ovirt_engine.add("vms", no_cluster)

    assert fault.value.status == 400
    assert fault.value.reason == "Incomplete parameters"
    assert "cluster" in fault.value.detail
    assert ovirt_engine.list("vms", search=f"name={lab.name('orphan')}") == []


# The body is malformed on purpose: the check that says so is accepted.
@pytest.mark.contract(skip=["request.body.type"])
def test_unreadable_body(ovirt_engine: Engine, lab: Lab) -> None:
    broken = f"<vm><name>{lab.name('broken')}</vm>"

    reply = ovirt_engine.request("POST", "vms", broken)

    assert reply.status == 400
    assert reply.fault is not None
    assert reply.fault[0] == "Request syntactically incorrect."


def test_invalid_enum_value(ovirt_engine: Engine, lab: Lab) -> None:
    toaster = bodies.vm(lab.name("toaster"), vm_type="toaster")

    with pytest.raises(ovirt_engine.Error) as fault:
        ovirt_engine.add("vms", toaster)

    assert fault.value.status == 400
    assert fault.value.reason == "Invalid value"
    assert "toaster" in fault.value.detail
    assert "server" in fault.value.detail  # the valid values are listed


def test_unknown_id(ovirt_engine: Engine) -> None:
    with pytest.raises(ovirt_engine.Error) as fault:
        ovirt_engine.get(f"vms/{UNKNOWN_ID}")
    assert fault.value.status == 404

    reply = ovirt_engine.request("DELETE", f"vms/{UNKNOWN_ID}")
    assert reply.status == 404
    if ovirt_engine.version == 4:
        assert reply.fault is None  # v4 answers an unknown id with an empty body


def test_start_a_running_vm(ovirt_engine: Engine, lab: Lab) -> None:
    vm = href(lab.running_vm("twice"))

    with pytest.raises(ovirt_engine.Error) as fault:
        ovirt_engine.action(vm, "start")

    assert fault.value.status == 409
    assert fault.value.reason == "Operation Failed"
    assert "running" in fault.value.detail
    assert status(ovirt_engine.get(vm)) == "up"


def test_remove_a_running_vm(ovirt_engine: Engine, lab: Lab) -> None:
    vm = href(lab.running_vm("busy"))

    with pytest.raises(ovirt_engine.Error) as fault:
        ovirt_engine.remove(vm)

    assert fault.value.status == 409
    assert status(ovirt_engine.get(vm)) == "up"  # still there, still running


def test_name_already_in_use(ovirt_engine: Engine, lab: Lab) -> None:
    first = lab.vm("taken", description="the first one")

    with pytest.raises(ovirt_engine.Error) as fault:
        ovirt_engine.add("vms", bodies.vm(lab.name("taken"), description="the second one"))

    assert fault.value.status == 409
    assert lab.name("taken") in fault.value.detail
    (found,) = ovirt_engine.list("vms", search=f"name={lab.name('taken')}")
    assert href(found) == href(first)
    assert text(found, "description") == "the first one"

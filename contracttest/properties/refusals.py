"""What the engine must refuse, sent by the CRUD machine's ``refuse`` rule.

Each function sends one request the contract says is wrong and checks the refusal: a body
without a required parameter (400, a fault whose detail names what is missing, as
``parameters.closest_gap`` reads the sets), a value outside its XSD type or enumeration (400),
an id that names nothing (404), no credentials (401), the name of an entity that exists (409
where the engine keeps names unique; checked, and learned where it is not known, by
``CrudMachine.duplicate``, as where adds and updates meet a name in use by chance).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from hypothesis import strategies as st

from contracttest.client import Reply
from contracttest.parameters import closest_gap
from contracttest.properties.values import Representation, base_of, is_enumeration, name_field
from contracttest.schema import Schema

if TYPE_CHECKING:
    from contracttest.properties.machine import CrudMachine

#: Text no value of the type reads as (anything else gets ``not-a-<type>``).
_NOT_A = {"boolean": "maybe", "dateTime": "yesterday", "date": "someday"}


def leave_out_required(machine: CrudMachine, data: st.DataObject) -> None:
    body = data.draw(machine.add_bodies, label="add")
    add = machine.collection.add
    if body.parameter_set is None or not add.parameter_sets or machine.taken(machine.name_in(body)):
        return  # (a duplicate name may be refused first)
    sent = {f.parameter for f in body.fields}
    required = [p.name for p in add.parameter_sets[body.parameter_set].required if p.name in sent]
    if not required:
        return
    left_out = data.draw(st.sampled_from(required), label="left out")
    partial = body.without(left_out)
    _, lacking = closest_gap(partial.element(), add.parameter_sets)
    if not lacking:
        return  # what is left satisfies another parameter set
    machine.checked("negative.required-parameter")
    reply = _refused(machine, partial, "negative.required-parameter", f"without {left_out}")
    detail = (reply.fault or ("", ""))[1]
    names = {name.split(" ")[0].partition(".")[2] or name for name in lacking}
    if not any(name in detail for name in names):
        machine.fail("negative.required-parameter", f"POST {machine.base} without {left_out}: the "
                  f"fault's detail {detail!r} names none of {sorted(names)}")  # fmt: skip


def give_invalid_value(machine: CrudMachine, data: st.DataObject) -> None:
    body = data.draw(machine.add_bodies, label="add")
    if machine.taken(machine.name_in(body)):
        return  # a duplicate name may be refused first
    schema = machine.run.schema
    typed = [
        f for f in body.fields
        if f.checked and f.refers is None and schema.value_check(f.type) is not None
    ]  # fmt: skip
    if not typed:
        return
    chosen = data.draw(st.sampled_from(typed), label="made invalid")
    kind = _kind(schema, chosen.type)
    bad = _NOT_A.get(kind, f"not-a-{kind}")
    check = schema.value_check(chosen.type)
    if check is None or check(bad) is None:
        return
    machine.checked("negative.invalid-value")
    _refused(machine, body.replaced(chosen, replace(chosen, value=bad)), "negative.invalid-value",
                  f"with {chosen.shown()}={bad!r} ({chosen.type})")  # fmt: skip


def _refused(machine: CrudMachine, body: Representation, promise: str, what: str) -> Reply:
    reply = machine.call("POST", machine.base, body.xml, expected=(400,), expect="201-created")
    created = reply.root.get("id") if reply.root is not None else None
    if reply.status in (200, 201, 202) and created:
        machine.ledger.created(f"{machine.base}/{created}")
    if reply.status != 400:
        machine.fail(promise, f"POST {machine.base} {what} answered {reply.status}; expected 400")
    return reply


def ask_unknown_id(machine: CrudMachine, data: st.DataObject) -> None:
    missing = f"{machine.base}/{data.draw(st.uuids(), label='id')}"
    methods = ["GET", "DELETE"] + (["PUT"] if machine.collection.update is not None else [])
    method = data.draw(st.sampled_from(methods), label="method")
    body = f"<{machine.collection.element}/>".encode() if method == "PUT" else None
    machine.checked("negative.unknown-id")
    reply = machine.call(method, missing, body, expected=(404,))
    if reply.status != 404:
        machine.fail("negative.unknown-id", f"{method} {missing} answered {reply.status}; "
                  "expected 404")  # fmt: skip


def ask_without_credentials(machine: CrudMachine, data: st.DataObject) -> None:
    machine.checked("negative.no-credentials")
    reply = machine.call("GET", machine.base, expected=(401,), credentials=False)
    if reply.status != 401:
        machine.fail("negative.no-credentials", f"GET {machine.base} without credentials "
                  f"answered {reply.status}; expected 401")  # fmt: skip


def add_a_taken_name(machine: CrudMachine, data: st.DataObject) -> None:
    names = sorted({known.name for known in machine.model.values() if known.name})
    if not names or machine.refuses_duplicates is False:
        return
    body = data.draw(machine.add_bodies, label="add")
    field = name_field(body)
    if field is None:
        return
    name = data.draw(st.sampled_from(names), label="taken name")
    body = body.replaced(field, replace(field, value=name))
    success = (201, 202)
    reply = machine.call(
        "POST", machine.base, body.xml, expected=machine.expected_for(True, success),
        expect="201-created",
    )  # fmt: skip
    created = reply.root.get("id") if reply.root is not None else None
    if reply.status in success and created:
        machine.ledger.created(f"{machine.base}/{created}")
        machine.run.example_ids.add(created)
    machine.duplicate(True, reply.status, success, f"POST {machine.base} with the name {name!r}")


def _kind(schema: Schema, type_name: str) -> str:
    if is_enumeration(schema, type_name):
        return "enumeration"
    return base_of(schema, type_name).removeprefix("xs:")


REFUSALS = {
    "required-parameter": leave_out_required,
    "invalid-value": give_invalid_value,
    "unknown-id": ask_unknown_id,
    "no-credentials": ask_without_credentials,
    "duplicate-name": add_a_taken_name,
}

"""The CRUD state machine of one collection, built from the contract.

``machine_for(run, "vms")`` makes a Hypothesis ``RuleBasedStateMachine`` that drives the
collection through the run's ``api.Engine`` and keeps a plain model of what should exist:
each entity's path, name, status, and the fields the engine was sent (``Field``s by slot).
Its rules add, find, update, delete and act on entities, and (``CrudConfig.negative``) send
what the engine must refuse. Each promise it checks has a name (``promises.PROMISES``); a
broken one raises ``BrokenPromise`` with the example's calls and a pytest reproduction. What
an example created is removed when it ends (its own ``Ledger``), failed or not.

What is compared after a write is derived from the contract, never listed per resource: the
fields a body carried for the link's parameters, as the XSD types them (``values.mismatches``);
what the server fills in was never sent, what the XSD cannot type (which the engine's binding
drops) is sent but not compared, and a reference is compared by the id of the entity it
named. Subclass the machine to add rules of your own.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar, NoReturn

from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    multiple,
    precondition,
    rule,
)

from contracttest.client import Reply
from contracttest.properties.below import hang_below
from contracttest.properties.calls import CallLog
from contracttest.properties.drawing import short_name
from contracttest.properties.ledger import Ledger
from contracttest.properties.model import Known, applied, check_expression, id_of, listed
from contracttest.properties.promises import broken
from contracttest.properties.refusals import REFUSALS
from contracttest.properties.shapes import Collection
from contracttest.properties.suite import CrudRun
from contracttest.properties.values import (
    Mismatch,
    Path,
    Representation,
    name_field,
    status_of,
)


class CrudMachine(RuleBasedStateMachine):
    """The CRUD machine; ``machine_for`` binds ``run`` and ``collection``."""

    run: ClassVar[CrudRun]
    collection: ClassVar[Collection]
    foreign_names: ClassVar[frozenset[str]] = frozenset()

    entities = Bundle("entities")

    def __init__(self) -> None:
        super().__init__()
        run, collection = self.run, self.collection
        run.examples += 1
        self.example = run.examples
        self.log = CallLog(run.preface)
        self.ledger = Ledger(run.engine, run.calm)
        self.model: dict[str, Known] = {}
        self.refuses_duplicates = run.config.unique_names.get(collection.name)
        self.base = collection.name
        if collection.owner is not None:
            owner = run.provider.owner(collection)
            self.base = f"{owner.path}/{collection.template[-1]}"
        self.lifecycle = run.lifecycle(collection)
        self.actions = tuple(
            rel for rel in self.lifecycle.transitions if collection.action(rel) is not None
        )
        overrides = run.config.overrides.get(collection.name, {})
        values = {"name": run.config.names, **overrides}
        self.add_bodies = run.bodies(collection.add, include=("name",), overrides=values)
        update = collection.update
        self.update_bodies = (
            run.bodies(update, overrides=values) if update and update.parameter_sets else None
        )

    def teardown(self) -> None:
        self.ledger.clean()

    # -- helpers -----------------------------------------------------------------------

    def call(self, method: str, path: str, body: bytes | None = None, **options: Any) -> Reply:
        return self.run.call(self.log, method, path, body, **options)

    def fail(self, promise: str, detail: str, check: str | None = None) -> NoReturn:
        detail = self.log.shown(detail)
        lines = "\n".join(f"    {line}" for line in self.log.lines())
        name = f"{self.collection.name} {promise}"
        test = self.log.as_test(name, promise, detail, check)
        indented = "\n".join(f"    {line}" if line else "" for line in test.splitlines())
        report = (
            f"  calls (the last one broke the promise):\n{lines}\n  reproduce with:\n{indented}"
        )
        failure = broken(promise, detail, report)
        self.run.broken.append((len(self.log.lines()), failure))
        raise failure

    def unshown(
        self, promise: str, where: str, wrong: list[Mismatch], sent: set[Path] | None = None
    ) -> None:
        """Fail ``promise`` when a read-back did not show what was sent (an update's fields
        told apart: ``sent`` now, or ``kept`` from before)."""
        if not wrong:
            return
        if sent is None:
            words = [m.describe() for m in wrong]
        else:
            words = [("sent " if m.field.slot in sent else "kept ") + m.describe() for m in wrong]
        self.fail(promise, f"{where}: {'; '.join(words)}", check_expression(wrong[0]))

    def checked(self, promise: str) -> None:
        self.run.checked[promise] += 1

    def taken(self, name: str | None, own: str | None = None) -> bool:
        mine = any(k.name == name and k.id != own for k in self.model.values())
        return name is not None and (mine or name in self.foreign_names)

    def expected_for(self, clash: bool, success: tuple[int, ...]) -> tuple[int, ...]:
        if not clash or self.refuses_duplicates is False:
            return success
        return (409,) if self.refuses_duplicates else (*success, 409)

    def duplicate(self, clash: bool, status: int, success: tuple[int, ...], what: str) -> bool:
        """Learn or check the engine's answer to a duplicate name; True when refused."""
        if not clash:
            return False
        self.checked("negative.duplicate-name")
        if status == 409:
            if self.refuses_duplicates is False:
                self.fail("negative.duplicate-name", f"{what} was refused (409) though a duplicate "
                          "name was accepted before")  # fmt: skip
            self.refuses_duplicates = True
            return True
        if status in success:
            if self.refuses_duplicates:
                self.fail("negative.duplicate-name", f"{what} was accepted ({status}); the engine "
                          "refuses duplicate names here")  # fmt: skip
            self.refuses_duplicates = False
        return False

    def drawn(self, data: st.DataObject, bodies: Any, label: str) -> Representation:
        """A body, its generated name this example's own (``ct-x-e7``): never a clash with
        what an earlier example could not remove."""
        body: Representation = data.draw(bodies, label=label)
        name = name_field(body)
        if name is None or not name.value.startswith("ct-"):
            return body
        return body.replaced(name, replace(name, value=f"{name.value}-e{self.example}"))

    @staticmethod
    def name_in(body: Representation) -> str | None:
        return getattr(name_field(body), "value", None)

    def fault(self, reply: Reply) -> str:
        fault = reply.fault
        return f" ({fault[0]}: {fault[1]})" if fault else ""

    def var(self, known: Known) -> str:
        return self.log.variables().get(known.id, known.id)

    # -- add -----------------------------------------------------------------------------

    @rule(target=entities, data=st.data())
    def add(self, data: st.DataObject) -> Any:
        body = self.drawn(data, self.add_bodies, "add")
        name = self.name_in(body)
        clash = self.taken(name)
        success = (201, 202)
        reply = self.call(
            "POST", self.base, body.xml, expected=self.expected_for(clash, success),
            expect="201-created", binds=self.collection.element,
        )  # fmt: skip
        new_id = reply.root.get("id") if reply.root is not None else None
        if reply.status in success and new_id:
            self.ledger.created(f"{self.base}/{new_id}")
            self.run.example_ids.add(new_id)
        if self.duplicate(clash, reply.status, success, f"POST {self.base} with name {name!r}"):
            return multiple()
        self.checked("crud.add-created")
        if reply.status not in success:
            self.fail("crud.add-created", f"POST {self.base} answered {reply.status}"
                      f"{self.fault(reply)}; expected 201 or 202")  # fmt: skip
        if not new_id:
            self.fail("crud.add-created", f"POST {self.base} answered {reply.status} without an id")
        path = f"{self.base}/{new_id}"
        if reply.status == 201:
            read = self._located(reply, path, new_id)
        else:
            read = self.run.wait_until(
                self.log, path, lambda r: r.status == 200, f"{self.collection.name} appears"
            )
            if read.status != 200:
                self.fail("crud.add-created", f"202 from POST {self.base}, but {path} answered "
                          f"{read.status} (the entity never appeared)")  # fmt: skip
        assert read.root is not None
        self.checked("crud.add-keeps-fields")
        wrong = self.run.mismatches(body.fields, read.root)
        self.unshown("crud.add-keeps-fields", f"GET {path} after the add", wrong)
        kept = {f.slot: f for f in body.fields if f.checked}
        self.model[new_id] = Known(new_id, path, name, kept, status_of(read.root))
        return new_id

    def _located(self, reply: Reply, path: str, new_id: str) -> Reply:
        location = reply.header("location")
        if not location:
            self.fail("crud.add-created", f"POST {self.base} answered 201 without a Location")
        located = self.run.relative(location)
        read = self.call("GET", located, expected=(200,))
        got = read.root.get("id") if read.root is not None else None
        if read.status != 200 or got != new_id:
            self.fail("crud.add-created", f"the Location {location} answered {read.status} with "
                      f"id {got}; expected 200 with the new entity ({new_id})")  # fmt: skip
        return read

    # -- find ----------------------------------------------------------------------------

    @rule(entity=entities)
    def find(self, entity: str) -> None:
        known = self.model[entity]
        self.checked("crud.listed")
        listing = self.call("GET", self.base, expected=(200,))
        entities = listed(listing)
        if entity not in entities:
            self.fail("crud.listed", f"GET {self.base} does not list {self.var(known)}")
        if self.collection.searchable and known.name and ("name",) in known.fields:
            found = self.call("GET", self.base, query=(("search", f"name={known.name}"),))
            if entity not in listed(found):
                self.fail("crud.listed", f"GET {self.base}?search=name={known.name} does not "
                          f"find {self.var(known)}")  # fmt: skip
        href = entities[entity].get("href")
        followed = self.call("GET", self.run.relative(href)) if href else None
        if followed is None or followed.status != 200 or id_of(followed) != entity:
            status = followed.status if followed is not None else "no href"
            self.fail("crud.listed", f"the href of {self.var(known)} in the listing answered "
                      f"{status}; expected 200 with the entity")  # fmt: skip
        if self.collection.followable and self.collection.owner is not None:
            owner = self.base.rpartition("/")[0]
            segment = self.collection.template[-1]
            inlined = self.call("GET", owner, query=(("follow", segment),))
            ids = (
                {e.get("id") for e in inlined.root.iter(self.collection.element)}
                if inlined.root is not None
                else set()
            )
            if entity not in ids:
                self.fail("crud.listed", f"GET {owner}?follow={segment} does not inline "
                          f"{self.var(known)}")  # fmt: skip

    # -- update --------------------------------------------------------------------------

    @precondition(lambda self: self.update_bodies is not None)
    @rule(entity=entities, data=st.data())
    def update(self, entity: str, data: st.DataObject) -> None:
        assert self.update_bodies is not None
        known = self.model[entity]
        body = self.drawn(data, self.update_bodies, "update")
        name = self.name_in(body)
        clash = name is not None and name != known.name and self.taken(name, own=entity)
        reply = self.call("PUT", known.path, body.xml, expected=self.expected_for(clash, (200,)))
        if self.duplicate(clash, reply.status, (200,), f"PUT {known.path} renaming to {name!r}"):
            return
        self.checked("crud.update-changes-only-sent")
        if reply.status != 200:
            self.fail("crud.update-changes-only-sent", f"PUT {known.path} answered "
                      f"{reply.status}{self.fault(reply)}; expected 200")  # fmt: skip
        fields = applied(known.fields, body.fields)
        read = self.call("GET", known.path)
        if read.status != 200 or read.root is None:
            self.fail("crud.update-changes-only-sent", f"GET {known.path} after the update "
                      f"answered {read.status}")  # fmt: skip
        wrong = self.run.mismatches(tuple(fields.values()), read.root)
        where = f"GET {known.path} after the update"
        self.unshown("crud.update-changes-only-sent", where, wrong, {f.slot for f in body.fields})
        known.fields = fields
        known.name = name or known.name

    # -- delete --------------------------------------------------------------------------

    @rule(target=entities, entity=consumes(entities), data=st.data())
    def delete(self, entity: str, data: st.DataObject) -> Any:
        known = self.model[entity]
        if known.status in self.lifecycle.removal_refused:
            self.checked("crud.lifecycle")
            reply = self.call("DELETE", known.path, expected=(409,))
            if reply.status != 409:
                self.fail("crud.lifecycle", f"DELETE {known.path} in state {known.status} "
                          f"answered {reply.status}; expected 409")  # fmt: skip
            return entity
        self.checked("crud.delete-is-gone")
        below = hang_below(self.run, self.log, known.path, self.collection, data)
        if below is not None:
            self.ledger.created(below)
        reply = self.call("DELETE", known.path, expected=(200,))
        if reply.status != 200:
            self.fail("crud.delete-is-gone", f"DELETE {known.path} answered {reply.status}"
                      f"{self.fault(reply)}; expected 200")  # fmt: skip
        self.ledger.removed(known.path)
        del self.model[entity]
        gone = self.call("GET", known.path, expected=(404,))
        if gone.status != 404:
            self.fail("crud.delete-is-gone", f"GET {known.path} after DELETE answered "
                      f"{gone.status}; expected 404")  # fmt: skip
        if entity in listed(self.call("GET", self.base)):
            self.fail("crud.delete-is-gone", f"GET {self.base} still lists {self.var(known)}")
        if self.collection.searchable and known.name and ("name",) in known.fields:
            found = self.call("GET", self.base, query=(("search", f"name={known.name}"),))
            if entity in listed(found):
                self.fail("crud.delete-is-gone", f"search=name={known.name} still finds "
                          f"{self.var(known)}")  # fmt: skip
        if self.collection.subcollections:
            segment = data.draw(st.sampled_from(self.collection.subcollections), label="under")
            under = self.call("GET", f"{known.path}/{segment}", expected=(404,))
            if under.status != 404:
                self.fail("crud.delete-is-gone", f"GET {known.path}/{segment} after DELETE "
                          f"answered {under.status}; expected 404")  # fmt: skip
        after = self.call("GET", below, expected=(404,)) if below is not None else None
        if after is not None and after.status != 404:
            self.fail("crud.delete-is-gone", f"GET {below} (added below it) after DELETE "
                      f"{known.path} answered {after.status}; expected 404")  # fmt: skip
        return multiple()

    # -- actions -------------------------------------------------------------------------

    @precondition(lambda self: bool(self.actions))
    @rule(entity=entities, data=st.data())
    def act(self, entity: str, data: st.DataObject) -> None:
        known = self.model[entity]
        if known.status is None:
            return
        rel = data.draw(st.sampled_from(self.actions), label="action")
        link = self.collection.action(rel)
        assert link is not None
        transition = self.lifecycle.transitions[rel]
        body = self._action_body(link, data)
        allowed = known.status in transition.allowed
        target = f"{known.path}/{rel}"
        self.checked("crud.lifecycle")
        reply = self.call("POST", target, body.xml, expected=(200, 202) if allowed else (409,))
        if not allowed:
            if reply.status != 409:
                self.fail("crud.lifecycle", f"{rel} in state {known.status} answered "
                          f"{reply.status}; expected 409")  # fmt: skip
            return
        if reply.status not in (200, 202):
            self.fail("crud.lifecycle", f"{rel} in state {known.status} answered {reply.status}"
                      f"{self.fault(reply)}; expected 200")  # fmt: skip
        read = self.run.wait_until(
            self.log,
            known.path,
            lambda r: r.root is not None and status_of(r.root) == transition.target,
            f"{self.collection.name} {transition.target}",
        )
        reached = status_of(read.root) if read.root is not None else None
        if reached != transition.target:
            self.fail("crud.lifecycle", f"{rel} from {known.status}: {self.var(known)} is "
                      f"{reached}; expected {transition.target}")  # fmt: skip
        known.status = reached
        self._kept_initialization(known, body, read)

    def _action_body(self, link: Any, data: st.DataObject) -> Representation:
        prefix = f"{self.collection.element}.initialization"
        if not any(
            short_name(p).startswith(prefix) for ps in link.parameter_sets for p in ps.parameters
        ):
            return Representation("action", "Action")
        return data.draw(self.run.bodies(link, only=(prefix,)), label="action body")

    def _kept_initialization(self, known: Known, body: Representation, read: Reply) -> None:
        element = self.collection.element
        given = tuple(
            replace(f, path=f.path[1:])
            for f in body.fields
            if f.path[:2] == (element, "initialization")
        )
        if not given or read.root is None:
            return
        self.checked("crud.action-keeps-initialization")
        wrong = self.run.mismatches(given, read.root)
        where = f"GET {known.path} after the action"
        self.unshown("crud.action-keeps-initialization", where, wrong)
        known.fields = applied(known.fields, given)

    # -- what must be refused ------------------------------------------------------------

    @precondition(lambda self: self.run.config.negative)
    @rule(data=st.data())
    def refuse(self, data: st.DataObject) -> None:
        """Send what the engine must refuse (one rule, so the negative tests take no more
        of an example than one CRUD rule does)."""
        kind = data.draw(st.sampled_from(tuple(REFUSALS)), label="refusal")
        REFUSALS[kind](self, data)

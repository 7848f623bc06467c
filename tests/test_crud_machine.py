"""The CRUD state machines against the embedded engine on loopback: no mocks.

The bundled v4 contract passes for the nine collections the product promises, fast; the real
3.6 contract (from the corpus) passes for a dozen collections; seeds do not raise false
alarms; a seed replays the same calls; an engine with a planted defect fails with the
promise it broke, the calls it made and a reproduction that reproduces; and what a run
created is gone afterwards, failed or not.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis.stateful import rule

from contracttest.engine import HttpRequest, HttpResponse
from contracttest.engine.defects import catalogue
from contracttest.errors import UsageError
from contracttest.properties import (
    FAILURES,
    PROMISES,
    CrudConfig,
    CrudMachine,
    CrudRun,
    Ledger,
    crud_collections,
    machine_for,
    run_collection,
    run_crud,
)
from contracttest.properties.runner import FAST
from tests.corpus_contracts import RSDL, XSD
from tests.crud_engines import NINE, Defect, Handler, basic, rows, serving

QUICK = settings(FAST, max_examples=4, stateful_step_count=8)
#: The promises a v4 run checks with the seed below (all of them).
V4_SEED = 4


def test_v4_suite_passes_for_the_nine_collections() -> None:
    """How long it takes is measured by ``benchmarks/bench_crud.py``, never asserted here."""
    with serving() as (api, engine):
        before = rows(engine)
        outcome = run_crud(api, engine.model.contract, engine.model.schema, NINE, seed=V4_SEED)
        after = rows(engine)

    assert set(outcome.checked) == set(PROMISES), sorted(set(PROMISES) - set(outcome.checked))
    assert outcome.left_behind == []
    assert after == before  # everything the run made is gone, its fixtures too
    assert outcome.record == {
        "collections": list(NINE),
        "seed": V4_SEED,
        "settings": {"max_examples": 20, "stateful_step_count": 12, "derandomize": False},
    }


def test_the_default_profile_does_not_depend_on_the_ambient_hypothesis_profile() -> None:
    """``CI`` set makes Hypothesis load its ``ci`` profile (derandomized); a run's settings, and
    so what its seed means and what its cassettes record, must be the same on a CI machine."""
    show = "from contracttest.properties.runner import FAST, _shown; print(_shown(FAST))"
    seen = {
        ci: subprocess.run(
            [sys.executable, "-c", show],
            env={k: v for k, v in os.environ.items() if k != "CI"} | ({"CI": "true"} if ci else {}),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for ci in (False, True)
    }
    assert seen[True] == seen[False]
    assert "'derandomize': False" in seen[True]


V36 = (
    "bookmarks",
    "clusters",
    "datacenters",
    "disks",
    "hosts",
    "macpools",
    "networks",
    "storagedomains",
    "tags",
    "templates",
    "vms",
    "vms/nics",
    "vms/watchdogs",
    "vnicprofiles",
)


def test_v36_suite_passes_for_fourteen_collections(corpus: Path) -> None:
    with serving(corpus / RSDL["3.6"], corpus / XSD["3.6"], version=3) as (api, engine):
        contract, schema = engine.model.contract, engine.model.schema
        assert set(V36) <= set(crud_collections(contract, schema))
        before = rows(engine)
        outcome = run_crud(api, contract, schema, V36, seed=36)
        assert rows(engine) == before

    assert outcome.checked["crud.add-keeps-fields"] > 50
    assert outcome.checked["crud.update-changes-only-sent"] > 10
    assert outcome.left_behind == []


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_seeds_raise_no_false_alarm(seed: int) -> None:
    """A few seeds here; ``benchmarks/bench_crud.py --seeds 20`` runs twenty."""
    with serving() as (api, engine):
        outcome = run_crud(api, engine.model.contract, engine.model.schema, NINE, seed=seed,
                           profile=QUICK)  # fmt: skip
    assert outcome.examples >= len(NINE) * QUICK.max_examples


def _calls(engine_observed: list[tuple[str, str, bytes]]) -> list[tuple[str, str, str]]:
    """The calls an engine saw, each id replaced by the order it first appeared in."""
    ids: dict[str, str] = {}

    def named(match: re.Match[str]) -> str:
        return ids.setdefault(match.group(0), f"<{len(ids)}>")

    uuid = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
    return [
        (method, uuid.sub(named, uri), uuid.sub(named, body.decode("utf-8", "replace")))
        for method, uri, body in engine_observed
        if "/sso" not in uri  # logins and logouts carry fresh tokens
    ]


def test_a_seed_replays_the_same_calls() -> None:
    """Derandomized by its seed, a run makes the same calls against an engine that answers
    the same: what replaying it from a cassette needs."""
    seen: list[list[tuple[str, str, bytes]]] = []
    for _ in range(2):
        observed: list[tuple[str, str, bytes]] = []
        with serving() as (api, engine):
            engine.observers.append(lambda q, r, o=observed: o.append((q.method, q.uri, q.body)))
            run_crud(api, engine.model.contract, engine.model.schema, ["vms", "vms/nics"],
                     seed=99, profile=QUICK)  # fmt: skip
        seen.append(observed)
    first, second = (_calls(s) for s in seen)
    assert len(first) > 100
    assert first == second


# -- planted defects: each breaks its promise --------------------------------------------------

#: Every defect switch of the embedded engine (``serve --defect``), the collection whose
#: machine shows it, and the promise it breaks; the seed is one that shows it quickly.
SWITCHES = {
    "update-ignores-field": ("tags", "crud.update-changes-only-sent", 1),
    "add-drops-field": ("tags", "crud.add-keeps-fields", 1),
    "delete-leaves-entity": ("tags", "crud.delete-is-gone", 5),
    "orphan-subresources": ("vms", "crud.delete-is-gone", 1),
    "wrong-status": ("tags", "crud.add-created", 5),
    "missing-location": ("tags", "crud.add-created", 5),
    "wrong-href": ("tags", "crud.add-created", 5),
    "search-stale": ("vms", "crud.listed", 2),
    "lifecycle-stuck": ("vms", "crud.lifecycle", 5),
    "no-fault-detail": ("tags", "negative.required-parameter", 5),
    "accepts-invalid": ("tags", "negative.required-parameter", 5),
    "duplicate-name-accepted": ("tags", "negative.duplicate-name", 2),
}
#: At most this many calls in the printed example: a handful, after shrinking.
HANDFUL = 8


def test_every_defect_switch_is_shown() -> None:
    assert set(SWITCHES) == set(catalogue())


@pytest.mark.parametrize("defect", list(SWITCHES))
def test_a_defect_switch_breaks_its_promise(defect: str) -> None:
    collection, promise, seed = SWITCHES[defect]
    # a stuck life cycle is waited for once (a second, here), then asked once
    config = CrudConfig(wait=1.0)
    with serving(defects=(defect,)) as (api, engine):
        run = CrudRun(api, engine.model.contract, engine.model.schema, config=config)
        with pytest.raises(FAILURES[promise]) as failure:
            try:
                run_collection(run, collection, seed=seed, profile=FAST)
            finally:
                run.close()
    text = str(failure.value)
    assert text.startswith(f"{promise}: ")
    assert f"promised: {PROMISES[promise]}" in text
    calls = re.findall(r"^ {6}\d+\. ", text.partition("reproduce with:")[0], re.M)
    assert 1 <= len(calls) <= HANDFUL, text
    assert "reproduce with:" in text and "(ovirt_engine):" in text


def _renames_tags(handle: Handler) -> Handler:
    def handler(request: HttpRequest) -> HttpResponse:
        response = handle(request)
        if request.method == "GET" and re.search(r"/tags/[0-9a-f-]{36}$", request.uri):
            response.body = re.sub(rb"<name>([^<]*)</name>", rb"<name>\1x</name>", response.body)
        return response

    return handler


def _lets_anyone_in(handle: Handler) -> Handler:
    return lambda request: handle(basic(request))


def _finds_anything(handle: Handler) -> Handler:
    def handler(request: HttpRequest) -> HttpResponse:
        response = handle(request)
        if response.status == 404 and request.method == "GET" and "/tags/" in request.uri:
            return HttpResponse(200, b"<tag/>")
        return response

    return handler


#: The promises no switch breaks, each broken by a wrapper around the real engine.
DEFECTS = [
    ("tags", _lets_anyone_in, "negative.no-credentials"),
    ("tags", _finds_anything, "negative.unknown-id"),
]


@pytest.mark.parametrize(("collection", "defect", "promise"), DEFECTS, ids=[d[2] for d in DEFECTS])
def test_a_planted_defect_breaks_its_promise(collection: str, defect: Defect, promise: str) -> None:
    with serving(defect=defect) as (api, engine):
        before = rows(engine)
        run = CrudRun(api, engine.model.contract, engine.model.schema)
        with pytest.raises(FAILURES[promise]) as failure:
            try:
                run_collection(run, collection, seed=5, profile=FAST)
            finally:
                run.close()
        assert rows(engine) == before  # cleaned up though it failed

    text = str(failure.value)
    assert text.startswith(f"{promise}: ")
    assert f"promised: {PROMISES[promise]}" in text
    assert "calls (the last one broke the promise):" in text
    assert "reproduce with:" in text and "(ovirt_engine):" in text


def test_the_reproduction_reproduces() -> None:
    """The pytest test a failure prints fails against the defective engine, at its last
    assertion, and passes against a healthy one."""
    with serving(defect=_renames_tags) as (api, engine):
        run = CrudRun(api, engine.model.contract, engine.model.schema)
        with pytest.raises(FAILURES["crud.add-keeps-fields"]) as failure:
            run_collection(run, "tags", seed=5, profile=FAST)
        run.close()
        test = _reproduction(str(failure.value))
        compile(test.source, "<reproduction>", "exec")
        with pytest.raises(AssertionError):
            test(api)
    assert "client = ovirt_engine.client" in test.source
    assert "assert reply.status in (201, 202), reply.body" in test.source
    with serving() as (healthy, _):
        test(healthy)


class _Reproduction:
    def __init__(self, source: str) -> None:
        self.source = source
        namespace: dict[str, object] = {}
        exec(compile(source, "<reproduction>", "exec"), namespace)
        self.function = next(v for k, v in namespace.items() if k.startswith("test_"))

    def __call__(self, engine: object) -> None:
        self.function(engine)  # type: ignore[operator]


def _reproduction(message: str) -> _Reproduction:
    _, _, after = message.partition("reproduce with:\n")
    lines = [line.removeprefix("    ") for line in after.splitlines()]
    return _Reproduction("\n".join(lines) + "\n")


# -- cleaning up ---------------------------------------------------------------------------


def test_the_ledger_removes_newest_first_and_calms_what_runs() -> None:
    with serving() as (api, engine):
        before = rows(engine)
        run = CrudRun(api, engine.model.contract, engine.model.schema)
        vm = run.provider.make("vms")
        assert vm is not None
        nic = api.add(f"{vm.path}/nics", "<nic><name>eth9</name></nic>")
        run.ledger.created(f"{vm.path}/nics/{nic.get('id')}")
        api.action(vm.path, "start")  # a running VM refuses removal until stopped
        assert api.get(vm.path).findtext("status") == "up"
        assert run.close() == []
        assert rows(engine) == before


def test_the_ledger_reports_what_it_cannot_remove() -> None:
    with serving() as (api, _):
        ledger = Ledger(api)
        ledger.created("clusters/not-there")  # 404: already gone, fine
        ledger.created("vms")  # a collection: DELETE is not allowed (405)
        with ledger:
            pass
        assert ledger.problems == ["vms: DELETE answered 405; left on the engine"]


# -- a suite of one's own ------------------------------------------------------------------


class _WithLabels(CrudMachine):
    """A suite's own rule beside the machine's: every tag is read back by name."""

    @rule(entity=CrudMachine.entities)
    def read_back(self, entity: str) -> None:
        known = self.model[entity]
        reply = self.call("GET", known.path)
        assert reply.root is not None and reply.root.findtext("name") == known.name


def test_a_suite_extends_and_configures_the_machine() -> None:
    from hypothesis import strategies as st

    config = CrudConfig(
        overrides={"tags": {"description": st.just("from the suite")}},
        exclude=frozenset({"vms/diskattachments"}),
        unique_names={"tags": True},
    )
    bodies: list[bytes] = []

    def keep(request: HttpRequest, response: HttpResponse) -> None:
        if request.method == "POST" and request.uri.endswith("/tags"):
            bodies.append(request.body)

    with serving() as (api, engine):
        engine.observers.append(keep)
        contract, schema = engine.model.contract, engine.model.schema
        assert "vms/diskattachments" not in crud_collections(contract, schema, config)
        assert "vms/diskattachments" in crud_collections(contract, schema)
        outcome = run_crud(api, contract, schema, ["tags"], seed=3, profile=QUICK, config=config,
                           base=_WithLabels)  # fmt: skip
    described = [b for b in bodies if b"<description>" in b]
    assert described and all(b"<description>from the suite</description>" in b for b in described)
    assert outcome.checked["crud.add-keeps-fields"] > 0


def test_an_unknown_collection_names_the_known_ones() -> None:
    with serving() as (api, engine):
        run = CrudRun(api, engine.model.contract, engine.model.schema)
        with pytest.raises(UsageError, match=r"no collection 'vm' .* known: .*\bvms\b"):
            machine_for(run, "vm")


def test_users_go_by_their_user_name() -> None:
    """A user's name is ``user_name``: a second add of one in use is refused, as the engine
    refuses it, not a broken add (seed 2 draws one twice)."""
    with serving() as (api, engine):
        outcome = run_crud(api, engine.model.contract, engine.model.schema, ["users"], seed=2,
                           profile=settings(FAST, max_examples=50))  # fmt: skip
    assert outcome.checked["negative.duplicate-name"] > 0

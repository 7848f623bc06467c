"""Running CRUD machines: the settings profiles, a seed, and what a run records.

``run_crud(engine, contract, schema, ["vms", "disks"], seed=7)`` drives each collection's
machine in turn through one ``CrudRun`` and removes what it created at the end, failed or
not. A seed makes a run derandomized: the same seed, settings and engine answers make the same
calls, so a run recorded into a cassette replays (``CrudOutcome.record`` is what to keep
beside it). ``FAST`` is the default profile; ``replay_settings`` the one for a replay.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.errors import Flaky
from hypothesis.stateful import run_state_machine_as_test

from contracttest.api import Engine
from contracttest.errors import UsageError
from contracttest.properties.machine import CrudMachine
from contracttest.properties.shapes import Collection
from contracttest.properties.suite import CrudConfig, CrudRun
from contracttest.rsdl import Contract
from contracttest.schema import Schema

#: A few short examples per collection: what a test suite runs by default. Built on Hypothesis'
#: ``default`` profile, not on whichever is loaded: the ``ci`` profile it loads when ``CI`` is
#: set would derandomize every run and make a seed mean nothing.
FAST = settings(
    settings.get_profile("default"),
    max_examples=20,
    stateful_step_count=12,
    deadline=None,
    database=None,
    report_multiple_bugs=False,
    suppress_health_check=list(HealthCheck),
)


def replay_settings(base: settings = FAST) -> settings:
    """``base`` for a replay: no example database (a replay makes exactly the recorded calls)
    and nothing printed beyond the failure."""
    return settings(base, database=None, phases=(Phase.explicit, Phase.generate, Phase.shrink))


@dataclass
class CrudOutcome:
    """What a run did: collections, examples, calls, time (in all and waiting for the
    engine), the promises checked (name -> times), and what cleaning up left behind."""

    collections: tuple[str, ...]
    seed: int | None
    settings: Mapping[str, Any]
    examples: int = 0
    calls: int = 0
    seconds: float = 0.0
    engine_seconds: float = 0.0
    checked: dict[str, int] = field(default_factory=dict)
    left_behind: list[str] = field(default_factory=list)

    @property
    def record(self) -> dict[str, Any]:
        """What a replay needs: the collections, the seed and the settings, as plain data."""
        return {
            "collections": list(self.collections),
            "seed": self.seed,
            "settings": dict(self.settings),
        }


def crud_collections(
    contract: Contract, schema: Schema, config: CrudConfig | None = None
) -> list[str]:
    """The collections a CRUD machine can drive in this contract, less ``config.exclude``."""
    from contracttest.properties.drawing import surface_of

    excluded = config.exclude if config is not None else frozenset()
    return [name for name in surface_of(contract, schema).collections if name not in excluded]


def run_collection(
    run: CrudRun,
    collection: str,
    *,
    seed: int | None = None,
    profile: settings = FAST,
    base: type[CrudMachine] = CrudMachine,
) -> None:
    """Run the machine of one collection (raising ``BrokenPromise`` when one breaks)."""
    machine = machine_for(run, collection, base)
    if seed is not None:
        machine = hypothesis_seed(seed)(machine)
    try:
        with _no_local_constants():
            run_state_machine_as_test(machine, settings=profile)  # type: ignore[no-untyped-call]
    except Flaky:
        # An engine that breaks a promise often keeps state it should not (a delete that
        # leaves the entity), so the same example does not fail alike when Hypothesis repeats
        # it: what was seen broken is still the finding, with its shortest example.
        if not run.broken:
            raise
        raise min(run.broken, key=lambda seen: seen[0])[1] from None


@contextmanager
def _no_local_constants() -> Iterator[None]:
    """Hypothesis draws, now and then, a constant found in the source of the modules loaded
    in the process: a recording (the sandbox's modules loaded) and its replay (none) would
    then draw different values from the same seed. Without them, a seed makes the same calls
    in any process."""
    try:
        from hypothesis.internal.conjecture import providers
    except ImportError:  # pragma: no cover - another Hypothesis: nothing to neutralise
        yield
        return
    found = getattr(providers, "_get_local_constants", None)
    cache = getattr(providers, "CONSTANTS_CACHE", None)
    if found is None or cache is None:  # pragma: no cover
        yield
        return
    empty = providers.Constants()  # type: ignore[attr-defined]
    providers._get_local_constants = lambda: empty
    cache.cache.clear()
    try:
        yield
    finally:
        providers._get_local_constants = found
        cache.cache.clear()


def run_crud(
    engine: Engine,
    contract: Contract,
    schema: Schema,
    collections: Iterable[str],
    *,
    seed: int | None = None,
    profile: settings = FAST,
    config: CrudConfig | None = None,
    base: type[CrudMachine] = CrudMachine,
) -> CrudOutcome:
    """Drive each collection's machine against ``engine``; what the run created is removed at
    the end even when a promise breaks (the ``BrokenPromise`` is raised after)."""
    names = tuple(collections)
    outcome = CrudOutcome(names, seed, _shown(profile))
    started = time.perf_counter()
    run = CrudRun(engine, contract, schema, config=config)
    try:
        for name in names:
            run_collection(run, name, seed=seed, profile=profile, base=base)
    finally:
        outcome.left_behind = run.close()
        outcome.examples, outcome.calls = run.examples, run.calls
        outcome.engine_seconds = run.engine_seconds
        outcome.checked = dict(sorted(run.checked.items()))
        outcome.seconds = time.perf_counter() - started
    return outcome


def replayed_settings(profile: settings) -> dict[str, Any]:
    """The settings a replay needs, as plain data (what a recording keeps)."""
    return {
        "max_examples": profile.max_examples,
        "stateful_step_count": profile.stateful_step_count,
    }


def _shown(profile: settings) -> dict[str, Any]:
    return {**replayed_settings(profile), "derandomize": profile.derandomize}


def machine_for(
    run: CrudRun, collection: str, base: type[CrudMachine] = CrudMachine
) -> type[CrudMachine]:
    """The machine of ``collection`` (``"vms"``, ``"vms/nics"``) for ``run``; ``base`` is a
    subclass of ``CrudMachine`` with rules of a suite's own."""
    spec = run.surface.collections.get(collection)
    if spec is None:
        known = ", ".join(sorted(run.surface.collections))
        raise UsageError(f"no collection {collection!r} to drive in this contract; known: {known}")
    foreign = frozenset(e.name for e in run.provider.listing(_listing_path(run, spec)) if e.name)
    name = "Crud_" + collection.replace("/", "_")
    return type(name, (base,), {"run": run, "collection": spec, "foreign_names": foreign})


def _listing_path(run: CrudRun, spec: Collection) -> str:
    if spec.owner is None:
        return spec.name
    owner = run.provider.owner(spec)
    return f"{owner.path}/{spec.template[-1]}"

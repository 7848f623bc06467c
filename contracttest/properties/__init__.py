"""Property tests from the contract: Hypothesis strategies and CRUD state machines.

The contract says, for every collection, what a valid create looks like and which fields an
update may change; these modules generate those requests and check the promises every
oVirt engine owes its users (``PROMISES``)::

    from contracttest.properties import from_link, run_crud

    outcome = run_crud(ovirt_engine, contract, schema, ["vms", "vms/nics"], seed=7)

Modules, in the order they build on each other: ``values`` (representations as frozen
values, comparison by XSD type), ``shapes`` (what the RSDL and XSD say about bodies and
collections), ``strategies`` (``from_*``), ``calls`` and ``promises`` (what a failure shows),
``ledger`` (cleanup), ``lifecycle`` (the one table beyond the contract), ``suite`` (one run
against one engine), ``machine`` (the state machine), ``runner`` (settings, seeds, outcome).
"""

from __future__ import annotations

from contracttest.properties.ledger import Ledger
from contracttest.properties.lifecycle import LIFECYCLES, LifeCycle, Transition
from contracttest.properties.machine import CrudMachine
from contracttest.properties.model import Known
from contracttest.properties.promises import FAILURES, PROMISES, BrokenPromise
from contracttest.properties.runner import (
    FAST,
    CrudOutcome,
    crud_collections,
    machine_for,
    replay_settings,
    run_collection,
    run_crud,
)
from contracttest.properties.shapes import Collection, Surface
from contracttest.properties.strategies import (
    NAMES,
    Unsatisfiable,
    enumerations_from_capabilities,
    from_link,
    from_simple_type,
    from_type,
)
from contracttest.properties.suite import CrudConfig, CrudRun, SetupError
from contracttest.properties.values import Entity, Field, Representation, same_value

__all__ = [
    "FAILURES",
    "FAST",
    "LIFECYCLES",
    "NAMES",
    "PROMISES",
    "BrokenPromise",
    "Collection",
    "CrudConfig",
    "CrudMachine",
    "CrudOutcome",
    "CrudRun",
    "Entity",
    "Field",
    "Known",
    "Ledger",
    "LifeCycle",
    "Representation",
    "SetupError",
    "Surface",
    "Transition",
    "Unsatisfiable",
    "crud_collections",
    "enumerations_from_capabilities",
    "from_link",
    "from_simple_type",
    "from_type",
    "machine_for",
    "replay_settings",
    "run_collection",
    "run_crud",
    "same_value",
]

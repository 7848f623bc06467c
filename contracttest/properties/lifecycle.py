"""What an oVirt engine promises about life cycles: which action leads from which states to
which, and in which states an entity may not be removed; and where it refuses a duplicate name.

The contract lists actions but not their states, so this is the one table the promises need
beyond the contract: data, not code per resource, and a suite passes its own
(``CrudConfig(lifecycles=...)``). Only actions listed here are run by the CRUD machine: any
other action (``clone``, ``export``, ``migrate``) changes more than the entity it is run on.
States are compared in lower case (v3 engines answer some in upper case).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Transition:
    allowed: frozenset[str]  # the states the action may start from
    target: str  # the state it leads to


@dataclass(frozen=True)
class LifeCycle:
    """The life cycle of one kind of entity (by element name: ``vm``)."""

    transitions: Mapping[str, Transition] = field(default_factory=dict)  # action rel -> ...
    removal_refused: frozenset[str] = frozenset()  # states a DELETE answers 409 in
    calm: tuple[str, ...] = ()  # actions that bring it where it may be removed


_VM_RUNNING = frozenset({"up", "powering_up", "reboot_in_progress", "paused", "migrating"})

LIFECYCLES: Mapping[str, LifeCycle] = {
    "vm": LifeCycle(
        transitions={
            "start": Transition(frozenset({"down", "suspended"}), "up"),
            "stop": Transition(_VM_RUNNING | {"suspended"}, "down"),
            "shutdown": Transition(_VM_RUNNING, "down"),
            "suspend": Transition(frozenset({"up"}), "suspended"),
            "reboot": Transition(frozenset({"up"}), "up"),
        },
        removal_refused=_VM_RUNNING,
        calm=("stop",),
    ),
    "host": LifeCycle(
        transitions={
            "deactivate": Transition(
                frozenset({"up", "non_operational", "non_responsive", "error"}), "maintenance"
            ),
            "activate": Transition(frozenset({"maintenance", "non_operational", "down"}), "up"),
        },
        removal_refused=frozenset({"up", "non_responsive"}),
        calm=("deactivate",),
    ),
}


#: Collections whose names the engine keeps unique (its add and update commands refuse a name
#: in use with 409): VMs, clusters, data centers and tags engine-wide, NICs within their VM.
#: A collection not named here is learned from the engine's first answer to a duplicate
#: (disks take any alias; networks are unique per data center, templates per version).
UNIQUE_NAMES: Mapping[str, bool] = {
    "vms": True,
    "clusters": True,
    "datacenters": True,
    "tags": True,
    "vms/nics": True,
}

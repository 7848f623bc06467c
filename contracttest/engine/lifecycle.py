"""The engine's small tables: entity life cycles and the statistics each entity reports.

Not code per resource: an action either appears in ``TRANSITIONS`` (states it may start from,
the state it leads to, and the engine's message when it may not) or simply completes.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Iterable
from typing import NamedTuple


class Transition(NamedTuple):
    allowed: frozenset[str]
    target: str
    refusal: str  # the engine's ``[Cannot ...]`` detail when the state does not allow it


_VM_RUNNING = frozenset({"up", "powering_up", "reboot_in_progress", "paused", "migrating"})

TRANSITIONS: dict[tuple[str, str], Transition] = {
    ("vm", "start"): Transition(
        frozenset({"down", "suspended"}), "up", "[Cannot run VM. VM is running.]"
    ),
    ("vm", "stop"): Transition(
        _VM_RUNNING | {"suspended"}, "down", "[Cannot stop VM. VM is not running.]"
    ),
    ("vm", "shutdown"): Transition(_VM_RUNNING, "down", "[Cannot shutdown VM. VM is not running.]"),
    ("vm", "suspend"): Transition(
        frozenset({"up"}), "suspended", "[Cannot hibernate VM. VM is not up.]"
    ),
    ("vm", "reboot"): Transition(frozenset({"up"}), "up", "[Cannot reboot VM. VM is not up.]"),
    ("host", "deactivate"): Transition(
        frozenset({"up", "non_operational", "non_responsive", "error"}),
        "maintenance",
        "[Cannot switch Host to Maintenance mode. Host is already in Maintenance mode.]",
    ),
    ("host", "activate"): Transition(
        frozenset({"maintenance", "non_operational", "down"}),
        "up",
        "[Cannot activate Host. Host is already active.]",
    ),
}

#: States in which an entity may not be removed, and the engine's message.
REMOVAL_REFUSED: dict[str, tuple[frozenset[str], str]] = {
    "vm": (_VM_RUNNING, "[Cannot remove VM. VM is running.]"),
    "host": (
        frozenset({"up", "non_responsive"}),
        "[Cannot remove Host. Host is operational. Please switch Host to Maintenance mode.]",
    ),
}

#: The state a new entity starts in, when its type has a status.
INITIAL_STATUS = {
    "vm": "down",
    "host": "up",
    "host_nic": "up",
    "template": "ok",
    "disk": "ok",
    "snapshot": "ok",
    "data_center": "up",
    "storage_domain": "active",
    "cluster": "up",
    "job": "finished",
    "step": "finished",
}

#: Entity types the engine creates asynchronously: 202 + creation status unless the client
#: sends ``Expect: 201-created`` (where the schema has a creation status at all).
ASYNC_CREATED = frozenset({"vm", "template", "disk", "storage_domain", "host", "snapshot"})


def initial_status(element: str, allowed: Iterable[str] | None) -> str:
    """The first state for ``element``, within the schema's enumeration when it has one."""
    preferred = INITIAL_STATUS.get(element)
    if allowed is None:
        return preferred or "ok"
    values = sorted(allowed)
    if preferred in values:
        return preferred
    for guess in ("ok", "up", "active", "unattached", "finished"):
        if guess in values:
            return guess
    return values[0] if values else preferred or "ok"


class Statistic(NamedTuple):
    name: str
    description: str
    kind: str  # gauge or counter
    type: str  # integer or decimal
    unit: str  # none, bytes, bytes_per_second, percent, seconds
    base: float
    swing: float  # gauges move around ``base`` by this much; counters grow this much a second


#: owner, name, kind, type, unit, base, swing, description: one statistic a line.
_TABLE = """
vm memory.installed gauge integer bytes 2147483648 0 Total memory configured
vm memory.used gauge integer bytes 1073741824 268435456 Memory used (agent)
vm memory.free gauge integer bytes 1073741824 268435456 Memory free (agent)
vm memory.buffered gauge integer bytes 67108864 16777216 Memory buffered (agent)
vm memory.cached gauge integer bytes 268435456 67108864 Memory cached (agent)
vm cpu.current.guest gauge decimal percent 20 15 CPU used by guest
vm cpu.current.hypervisor gauge decimal percent 2 1.5 CPU overhead
vm cpu.current.total gauge decimal percent 22 16 Total CPU used
vm migration.progress gauge integer percent 0 0 Migration progress
vm elapsed.time counter integer seconds 0 1 Elapsed VM runtime
host memory.total gauge integer bytes 34359738368 0 Total memory
host memory.used gauge integer bytes 8589934592 2147483648 Used memory
host memory.free gauge integer bytes 17179869184 2147483648 Free memory
host memory.shared gauge integer bytes 268435456 67108864 Shared memory
host memory.buffers gauge integer bytes 134217728 33554432 I/O buffers
host memory.cached gauge integer bytes 2147483648 536870912 OS caches
host swap.total gauge integer bytes 8589934592 0 Total swap
host swap.free gauge integer bytes 8589934592 1048576 Free swap
host swap.used gauge integer bytes 2097152 1048576 Used swap
host ksm.cpu.current gauge decimal percent 1 1 KSM CPU usage
host cpu.current.user gauge decimal percent 15 10 User CPU usage
host cpu.current.system gauge decimal percent 5 3 System CPU usage
host cpu.current.idle gauge decimal percent 80 12 Idle CPU usage
host cpu.load.avg.5m gauge decimal none 0.8 0.5 CPU 5 minute load average
host boot.time gauge integer none 1700000000 0 Boot time of the machine
nic data.current.rx gauge decimal bytes_per_second 40000 30000 Receive data rate
nic data.current.tx gauge decimal bytes_per_second 20000 15000 Transmit data rate
nic data.current.rx.bps gauge decimal bits_per_second 320000 240000 Receive data rate
nic data.current.tx.bps gauge decimal bits_per_second 160000 120000 Transmit data rate
nic data.total.rx counter integer bytes 1000000 40000 Total received data
nic data.total.tx counter integer bytes 500000 20000 Total transmitted data
nic errors.total.rx counter integer none 0 0.01 Total receive errors
nic errors.total.tx counter integer none 0 0.01 Total transmit errors
disk data.current.read gauge decimal bytes_per_second 500000 400000 Read data rate
disk data.current.write gauge decimal bytes_per_second 300000 200000 Write data rate
disk disk.read.latency gauge decimal seconds 0.002 0.0015 Read latency
disk disk.write.latency gauge decimal seconds 0.004 0.003 Write latency
disk disk.flush.latency gauge decimal seconds 0.001 0.0008 Flush latency
"""


def _statistics(table: str) -> dict[str, tuple[Statistic, ...]]:
    found: dict[str, list[Statistic]] = {}
    for line in table.strip().splitlines():
        owner, name, kind, type_, unit, base, swing, description = line.split(maxsplit=7)
        statistic = Statistic(name, description, kind, type_, unit, float(base), float(swing))
        found.setdefault(owner, []).append(statistic)
    found["host_nic"] = found["nic"]
    return {owner: tuple(stats) for owner, stats in found.items()}


#: The statistics each entity element reports (the names the real engine uses).
STATISTICS = _statistics(_TABLE)

_NAMESPACE = uuid.UUID("5b0c1d0e-7a5e-4c61-9d0b-3f0f6c1e2a10")


def statistic_id(owner_id: str, name: str) -> str:
    """Stable per owner and name, as the engine's are."""
    return str(uuid.uuid5(_NAMESPACE, f"{owner_id}/{name}"))


def statistic_value(statistic: Statistic, owner_id: str, now: float | None = None) -> str:
    """The value at ``now``: gauges wave around their base, counters grow; both move."""
    now = time.time() if now is None else now
    phase = (uuid.uuid5(_NAMESPACE, owner_id).int % 1000) / 1000 * 2 * math.pi
    if statistic.kind == "counter":
        value = statistic.base + statistic.swing * (now % 10**7)
    else:
        value = statistic.base + statistic.swing * math.sin(now / 7.0 + phase)
    value = max(value, 0.0)
    if statistic.type == "integer":
        return str(int(value))
    return f"{value:.4f}"

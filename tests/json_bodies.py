"""JSON bodies in the engine's JSON shape, written for these tests from the facts of
``OVIRT-JSON.md`` (excerpts A, B and C: an OLVM 4.5.5 engine's VM, a failed start, VM
statistics, an installing host; the model docs' network list). Ids are made up; keys,
value kinds and nesting are the engine's. ``seeded`` breaks one convention or contract
rule at a time.
"""

from __future__ import annotations

import copy
import json

API = "/ovirt-engine/api"
VM = "cb377fa6-a678-4311-88f3-27851e396f04"
HOST = "4bba6d9b-668b-4092-b4c2-ab2833b3f68a"
STAT = "2ec286fe-4bec-32f5-8d63-dba7bed58763"
NET = "5b0e7a1c-0000-4000-8000-000000000456"
DC = "5b0e7a1c-0000-4000-8000-000000000123"


def vm() -> dict[str, object]:
    """Excerpt A: ``GET /vms/{id}`` of a running VM."""
    here = f"{API}/vms/{VM}"
    return {
        "next_run_configuration_exists": "false",
        "run_once": "false",
        "start_time": 1789439400722,
        "status": "up",
        "stop_time": 1789439294636,
        "host": {"href": f"{API}/hosts/{HOST}", "id": HOST},
        "actions": {
            "link": [
                {"href": f"{here}/ticket", "rel": "ticket"},
                {"href": f"{here}/start", "rel": "start"},
                {"href": f"{here}/stop", "rel": "stop"},
            ]
        },
        "name": "lab-vm1",
        "description": "",
        "comment": "",
        "bios": {"boot_menu": {"enabled": "false"}, "type": "q35_ovmf"},
        "cpu": {
            "architecture": "x86_64",
            "topology": {"cores": "1", "sockets": "1", "threads": "1"},
        },
        "display": {
            "disconnect_action": "LOCK_SCREEN",
            "disconnect_action_delay": "0",
            "monitors": "1",
            "port": "5900",
            "smartcard_enabled": "false",
            "type": "vnc",
        },
        "io": {"threads": "1"},
        "memory": "268435456",
        "os": {"boot": {"devices": {"device": ["hd"]}}, "type": "other_linux"},
        "sso": {"methods": {"method": [{"id": "guest_agent"}]}},
        "stateless": "false",
        "quota": {"id": "6ee0a1fc-b0aa-11f1-b5de-0050568855da"},
        "link": [
            {"href": f"{here}/diskattachments", "rel": "diskattachments"},
            {"href": f"{here}/nics", "rel": "nics"},
        ],
        "href": here,
        "id": VM,
        "cpu_shares": "0",
        "creation_time": 1789439294630,
        "delete_protected": "false",
        "high_availability": {"enabled": "false", "priority": "0"},
        "memory_policy": {"ballooning": "true", "guaranteed": "268435456", "max": "1073741824"},
        "migration_downtime": "-1",
        "storage_error_resume_behaviour": "auto_resume",
    }


def failed_start() -> dict[str, object]:
    """Excerpt B: the answer to a start that failed (409)."""
    return {
        "fault": {
            "detail": "[Cannot run VM: The following disks are locked: lab-vm1-disk. "
            "Please try again in a few minutes.]",
            "reason": "Operation Failed",
        },
        "status": "failed",
    }


def statistics() -> dict[str, object]:
    """Excerpt B: ``GET /vms/{id}/statistics``, a decimal and a string statistic."""
    return {
        "statistic": [
            {
                "kind": "gauge",
                "type": "decimal",
                "unit": "percent",
                "values": {"value": [{"datum": 4.3}]},
                "vm": {"href": f"{API}/vms/{VM}", "id": VM},
                "name": "cpu.current.total",
                "description": "Total CPU used",
                "href": f"{API}/vms/{VM}/statistics/{STAT}",
                "id": STAT,
            },
            {
                "kind": "gauge",
                "type": "string",
                "unit": "none",
                "values": {},
                "vm": {"href": f"{API}/vms/{VM}", "id": VM},
                "name": "disks.usage",
                "description": "Disk usage, in bytes, per filesystem as JSON (agent)",
                "href": f"{API}/vms/{VM}/statistics/{STAT[:-1]}4",
                "id": f"{STAT[:-1]}4",
            },
        ]
    }


def hosts() -> dict[str, object]:
    """Excerpt B: ``GET /hosts`` while a host installs (empty structures and lists)."""
    return {
        "host": [
            {
                "address": "olvm-kvm1.lab.local",
                "cpu": {"speed": 0, "topology": {}},
                "hardware_information": {"supported_rng_sources": {"supported_rng_source": []}},
                "max_scheduling_memory": "0",
                "memory": "0",
                "port": "54321",
                "power_management": {
                    "automatic_pm_enabled": "true",
                    "enabled": "false",
                    "kdump_detection": "true",
                    "pm_proxies": {},
                },
                "spm": {"priority": "5", "status": "none"},
                "status": "installing",
                "summary": {"total": "0"},
                "name": "kvm1",
                "href": f"{API}/hosts/{HOST}",
                "id": HOST,
            }
        ]
    }


def networks() -> dict[str, object]:
    """Excerpt C: ``GET /networks`` as the model docs show it."""
    return {
        "network": [
            {
                "data_center": {"href": f"{API}/datacenters/{DC}", "id": DC},
                "stp": "false",
                "mtu": "0",
                "usages": {"usage": ["vm"]},
                "name": "ovirtmgmt",
                "description": "Management Network",
                "href": f"{API}/networks/{NET}",
                "id": NET,
                "link": [
                    {"href": f"{API}/networks/{NET}/permissions", "rel": "permissions"},
                    {"href": f"{API}/networks/{NET}/vnicprofiles", "rel": "vnicprofiles"},
                ],
            }
        ]
    }


def jackson(value: object) -> bytes:
    """The bytes an engine writes: Jackson's default pretty printer (``"key" : value``)."""
    return json.dumps(value, indent=2, separators=(",", " : ")).encode()


def seeded(value: dict[str, object], edit: object) -> dict[str, object]:
    """A deep copy of ``value`` with ``edit(copy)`` applied."""
    changed = copy.deepcopy(value)
    edit(changed)  # type: ignore[operator]
    return changed

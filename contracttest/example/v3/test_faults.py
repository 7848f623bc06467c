"""Faults in v3: the v4 examples but the enumeration (v3 types a VM's type as a string)."""

from __future__ import annotations

from contracttest.example.test_faults import (  # noqa: F401 (run here, in v3)
    test_missing_required_parameter,
    test_name_already_in_use,
    test_remove_a_running_vm,
    test_start_a_running_vm,
    test_unknown_id,
    test_unreadable_body,
)

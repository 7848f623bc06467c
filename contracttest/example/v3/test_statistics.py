"""Statistics in v3: the v4 examples, read in v3's shape (``<type>GAUGE</type>``,
``<values type="INTEGER">``: see ``values`` in the v4 module)."""

from __future__ import annotations

from contracttest.example.test_statistics import (  # noqa: F401 (run here, in v3)
    test_disk_statistics,
    test_host_statistics,
    test_nic_statistics,
    test_one_statistic_by_its_href,
    test_vm_statistics,
)

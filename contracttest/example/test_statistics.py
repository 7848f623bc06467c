"""Statistics, as monitoring reads them: present, named as the engine names them, and each
value of the type and unit its statistic declares.

The two API versions shape a statistic differently: v4 has ``<kind>gauge</kind>``,
``<type>integer</type>`` and ``<unit>bytes</unit>``; v3 has ``<type>GAUGE</type>``,
``<unit>BYTES</unit>`` and the value type on ``<values type="INTEGER">``. ``values`` reads
both, so the same examples run against either."""

from __future__ import annotations

from contracttest.api import Engine
from contracttest.example import bodies
from contracttest.example.lab import Lab
from contracttest.example.reading import child, href, ident, text
from contracttest.xmlsafe import Element

KINDS = {"gauge", "counter"}
UNITS = {"none", "bytes", "bytes_per_second", "bits_per_second", "percent", "seconds"}


def kind(statistic: Element) -> str:
    """gauge or counter: v4's ``<kind>``, v3's ``<type>`` (upper case)."""
    __tracebackhide__ = True
    if statistic.find("kind") is not None:
        return text(statistic, "kind")
    return text(statistic, "type").lower()


def value_type(statistic: Element) -> str:
    """integer or decimal: v4's ``<type>``, v3's ``<values type="...">``."""
    __tracebackhide__ = True
    if statistic.find("kind") is not None:
        return text(statistic, "type")
    return child(statistic, "values").get("type", "").lower()


def values(statistics: list[Element]) -> dict[str, float]:
    """Each statistic's current value by name, after checking its shape and type."""
    __tracebackhide__ = True
    found: dict[str, float] = {}
    for statistic in statistics:
        name = text(statistic, "name")
        assert kind(statistic) in KINDS, name
        assert text(statistic, "unit").lower() in UNITS, name
        datum = text(statistic, "values/value/datum")
        declared = value_type(statistic)
        if declared == "integer":
            assert datum.lstrip("-").isdigit(), f"{name}: {datum!r} is not an integer"
            found[name] = int(datum)
        else:
            assert declared == "decimal", f"{name}: type {declared!r}"
            found[name] = float(datum)
    return found


def test_vm_statistics(ovirt_engine: Engine, lab: Lab) -> None:
    vm = lab.running_vm("monitored")

    current = values(ovirt_engine.list(f"{href(vm)}/statistics"))

    assert {"memory.installed", "memory.used", "cpu.current.guest", "cpu.current.total"} <= set(
        current
    )
    assert current["memory.installed"] > 0
    assert 0 <= current["cpu.current.total"] <= 100


def test_host_statistics(ovirt_engine: Engine) -> None:
    (host,) = ovirt_engine.list("hosts", search="name=host1")

    current = values(ovirt_engine.list(f"{href(host)}/statistics"))

    assert current["memory.total"] > 0
    assert 0 <= current["memory.used"] <= current["memory.total"]
    assert 0 <= current["cpu.current.idle"] <= 100


def test_nic_statistics(ovirt_engine: Engine, lab: Lab) -> None:
    vm = lab.running_vm("net")
    nic = ovirt_engine.add(
        f"{href(vm)}/nics", bodies.nic("nic1", vnic_profile=ident(lab.vnic_profile()))
    )

    statistics = ovirt_engine.follow(nic, rel="statistics")
    current = values(list(statistics))

    assert {"data.current.rx", "data.current.tx", "errors.total.rx", "errors.total.tx"} <= set(
        current
    )
    assert all(value >= 0 for value in current.values())
    kinds = {text(s, "name"): kind(s) for s in statistics}
    assert kinds["errors.total.rx"] == "counter"


def test_disk_statistics(ovirt_engine: Engine, lab: Lab) -> None:
    disk = lab.disk("busy")

    current = values(ovirt_engine.list(f"{href(disk)}/statistics"))

    assert {"data.current.read", "data.current.write", "disk.read.latency"} <= set(current)
    assert current["disk.read.latency"] >= 0


def test_one_statistic_by_its_href(ovirt_engine: Engine, lab: Lab) -> None:
    vm = lab.running_vm("single")
    listed = {text(s, "name"): s for s in ovirt_engine.list(f"{href(vm)}/statistics")}

    statistic = ovirt_engine.follow(listed["memory.installed"])

    assert ident(statistic) == ident(listed["memory.installed"])
    assert text(statistic, "name") == "memory.installed"
    assert ident(child(statistic, "vm")) == ident(vm)

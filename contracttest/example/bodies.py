"""Request bodies the example suite sends, built with lxml so every value is escaped.

Each function returns the ``<vm>``, ``<disk>``, ``<nic>``... element one engine call takes.
They are pure and deterministic: the same arguments give the same body, so a replay sends
exactly what the recording sent.
"""

from __future__ import annotations

from lxml import etree

from contracttest.xmlsafe import Element

GiB = 1024**3

Child = Element | str | None


def node(tag: str, *content: Child, **attributes: str) -> Element:
    """``node("vm", node("name", "web1"))``: text and child elements in order; ``None`` is
    left out, so optional fields can be written inline."""
    element = etree.Element(tag, attributes)
    for part in content:
        if part is None:
            continue
        if isinstance(part, str):
            element.text = (element.text or "") + part
        else:
            element.append(part)
    return element


def field(tag: str, value: str | int | bool | None) -> Element | None:
    """``<tag>value</tag>`` with booleans as ``true``/``false``; ``None`` for no field."""
    if value is None:
        return None
    if isinstance(value, bool):
        return node(tag, "true" if value else "false")
    return node(tag, str(value))


def by_name(tag: str, name: str) -> Element:
    """A reference by name: ``<cluster><name>Default</name></cluster>``."""
    return node(tag, node("name", name))


def by_id(tag: str, entity_id: str) -> Element:
    """A reference by id: ``<vnic_profile id="..."/>``."""
    return node(tag, id=entity_id)


def vm(
    name: str,
    *,
    cluster: str = "Default",
    template: str = "Blank",
    memory: int | None = GiB,
    description: str | None = None,
    vm_type: str | None = "server",
) -> Element:
    return node(
        "vm",
        field("name", name),
        field("description", description),
        by_name("cluster", cluster),
        by_name("template", template),
        field("memory", memory),
        field("type", vm_type),
    )


def disk(
    name: str,
    *,
    storage_domain: str = "data1",
    size: int = GiB,
    interface: str | None = None,
    bootable: bool | None = None,
) -> Element:
    """A thin-provisioned (cow, sparse) data disk in ``storage_domain``; v3 gives a disk its
    ``interface`` (and ``bootable``), which v4 gives its attachment to a VM."""
    return node(
        "disk",
        field("name", name),
        field("interface", interface),
        field("bootable", bootable),
        field("format", "cow"),
        field("sparse", True),
        field("provisioned_size", size),
        node("storage_domains", by_name("storage_domain", storage_domain)),
    )


def disk_attachment(
    disk: str | Element, *, interface: str = "virtio_scsi", bootable: bool = False
) -> Element:
    """An attachment of the disk with that id, or of a new disk described in full (the usual
    ovirtsdk4 way to give a VM a disk: the engine creates the disk with its attachment)."""
    return node(
        "disk_attachment",
        by_id("disk", disk) if isinstance(disk, str) else disk,
        field("interface", interface),
        field("bootable", bootable),
        field("active", True),
    )


def nic(
    name: str | None = None,
    *,
    vnic_profile: str | None = None,
    interface: str | None = None,
    linked: bool | None = None,
) -> Element:
    """A VM NIC, or the changed fields of one for an update."""
    return node(
        "nic",
        field("name", name),
        field("interface", interface),
        field("linked", linked),
        by_id("vnic_profile", vnic_profile) if vnic_profile else None,
    )


def host(name: str, address: str, *, root_password: str, cluster: str = "Default") -> Element:
    return node(
        "host",
        field("name", name),
        field("address", address),
        field("root_password", root_password),
        by_name("cluster", cluster),
    )


def action(*content: Child) -> Element:
    return node("action", *content)


def start_with_cloud_init(host_name: str, script: str, *, root_password: str) -> Element:
    """``start`` with a run-once cloud-init payload: host name, root password and a
    ``#cloud-config`` custom script."""
    initialization = node(
        "initialization",
        field("host_name", host_name),
        field("root_password", root_password),
        field("custom_script", script),
    )
    return action(field("use_cloud_init", True), node("vm", initialization))

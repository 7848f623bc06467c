"""One ovirtsdk4 session, the same whether it talks to an engine, a recording proxy or a
replaying one: a VM's life cycle with a NIC and a disk, a search, links followed, faults.
It returns what it saw, so a replay can be compared with its recording."""

from __future__ import annotations

import time
from typing import Any

USER = "admin@internal"


def wait_for(fetch: Any, status: Any, seconds: float = 30.0) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        current = fetch()
        if current.status == status or time.monotonic() > deadline:
            return current
        time.sleep(0.02)


def sdk_session(url: str, password: str, name: str = "px") -> list[object]:
    import ovirtsdk4 as sdk
    import ovirtsdk4.types as types

    seen: list[object] = []
    connection = sdk.Connection(url=url, username=USER, password=password, timeout=30)
    try:
        system = connection.system_service()
        seen.append(system.get().product_info.version.major)
        vms = system.vms_service()
        vm = vms.add(
            types.Vm(
                name=f"{name}-vm",
                cluster=types.Cluster(name="Default"),
                template=types.Template(name="Blank"),
                memory=2**30,
            )
        )
        service = vms.vm_service(vm.id)
        profile = system.vnic_profiles_service().list()[0]
        nics = service.nics_service()
        nics.add(types.Nic(name="nic1", vnic_profile=types.VnicProfile(id=profile.id)))
        seen.append([nic.name for nic in nics.list()])
        attachments = service.disk_attachments_service()
        attached = attachments.add(
            types.DiskAttachment(
                disk=types.Disk(
                    name=f"{name}-disk",
                    format=types.DiskFormat.COW,
                    provisioned_size=2**30,
                    storage_domains=[types.StorageDomain(name="data1")],
                ),
                interface=types.DiskInterface.VIRTIO,
                bootable=True,
                active=True,
            )
        )
        seen.append(connection.follow_link(attached.disk).name)
        seen.append([v.name for v in vms.list(search=f"name={name}-*")])
        seen.append(connection.follow_link(service.get().cluster).name)
        service.start()
        seen.append(str(wait_for(service.get, types.VmStatus.UP).status))
        try:
            service.start()  # a running VM: a 409 fault
        except sdk.Error as exc:
            seen.append(("fault", getattr(exc, "code", None)))
        service.stop()
        seen.append(str(wait_for(service.get, types.VmStatus.DOWN).status))
        attachments.attachment_service(attached.id).remove(detach_only=False)
        service.remove()
        try:
            service.get()
        except sdk.NotFoundError as exc:
            seen.append(("not found", exc.code))
    finally:
        connection.close()
    return seen

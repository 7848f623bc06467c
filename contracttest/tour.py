"""The main job's session: a VM's life cycle, as a client of any v4 engine would run it.

Add a VM from the Blank template, give it a NIC and a disk, start it with cloud-init, poll
it up, read statistics, search and follow, stop and remove it. Each step checks the answer
it needs; a step that fails is reported and the tour goes on where it can.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from contracttest.client import Client, Reply

_VM = (
    "<vm><name>{name}</name><description>contracttest tour</description>"
    "<cluster><name>Default</name></cluster><template><name>Blank</name></template>"
    "<memory>1073741824</memory><type>server</type></vm>"
)
_DISK = (
    "<disk><name>{name}_disk</name><format>cow</format><provisioned_size>1073741824"
    "</provisioned_size><storage_domains><storage_domain><name>data1</name>"
    "</storage_domain></storage_domains></disk>"
)
_START = (
    "<action><vm><initialization><host_name>{name}.example.com</host_name>"
    "<custom_script>#cloud-config\npackages: [httpd]\n</custom_script>"
    "</initialization></vm></action>"
)


@dataclass
class Tour:
    client: Client
    steps: list[tuple[str, bool, str]] = field(default_factory=list)

    def step(self, title: str, reply: Reply, *expected: int) -> Reply:
        ok = reply.status in expected
        detail = f"{reply.status}"
        if not ok and reply.fault:
            detail += f" {reply.fault[0]}: {reply.fault[1]}"
        self.steps.append((title, ok, detail))
        return reply

    @property
    def failed(self) -> list[tuple[str, bool, str]]:
        return [step for step in self.steps if not step[1]]


def run_tour(client: Client, name: str | None = None) -> Tour:
    tour = Tour(client)
    name = name or f"tour-{uuid.uuid4().hex[:8]}"
    tour.step("read the API root", client.get(""), 200)
    tour.step("find the Default cluster", client.get("clusters", search="name=Default"), 200)
    added = tour.step("add a VM", client.add("vms", _VM.format(name=name)), 201, 202)
    vm = added.root.get("href") if added.root is not None else None
    if not vm:
        return tour
    tour.step("read it back", client.get(vm), 200)
    tour.step(
        "update its description", client.update(vm, "<vm><description>web</description></vm>"), 200
    )
    profiles = tour.step("list vNIC profiles", client.get("vnicprofiles"), 200)
    profile = profiles.root.find("vnic_profile") if profiles.root is not None else None
    profile_id = profile.get("id", "") if profile is not None else ""
    nic = f'<nic><name>nic1</name><vnic_profile id="{profile_id}"/></nic>'
    tour.step("add a NIC", client.add(f"{vm}/nics", nic), 201)
    disk_reply = tour.step("add a disk", client.add("disks", _DISK.format(name=name)), 201, 202)
    disk = disk_reply.root.get("id") if disk_reply.root is not None else None
    if disk:
        attachment = (
            f'<disk_attachment><disk id="{disk}"/><interface>virtio</interface>'
            "<bootable>true</bootable><active>true</active></disk_attachment>"
        )
        tour.step("attach the disk", client.add(f"{vm}/diskattachments", attachment), 201)
    tour.step("start it with cloud-init", client.action(vm, "start", _START.format(name=name)), 200)
    _poll(tour, "poll until up", lambda: client.get(vm), "up")
    tour.step("read its statistics", client.get(f"{vm}/statistics"), 200)
    found = client.get("vms", search=f"name={name}*", follow="nics,disk_attachments.disk")
    tour.step("search, following NICs and disks", found, 200)
    vm_read = client.get(vm)
    cluster = vm_read.root.find("cluster") if vm_read.root is not None else None
    if cluster is not None:
        tour.step("follow the cluster link", client.follow(cluster), 200)
    tour.step("stop it", client.action(vm, "stop"), 200)
    _poll(tour, "poll until down", lambda: client.get(vm), "down")
    tour.step("remove it", client.remove(vm), 200)
    tour.step("it is gone", client.get(vm), 404)
    if disk:
        tour.step("remove the disk", client.remove(f"disks/{disk}"), 200)
    return tour


def _poll(tour: Tour, title: str, fetch: Callable[[], Reply], status: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        reply = fetch()
        state = reply.root.findtext("status") if reply.root is not None else None
        if state == status or reply.status != 200 or time.monotonic() > deadline:
            tour.steps.append((title, state == status, f"status {state}"))
            return
        time.sleep(0.2)

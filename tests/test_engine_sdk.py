"""A real client against the embedded engine: the ovirtsdk4 SDK, unchanged.

The SDK talks through pycurl (vcrpy cannot see it), so the engine's own tap keeps every
exchange, and the whole session is then checked against the contract the engine serves.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from contracttest.checker import Checker
from contracttest.engine import EngineServer, bundled_contract, open_engine
from contracttest.engine.tap import Tap
from contracttest.loading import load_contract, load_schema
from contracttest.rules import Severity
from tests.sdk_session import wait_for

sdk = pytest.importorskip("ovirtsdk4", reason="the ovirtsdk4 SDK (a test dependency) is absent")
types = pytest.importorskip("ovirtsdk4.types")

PASSWORD = "sdk-secret"


@pytest.fixture
def served() -> Iterator[tuple[str, Tap]]:
    engine = open_engine(password=PASSWORD)
    with EngineServer(engine.handle) as server:
        tap = Tap(server.base_url, "sdk-session")
        engine.observers.append(tap)
        yield f"{server.base_url}{engine.prefix}", tap
    engine.close()


def connect(url: str, **options: Any) -> Any:
    return sdk.Connection(
        url=url, username="admin@internal", password=PASSWORD, timeout=30, **options
    )


def test_sdk_session_against_the_embedded_engine(served: tuple[str, Tap]) -> None:
    url, tap = served
    connection = connect(url)
    system = connection.system_service()

    api = system.get()
    assert api.product_info.version.major == 4
    assert connection.test(raise_exception=True)

    # clusters: list, search, add, update, follow, remove
    clusters = system.clusters_service()
    default = clusters.list(search="name=Default")[0]
    assert default.name == "Default"
    datacenter = connection.follow_link(default.data_center)
    assert datacenter.name == "Default"
    lab = clusters.add(
        types.Cluster(
            name="lab",
            data_center=types.DataCenter(name="Default"),
            cpu=types.Cpu(type="Intel Nehalem Family"),
            version=types.Version(major=4, minor=5),
        )
    )
    clusters.cluster_service(lab.id).update(types.Cluster(description="lab cluster"))
    assert clusters.cluster_service(lab.id).get().description == "lab cluster"

    # VMs: add from the Blank template, get, update, search
    vms = system.vms_service()
    vm = vms.add(
        types.Vm(
            name="web1",
            cluster=types.Cluster(name="Default"),
            template=types.Template(name="Blank"),
            memory=2 * 2**30,
        )
    )
    vm_service = vms.vm_service(vm.id)
    assert vm_service.get().status == types.VmStatus.DOWN
    vm_service.update(types.Vm(description="front end"))
    got = vm_service.get()
    assert (got.description, got.memory, got.name) == ("front end", 2 * 2**30, "web1")
    assert [v.name for v in vms.list(search="name=web*")] == ["web1"]
    assert connection.follow_link(got.cluster).name == "Default"

    # NICs and disk attachments
    profile = system.vnic_profiles_service().list()[0]
    nics = vm_service.nics_service()
    nic = nics.add(types.Nic(name="nic1", vnic_profile=types.VnicProfile(id=profile.id)))
    assert [n.name for n in nics.list()] == ["nic1"]
    disks = system.disks_service()
    disk = disks.add(
        types.Disk(
            name="web1_disk",
            format=types.DiskFormat.COW,
            provisioned_size=2**30,
            storage_domains=[types.StorageDomain(name="data1")],
        )
    )
    assert disks.disk_service(disk.id).get().name == "web1_disk"
    attachments = vm_service.disk_attachments_service()
    attachments.add(
        types.DiskAttachment(
            disk=types.Disk(id=disk.id),
            interface=types.DiskInterface.VIRTIO,
            bootable=True,
            active=True,
        )
    )
    attached = attachments.list()
    assert len(attached) == 1
    assert connection.follow_link(attached[0].disk).id == disk.id
    # The usual SDK way: the disk described inside its attachment, created with it; the
    # attachment has the disk's id, and a disk attaches once.
    boot = attachments.add(
        types.DiskAttachment(
            disk=types.Disk(
                name="web1_boot",
                format=types.DiskFormat.COW,
                provisioned_size=2**30,
                storage_domains=[types.StorageDomain(name="data1")],
            ),
            interface=types.DiskInterface.VIRTIO_SCSI,
            bootable=False,
            active=True,
        )
    )
    assert boot.id == boot.disk.id
    assert disks.disk_service(boot.disk.id).get().name == "web1_boot"
    with pytest.raises(sdk.Error, match="already attached"):
        attachments.add(
            types.DiskAttachment(
                disk=types.Disk(id=disk.id), interface=types.DiskInterface.VIRTIO, bootable=False
            )
        )
    attachments.attachment_service(boot.id).remove()

    # start (with cloud-init), statistics, stop
    vm_service.start(
        vm=types.Vm(
            initialization=types.Initialization(
                host_name="web1.example.com", custom_script="#cloud-config\n"
            )
        )
    )
    assert wait_for(vm_service.get, types.VmStatus.UP).status == types.VmStatus.UP
    assert vm_service.get().initialization.host_name == "web1.example.com"
    names = {s.name for s in vm_service.statistics_service().list()}
    assert {"memory.installed", "cpu.current.total"} <= names
    nic_stats = {s.name for s in nics.nic_service(nic.id).statistics_service().list()}
    assert {"data.current.rx", "data.current.tx", "errors.total.rx"} <= nic_stats
    assert {s.name for s in disks.disk_service(disk.id).statistics_service().list()} >= {
        "data.current.read",
        "disk.read.latency",
    }
    with pytest.raises(sdk.Error) as wrong_state:
        vm_service.start()
    assert wrong_state.value.fault.reason == "Operation Failed"
    assert "Cannot run VM" in wrong_state.value.fault.detail
    vm_service.stop()
    assert wait_for(vm_service.get, types.VmStatus.DOWN).status == types.VmStatus.DOWN

    # hosts: statistics, deactivate, activate
    hosts = system.hosts_service()
    host = hosts.list(search="status=up")[0]
    host_service = hosts.host_service(host.id)
    assert "memory.total" in {s.name for s in host_service.statistics_service().list()}
    host_service.deactivate()
    assert host_service.get().status == types.HostStatus.MAINTENANCE
    host_service.activate()
    assert host_service.get().status == types.HostStatus.UP

    # templates: add from the VM, get, remove
    templates = system.templates_service()
    template = templates.add(types.Template(name="web_tpl", vm=types.Vm(id=vm.id)))
    assert templates.template_service(template.id).get().name == "web_tpl"
    assert {t.name for t in templates.list()} >= {"Blank", "web_tpl"}
    templates.template_service(template.id).remove()

    # a bad request surfaces as the SDK's error with the engine's reason and detail
    with pytest.raises(sdk.Error) as incomplete:
        vms.add(types.Vm(name="no_cluster"))
    assert incomplete.value.fault.reason == "Incomplete parameters"
    assert "cluster" in incomplete.value.fault.detail
    with pytest.raises(sdk.NotFoundError):
        vms.vm_service("00000000-0000-0000-0000-00000000dead").get()

    # remove, then gone
    nics.nic_service(nic.id).remove()
    vm_service.remove()
    disks.disk_service(disk.id).remove()
    clusters.cluster_service(lab.id).remove()
    assert vms.list(search="name=web1") == []
    connection.close()

    # the whole session checks clean against the contract the engine serves
    rsdl, xsd = bundled_contract()
    violations = Checker(load_contract(rsdl), load_schema(xsd)).check_exchanges(tap.exchanges)
    deliberate = {e.index for e in tap.exchanges if b"no_cluster" in e.request.body}
    assert [v.rule for v in violations if v.index in deliberate] == ["request.parameters.required"]
    errors = [v for v in violations if v.severity is Severity.ERROR and v.index not in deliberate]
    assert not errors, "\n".join(f"{v.rule} {v.method} {v.uri}: {v.message}" for v in errors)
    paths = {e.request.uri.partition("?")[0].rsplit("/", 1)[-1] for e in tap.exchanges}
    assert {"token", "sso-logout"} <= paths  # SSO login and logout went through the engine
    assert len(tap.exchanges) > 40


def test_sdk_reports_bad_credentials(served: tuple[str, Tap]) -> None:
    url, _ = served
    connection = sdk.Connection(url=url, username="admin@internal", password="wrong")
    with pytest.raises(sdk.AuthError, match="access_denied"):
        connection.system_service().get()
    connection.close(logout=False)


class Clock:
    """The time the engine's tokens live by, moved by the test alone: on the wall clock, a
    busy machine can let a short lifetime run out between the login and the first request
    (then the SDK logs in once more than the test counts)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_sdk_gets_a_new_token_when_its_token_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = open_engine(password=PASSWORD, token_ttl=0.3)
    clock = Clock()
    monkeypatch.setattr(engine.auth, "_clock", clock)
    with EngineServer(engine.handle) as server:
        tap = Tap(server.base_url)
        engine.observers.append(tap)
        connection = connect(f"{server.base_url}{engine.prefix}")
        vms = connection.system_service().vms_service()
        assert vms.list() == []
        clock.now += 0.5
        assert vms.list() == []  # 401, a new token, the same request again
        connection.close()
    engine.close()
    statuses = [e.response.status for e in tap.exchanges]
    assert 401 in statuses
    logins = [e for e in tap.exchanges if e.request.uri.endswith("/sso/oauth/token")]
    assert len(logins) == 2

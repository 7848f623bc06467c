"""The embedded engine under load: concurrent clients doing mixed CRUD on loopback.

    python benchmarks/bench_engine.py [--seconds 30] [--clients 8] [--rounds 3] [--quick]

What it does, in one run:
* ready time: ``contracttest serve --port 0`` started as a subprocess until its "serving
  http://..." line is out and a GET of the API root answers 200 (median of ``--ready-runs``),
  and the same in-process (``open_engine()`` + ``EngineServer`` + that GET); budget 1 s;
* load: ``--clients`` client *processes* (the server's threads keep the GIL of this one), each
  with its own keep-alive ``http.client.HTTPConnection`` and SSO bearer token, in a mixed CRUD
  loop: create VMs (``Expect: 201-created``), read them, list them (``search=name=c<k>-*``),
  update their description with a per-VM counter, add NICs, start and stop them, delete some.
  Every client keeps a model of what it sent and checks what it reads back against it (its
  own description, status, NIC names, the set its search finds); any other status than the
  expected one, or a read that disagrees with the model, is an error. Clients 2j and 2j+1
  also both update one shared VM, ``shared-j``, the first its description, the second its
  comment: each field has one writer, so its final value is known, and an engine whose
  read-modify-write were not isolated would lose one of them;
* baseline: the same ``EngineServer`` stack answering ``HttpResponse(200, b"<ok/>")``, driven
  by the same client processes with the same request shapes (methods, paths, bodies, headers;
  ids made up, answers ignored) for the same time. Engine and baseline alternate in
  ``--rounds`` slices (ABA... order flipped each round) so a slow phase of the machine hits
  both; the client models (and the engine's state) carry across the engine's slices;
* at the end, the engine's state (GET /vms and every VM's nics) is compared with the union of
  the client models: every live VM with its last description, status and NICs, deleted ones
  absent, nothing extra.

Figures: requests per second for both, the ratio engine / minimal (and its inverse, "cost
x"), latency p50/p99, the server's CPU time per request (this process's CPU time while it
serves: it does nothing else then). Exit status 1 on any error, a model mismatch, or a ready
time at or over the budget.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import http.client
import json
import multiprocessing
import os
import platform
import random
import re
import select
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import quote, urlencode, urlsplit

from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

if TYPE_CHECKING:
    from contracttest.engine import Engine, EngineServer

USER = "admin@internal"
PASSWORD = "ovirt"
SSO_TOKEN = "/ovirt-engine/sso/oauth/token"
READY_BUDGET = 1.0
MAX_LIVE = 12  # VMs a client keeps at most (it deletes instead of creating beyond)
MAX_NICS = 6  # NICs a VM gets at most (then the client reads them instead)
FIRST_ERRORS = 5  # error messages each client keeps

Mode = Literal["engine", "minimal"]

#: The mix: operation and weight. ``delete`` of a running VM stops it first (two requests).
MIX: tuple[tuple[str, int], ...] = (
    ("create", 12),
    ("read", 20),
    ("list", 10),
    ("update", 20),
    ("add_nic", 10),
    ("read_nics", 5),
    ("action", 15),
    ("delete", 8),
    ("shared_update", 8),
)


# -- the client side -------------------------------------------------------------------


@dataclass
class VmModel:
    """What a client sent about one VM: the engine must show exactly this."""

    name: str
    description: str | None = None
    status: str = "down"
    nics: list[str] = field(default_factory=list)
    updates: int = 0
    comment: str | None = None


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    prefix: str  # the API path, /ovirt-engine/api


@dataclass
class SliceResult:
    client: int
    mode: str
    requests: int
    started: float  # wall clock, comparable across processes
    ended: float
    errors: int
    first_errors: list[str]
    latencies: list[float]
    ops: dict[str, int]


@dataclass
class ClientState:
    """A client process's memory across slices: its engine model and name counter."""

    index: int
    rng: random.Random
    model: dict[str, VmModel] = field(default_factory=dict)
    counter: int = 0
    shared_writes: dict[str, str] = field(default_factory=dict)  # shared VM id: last value
    shared_counter: int = 0


def shared_field(index: int) -> str:
    """The field client ``index`` writes on its shared VM (``shared-{index // 2}``)."""
    return "description" if index % 2 == 0 else "comment"


class Driver:
    """One client's loop for one slice against one server."""

    def __init__(
        self,
        state: ClientState,
        target: Target,
        mode: Mode,
        model: dict[str, VmModel],
        shared_vm: str,
    ) -> None:
        self.state = state
        self.target = target
        self.mode = mode
        self.checking = mode == "engine"
        self.model = model
        self.shared_vm = shared_vm
        self.connection = http.client.HTTPConnection(target.host, target.port, timeout=30)
        self.headers = {"Accept": "application/xml", "Version": "4"}
        self.requests = 0
        self.errors = 0
        self.first_errors: list[str] = []
        self.latencies: list[float] = []
        self.ops: dict[str, int] = {}
        self.baseline_counter = 0

    # -- plumbing ----------------------------------------------------------------------

    def login(self) -> None:
        """An SSO bearer token (as ovirtsdk4 gets one); the baseline sends a made-up one."""
        token = "baseline-" + uuid.uuid4().hex
        if self.checking:
            form = urlencode(
                {
                    "grant_type": "password",
                    "scope": "ovirt-app-api",
                    "username": USER,
                    "password": PASSWORD,
                }
            ).encode()
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            }
            self.connection.request("POST", SSO_TOKEN, body=form, headers=headers)
            reply = self.connection.getresponse()
            body = reply.read()
            if reply.status != 200:
                raise RuntimeError(f"SSO login answered {reply.status}: {body[:200]!r}")
            token = str(json.loads(body)["access_token"])
        self.headers["Authorization"] = f"Bearer {token}"

    def error(self, message: str) -> None:
        self.errors += 1
        if len(self.first_errors) < FIRST_ERRORS:
            self.first_errors.append(f"client {self.state.index}: {message}")

    def call(
        self, method: str, path: str, expected: int, body: str | None = None, created: bool = False
    ) -> bytes | None:
        """The answer's body when the status is the expected one (always, for the baseline)."""
        url = f"{self.target.prefix}/{path}"
        headers = dict(self.headers)
        data = body.encode() if body is not None else None
        if data is not None:
            headers["Content-Type"] = "application/xml"
        if created:
            headers["Expect"] = "201-created"
        start = time.perf_counter()
        try:
            self.connection.request(method, url, body=data, headers=headers)
            reply = self.connection.getresponse()
            answer = reply.read()
        except (OSError, http.client.HTTPException) as exc:
            self.connection.close()  # reconnects on the next request
            self.error(f"{method} {path}: {type(exc).__name__}: {exc}")
            return None
        self.latencies.append(time.perf_counter() - start)
        self.requests += 1
        if self.checking and reply.status != expected:
            self.error(f"{method} {path}: {reply.status}, expected {expected}: {answer[:300]!r}")
            return None
        return answer

    def parse(self, answer: bytes, what: str) -> etree._Element | None:
        if not self.checking:
            return None
        try:
            return etree.fromstring(answer)
        except etree.XMLSyntaxError as exc:
            self.error(f"{what}: not XML ({exc}): {answer[:200]!r}")
            return None

    def mismatch(self, what: str, expected: object, found: object) -> None:
        self.error(f"{what}: the model says {expected!r}, the engine {found!r}")

    # -- the loop ----------------------------------------------------------------------

    def run(self, start_at: float, seconds: float, min_ops: int = 0) -> SliceResult:
        """Operations until ``seconds`` after ``start_at``, and at least ``min_ops`` of them
        (a smoke test's floor: the slice's work, whatever a busy machine makes of its time)."""
        self.login()
        names = [name for name, _ in MIX]
        weights = [weight for _, weight in MIX]
        rng = self.state.rng
        time.sleep(max(0.0, start_at - time.time()))
        started = time.time()
        deadline = start_at + seconds
        while time.time() < deadline or sum(self.ops.values()) < min_ops:
            op = rng.choices(names, weights)[0]
            if not self.model:
                op = "create"
            elif op == "create" and len(self.model) >= MAX_LIVE:
                op = "delete"
            self.ops[op] = self.ops.get(op, 0) + 1
            getattr(self, f"op_{op}")(rng)
        ended = time.time()
        self.connection.close()
        return SliceResult(
            self.state.index,
            self.mode,
            self.requests,
            started,
            ended,
            self.errors,
            self.first_errors,
            self.latencies,
            self.ops,
        )

    def pick(self, rng: random.Random) -> tuple[str, VmModel]:
        vm_id = rng.choice(list(self.model))
        return vm_id, self.model[vm_id]

    def new_name(self) -> str:
        if self.checking:
            self.state.counter += 1
            return f"c{self.state.index}-{self.state.counter}"
        self.baseline_counter += 1
        return f"c{self.state.index}-{self.baseline_counter}"

    def op_create(self, rng: random.Random) -> None:
        name = self.new_name()
        body = (
            f"<vm><name>{name}</name><cluster><name>Default</name></cluster>"
            "<template><name>Blank</name></template></vm>"
        )
        answer = self.call("POST", "vms", 201, body, created=True)
        if answer is None:
            return
        if not self.checking:
            self.model[str(uuid.uuid4())] = VmModel(name)
            return
        root = self.parse(answer, f"POST vms ({name})")
        if root is None:
            return
        vm_id = root.get("id")
        if not vm_id or root.findtext("name") != name:
            self.error(f"POST vms ({name}): no id or another name in {answer[:200]!r}")
            return
        self.model[vm_id] = VmModel(name, status=root.findtext("status") or "?")
        if self.model[vm_id].status != "down":
            self.mismatch(f"new VM {name} status", "down", self.model[vm_id].status)

    def op_read(self, rng: random.Random) -> None:
        vm_id, vm = self.pick(rng)
        answer = self.call("GET", f"vms/{vm_id}", 200)
        root = self.parse(answer, f"GET vms/{vm_id}") if answer is not None else None
        if root is None:
            return
        found = (root.findtext("name"), root.findtext("description"), root.findtext("status"))
        if found != (vm.name, vm.description, vm.status):
            self.mismatch(f"GET vms/{vm_id}", (vm.name, vm.description, vm.status), found)

    def op_list(self, rng: random.Random) -> None:
        search = quote(f"name=c{self.state.index}-*")
        answer = self.call("GET", f"vms?search={search}", 200)
        root = self.parse(answer, "GET vms?search") if answer is not None else None
        if root is None:
            return
        found = {vm.get("id") for vm in root.findall("vm")}
        if found != set(self.model):
            self.mismatch(
                f"search name=c{self.state.index}-*",
                sorted(self.model[i].name for i in set(self.model) - found),
                f"{len(found)} VMs, {len(found - set(self.model))} unexpected",
            )

    def op_update(self, rng: random.Random) -> None:
        vm_id, vm = self.pick(rng)
        description = f"{vm.name} update {vm.updates + 1}"
        body = f"<vm><description>{description}</description></vm>"
        answer = self.call("PUT", f"vms/{vm_id}", 200, body)
        if answer is None:
            return
        vm.updates += 1
        vm.description = description
        root = self.parse(answer, f"PUT vms/{vm_id}")
        if root is not None and root.findtext("description") != description:
            self.mismatch(f"PUT vms/{vm_id} answer", description, root.findtext("description"))

    def op_add_nic(self, rng: random.Random) -> None:
        vm_id, vm = self.pick(rng)
        if len(vm.nics) >= MAX_NICS:
            self.op_read_nics(rng, vm_id)
            return
        name = f"nic{len(vm.nics) + 1}"
        answer = self.call("POST", f"vms/{vm_id}/nics", 201, f"<nic><name>{name}</name></nic>")
        if answer is None:
            return
        vm.nics.append(name)
        root = self.parse(answer, f"POST vms/{vm_id}/nics")
        if root is not None and root.findtext("name") != name:
            self.mismatch(f"POST vms/{vm_id}/nics answer", name, root.findtext("name"))

    def op_read_nics(self, rng: random.Random, vm_id: str | None = None) -> None:
        if vm_id is None:
            vm_id, vm = self.pick(rng)
        else:
            vm = self.model[vm_id]
        answer = self.call("GET", f"vms/{vm_id}/nics", 200)
        root = self.parse(answer, f"GET vms/{vm_id}/nics") if answer is not None else None
        if root is None:
            return
        found = sorted(nic.findtext("name") or "" for nic in root.findall("nic"))
        if found != sorted(vm.nics):
            self.mismatch(f"GET vms/{vm_id}/nics", sorted(vm.nics), found)

    def op_action(self, rng: random.Random) -> None:
        vm_id, vm = self.pick(rng)
        self.toggle(vm_id, vm)

    def toggle(self, vm_id: str, vm: VmModel) -> bool:
        action, after = ("start", "up") if vm.status == "down" else ("stop", "down")
        answer = self.call("POST", f"vms/{vm_id}/{action}", 200, "<action/>")
        if answer is None:
            return False
        vm.status = after
        root = self.parse(answer, f"POST vms/{vm_id}/{action}")
        if root is not None and root.findtext("status") != "complete":
            self.mismatch(f"{action} vms/{vm_id}", "complete", root.findtext("status"))
        return True

    def op_shared_update(self, rng: random.Random) -> None:
        name = shared_field(self.state.index)
        if self.checking:
            self.state.shared_counter += 1
        value = f"c{self.state.index} {name} {self.state.shared_counter}"
        body = f"<vm><{name}>{value}</{name}></vm>"
        answer = self.call("PUT", f"vms/{self.shared_vm}", 200, body)
        if answer is None or not self.checking:
            return
        self.state.shared_writes[self.shared_vm] = value
        root = self.parse(answer, f"PUT vms/{self.shared_vm} ({name})")
        if root is not None and root.findtext(name) != value:
            self.mismatch(
                f"PUT shared vms/{self.shared_vm} answer {name}", value, root.findtext(name)
            )

    def op_delete(self, rng: random.Random) -> None:
        vm_id, vm = self.pick(rng)
        if vm.status != "down" and not self.toggle(vm_id, vm):
            return
        if self.call("DELETE", f"vms/{vm_id}", 200) is not None:
            del self.model[vm_id]


def client_process(connection: Connection, index: int, seed: int) -> None:
    """A client process: runs slices on command, keeps its engine model between them."""
    state = ClientState(index, random.Random(seed * 1009 + index))
    connection.send("ready")
    while True:
        command = connection.recv()
        if command[0] == "run":
            _, target, mode, start_at, seconds, min_ops, shared_vm = command
            model = state.model if mode == "engine" else {}
            try:
                driver = Driver(state, target, mode, model, shared_vm)
                result = driver.run(start_at, seconds, min_ops)
            except Exception as exc:  # reported, not fatal: the parent counts it as an error
                result = SliceResult(
                    index, mode, 0, start_at, start_at, 1, [f"client {index}: {exc!r}"], [], {}
                )
            connection.send(result)
        elif command[0] == "model":
            connection.send((state.model, state.shared_writes))
        else:
            return


class ClientPool:
    """``clients`` spawned processes, started once and reused for every slice."""

    def __init__(self, clients: int, seed: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.pipes: list[Connection] = []
        self.processes: list[multiprocessing.process.BaseProcess] = []
        for index in range(clients):
            ours, theirs = context.Pipe()
            process = context.Process(
                target=client_process, args=(theirs, index, seed), name=f"bench-client-{index}"
            )
            process.start()
            theirs.close()
            self.pipes.append(ours)
            self.processes.append(process)
        for pipe in self.pipes:
            if pipe.recv() != "ready":
                raise RuntimeError("a client process did not start")

    def run(
        self, target: Target, mode: Mode, seconds: float, shared: list[str], min_ops: int = 0
    ) -> list[SliceResult]:
        """One slice; ``shared[j]`` is the id of the VM clients 2j and 2j+1 both update."""
        start_at = time.time() + 0.3  # every client logs in first, then all start together
        for index, pipe in enumerate(self.pipes):
            pipe.send(("run", target, mode, start_at, seconds, min_ops, shared[index // 2]))
        return [pipe.recv() for pipe in self.pipes]

    def models(self, shared: dict[str, VmModel]) -> dict[str, VmModel]:
        """The union of the clients' models, with ``shared`` (the shared VMs as created)
        updated by the last value each client wrote to its field."""
        union: dict[str, VmModel] = dict(shared)
        for index, pipe in enumerate(self.pipes):
            pipe.send(("model",))
            model, writes = pipe.recv()
            union.update(model)
            for vm_id, value in writes.items():
                setattr(union[vm_id], shared_field(index), value)
        return union

    def close(self) -> None:
        for pipe in self.pipes:
            with contextlib.suppress(OSError):
                pipe.send(("stop",))
        for process in self.processes:
            process.join(timeout=10)
            if process.is_alive():
                process.terminate()
                process.join()

    def __enter__(self) -> ClientPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- the server side -------------------------------------------------------------------


def basic_auth() -> str:
    return "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()


def get_status(host: str, port: int, path: str) -> int:
    connection = http.client.HTTPConnection(host, port, timeout=10)
    try:
        connection.request("GET", path, headers={"Authorization": basic_auth()})
        reply = connection.getresponse()
        reply.read()
        return reply.status
    finally:
        connection.close()


def read_engine_state(target: Target) -> dict[str, VmModel]:
    """Every VM the engine has, with its description, status and NIC names."""
    connection = http.client.HTTPConnection(target.host, target.port, timeout=60)
    headers = {"Authorization": basic_auth(), "Accept": "application/xml"}

    def get(path: str) -> etree._Element:
        connection.request("GET", f"{target.prefix}/{path}", headers=headers)
        reply = connection.getresponse()
        body = reply.read()
        if reply.status != 200:
            raise RuntimeError(f"GET {path} answered {reply.status}: {body[:200]!r}")
        return etree.fromstring(body)

    try:
        state: dict[str, VmModel] = {}
        for vm in get("vms").findall("vm"):
            vm_id = vm.get("id") or ""
            nics = [nic.findtext("name") or "" for nic in get(f"vms/{vm_id}/nics").findall("nic")]
            state[vm_id] = VmModel(
                vm.findtext("name") or "",
                vm.findtext("description"),
                vm.findtext("status") or "?",
                nics,
                comment=vm.findtext("comment"),
            )
        return state
    finally:
        connection.close()


def compare_state(expected: dict[str, VmModel], found: dict[str, VmModel]) -> list[str]:
    """The differences between the clients' models and the engine's state (none: equal)."""
    differences: list[str] = []
    for vm_id in sorted(expected.keys() - found.keys()):
        differences.append(f"missing: {expected[vm_id].name} ({vm_id})")
    for vm_id in sorted(found.keys() - expected.keys()):
        differences.append(f"extra: {found[vm_id].name} ({vm_id})")
    for vm_id in sorted(expected.keys() & found.keys()):
        want, have = expected[vm_id], found[vm_id]
        for what, a, b in (
            ("name", want.name, have.name),
            ("description", want.description, have.description),
            ("comment", want.comment, have.comment),
            ("status", want.status, have.status),
            ("nics", sorted(want.nics), sorted(have.nics)),
        ):
            if a != b:
                differences.append(f"{want.name} ({vm_id}) {what}: model {a!r}, engine {b!r}")
    return differences


def verify(target: Target, expected: dict[str, VmModel]) -> tuple[list[str], int, int]:
    """Differences, and the VM and NIC counts the engine holds."""
    found = read_engine_state(target)
    nics = sum(len(vm.nics) for vm in found.values())
    return compare_state(expected, found), len(found), nics


def create_shared(target: Target, count: int) -> dict[str, VmModel]:
    """The VMs pairs of clients share, created before the load: id and model."""
    connection = http.client.HTTPConnection(target.host, target.port, timeout=30)
    headers = {
        "Authorization": basic_auth(),
        "Accept": "application/xml",
        "Content-Type": "application/xml",
        "Expect": "201-created",
    }
    shared: dict[str, VmModel] = {}
    try:
        for j in range(count):
            name = f"shared-{j}"
            body = (
                f"<vm><name>{name}</name><cluster><name>Default</name></cluster>"
                "<template><name>Blank</name></template></vm>"
            )
            connection.request("POST", f"{target.prefix}/vms", body=body, headers=headers)
            reply = connection.getresponse()
            answer = reply.read()
            if reply.status != 201:
                raise RuntimeError(f"POST vms ({name}) answered {reply.status}: {answer[:200]!r}")
            shared[etree.fromstring(answer).get("id") or ""] = VmModel(name)
    finally:
        connection.close()
    return shared


def open_bench_engine(contract: str | None, schema: str | None) -> Engine:
    from contracttest.engine import open_engine

    return open_engine(contract, schema)


def minimal_server() -> EngineServer:
    from contracttest.engine import EngineServer, HttpResponse

    return EngineServer(lambda request: HttpResponse(200, b"<ok/>"))


def target_of(server: EngineServer, prefix: str) -> Target:
    host, port = server.address
    return Target(host, port, prefix)


# -- ready time ------------------------------------------------------------------------


def ready_subprocess(contract: str | None, schema: str | None) -> tuple[float, float]:
    """Seconds from starting ``contracttest serve --port 0`` until its serving line is out and
    the API root answers 200; and the ready time the engine itself printed."""
    command = [sys.executable, "-m", "contracttest", "serve", "--port", "0"]
    if contract:
        command += ["--contract", contract, "--schema", schema or ""]
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert process.stdout is not None
        line = b""
        while b"\n" not in line:
            ready, _, _ = select.select([process.stdout], [], [], 30)
            chunk = os.read(process.stdout.fileno(), 4096) if ready else b""
            if not chunk:
                raise RuntimeError(f"contracttest serve printed {line!r} and no serving line")
            line += chunk
        match = re.search(rb"serving (http://\S+)", line)
        if match is None:
            raise RuntimeError(f"contracttest serve printed {line!r}")
        url = urlsplit(match.group(1).decode())
        status = get_status(url.hostname or "127.0.0.1", url.port or 80, url.path)
        elapsed = time.perf_counter() - start
        if status != 200:
            raise RuntimeError(f"the API root answered {status} after the serving line")
        own = re.search(rb"ready in ([0-9.]+) s", line)
        return elapsed, float(own.group(1)) if own else float("nan")
    finally:
        process.terminate()
        try:
            process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def ready_in_process(contract: str | None, schema: str | None) -> float:
    """``open_engine()`` + ``EngineServer`` started + the API root answering 200."""
    from contracttest.engine import EngineServer

    start = time.perf_counter()
    engine = open_bench_engine(contract, schema)
    try:
        with EngineServer(engine.handle) as server:
            host, port = server.address
            status = get_status(host, port, engine.prefix)
            elapsed = time.perf_counter() - start
    finally:
        engine.close()
    if status != 200:
        raise RuntimeError(f"the API root answered {status}")
    return elapsed


# -- the run ---------------------------------------------------------------------------


@dataclass
class Side:
    """One server's figures, summed over its slices."""

    requests: int = 0
    seconds: float = 0.0
    cpu: float = 0.0
    errors: int = 0
    first_errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    ops: dict[str, int] = field(default_factory=dict)
    rates: list[float] = field(default_factory=list)  # per slice

    def add(self, results: list[SliceResult], cpu: float) -> float:
        started = min(r.started for r in results)
        ended = max(r.ended for r in results)
        requests = sum(r.requests for r in results)
        rate = requests / (ended - started) if ended > started else 0.0
        self.requests += requests
        self.seconds += ended - started
        self.cpu += cpu
        self.rates.append(rate)
        for r in results:
            self.errors += r.errors
            self.first_errors.extend(r.first_errors)
            self.latencies.extend(r.latencies)
            for op, count in r.ops.items():
                self.ops[op] = self.ops.get(op, 0) + count
        return rate

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


@dataclass
class LoadResult:
    engine: Side
    minimal: Side
    ratios: list[float]  # engine / minimal, per round
    differences: list[str]
    vms: int
    nics: int
    expected_vms: int

    @property
    def ok(self) -> bool:
        return self.engine.errors == 0 and self.minimal.errors == 0 and not self.differences


def run_load(
    clients: int,
    seconds: float,
    rounds: int = 1,
    *,
    contract: str | None = None,
    schema: str | None = None,
    seed: int = 1,
    minimal_seconds: float | None = None,
    min_ops: int = 0,
    progress: Callable[[str], None] | None = None,
) -> LoadResult:
    """The load run: engine and minimal server alternating, then the state check.

    ``seconds`` of load on each server (``minimal_seconds`` on the minimal one, when given:
    a shorter baseline for smoke tests), in ``rounds`` slices each; each client does at
    least ``min_ops`` operations a slice, however long they take (for smoke tests, whose
    assertions need some of each kind of work, on a machine of any speed).
    """
    say = progress or (lambda message: None)
    engine = open_bench_engine(contract, schema)
    engine_side, minimal_side = Side(), Side()
    ratios: list[float] = []
    slice_seconds: dict[Mode, float] = {
        "engine": seconds / rounds,
        "minimal": (seconds if minimal_seconds is None else minimal_seconds) / rounds,
    }
    try:
        with (
            ClientPool(clients, seed) as pool,
            engine_server(engine) as engine_http,
            minimal_server() as minimal_http,
        ):
            targets: dict[Mode, tuple[Target, Side]] = {
                "engine": (target_of(engine_http, engine.prefix), engine_side),
                "minimal": (target_of(minimal_http, engine.prefix), minimal_side),
            }
            shared = create_shared(targets["engine"][0], (clients + 1) // 2)
            fake_shared = [str(uuid.uuid4()) for _ in shared]  # the baseline's: same shapes
            ids: dict[Mode, list[str]] = {"engine": list(shared), "minimal": fake_shared}
            for round_ in range(rounds):
                order: tuple[Mode, Mode] = (
                    ("minimal", "engine") if round_ % 2 == 0 else ("engine", "minimal")
                )
                rates: dict[str, float] = {}
                for mode in order:
                    target, side = targets[mode]
                    cpu = time.process_time()
                    results = pool.run(target, mode, slice_seconds[mode], ids[mode], min_ops)
                    rates[mode] = side.add(results, time.process_time() - cpu)
                    say(
                        f"round {round_ + 1}/{rounds} {mode:7}: {rates[mode]:8.0f} req/s, "
                        f"{sum(r.errors for r in results)} errors"
                    )
                ratios.append(rates["engine"] / rates["minimal"] if rates["minimal"] else 0.0)
            expected = pool.models(shared)
            differences, vms, nics = verify(targets["engine"][0], expected)
    finally:
        engine.close()
    return LoadResult(engine_side, minimal_side, ratios, differences, vms, nics, len(expected))


def engine_server(engine: Engine) -> EngineServer:
    from contracttest.engine import EngineServer

    return EngineServer(engine.handle)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="load time per server")
    parser.add_argument("--clients", type=int, default=8, help="client processes")
    parser.add_argument(
        "--rounds", type=int, default=3, help="alternating engine/minimal slices per server"
    )
    parser.add_argument("--quick", action="store_true", help="5 s per server (a smoke run)")
    parser.add_argument("--ready-runs", type=int, default=5, help="ready-time repetitions")
    parser.add_argument("--seed", type=int, default=1, help="the clients' random seed")
    parser.add_argument("--contract", metavar="RSDL", help="RSDL (default: the bundled v4)")
    parser.add_argument("--schema", metavar="XSD", help="its XSD (with --contract)")
    args = parser.parse_args()
    if bool(args.contract) != bool(args.schema):
        parser.error("give --contract and --schema together (or neither, for the bundled v4)")
    seconds = 5.0 if args.quick else args.seconds
    rounds = max(1, args.rounds)
    contract_name = args.contract or "bundled v4 contract"

    def say(message: str) -> None:
        print(message, flush=True)

    cores = os.cpu_count() or 0
    say(
        f"machine: {cores} cores, {platform.system()} {platform.machine()}, "
        f"Python {platform.python_version()}; contract: {contract_name}"
    )

    subprocess_ready: list[float] = []
    own_ready: list[float] = []
    inprocess_ready: list[float] = []
    for _ in range(max(1, args.ready_runs)):
        elapsed, own = ready_subprocess(args.contract, args.schema)
        subprocess_ready.append(elapsed)
        own_ready.append(own)
        inprocess_ready.append(ready_in_process(args.contract, args.schema))
    ready_sub = statistics.median(subprocess_ready)
    ready_in = statistics.median(inprocess_ready)
    say(
        f"ready: serve subprocess {', '.join(f'{t:.3f}' for t in subprocess_ready)} s; "
        f"in-process {', '.join(f'{t:.3f}' for t in inprocess_ready)} s"
    )

    say(
        f"load: {args.clients} client processes, {seconds:g} s per server in {rounds} "
        f"alternating slice(s) of {seconds / rounds:g} s"
    )
    result = run_load(
        args.clients,
        seconds,
        rounds,
        contract=args.contract,
        schema=args.schema,
        seed=args.seed,
        progress=say,
    )

    errors = result.engine.first_errors + result.minimal.first_errors
    for message in errors[:10]:
        say(f"error: {message}")
    for difference in result.differences[:20]:
        say(f"difference: {difference}")
    if len(result.differences) > 20:
        say(f"... {len(result.differences) - 20} more differences")

    engine, minimal = result.engine, result.minimal
    ratio = statistics.median(result.ratios) if result.ratios else 0.0
    ready_ok = ready_sub < READY_BUDGET and ready_in < READY_BUDGET
    verdict = (
        "state matches the model"
        if not result.differences
        else f"STATE DIFFERS FROM THE MODEL ({len(result.differences)} differences)"
    )
    ops = ", ".join(f"{op} {engine.ops.get(op, 0)}" for op, _ in MIX)

    def side_line(name: str, side: Side) -> str:
        per_request = side.cpu / side.requests * 1e6 if side.requests else float("nan")
        return (
            f"{name:8} {side.rate:8.0f} req/s  ({side.requests} requests in {side.seconds:.1f} s; "
            f"p50 {side.percentile(0.5) * 1000:.2f} ms, p99 {side.percentile(0.99) * 1000:.2f} ms; "
            f"server CPU {per_request:.0f} us/request; {side.errors} errors)"
        )

    print()
    print("== bench_engine figures ==")
    print(
        f"machine:  {cores} cores, {platform.system()} {platform.machine()}, "
        f"Python {platform.python_version()}"
    )
    if cores and cores < args.clients + 1:
        print(
            f"note:     only {cores} cores for {args.clients} client processes + the server: "
            "clients and server share the CPU, so both rates are lower bounds"
        )
    print(
        f"load:     {args.clients} clients x {seconds:g} s per server, {rounds} alternating "
        f"slice(s); keep-alive, SSO bearer; {contract_name}"
    )
    print(side_line("engine", engine))
    print(side_line("minimal", minimal))
    print(
        f"ratio:    engine/minimal {ratio:.3f} (cost x{1 / ratio if ratio else float('inf'):.1f}); "
        f"per round {', '.join(f'{r:.3f}' for r in result.ratios)}; overall "
        f"{engine.rate / minimal.rate if minimal.rate else 0.0:.3f}"
    )
    print(f"mix:      {ops}")
    print(f"errors:   {engine.errors} engine, {minimal.errors} minimal")
    print(
        f"state:    {result.vms} VMs ({result.expected_vms} in the models), {result.nics} NICs: "
        f"{verdict}"
    )
    print(
        f"ready:    serve subprocess median {ready_sub * 1000:.0f} ms (engine's own figure "
        f"{statistics.median(own_ready) * 1000:.0f} ms), in-process median "
        f"{ready_in * 1000:.0f} ms; budget {READY_BUDGET * 1000:.0f} ms: "
        f"{'ok' if ready_ok else 'OVER BUDGET'}"
    )
    return 0 if result.ok and ready_ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""The embedded engine under hostile load: memory and another client's wait, measured.

    python benchmarks/bench_hostile.py [--urls 40000] [--idle 2000] [--budget-mb 300]

``contracttest serve --port 0`` runs as a subprocess; this process attacks it in phases, each
bounded in count and time, while a probe thread asks ``GET /clusters`` on a fresh connection
every 50 ms. The server's resident memory is read from ``/proc/<pid>/status`` (VmRSS now,
VmHWM its peak) after each phase. Phases, as the attacks that were found:

* search: a VM with a 200-character name, then 4 clients asking
  ``name=*a*a*...*a*b`` (40 stars) for 5 s: exponential for a backtracking matcher;
* bodies: 200 unauthenticated clients declaring 2 MB and sending 1 MB each, 40 authenticated
  chunked bodies growing past the limit, 40 negative chunk sizes, all at once;
* urls: ``--urls`` requests, each with a unique 2 KB path and query (4 keep-alive clients);
* idle: ``--idle`` connections opened (half after one request), held 3 s, closed at once;
* slow: 500 connections sending a head a byte at a time;
* busy: 40 keep-alive clients (half without credentials) asking as fast as they can for 5 s;
* forms: 500 clients without credentials holding 60 KiB login forms, 20 sending bodies of
  one-byte chunks, then 300 taking the RSDL (1.2 MB) and staying connected.

Figures: RSS at start, after each phase and the peak; the probe's answers and its wait (p50,
p99, max) per phase. Exit status 1 when the peak is at or over ``--budget-mb``, the probe
waited a second or more, or any answer was a 5xx other than 503 (a budget spent).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import os
import re
import select
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

ADMIN = "Basic " + base64.b64encode(b"admin@internal:ovirt").decode()
PREFIX = "/ovirt-engine/api"
VM = (
    "<vm><name>{name}</name><cluster><name>Default</name></cluster>"
    "<template><name>Blank</name></template></vm>"
)


def memory(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process, in MB."""
    text = Path(f"/proc/{pid}/status").read_text()
    rss = int(re.search(r"VmRSS:\s+(\d+)", text).group(1))  # type: ignore[union-attr]
    hwm = int(re.search(r"VmHWM:\s+(\d+)", text).group(1))  # type: ignore[union-attr]
    return rss / 1024, hwm / 1024


def request(method: str, path: str, *lines: str, auth: bool = True, body: bytes = b"") -> bytes:
    fields = ["Host: localhost", *([f"Authorization: {ADMIN}"] if auth else []), *lines]
    if body:
        fields.append(f"Content-Length: {len(body)}")
    head = f"{method} {PREFIX}{path} HTTP/1.1\r\n" + "".join(f"{f}\r\n" for f in fields) + "\r\n"
    return head.encode() + body


def status_of(sock: socket.socket) -> tuple[int, bool]:
    """Read one answer (Content-Length framed): its status, and whether the server closes."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before an answer")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))  # type: ignore[union-attr]
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return status, b"connection: close" in head.lower()


class Tally:
    def __init__(self) -> None:
        self.statuses: dict[int, int] = {}
        self.lock = threading.Lock()

    def add(self, status: int) -> None:
        with self.lock:
            self.statuses[status] = self.statuses.get(status, 0) + 1

    def server_errors(self) -> int:
        """5xx answers, but 503: the engine's word that a budget is spent, not a failure."""
        return sum(n for status, n in self.statuses.items() if status >= 500 and status != 503)


class Probe(threading.Thread):
    def __init__(self, address: tuple[str, int]) -> None:
        super().__init__(daemon=True)
        self.address = address
        self.waits: list[float] = []
        self.failures: list[str] = []
        self.stopping = threading.Event()
        self.lock = threading.Lock()

    def run(self) -> None:
        raw = request("GET", "/clusters")
        while not self.stopping.is_set():
            started = time.monotonic()
            try:
                with socket.create_connection(self.address, timeout=30) as sock:
                    sock.sendall(raw)
                    status, _ = status_of(sock)
                if status != 200:
                    self.failures.append(str(status))
            except OSError as exc:
                self.failures.append(repr(exc))
            with self.lock:
                self.waits.append(time.monotonic() - started)
            time.sleep(0.05)

    def take(self) -> list[float]:
        with self.lock:
            waits, self.waits = self.waits, []
        return waits


def ask_and_hold(address: tuple[str, int], raw: bytes, tally: Tally) -> socket.socket:
    """A connection that asked ``raw`` (if anything) and took its answer, kept open."""
    sock = socket.create_connection(address, timeout=60)
    if raw:
        sock.sendall(raw)
        tally.add(status_of(sock)[0])
    return sock


def in_threads(count: int, work: object) -> None:
    threads = [threading.Thread(target=work, args=(k,), daemon=True) for k in range(count)]  # type: ignore[arg-type]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)


def phase_search(address: tuple[str, int], tally: Tally) -> None:
    with socket.create_connection(address, timeout=30) as sock:
        sock.sendall(request("POST", "/vms", "Content-Type: application/xml",
                             body=VM.format(name="a" * 200).encode()))  # fmt: skip
        tally.add(status_of(sock)[0])
    raw = request("GET", "/vms?search=" + quote("name=" + "*a" * 40 + "*b"))
    until = time.monotonic() + 5

    def work(_: int) -> None:
        with socket.create_connection(address, timeout=60) as sock:
            while time.monotonic() < until:
                sock.sendall(raw)
                tally.add(status_of(sock)[0])

    in_threads(4, work)


def phase_bodies(address: tuple[str, int], tally: Tally) -> None:
    def work(k: int) -> None:
        with contextlib.suppress(OSError), socket.create_connection(address, timeout=60) as sock:
            if k < 200:
                sock.sendall(request("POST", "/vms", "Content-Length: 2000000", auth=False))
                with contextlib.suppress(OSError):
                    for _ in range(16):
                        sock.sendall(b"<" * 65536)
            elif k < 240:
                sock.sendall(request("POST", "/vms", "Transfer-Encoding: chunked"))
                with contextlib.suppress(OSError):
                    for _ in range(40):
                        sock.sendall(b"10000\r\n" + b"x" * 0x10000 + b"\r\n")
            else:
                sock.sendall(request("POST", "/vms", "Transfer-Encoding: chunked")
                             + b"-40000000\r\n" + b"y" * 65536)  # fmt: skip
            tally.add(status_of(sock)[0])

    in_threads(280, work)


def phase_urls(address: tuple[str, int], tally: Tally, count: int) -> None:
    def work(k: int) -> None:
        with socket.create_connection(address, timeout=60) as sock:
            for n in range(k, count, 4):
                unique = f"{n:08d}" + "z" * 900
                sock.sendall(request("GET", f"/vms/{unique}/nics?search=name%3D{unique}"))
                status, closed = status_of(sock)
                tally.add(status)
                if closed:
                    return

    in_threads(4, work)


def phase_idle(address: tuple[str, int], tally: Tally, count: int) -> None:
    idle = []
    for k in range(count):
        idle.append(ask_and_hold(address, request("GET", "") if k % 2 else b"", tally))
    time.sleep(3)
    for sock in idle:
        sock.close()
    time.sleep(1)


def phase_slow(address: tuple[str, int], tally: Tally) -> None:
    slow = [socket.create_connection(address, timeout=60) for _ in range(500)]
    head = request("GET", "/vms")
    for byte in range(12):
        for sock in slow:
            with contextlib.suppress(OSError):
                sock.send(head[byte : byte + 1])
        time.sleep(0.25)
    for sock in slow:
        with contextlib.suppress(OSError):
            ready, _, _ = select.select([sock], [], [], 15)
            if ready:
                tally.add(status_of(sock)[0])
        sock.close()


def phase_busy(address: tuple[str, int], tally: Tally) -> None:
    """40 keep-alive clients (half without credentials) asking as fast as they can."""
    until = time.monotonic() + 5
    asks = (request("GET", "/clusters"), b"GET /ovirt-engine/services/sso-logout HTTP/1.1\r\n"
            b"Host: x\r\n\r\n")  # fmt: skip

    def work(k: int) -> None:
        with socket.create_connection(address, timeout=60) as sock:
            while time.monotonic() < until:
                sock.sendall(asks[k % 2])
                status, closed = status_of(sock)
                tally.add(status)
                if closed:
                    return

    in_threads(40, work)


def phase_forms(address: tuple[str, int], tally: Tally) -> None:
    """500 clients without credentials sending login forms of 60 KiB and holding, 20 sending
    bodies of one-byte chunks; then 300 taking the RSDL (1.2 MB) and staying connected."""
    held = []
    for _ in range(500):
        sock = socket.create_connection(address, timeout=60)
        sock.sendall(b"POST /ovirt-engine/sso/oauth/token HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Length: 65000\r\n\r\n" + b"a" * 60000)  # fmt: skip
        held.append(sock)

    def tiny(_: int) -> None:
        with contextlib.suppress(OSError), socket.create_connection(address, timeout=60) as sock:
            sock.sendall(b"POST /ovirt-engine/sso/oauth/token HTTP/1.1\r\nHost: x\r\n"
                         b"Transfer-Encoding: chunked\r\n\r\n")  # fmt: skip
            for _ in range(20):
                sock.sendall(b"1\r\na\r\n" * 5000)
            tally.add(status_of(sock)[0])

    in_threads(20, tiny)
    held += [ask_and_hold(address, request("GET", "?rsdl"), tally) for _ in range(300)]
    time.sleep(1)
    for sock in held:
        sock.close()


def start_engine() -> tuple[subprocess.Popen[bytes], tuple[str, int]]:
    root = Path(__file__).resolve().parent.parent
    process = subprocess.Popen(
        [sys.executable, "-m", "contracttest", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=root,
    )
    assert process.stdout is not None
    line = process.stdout.readline().decode()
    match = re.search(r"serving http://([\d.]+):(\d+)", line)
    if match is None:
        process.kill()
        raise SystemExit(f"contracttest serve printed {line!r}")
    return process, (match.group(1), int(match.group(2)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--urls", type=int, default=40000, help="unique-URL requests")
    parser.add_argument("--idle", type=int, default=2000, help="idle connections")
    parser.add_argument("--budget-mb", type=float, default=300.0, help="peak RSS budget")
    parser.add_argument(
        "--phases", default="search,bodies,urls,idle,slow,busy,forms", help="phases, in order"
    )
    args = parser.parse_args()
    process, address = start_engine()
    tally = Tally()
    probe = Probe(address)
    rows: list[str] = []
    failed = False
    try:
        start_rss, _ = memory(process.pid)
        print(
            f"engine pid {process.pid} on {address[0]}:{address[1]}; "
            f"RSS at start {start_rss:.0f} MB"
        )
        probe.start()
        phases = (
            ("search", lambda: phase_search(address, tally)),
            ("bodies", lambda: phase_bodies(address, tally)),
            ("urls", lambda: phase_urls(address, tally, args.urls)),
            ("idle", lambda: phase_idle(address, tally, args.idle)),
            ("slow", lambda: phase_slow(address, tally)),
            ("busy", lambda: phase_busy(address, tally)),
            ("forms", lambda: phase_forms(address, tally)),
        )
        chosen = args.phases.split(",")
        for name, run in sorted(
            (p for p in phases if p[0] in chosen), key=lambda p: chosen.index(p[0])
        ):
            started = time.monotonic()
            run()
            took = time.monotonic() - started
            rss, hwm = memory(process.pid)
            waits = probe.take() or [float("nan")]
            waits.sort()
            p99 = waits[min(len(waits) - 1, int(len(waits) * 0.99))]
            rows.append(
                f"{name:7} {took:6.1f} s  RSS {rss:5.0f} MB (peak so far {hwm:4.0f} MB)  probe: "
                f"{len(waits)} answers, p50 {1000 * statistics.median(waits):5.1f} ms, "
                f"p99 {1000 * p99:6.1f} ms, max {1000 * waits[-1]:6.1f} ms"
            )
            print(rows[-1], flush=True)
            failed |= waits[-1] >= 1.0
        _, peak = memory(process.pid)
    finally:
        probe.stopping.set()
        probe.join(30)
        process.terminate()
        _, err = process.communicate(timeout=30)
    print("\n== bench_hostile figures ==")
    print(
        f"machine: {os.cpu_count()} cores; engine RSS at start {start_rss:.0f} MB, "
        f"peak {peak:.0f} MB (budget {args.budget_mb:.0f} MB)"
    )
    for row in rows:
        print(row)
    print(f"answers: {dict(sorted(tally.statuses.items()))}")
    tracebacks = err.decode(errors="replace").count("Traceback")
    print(f"probe failures: {len(probe.failures)}; tracebacks in the engine's log: {tracebacks}")
    failed |= peak >= args.budget_mb or tally.server_errors() > 0 or bool(probe.failures)
    failed |= tracebacks > 0
    print("verdict:", "FAIL" if failed else "ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

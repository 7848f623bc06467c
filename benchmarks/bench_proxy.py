"""What the recording proxy costs: requests per second through it against direct to the
embedded engine, in the same run.

    python3 benchmarks/bench_proxy.py [--seconds 3] [--rounds 6] [--clients 4] [--quick]

The engine (``contracttest serve``) and the proxy (``contracttest proxy``, in passthrough
and in record mode) each run in their own process, as a user runs them; the recording proxy
is a new one each round, stopped (its cassette written) before the next phase starts, so its
writes never overlap another phase. ``--clients``
threads of this process, each with its own keep-alive connection and the same SSO bearer
token, send the same mix (a host by id, the clusters searched by name, the API root) for
``--seconds``, alternately direct and through each proxy, ``--rounds`` times (the order
flipped each round, so a slow phase of the machine hits all). Every answer must be a 200.

Figures: requests per second direct, through the proxy passing through, and recording; the
cost of each (1 - proxied / direct); goal: under 30%. Exit status 1 on any error.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
GOAL = 0.30


@dataclass
class Tally:
    requests: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


@contextmanager
def process(*words: str) -> Iterator[str]:
    """``contracttest WORDS`` in its own process until the block ends: the URL it prints."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "contracttest", *words]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
    ) as running:
        assert running.stdout is not None
        line = running.stdout.readline()
        try:
            word = line.split(" at ", 1)[1] if " at " in line else line.split("serving ", 1)[1]
            yield word.split()[0]
        finally:
            running.terminate()
            running.wait(30)


def token(api: str) -> str:
    parts = urlsplit(api)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    form = {"grant_type": "password", "scope": "ovirt-app-api"}
    form |= {"username": "admin@internal", "password": "ovirt"}
    connection.request(
        "POST",
        "/ovirt-engine/sso/oauth/token",
        urlencode(form),
        {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
    )
    answer = json.loads(connection.getresponse().read())
    connection.close()
    return str(answer["access_token"])


def targets(api: str, bearer: str) -> list[str]:
    """The mix: a host by id, a search, the API root."""
    parts = urlsplit(api)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    headers = {"Authorization": f"Bearer {bearer}", "Version": "4"}
    connection.request("GET", f"{parts.path}/hosts", headers=headers)
    body = connection.getresponse().read().decode()
    connection.close()
    host = body.split('<host href="', 1)[1].split('"', 1)[0]
    return [host, f"{parts.path}/clusters?search=name%3DDefault", parts.path]


def load(base: str, paths: list[str], bearer: str, clients: int, seconds: float) -> Tally:
    parts = urlsplit(base)
    tally = Tally()
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    stop = time.monotonic() + seconds + 0.0

    def client() -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        headers = {"Authorization": f"Bearer {bearer}", "Version": "4", "Accept": "application/xml"}
        done, errors = 0, []
        start.wait()
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            path = paths[done % len(paths)]
            try:
                connection.request("GET", path, headers=headers)
                answer = connection.getresponse()
                answer.read()
                if answer.status != 200:
                    errors.append(f"{path}: {answer.status}")
            except (OSError, http.client.HTTPException) as exc:
                errors.append(f"{path}: {exc}")
                connection.close()
            done += 1
        connection.close()
        with lock:
            tally.requests += done
            tally.errors.extend(errors[:3])

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.monotonic()
    for thread in threads:
        thread.join()
    tally.seconds = time.monotonic() - began
    del stop
    return tally


def measure(seconds: float, rounds: int, clients: int) -> dict[str, Tally]:
    tallies = {name: Tally() for name in ("direct", "passthrough", "record")}
    with tempfile.TemporaryDirectory() as folder, process("serve", "--port", "0") as api:
        engine = f"{urlsplit(api).scheme}://{urlsplit(api).netloc}"
        bearer = token(api)
        paths = targets(api, bearer)
        with process("proxy", "--target", api, "--mode", "passthrough") as passing:
            order = list(tallies)
            for round_ in range(rounds):
                for name in order if round_ % 2 == 0 else order[::-1]:
                    if name == "record":  # a proxy of its own, stopped (and written) after
                        cassette = str(Path(folder) / f"bench-{round_}.yaml")
                        words = ("--target", api, "--mode", "record", "--cassette", cassette)
                        with process("proxy", *words) as recording:
                            got = load(recording, paths, bearer, clients, seconds)
                    else:
                        base = engine if name == "direct" else passing
                        got = load(base, paths, bearer, clients, seconds)
                    tally = tallies[name]
                    tally.requests += got.requests
                    tally.seconds += got.seconds
                    tally.errors.extend(got.errors)
    return tallies


def report(tallies: dict[str, Tally]) -> list[str]:
    direct = tallies["direct"].rate
    lines = [f"direct to the engine:     {direct:8.1f} requests/s"]
    for name in ("passthrough", "record"):
        rate = tallies[name].rate
        cost = 1 - rate / direct if direct else 1.0
        verdict = "within" if cost < GOAL else "OVER"
        lines.append(
            f"through the proxy, {name + ':':12} {rate:8.1f} requests/s "
            f"(cost {cost:5.1%}, {verdict} the {GOAL:.0%} goal)"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--quick", action="store_true", help="one short round (a smoke run)")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.rounds = 0.3, 1
    tallies = measure(args.seconds, args.rounds, args.clients)
    for line in report(tallies):
        print(line)
    errors = [e for tally in tallies.values() for e in tally.errors]
    for error in errors[:5]:
        print(f"error: {error}")
    return 1 if errors or not all(t.requests for t in tallies.values()) else 0


if __name__ == "__main__":
    sys.exit(main())

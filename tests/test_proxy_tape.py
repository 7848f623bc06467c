"""The proxy's recorder (``proxy.tape.Tape``): exchanges handed over by many threads are kept
whole, in the order they were handed over, while at most ``MAX_WAITING`` wait for the
recorder (a worker that would be one more waits, memory stays bounded), and closing records
what waits before the file is written."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from vcr.request import Request as VcrRequest

from contracttest.cassette import load_cassette
from contracttest.proxy import tape as tapes
from contracttest.proxy.relay import vcr_response
from contracttest.scrub import ScrubConfig

API = "http://engine.invalid/ovirt-engine/api"


def exchange(number: int) -> tuple[VcrRequest, dict[str, Any]]:
    headers = {"Authorization": f"Bearer token-of-client-{number % 3}-0123456789"}
    request = VcrRequest("GET", f"{API}/vms/{number}", None, headers)
    body = f"<vm id='{number}'><name>vm{number}</name></vm>".encode()
    return request, vcr_response(200, "OK", {"Content-Type": "application/xml"}, body)


def test_exchanges_are_kept_in_the_order_handed_over_and_none_waits_beyond_the_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tapes, "MAX_WAITING", 8)
    cassette = tmp_path / "tape.yaml"
    tape = tapes.Tape(cassette, record=True, scrub=ScrubConfig(), observer=None, rest=0)
    held = threading.Event()
    real = tape.cassette.scrubbed
    most = 0

    def slow(request: Any, response: Any) -> Any:
        nonlocal most
        held.wait()  # the recorder is held: exchanges pile up until workers must wait
        most = max(most, len(tape._waiting))
        return real(request, response)

    monkeypatch.setattr(tape.cassette, "scrubbed", slow)
    order: list[int] = []
    lock = threading.Lock()

    def worker(start: int) -> None:
        for number in range(start, 200, 4):
            with lock:  # handed over in this order
                order.append(number)
                tape.record(*exchange(number))

    workers = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in workers:
        thread.start()
    while len(tape._waiting) < 8:
        threading.Event().wait(0.01)
    threading.Event().wait(0.2)
    # the bound: 8 wait, besides the 8 the recorder took at once; the next worker waits
    assert len(tape._waiting) == 8 and len(order) <= 2 * 8 + 1
    held.set()
    for thread in workers:
        thread.join(30)
    tape.close()
    assert most <= 8
    recorded = load_cassette(cassette).exchanges
    assert [e.request.uri.rsplit("/", 1)[1] for e in recorded] == [str(n) for n in order]
    assert not any("token-of-client" in e.request.headers["authorization"][0] for e in recorded)


def test_closing_records_what_waits_and_a_failing_exchange_is_said(tmp_path: Path) -> None:
    said: list[str] = []
    cassette = tmp_path / "tape.yaml"
    tape = tapes.Tape(
        cassette, record=True, scrub=ScrubConfig(), observer=None, on_error=said.append
    )
    for number in range(50):
        tape.record(*exchange(number))
    request, response = exchange(99)
    response["status"] = {"code": "not a number"}  # what no cassette may hold
    tape.record(request, response)
    tape.close()
    assert len(load_cassette(cassette).exchanges) == 50
    assert said[-1].startswith("an exchange was not recorded: ValueError")
    assert all("not recorded" not in line for line in said[:-1])


def test_bodies_bound_what_waits_and_a_second_interrupt_writes_what_is_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tapes, "MAX_WAITING_BYTES", 100)  # two or three of these bodies
    said: list[str] = []
    cassette = tmp_path / "tape.yaml"
    tape = tapes.Tape(
        cassette, record=True, scrub=ScrubConfig(), observer=None, on_error=said.append
    )
    held, passed = threading.Event(), threading.Event()
    real = tape.cassette.scrubbed

    def slow(request: Any, response: Any) -> Any:
        passed.set()
        held.wait()
        return real(request, response)

    monkeypatch.setattr(tape.cassette, "scrubbed", slow)
    tape.record(*exchange(0))  # the recorder takes it, and is held
    passed.wait(10)
    handed: list[int] = []
    worker = threading.Thread(
        target=lambda: [tape.record(*exchange(n)) or handed.append(n) for n in range(1, 20)]
    )
    worker.start()
    threading.Event().wait(0.3)
    assert 1 <= len(handed) <= 3 and tape._bytes <= 100  # the next one waits for room
    assert tape._recorder is not None

    def interrupted(timeout: float | None = None) -> None:
        raise KeyboardInterrupt  # Ctrl-C again while the waiting ones are being recorded

    monkeypatch.setattr(tape._recorder, "join", interrupted)
    held.set()
    tape.close()
    worker.join(10)
    kept = load_cassette(cassette).exchanges
    assert 1 <= len(kept) < 20  # what was recorded is written, whole
    assert [e.request.uri.rsplit("/", 1)[1] for e in kept] == [str(n) for n in range(len(kept))]
    assert said[0].startswith("recording the ") and "not recorded (interrupted)" in said[-1]

"""The proxy's cassette: one ``RecordingCassette`` shared by every client of the proxy, used
as the plugin uses it (scrubbing, matching, polling played in order, logins, provenance).

Recording is off the client's path: a worker hands a completed exchange to the recorder
(``record``) and answers its client at once; the recorder thread scrubs each exchange, checks
it (the observer) and keeps it whole, one at a time, in the order they were handed over (the
order the exchanges completed), taking all that wait at once. At most ``MAX_WAITING``
exchanges (``MAX_WAITING_BYTES`` of bodies) wait for it besides those it is recording:
beyond that a worker waits before it answers, so memory stays bounded however fast clients
are. A write makes its document from a snapshot of the list of exchanges (each is never
changed once recorded), outside the lock, so recording goes on while the file is written;
each exchange's text is made once and kept (``yamlfile.dump_cassette``).

When it is written: a proxy may be killed (SIGKILL) at any moment, so what it recorded
reaches the disk as it goes, never only at the end. A writer thread writes the whole
cassette (``pin.atomic_write``: the old file or the new one, never part of one) after
exchanges are kept: at once when it has been idle, else after resting for nine times as
long as its last write took (at least ``rest`` seconds, at most ``MAX_REST``), so writing
costs the proxy a tenth of its time until a write takes a third of a second, and a killed
proxy loses at most the exchanges of the last rest and those waiting for the recorder.
Stopping records and writes what is left; interrupted again, it writes only what is
recorded (and says how many were not). ``hold=True`` writes nothing: the caller commits
(the pytest fixture writes a test's cassette only once the test completed).
"""

from __future__ import annotations

import copy
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from contracttest.errors import CassetteError
from contracttest.exchange import body_bytes
from contracttest.recording import Observer, RecordingCassette
from contracttest.scrub import ScrubConfig

#: The most completed exchanges (and bytes of their bodies) that wait for the recorder
#: before workers wait for it.
MAX_WAITING = 256
MAX_WAITING_BYTES = 64 << 20
#: The longest the writer rests between writes, however long its last write took.
MAX_REST = 3.0


class Tape:
    def __init__(
        self,
        path: Path,
        *,
        record: bool,
        scrub: ScrubConfig,
        observer: Observer | None,
        count: Callable[[], None] | None = None,
        provenance: dict[str, str] | None = None,
        display: str | None = None,
        hold: bool = False,
        rest: float = 0.05,
        on_error: Any = None,
    ) -> None:
        self.path = path
        self.record_mode = record
        self.cassette: RecordingCassette = RecordingCassette.load(
            path=str(path),
            mode="all" if record else "none",
            scrub=scrub,
            observer=observer,
            provenance=provenance,
            display=display or str(path),
            hold=True,
        )
        self.hold = hold
        self.rest = rest
        self.writes = 0
        self._on_error = on_error
        self._count = count if observer is None else None  # kept, and read by nobody
        self._lock = threading.Lock()  # the cassette's state
        self._write_lock = threading.Lock()  # one write at a time, in order
        self._changed = threading.Event()
        self._stopping = threading.Event()
        self._waiting: deque[tuple[Any, dict[str, Any], int]] = deque()
        self._bytes = 0  # of the bodies that wait
        self._abandoned = threading.Event()  # interrupted again: keep only what is recorded
        self._handed = threading.Condition()  # the waiting exchanges: one handed, one taken
        self._recorder: threading.Thread | None = None
        self._writer: threading.Thread | None = None
        if record:
            self._recorder = threading.Thread(
                target=self._record_loop, name="contracttest-proxy-recorder", daemon=True
            )
            self._recorder.start()
        if record and not hold:
            self._writer = threading.Thread(
                target=self._write_loop, name="contracttest-proxy-writer", daemon=True
            )
            self._writer.start()

    @property
    def size(self) -> int:
        """Exchanges recorded now (record) or in the file (replay)."""
        with self._lock:
            return len(self.cassette.recorded) - (self.cassette.loaded if self.record_mode else 0)

    def check_live(self, request: Any) -> None:
        """Before a request goes to the engine: ``ReplayedCredential`` if it carries one (a
        test of the request alone: recording, nothing of the file plays)."""
        self.cassette.can_play_response_for(request)

    def play(self, request: Any) -> dict[str, Any]:
        """The recorded answer (polling: the next one), or the explained ``ReplayError``."""
        with self._lock:
            return self.cassette.play_response(request)

    def record(self, request: Any, response: dict[str, Any]) -> None:
        """A completed exchange, handed to the recorder (scrubbed, checked and kept whole,
        in the order handed); waits only while ``MAX_WAITING`` exchanges (or their bodies'
        ``MAX_WAITING_BYTES``) wait already."""
        size = len(body_bytes((response.get("body") or {}).get("string"))) + len(
            body_bytes(getattr(request, "body", None))
        )
        with self._handed:
            while (
                self._recorder is not None
                and self._waiting
                and (len(self._waiting) >= MAX_WAITING or self._bytes + size > MAX_WAITING_BYTES)
            ):
                self._handed.wait()
            self._waiting.append((request, response, size))
            self._bytes += size
            if len(self._waiting) == 1:
                self._handed.notify_all()  # the recorder may be waiting for one

    def _record_loop(self) -> None:
        while True:
            with self._handed:
                while not self._waiting and not self._stopping.is_set():
                    self._handed.wait()
                if not self._waiting:
                    return  # stopping, and all is recorded
                batch = list(self._waiting)  # all that waits, taken at once
                self._waiting.clear()
                self._bytes = 0
                self._handed.notify_all()
            for request, response, _ in batch:
                if self._abandoned.is_set():
                    return
                try:
                    made = self.cassette.scrubbed(request, response)  # the costly part, unlocked
                    with self._lock:
                        self.cassette.keep(request, *made)
                    if self._count is not None:
                        self._count()
                except Exception as exc:  # a bug: said, and the proxy goes on
                    if self._on_error is not None:
                        message = f"an exchange was not recorded: {type(exc).__name__}: {exc}"
                        self._on_error(message)
            self._changed.set()

    def flush(self) -> bool:
        """Write what was recorded and is not on disk yet; whether anything was written."""
        with self._write_lock:
            with self._lock:  # a snapshot: the recorded exchanges are never changed, only added
                if not self.cassette.dirty:
                    return False
                snapshot = copy.copy(self.cassette)
                snapshot.recorded = list(self.cassette.recorded)
                self.cassette.dirty = False
            snapshot._save()  # vcrpy's hook: the new document in ``pending``, made unlocked
            if snapshot.pending is None:
                return False
            try:
                snapshot.commit()
            except OSError:
                self.cassette.dirty = True  # tried again after the next exchange, or at close
                raise
            self.writes += 1
            return True

    def close(self) -> None:
        """Stop the writer and write what is left (``hold``: leave it in ``pending``)."""
        with self._handed:
            self._stopping.set()
            self._handed.notify_all()
            waiting = len(self._waiting)
        if self._recorder is not None:
            if waiting and self._on_error is not None:
                self._on_error(
                    f"recording the {waiting} exchange(s) still waiting (interrupt again to "
                    "write only those recorded)"
                )
            try:
                self._recorder.join()  # records what waits, then ends
            except KeyboardInterrupt:  # again: what is recorded is written, the rest is not
                self._abandoned.set()
                with self._handed:
                    dropped = len(self._waiting)
                    self._waiting.clear()
                if self._on_error is not None:
                    self._on_error(f"{dropped} or more exchange(s) not recorded (interrupted)")
            self._recorder = None
        self._changed.set()
        if self._writer is not None:
            self._writer.join()
            self._writer = None
        if self.hold:
            with self._lock:
                self.cassette._save()
        elif self.record_mode:
            try:
                self.flush()
            except OSError as exc:
                raise CassetteError(str(self.path), f"not written: {exc.strerror or exc}") from None

    def _write_loop(self) -> None:
        while not self._stopping.is_set():
            self._changed.wait()
            if self._stopping.is_set():
                return  # ``close`` writes the rest
            self._changed.clear()
            started = time.monotonic()
            try:
                self.flush()
            except OSError as exc:  # a full disk, a file made read-only: said, and tried again
                if self._on_error is not None:
                    self._on_error(f"{self.path}: not written: {exc.strerror or exc}")
            elapsed = time.monotonic() - started
            self._stopping.wait(min(max(self.rest, 9 * elapsed), MAX_REST))

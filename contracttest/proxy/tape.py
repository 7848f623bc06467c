"""The proxy's cassette: one ``RecordingCassette`` shared by every client of the proxy, used
as the plugin uses it (scrubbing, matching, polling played in order, logins, provenance), one
exchange at a time under a lock (scrubbed before it is taken), so each is recorded whole, in
the order the exchanges completed. A write makes its document from a snapshot of the list of
exchanges (each is never changed once recorded), outside the lock, so recording goes on while
the file is written; each exchange's text is made once and kept (``yamlfile.dump_cassette``).

When it is written: a proxy may be killed (SIGKILL) at any moment, so what it recorded
reaches the disk as it goes, never only at the end. A writer thread writes the whole
cassette (``pin.atomic_write``: the old file or the new one, never part of one) after
exchanges complete: at once when it has been idle, else after resting for four times as
long as its last write took (at least ``rest`` seconds), so writing costs the proxy at most
a fifth of its time however long the cassette grows, and a killed proxy loses at most the
exchanges of the last rest. Stopping writes what is left. ``hold=True`` writes nothing: the
caller commits (the pytest fixture writes a test's cassette only once the test completed).
"""

from __future__ import annotations

import copy
import threading
import time
from pathlib import Path
from typing import Any

from contracttest.errors import CassetteError
from contracttest.recording import Observer, RecordingCassette
from contracttest.scrub import ScrubConfig


class Tape:
    def __init__(
        self,
        path: Path,
        *,
        record: bool,
        scrub: ScrubConfig,
        observer: Observer,
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
        self._lock = threading.Lock()  # the cassette's state
        self._write_lock = threading.Lock()  # one write at a time, in order
        self._changed = threading.Event()
        self._stopping = threading.Event()
        self._writer: threading.Thread | None = None
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
        """Before a request goes to the engine: ``ReplayedCredential`` if it carries one."""
        with self._lock:
            self.cassette.can_play_response_for(request)

    def play(self, request: Any) -> dict[str, Any]:
        """The recorded answer (polling: the next one), or the explained ``ReplayError``."""
        with self._lock:
            return self.cassette.play_response(request)

    def record(self, request: Any, response: dict[str, Any]) -> None:
        """A completed exchange, scrubbed, checked (the observer) and kept, whole."""
        made = self.cassette.scrubbed(request, response)  # the costly part, unlocked
        with self._lock:
            self.cassette.keep(request, *made)
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
        self._stopping.set()
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
            self._stopping.wait(max(self.rest, 4 * elapsed))

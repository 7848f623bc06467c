"""Recording and replaying vcrpy cassettes the way an API suite needs it.

``RecordingCassette`` is a vcrpy ``Cassette``: vcrpy's patches of ``http.client`` (and of the
libraries built on it) ask it whether a request has a recorded response, play that response,
or hand it a new exchange to record. What it changes:

* matching by ``matching.request_key`` (method, path with matrix parameters, query in any
  order, body by meaning), with an index, so a lookup is one dictionary access;
* a request recorded several times (polling) replays its answers in order, then the last
  again; ``in_order`` holds a replay to the recorded order (``diverged``: the first request
  out of it), and ``afresh`` records anew whatever the mode (generated calls);
* secrets are scrubbed (``scrub``) before anything is kept, and requests alike to match;
* every exchange, recorded or replayed, goes to an observer (the checks) as an ``Exchange``;
* a missing cassette and a request that matches nothing raise different, explained errors;
* a login is never replayed while recording (``logins``), and a request carrying a
  credential played from the file never reaches the engine (``ReplayedCredential``);
* ``hold=True`` keeps the new recording (``pending``) until ``commit()``; without it, a
  ``with`` block that raises (an interrupt too) leaves the file as it was;
* the file is written atomically, with the recording's provenance under a top-level
  ``contracttest`` key, which every vcrpy version (and pytest-recording) loads and ignores
  (not vcrpy's newer ``metadata``: older two-value loaders fail on a cassette with one).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from vcr.cassette import Cassette as VcrCassette
from vcr.record_mode import RecordMode

from contracttest.errors import ContractTestError, UsageError
from contracttest.exchange import Exchange, body_bytes, header, request_target
from contracttest.interactions import (
    Budget,
    exchange_of,
    interactions_of,
    playable,
    request_dict,
    response_dict,
    scrubbed_request,
    stored,
)
from contracttest.logins import authenticates, played_credential, replayed_credential
from contracttest.matching import Key, explained, nearest, request_key
from contracttest.options import RECORD_MODES
from contracttest.pin import atomic_write
from contracttest.recorded import Recorded, key_of, raw_key
from contracttest.scrub import (
    ScrubConfig,
    scrub_request,
    scrub_request_parts,
    scrub_response,
    scrub_uri,
)
from contracttest.yamlfile import dump_cassette, load_yaml, read_cassette_file

METADATA_KEY = "contracttest"

Observer = Callable[[Exchange, bool], None]  # (exchange, recorded now)


class ReplayError(ContractTestError):
    """A request a replay cannot answer; ``str()`` is the whole explanation."""


class MissingCassette(ReplayError):
    pass


class UnmatchedRequest(ReplayError):
    pass


class ReplayDiverged(ReplayError):
    """A replay held to the recorded order (``in_order``) made another request than the
    recording's next one: what it replays made other calls this time."""


class ReplayedCredential(ReplayError):
    """A request about to reach the engine with a credential the cassette played (a
    scrubbed placeholder): the engine would refuse it, and a 401 would be recorded."""


#: ``_save``'s answer when the recording leaves no exchange and the cassette is to go.
REMOVE = b""


class RecordingCassette(VcrCassette):  # type: ignore[misc]  # vcrpy is untyped
    """Use as ``RecordingCassette.use(path=..., mode=..., scrub=..., observer=...)``."""

    def __init__(
        self,
        path: str,
        *,
        mode: str = "none",
        scrub: ScrubConfig | None = None,
        observer: Observer | None = None,
        provenance: dict[str, str] | None = None,
        display: str | None = None,
        record_command: str = "",
        rerecord_command: str = "",
        hold: bool = False,
        **kwargs: Any,
    ) -> None:
        if mode not in RECORD_MODES:
            raise UsageError(f"unknown record mode {mode!r} (one of {', '.join(RECORD_MODES)})")
        vcr_mode = RecordMode.ALL if mode == "rewrite" else RecordMode(mode)
        super().__init__(path, record_mode=vcr_mode, **kwargs)
        self.mode = mode
        self.scrub = scrub or ScrubConfig()
        self.observer = observer
        self.provenance = dict(provenance or {})
        self.display = display or str(path)
        self.record_command = record_command
        self.rerecord_command = rerecord_command
        self.recorded: list[Recorded] = []  # from the file, then what is recorded now
        self.loaded = 0  # how many of ``recorded`` came from the file
        self.existed = False
        self.empty = False  # a file of 0 bytes: as good as none
        self.hold = hold
        self.pending: bytes | None = None  # held by ``hold``: the document, or ``REMOVE``
        self.loaded_provenance: dict[str, str] = {}
        self.loaded_metadata: dict[str, Any] = {}
        self.index: dict[Key, list[int]] = {}
        self.plays: dict[Key, int] = {}
        #: replaying, whether each request must be the recording's next one (generated
        #: calls: a request that matches an exchange out of order means the run diverged)
        self.in_order = False
        self.next_play = 0
        self.diverged: ReplayDiverged | None = None  # the first request out of order

    @classmethod
    def use(cls, **kwargs: Any) -> Any:
        """vcrpy's ``use``, except that a ``with`` block that raises (an interrupt too)
        writes nothing: the file stays as it was (``record_on_exception=True`` to keep it)."""
        kwargs.setdefault("record_on_exception", False)
        return super().use(**kwargs)

    # -- what vcrpy's patched connections ask ------------------------------------------

    @property
    def write_protected(self) -> bool:
        return self.mode == "none" or (self.mode == "once" and self.existed)

    def can_play_response_for(self, request: Any) -> bool:
        """Replaying: whether the file answers this request (else, the explained miss).
        Recording: only what the file held plays (``new_episodes``, each answer once), so
        a request repeated while recording (polling) reaches the engine every time, and so
        does every request that logs in (``authenticates``)."""
        if self.mode in ("all", "rewrite"):
            return self._goes_live(request)
        key = self._key(request)
        if self.write_protected:
            if key in self.index:
                return True
            raise self._miss(request, key)
        if authenticates(request) or self.plays.get(key, 0) >= len(self.index.get(key, ())):
            return self._goes_live(request)
        return True

    def __contains__(self, request: Any) -> bool:
        return self.mode not in ("all", "rewrite") and self._key(request) in self.index

    def play_response(self, request: Any) -> dict[str, Any]:
        key = self._key(request)
        positions = self.index.get(key)
        if not positions:
            raise self._miss(request, key)
        count = self.plays.get(key, 0)
        self.plays[key] = count + 1
        # In order, then the last one again and again (polling until a state is reached).
        position = positions[min(count, len(positions) - 1)]
        if self.in_order:
            if self.next_play not in positions:
                # said once; what follows (cleaning up, logging out) replays by key
                self.in_order = False
                self.diverged = self._diverged(request)
                raise self.diverged
            position = self.next_play
            self.next_play += 1
        item = self.recorded[position]
        self.play_counts[position] += 1  # vcrpy's tally (``all_played``)
        if self.observer is not None:
            self.observer(item.exchange, False)
        return item.response

    def append(self, request: Any, response: dict[str, Any]) -> None:
        self.keep(request, *self.scrubbed(request, response))

    def scrubbed(self, request: Any, response: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        """An exchange as ``keep`` takes it: scrubbed, pure (so made outside a lock, if need be)."""
        clean = scrub_response(response, self.scrub)
        raw = {"request": request_dict(scrub_request_parts(request, self.scrub))}
        return clean, {**raw, "response": response_dict(clean)}

    def keep(self, request: Any, clean_response: Any, raw: dict[str, Any]) -> None:
        index = len(self.recorded)
        if self.observer is None and self.mode != "new_episodes":
            key = raw_key(raw["request"])
            if key is not None:  # nobody reads the exchange now: it is made if ever asked for
                uri = raw["request"]["uri"]
                where = (raw, index, self.display)
                self.recorded.append(Recorded(key, uri, None, clean_response, raw, where))
                self.dirty = True
                return
        item = stored(raw, index, self.display)
        exchange = exchange_of(item, index, self.display, Budget())
        key = key_of(exchange.request)
        if self.mode == "new_episodes" and authenticates(request) and self._stands_in(key):
            # A login the file holds went to the engine (for a real session); the file's
            # exchange stays in its place, so the cassette grows only by what is new.
            if self.observer is not None:
                self.observer(exchange, False)
            return
        # Kept, not indexed: what is recorded now never answers a later request of this run.
        self.recorded.append(Recorded(key, exchange.request.uri, exchange, clean_response, raw))
        self.dirty = True
        if self.observer is not None:
            self.observer(exchange, True)

    def filter_request(self, request: Any) -> Any:
        return request

    def afresh(self) -> None:
        """Recording, make this cassette anew whatever the mode (``new_episodes`` too):
        nothing of the file plays, and what is recorded replaces it."""
        if not self.write_protected:
            self.recorded, self.index, self.plays, self.loaded = [], {}, {}, 0

    # -- loading and saving -------------------------------------------------------------

    def _load(self) -> None:
        """Called by vcrpy's ``Cassette.load`` as the cassette is entered (a private hook:
        see the vcrpy range in pyproject.toml and ``test_recording``)."""
        path = Path(self._path)
        self.empty = path.is_file() and path.stat().st_size == 0
        self.existed = path.is_file() and not self.empty
        if not self.existed or self.mode in ("all", "rewrite"):
            return
        data = load_yaml(read_cassette_file(str(path), self.display), self.display)
        items = interactions_of(data, self.display)
        assert isinstance(data, dict)  # interactions_of checked it
        ours = data.get(METADATA_KEY)
        if isinstance(ours, dict):
            self.loaded_provenance = {str(k): str(v) for k, v in ours.items()}
        metadata = data.get("metadata")  # vcrpy's own, where a vcrpy version keeps it
        if isinstance(metadata, dict):
            self.loaded_metadata = metadata
        # Recorded with the same scrubbing: its requests are as a live one will be after
        # scrubbing. Otherwise (another tool, other fields) scrub them now to match alike.
        trusted = self.loaded_provenance.get("scrubbed") == self.scrub.fingerprint
        budget = Budget()
        for index, raw in enumerate(items):
            item = stored(raw, index, self.display)
            exchange = exchange_of(item, index, self.display, budget)
            request = exchange.request
            if not trusted:
                request = scrubbed_request(request, self.scrub)
            self._add(Recorded(key_of(request), item.uri, exchange, playable(item), raw))
        self.loaded = len(self.recorded)
        self.rewound = True

    def _save(self, force: bool = False) -> None:
        """Called by vcrpy as the cassette is left (a private hook, as ``_load``): the new
        cassette is written, or held in ``pending`` for ``commit``."""
        change = self._change(force)
        if change is not None:
            self.dirty, self.pending = False, change
            if not self.hold:
                self.commit()

    def commit(self) -> None:
        """Write what ``hold`` kept back (``pending``), if anything."""
        change, self.pending = self.pending, None
        if change == REMOVE:
            Path(self._path).unlink(missing_ok=True)
        elif change is not None:
            atomic_write(Path(self._path), change)

    def _change(self, force: bool) -> bytes | None:
        """The new file, ``REMOVE`` (``rewrite`` of a test that now makes no request), or
        None: nothing to write (replaying, or nothing recorded)."""
        if self.write_protected:
            return None
        kept = self.recorded[self.loaded :] if self.mode in ("all", "rewrite") else self.recorded
        if not kept:
            return REMOVE if self.mode == "rewrite" and self.existed else None
        if not (self.dirty or force):
            return None
        provenance = {
            **self.provenance,
            "scrubbed": self.scrub.fingerprint,
            "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        tail = {"metadata": self.loaded_metadata} if self.loaded_metadata else {}
        return dump_cassette({"version": 1}, kept, {**tail, METADATA_KEY: provenance})

    # -- plumbing -------------------------------------------------------------------------

    def _goes_live(self, request: Any) -> bool:
        """False (the request goes to the engine), unless it carries a credential played
        from the cassette: then the explained ``ReplayedCredential``."""
        name = replayed_credential(request, self.scrub.headers) if self.scrub.enabled else None
        if name is None:
            return False
        target = f"{request.method} {request_target(request.uri)}"
        raise ReplayedCredential(played_credential(self.display, self.mode, target, name))

    def _stands_in(self, key: Key) -> bool:
        """Count a live request as the next play of the file's exchange of its key, if any."""
        count = self.plays.get(key, 0)
        positions = self.index.get(key, ())
        if count >= len(positions):
            return False
        self.plays[key] = count + 1
        self.play_counts[positions[count]] += 1
        return True

    def _add(self, item: Recorded) -> None:
        self.index.setdefault(item.key, []).append(len(self.recorded))
        self.recorded.append(item)

    def _key(self, request: Any) -> Key:
        """The key of a live request, scrubbed as its recording was; kept on the request,
        because vcrpy asks about one request several times."""
        cached = getattr(request, "_contracttest_key", None)
        if cached is not None and cached[0] is self.scrub:
            return cached[1]  # type: ignore[no-any-return]
        clean = scrub_request(request, self.scrub)
        key = request_key(
            clean.method,
            clean.uri,
            body_bytes(clean.body),
            header(clean.headers, "content-type") or "",
        )
        request._contracttest_key = (self.scrub, key)
        return key

    def _diverged(self, request: Any) -> ReplayDiverged:
        asked = f"{request.method} {request_target(scrub_uri(request.uri, self.scrub))}"
        n, then = self.next_play, "nothing more"
        if n < len(self.recorded):
            item = self.recorded[n]
            then = f"{item.exchange.request.method} {request_target(item.uri)}"
            then += " with another body" if then == asked else ""
        return ReplayDiverged(
            f"{self.display}: request {n + 1} is {asked}; the recording made {then}"
        )

    def _miss(self, request: Any, key: Key) -> ReplayError:
        target = request_target(scrub_uri(request.uri, self.scrub))  # shown as recorded
        asked = f"{key.method} {target}"
        if not self.existed:
            what = "is an empty file (0 bytes)" if self.empty else "does not exist"
            what = "is not a file" if Path(self._path).exists() and not self.empty else what
            lines = [
                f"contracttest: cassette {self.display} {what}, "
                f"and record mode {self.mode} only replays",
                f"  request:   {asked}",
            ]
            if self.record_command:
                lines.append(f"  record it: {self.record_command}")
            return MissingCassette("\n".join(lines))
        recorded = [(item.key, request_target(item.uri)) for item in self.recorded]
        miss = nearest(key, target, recorded)
        count = len(self.recorded)
        lines = [
            "contracttest: no recorded exchange matches this request",
            f"  cassette:  {self.display} "
            f"({count} recorded exchange{'s' if count != 1 else ''}, record mode {self.mode})",
            f"  request:   {asked}",
        ]
        lines.extend(explained(miss))
        if self.mode == "once":
            lines.append(
                "  note:      record mode once replays a cassette that exists; "
                "new_episodes adds new requests to it"
            )
        if self.rerecord_command:
            lines.append(f"  re-record: {self.rerecord_command}")
        return UnmatchedRequest("\n".join(lines))


# -- replay blocks the network ---------------------------------------------------------------

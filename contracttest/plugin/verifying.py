"""``--verify-against``: a test runs live against another engine and every answer is compared
with the recorded one at the same place in its cassette.

The n-th live exchange of the test (logins aside: they are live and not compared) is
compared with the n-th recorded one by meaning (``compare.Comparer``, the ids the live run
makes mapped to the recorded ones as ``contracttest verify`` does), and each difference is a
``verify.replay.Found``, breaking or compatible. A live run that makes more requests than
were recorded, or fewer, is a breaking difference saying so. The cassette is opened to record
into memory and its recording is dropped (``session.finish``): nothing is ever written.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from contracttest.compare import BREAKING, Comparer, Difference
from contracttest.exchange import Exchange, request_target
from contracttest.schema import Schema
from contracttest.verify.replay import Found, is_login


@dataclass
class Verifier:
    """The recorded exchanges of one test (its logins left out) and the differences found as
    its live exchanges come (``observe``, a cassette observer); ``finish`` once it has run."""

    cassette: str
    recorded: list[Exchange]
    comparer: Comparer
    found: list[Found] = field(default_factory=list)
    reported: int = 0  # how many of ``found`` a report has shown
    seen: int = 0  # live exchanges compared (or beyond the recording)
    finished: bool = False

    @classmethod
    def of(cls, cassette: str, exchanges: tuple[Exchange, ...], schema: Schema | None) -> Verifier:
        recorded = [exchange for exchange in exchanges if not is_login(exchange)]
        return cls(cassette, recorded, Comparer(None, schema))

    def observe(self, exchange: Exchange, recorded_now: bool) -> None:
        """A live exchange of the test: compared with the recorded one at its place."""
        if is_login(exchange):
            return
        position, self.seen = self.seen, self.seen + 1
        if position >= len(self.recorded):
            if position == len(self.recorded):  # said once, at the first one beyond
                received = f"{exchange.request.method} {request_target(exchange.request.uri)}"
                message = f"the live run makes more requests than the {len(self.recorded)} recorded"
                self._add(exchange, Difference(BREAKING, "request", "", received, message))
            return
        old = self.recorded[position]
        for difference in self.comparer.compare(old.response, exchange.response):
            self._add(old, difference)

    def finish(self) -> None:
        """The test has run: a recording it did not get to the end of is a difference."""
        if self.finished:
            return
        self.finished = True
        if self.seen < len(self.recorded):
            missing = self.recorded[self.seen]
            recorded = f"{missing.request.method} {request_target(missing.request.uri)}"
            left = len(self.recorded) - self.seen
            message = (
                f"the live run makes fewer requests than recorded: {self.seen} of "
                f"{len(self.recorded)} ({left} not made)"
            )
            self._add(missing, Difference(BREAKING, "request", recorded, "", message))

    def _add(self, exchange: Exchange, difference: Difference) -> None:
        request = exchange.request
        found = Found(self.cassette, exchange.index, request.method, request.uri, difference, None)
        self.found.append(found)

    def unreported(self) -> list[Found]:
        new = self.found[self.reported :]
        self.reported = len(self.found)
        return new


def as_json(found: Found) -> dict[str, object]:
    """A difference in the verify shape, its URI shown as a recording would have it."""
    from contracttest.report import shown_uri

    data = found._replace(uri=shown_uri(found.uri)).as_json()
    del data["contract"]
    return data


def differences_text(found: list[Found], cassette: str) -> str:
    """The differences of one test: method, URI (shown scrubbed), xpath, both values."""
    from contracttest.report import shown_uri
    from contracttest.verify.render import fit

    breaking = sum(1 for f in found if f.kind == BREAKING)
    lines = [
        f"differences from the recording in {cassette}: {breaking} breaking, "
        f"{len(found) - breaking} compatible"
    ]
    for f in found:
        d = f.difference
        lines.append(f"  [{d.kind}] #{f.index} {f.method} {request_target(shown_uri(f.uri))}")
        lines.append(fit(f"    {d.xpath}: {d.message}"))
        lines.append(fit(f"    recorded: {d.recorded}"))
        lines.append(fit(f"    received: {d.received}"))
    return "\n".join(lines)

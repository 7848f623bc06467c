"""The differential replay: every recorded request again, in order, to another engine.

``Replayer`` replays the exchanges of one cassette one at a time: the request as recorded
(its headers but the recorded credentials, which were scrubbed, and the transport's own),
under the new engine's API prefix, with every id the replay has learnt replaced
(``compare.IdMap``), logged in afresh through the client; recorded SSO logins and logouts
are the client's business and are not replayed. Each answer is compared with the recorded
one (``compare.Comparer``) and, when the new contract is known, checked against it
(``Checker``), so that each difference says whether the new contract announced it or the
engine broke its own contract. ``verify`` runs it over cassettes and gathers a
``Verification``.

Per exchange, as the plugin's ``--verify-against`` needs it: one ``Replayer(client,
Comparer(masks, schema), checker)`` per cassette (a test's), ``replay(exchange)`` for each
recorded ``Exchange`` in order; ``Replayed.found`` holds the differences (``Found``, with its
JSON shape), ``Replayed.violations`` what the new contract's checks say of the new answer.
The client's traffic is real HTTP over ``http.client``: it must run where vcrpy's patches
and ``network_blocked`` are not in force (after the cassette's context, not inside it).
"""

from __future__ import annotations

import http.client
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple
from urllib.parse import urlsplit

from contracttest.checker import Checker
from contracttest.checks import CassetteState
from contracttest.client import SSO_LOGOUT_PATH, SSO_TOKEN_PATH, Client, ClientError, Reply
from contracttest.compare import BREAKING, COMPATIBLE, Comparer, Difference, Masks
from contracttest.exchange import Cassette, Exchange, Request, Response, request_target
from contracttest.router import KNOWN_PREFIXES, split_uri
from contracttest.rules import Severity, Violation
from contracttest.scrubconfig import DEFAULT_HEADERS as SECRET_HEADERS

#: Request headers never replayed: credentials (the client logs in afresh; what the
#: scrubber treats as a secret was scrubbed anyway) and the connection's own.
DROPPED = SECRET_HEADERS | {
    "host", "content-length", "connection", "keep-alive", "transfer-encoding",
    "accept-encoding", "te", "upgrade",
}  # fmt: skip
_LOGIN_PATHS = (SSO_TOKEN_PATH, SSO_LOGOUT_PATH)
ANNOUNCED, UNANNOUNCED, VIOLATED = "announced", "unannounced", "violated"
_PREDICATE = re.compile(r"\[[^\]]*\]")


class Found(NamedTuple):
    """A difference, where it happened, and what the new contract says of it: ``announced``
    (it describes the new form), ``unannounced``, ``violated`` (the new answer breaks the
    new contract there), or None (no new contract known)."""

    cassette: str
    index: int  # type: ignore[assignment]  # the exchange's index; shadows tuple.index
    method: str
    uri: str
    difference: Difference
    contract: str | None

    @property
    def kind(self) -> str:
        return self.difference.kind

    def as_json(self) -> dict[str, object]:
        """The one JSON shape of a difference (``verify --format json``)."""
        d = self.difference
        return {
            "kind": d.kind,
            "cassette": self.cassette,
            "index": self.index,
            "method": self.method,
            "uri": self.uri,
            "xpath": d.xpath,
            "recorded": d.recorded,
            "received": d.received,
            "message": d.message,
            "contract": self.contract,
        }


class Replayed(NamedTuple):
    """One exchange replayed: the recorded one, the new one, and what differs."""

    recorded: Exchange
    received: Exchange
    found: list[Found]
    violations: list[Violation]
    engine_seconds: float  # sending the request and reading the answer
    compare_seconds: float  # comparing the answers
    check_seconds: float  # checking the new answer against the new contract


@dataclass
class Verification:
    """What a run of ``verify`` found."""

    against: str
    contract: str | None = None  # where the new contract came from; None: not known
    cassettes: int = 0
    replayed: list[tuple[str, int, str, str]] = field(default_factory=list)  # the exchanges
    skipped: int = 0  # recorded logins and logouts, not replayed
    differences: list[Found] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    engine_seconds: float = 0.0
    compare_seconds: float = 0.0
    check_seconds: float = 0.0

    @property
    def exchanges(self) -> int:
        return len(self.replayed)

    @property
    def counts(self) -> dict[str, int]:
        kinds = [found.kind for found in self.differences]
        return {BREAKING: kinds.count(BREAKING), COMPATIBLE: kinds.count(COMPATIBLE)}

    def failing(self, fail_on: str) -> bool:
        """Whether a difference reaches ``fail_on`` (``breaking``, or ``compatible``: any)."""
        return any(fail_on == COMPATIBLE or found.kind == BREAKING for found in self.differences)


class Replayer:
    """Replays one cassette's exchanges, one ``replay`` call each, in order (the plugin's
    ``--verify-against`` calls it per exchange as a test runs)."""

    def __init__(
        self, client: Client, comparer: Comparer | None = None, checker: Checker | None = None
    ) -> None:
        self.client = client
        self.comparer = comparer if comparer is not None else Comparer()
        self.checker = checker
        self.state = CassetteState()  # the new exchanges so far, for the state rules
        parts = urlsplit(client.url)
        self._origin = f"{parts.scheme}://{parts.netloc}"

    def replay(self, recorded: Exchange) -> Replayed | None:
        """Send ``recorded``'s request to the new engine and compare the answers; None for a
        recorded login or logout (the client logs in its own way)."""
        if is_login(recorded):
            return None
        method, target, headers, body = self.request_for(recorded.request)
        started = time.perf_counter()
        reply = send(self.client, method, target, body, headers)
        answered = time.perf_counter()
        received = Exchange(
            Request(method, f"{self._origin}{target}", headers, body),
            Response(
                reply.status, http.client.responses.get(reply.status, ""), reply.headers, reply.body
            ),
            recorded.index,
            recorded.cassette,
        )
        differences = self.comparer.compare(recorded.response, received.response)
        compared = time.perf_counter()
        violations: list[Violation] = []
        if self.checker is not None:
            violations = self.checker.check_exchange(received, self.state)
        found = [
            Found(
                recorded.cassette,
                recorded.index,
                recorded.request.method,
                recorded.request.uri,
                difference,
                self._verdict(difference, violations, received),
            )
            for difference in differences
        ]
        done = time.perf_counter()
        return Replayed(
            recorded,
            received,
            found,
            violations,
            answered - started,
            compared - answered,
            done - compared,
        )

    def request_for(self, request: Request) -> tuple[str, str, dict[str, tuple[str, ...]], bytes]:
        """The request to send: method, target under the new prefix, headers, body; ids
        the replay has learnt replaced in the target and the body."""
        ids = self.comparer.ids
        target = ids.rewrite(new_target(request_target(request.uri), self.client.prefix))
        headers = {k: v for k, v in request.headers.items() if k not in DROPPED}
        if (request.header("prefer") or "").strip().lower() == "persistent-auth":
            del headers["prefer"]  # the client's login decides the session
        return request.method, target, headers, ids.rewrite_bytes(request.body)

    def _verdict(
        self, difference: Difference, violations: list[Violation], received: Exchange
    ) -> str | None:
        """What the new contract says of a difference: violated (the new answer breaks it
        there), announced (it describes the new form; for a changed status, it no longer
        has the operation), or unannounced."""
        if self.checker is None:
            return None
        announced = difference.announced
        if difference.xpath == "status":
            contract = self.checker.contract
            target = split_uri(received.request.uri, contract.prefix)
            announced = contract.router.route(received.request.method, target.segments) is None
        if any(related(v, difference) for v in violations if v.severity == Severity.ERROR):
            return VIOLATED
        return ANNOUNCED if announced else UNANNOUNCED


def verify(
    cassettes: Sequence[Cassette],
    client: Client,
    *,
    masks: Masks | None = None,
    checker: Checker | None = None,
    against: str = "",
    contract: str | None = None,
) -> Verification:
    """Replay ``cassettes`` in order against the engine ``client`` reaches (ids learnt per
    cassette: each recording made its own entities)."""
    schema = checker.schema if checker is not None else None
    result = Verification(against or client.url, contract)
    for cassette in cassettes:
        result.cassettes += 1
        replayer = Replayer(client, Comparer(masks, schema), checker)
        for exchange in cassette.exchanges:
            replayed = replayer.replay(exchange)
            if replayed is None:
                result.skipped += 1
                continue
            if replayed.received.response.status == 401 != exchange.response.status:
                raise refused_login(client)
            request = exchange.request
            result.replayed.append((cassette.path, exchange.index, request.method, request.uri))
            result.differences.extend(replayed.found)
            result.violations.extend(replayed.violations)
            result.engine_seconds += replayed.engine_seconds
            result.compare_seconds += replayed.compare_seconds
            result.check_seconds += replayed.check_seconds
    return result


def refused_login(client: Client) -> ClientError:
    return ClientError(
        f"{client.url}: the engine refused the login (401); check --engine-user and "
        "--engine-password (or OVIRT_USERNAME, OVIRT_PASSWORD)"
    )


def is_login(exchange: Exchange) -> bool:
    path = urlsplit(exchange.request.uri).path.rstrip("/")
    return path.endswith(_LOGIN_PATHS)


def new_target(recorded: str, prefix: str) -> str:
    """A recorded request target under the new engine's API ``prefix`` (``/api/vms`` ->
    ``/ovirt-engine/api/vms``); a v4-only prefix (``/ovirt-engine/api/v4``) stays versioned."""
    path, mark, query = recorded.partition("?")
    for known in sorted({prefix, *KNOWN_PREFIXES}, key=len, reverse=True):
        if path == known or path.startswith((f"{known}/", f"{known};")):
            rest = path[len(known) :]
            versioned = known.endswith(("/v3", "/v4")) and not prefix.endswith(("/v3", "/v4"))
            base = f"{prefix}{known[-3:]}" if versioned else prefix
            return f"{base}{rest}{mark}{query}"
    return recorded


def send(
    client: Client, method: str, target: str, body: bytes, headers: dict[str, tuple[str, ...]]
) -> Reply:
    """One request as recorded, with the client's credentials (its login: SSO or Basic).

    ``Client.request`` sets its own headers; a replay must send the recorded ones
    (``Filter``, ``All-Content``, ``Version``, ``Accept``), hence ``Client.send``."""
    sent = {name: ", ".join(values) for name, values in headers.items()}
    return client.send(method, target, body, sent)


def related(violation: Violation, difference: Difference) -> bool:
    """Whether a violation of the new answer is about the place a difference is."""
    where = difference.xpath
    if where == "status":
        return violation.rule == "response.status" or violation.rule.startswith("state.")
    if where.startswith("header:"):
        return violation.rule == f"response.{where[7:].lower()}"
    if not violation.xpath:
        return False
    mine, theirs = _tags(where), _tags(violation.xpath)
    if mine == theirs or (mine[-1:] and mine[-1].startswith("@") and mine[:-1] == theirs):
        return True
    shorter, longer = (mine, theirs) if len(mine) < len(theirs) else (theirs, mine)
    return len(shorter) >= 2 and longer[: len(shorter)] == shorter


def _tags(xpath: str) -> tuple[str, ...]:
    """``/vms/vm[name='a']/@id`` -> ``("vms", "vm", "@id")``."""
    return tuple(part for part in _PREDICATE.sub("", xpath).split("/") if part)

"""The proxy as an application of the engine's HTTP server (``engine/server.py``): a request
in, an answer out, in one of three modes.

* ``record``: the request goes to the engine (``Upstream``) as the client sent it; the
  exchange is recorded into the cassette (``Tape``: scrubbed, kept whole) and the client
  gets the engine's answer untouched (its real token, its real session).
* ``replay``: the answer comes from the cassette, with no engine at all; a request it does
  not hold is a 500 fault whose detail names the nearest recorded request.
* ``passthrough``: the request goes to the engine and the exchange is only checked.

Both a reverse proxy (the client's engine URL is the proxy's) and a forward proxy (absolute
URLs, ``http_proxy``) for the one target; CONNECT is refused by the server (501).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vcr.request import Request as VcrRequest

from contracttest.client import ClientError
from contracttest.engine.http import HttpRequest, HttpResponse
from contracttest.engine.wire import reason
from contracttest.exchange import request_target
from contracttest.interactions import Budget, exchange_of, request_dict, response_dict, stored
from contracttest.proxy import MODES
from contracttest.proxy.relay import (
    Refusal,
    Target,
    answer_of,
    forwarded_headers,
    own_fault,
    relocated,
    target_of,
    vcr_response,
)
from contracttest.recording import ReplayedCredential, ReplayError

if TYPE_CHECKING:
    from contracttest.proxy.tape import Tape
    from contracttest.proxy.upstream import Upstream
    from contracttest.proxy.watch import Watch

#: Where a replay without a target says its requests went (matching reads the path only).
REPLAYED_ORIGIN = "http://engine.invalid"


class ProxyApp:
    def __init__(
        self,
        mode: str,
        watch: Watch,
        *,
        target: Target | None = None,
        upstream: Upstream | None = None,
        tape: Tape | None = None,
    ) -> None:
        if mode not in MODES:
            raise ValueError(mode)
        self.mode = mode
        self.watch = watch
        self.target = target
        self.upstream = upstream
        self.tape = tape
        self._origin = target.origin if target is not None else REPLAYED_ORIGIN
        self._relays = mode != "replay"  # only then is the target's the one host allowed

    def admit(self, request: HttpRequest) -> HttpResponse | int | None:
        """Refused from the head alone (another host, no path): its body is never read."""
        try:
            target_of(request, self.target if self._relays else None)
        except Refusal as refusal:
            return refusal.response
        return None

    def handle(self, request: HttpRequest) -> HttpResponse:
        try:
            path = target_of(request, self.target if self._relays else None)
        except Refusal as refusal:
            return refusal.response
        headers = forwarded_headers(request.headers)
        live = VcrRequest(request.method, self._origin + path, request.body or None, headers)
        if self.mode == "replay":
            return self._replay(live)
        return self._relay(request, live, path, headers)

    def _replay(self, live: VcrRequest) -> HttpResponse:
        assert self.tape is not None
        try:
            played = self.tape.play(live)
        except ReplayError as exc:
            asked = f"{live.method} {request_target(live.uri)}"
            self.watch.trouble(f"{asked}: not in the cassette (answered 500)")
            return own_fault(500, "Not recorded", str(exc))
        status = played.get("status") or {}
        body = played.get("body") or {}
        headers = (played.get("headers") or {}).items()
        return answer_of(int(status.get("code", 500)), headers, body.get("string"))

    def _relay(
        self, request: HttpRequest, live: VcrRequest, path: str, headers: dict[str, str]
    ) -> HttpResponse:
        assert self.upstream is not None and self.target is not None
        if self.tape is not None:
            try:
                self.tape.check_live(live)
            except ReplayedCredential as exc:
                self.watch.trouble(f"{live.method} {path}: a credential played from a cassette")
                return own_fault(403, "Forbidden", str(exc))
        try:
            reply = self.upstream.send(request.method, path, request.body, headers)
        except ClientError as exc:
            self.watch.trouble(
                f"{request.method} {request_target(path)}: the target {self.target.origin} "
                f"is down or failed: {exc} (answered 502)"
            )
            return own_fault(502, "Bad Gateway", f"the target {self.target.origin}: {exc}")
        except ValueError as exc:  # what http.client will not send (a raw non-ASCII target)
            return own_fault(400, "Bad Request", f"the request cannot be relayed: {exc}")
        response = vcr_response(reply.status, reason(reply.status), reply.headers, reply.body)
        if self.tape is not None:
            self.tape.record(live, response)
        else:
            self._observe(live, response)
        answer = answer_of(reply.status, reply.headers.items(), reply.body)
        if not request.uri.startswith("/"):
            return answer  # a forward proxy's client named the engine itself
        return relocated(answer, self.target, request.header("host"))

    def _observe(self, live: VcrRequest, response: dict[str, Any]) -> None:
        """Passthrough: the exchange checked as a cassette would hold it, and not kept."""
        if not self.watch.reads:
            self.watch.count()
            return
        raw = {"request": request_dict(live), "response": response_dict(response)}
        index = self.watch.exchanges
        item = stored(raw, index, "<proxy>")
        self.watch.observe(exchange_of(item, index, "<proxy>", Budget()), False)

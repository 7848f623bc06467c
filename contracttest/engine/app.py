"""The engine: an HTTP request in, the answer an oVirt engine of this contract gives out.

The request is routed through the contract's own router; the RSDL link it reaches says what
to do (list, get, add, update, remove, or an action), the model derived from the contract
says what the entities look like, and the store keeps them. Nothing here is per resource.
"""

from __future__ import annotations

import re
import sys
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl

from contracttest.engine import negotiation, served
from contracttest.engine.auth import Authenticator, AuthError, Principal
from contracttest.engine.defects import SOUND, Defects
from contracttest.engine.documents import Fault
from contracttest.engine.http import HttpRequest, HttpResponse
from contracttest.engine.model import EngineModel
from contracttest.engine.operations import Operations
from contracttest.engine.render import Renderer, to_bytes
from contracttest.engine.store import Store
from contracttest.router import Target, split_uri
from contracttest.rsdl import Contract
from contracttest.schema import Schema

DEFAULT_PASSWORD = "ovirt"
SSO_TOKEN = "/ovirt-engine/sso/oauth/token"
SSO_LOGOUT = "/ovirt-engine/services/sso-logout"
#: The most a form to the SSO endpoints may hold (it comes without credentials).
SSO_FORM_BYTES = 64 * 1024
_CORRELATION = re.compile(r"[^0-9A-Za-z_-]")


@dataclass
class Call:
    """One API request, authenticated and taken apart."""

    request: HttpRequest
    target: Target
    principal: Principal
    headers: list[tuple[str, str]] = field(default_factory=list)

    def param(self, name: str) -> str | None:
        """Query, then matrix, then header: where the engine looks for a parameter."""
        for key, value in self.target.query:
            if key == name:
                return value
        for key, value in self.target.matrix:
            if key == name:
                return value
        return self.request.header(name.replace("_", "-"))


class Engine:
    """An oVirt engine for one contract, its state in SQLite."""

    def __init__(
        self,
        contract: Contract,
        schema: Schema,
        *,
        rsdl: bytes,
        xsd: bytes,
        data: Path | None = None,
        password: str = DEFAULT_PASSWORD,
        token_ttl: float = 3600.0,
        defects: Defects = SOUND,
    ) -> None:
        self.model = EngineModel.build(contract, schema)
        self.prefix = contract.prefix
        #: What this engine breaks on purpose (``engine/defects.py``): nothing when sound.
        self.defects = defects
        self.store = Store(data)
        self.renderer = Renderer(self.model, self.prefix, defects)
        self.auth = Authenticator(password, self._known_user, token_ttl=token_ttl)
        self.operations = Operations(self.model, self.store, self.renderer, defects)
        self._rsdl = served.Documents(rsdl, xsd, self.model)
        #: Called with every request and its response, after it is answered (a tap).
        self.observers: list[Callable[[HttpRequest, HttpResponse], None]] = []
        if self.store.count() == 0:
            from contracttest.engine.seed import seed

            seed(self.operations)

    def close(self) -> None:
        self.store.close()

    def _known_user(self, user: str) -> bool:
        return self.operations.user_exists(user)

    # -- the request -------------------------------------------------------------------

    def handle(self, request: HttpRequest) -> HttpResponse:
        json_wanted = False
        try:
            json_wanted = self._negotiated(request)
            response = self._dispatch(request)
        except Fault as fault:
            response = self._fault(fault)
        except Exception:  # a bug: answered, logged, and the server keeps serving
            traceback.print_exc(file=sys.stderr)
            response = self._fault(Fault(500, "Internal error", "see the engine's log"))
        if json_wanted:
            response = negotiation.as_json(response, self.model)
        return self._answered(request, response)

    def _negotiated(self, request: HttpRequest) -> bool:
        """Whether an API request is answered in JSON (``engine/negotiation``; 406)."""
        if request.uri.startswith((SSO_TOKEN, SSO_LOGOUT)):
            return False
        return negotiation.wants_json(request)

    def admit(self, request: HttpRequest) -> HttpResponse | int | None:
        """Whether a request may send its body (its ``body`` is not read yet), decided from
        the head alone (prefix, version, credentials), so no unauthenticated client makes the
        engine hold a body: None for an authenticated API request (any body up to the
        server's limit), the most bytes the SSO endpoints' credential forms may have, or the
        answer at once."""
        try:
            call = self._gate(request, dry=True)
        except Fault as fault:
            response = self._fault(fault)
            try:
                if self._negotiated(request):
                    response = negotiation.as_json(response, self.model)
            except Fault:
                pass  # nothing the client accepts: the fault stays XML
            return self._answered(request, response)
        return SSO_FORM_BYTES if call is None else None

    def _answered(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        response.headers.append(("Correlation-Id", self._correlation(request)))
        for observer in self.observers:
            observer(request, response)
        return response

    def _fault(self, fault: Fault) -> HttpResponse:
        headers = list(fault.headers)
        if not fault.body:
            return HttpResponse(fault.status, headers=headers, content_type=None)
        detail = fault.reason if self.defects.no_fault_detail else fault.detail
        body = to_bytes(self.renderer.fault(fault.reason, detail))
        return HttpResponse(fault.status, body, headers)

    def _dispatch(self, request: HttpRequest) -> HttpResponse:
        path = request.uri.partition("?")[0]
        if path.rstrip("/") == SSO_TOKEN:
            return self._sso_token(request)
        if path.startswith(SSO_TOKEN):
            return HttpResponse.json(
                400, {"error_code": "unsupported_grant_type", "error": "not supported here"}
            )
        if path.rstrip("/") == SSO_LOGOUT:
            return self._sso_logout(request)
        call = self._gate(request, dry=False)
        assert call is not None
        call.request = negotiation.readable(call.request, self.model)
        response = self.operations.perform(call, self._rsdl)
        response.headers.extend(call.headers)
        return response

    def _gate(self, request: HttpRequest, *, dry: bool) -> Call | None:
        """The API request authenticated and taken apart, or the fault that stops it. Dry,
        it opens and ends no session; the SSO endpoints (whose form is the body) pass."""
        path = request.uri.partition("?")[0]
        if path.startswith((SSO_TOKEN, SSO_LOGOUT)):
            return None
        target = split_uri(request.uri, self.prefix)
        if not target.base:
            raise Fault(404, body=False)
        version = request.header("version")
        major = str(self.model.major)
        if target.base.endswith("/v4"):
            if major != "4":
                raise Fault(404, body=False)
            version = version or "4"
        if version is not None and version.strip() != major:
            raise Fault(400, body=False)
        return self._authenticate(request, target, dry=dry)

    def _correlation(self, request: HttpRequest) -> str:
        given = request.header("correlation-id")
        if given is None:
            query = request.uri.partition("?")[2]
            given = dict(parse_qsl(query)).get("correlation_id") if query else None
        cleaned = _CORRELATION.sub("", given)[:36] if given else ""
        return cleaned or str(uuid.uuid4())

    # -- authentication ----------------------------------------------------------------

    def _authenticate(self, request: HttpRequest, target: Target, *, dry: bool) -> Call:
        headers: list[tuple[str, str]] = []
        prefer = "persistent-auth" in (request.header("prefer") or "").lower()
        session = _cookie(request.header("cookie"), "JSESSIONID")
        authorization = request.header("authorization")
        try:
            principal = self.auth.session(session) if session else None
            if principal is None and authorization:
                if authorization.lower().startswith("bearer "):
                    principal = self.auth.bearer(authorization[7:].strip())
                else:
                    principal = self.auth.basic(authorization)
                    if prefer and not dry:
                        session = self.auth.open_session(principal)
                        headers.append(
                            ("Set-Cookie", f"JSESSIONID={session}; Path={self.prefix}; HttpOnly")
                        )
        except AuthError as exc:
            raise self._unauthorized(str(exc)) from None
        if principal is None:
            raise self._unauthorized("no credentials, session or token")
        if session and not prefer and not dry:
            self.auth.end_session(session)
        # what the principal may see and change is the access policy's (engine/access.py)
        return Call(request, target, principal, headers=headers)

    def _unauthorized(self, detail: str) -> Fault:
        challenge = (("WWW-Authenticate", 'Basic realm="RESTAPI"'),)
        return Fault(401, "Unauthorized", detail, headers=challenge)

    def _sso_token(self, request: HttpRequest) -> HttpResponse:
        form = _form(request)
        try:
            return HttpResponse.json(200, self.auth.issue_token(form))
        except AuthError as exc:
            return HttpResponse.json(400, {"error_code": "access_denied", "error": str(exc)})

    def _sso_logout(self, request: HttpRequest) -> HttpResponse:
        token = _form(request).get("token", "")
        if token:
            self.auth.revoke(token)
        return HttpResponse.json(200, {})


def _form(request: HttpRequest) -> dict[str, str]:
    query = request.uri.partition("?")[2]
    text = request.body.decode("utf-8", "replace")
    return {**dict(parse_qsl(query)), **dict(parse_qsl(text, keep_blank_values=True))}


def _cookie(header: str | None, name: str) -> str | None:
    if not header:
        return None
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value.strip() or None
    return None

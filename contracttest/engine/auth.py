"""Who is asking: Basic credentials, persistent-auth sessions, SSO bearer tokens.

As the real engine: ``Authorization: Basic`` with ``user@domain:password`` (a domain may hold
spaces); ``Prefer: persistent-auth`` opens a session kept in the ``JSESSIONID`` cookie, and a
request without ``Prefer`` ends it; the SSO service hands out bearer tokens that expire, and
its logout revokes them. Sessions and tokens live in memory, as the engine's do.
"""

from __future__ import annotations

import base64
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from contracttest.errors import ContractTestError

ADMIN = "admin@internal"
#: The non-admin user every fresh engine has: its view is filtered to what it created.
USER = "user@internal"
SSO_SCOPE = "ovirt-app-api"
#: Live sessions and tokens kept at most (each): past it, expired ones go, then the oldest.
MAX_GRANTS = 10_000


@dataclass(frozen=True)
class Principal:
    user: str
    admin: bool


@dataclass(frozen=True)
class Grant:
    principal: Principal
    expires: float


#: The engine itself, creating what a fresh engine has and what requests leave behind (jobs).
SYSTEM = Principal(ADMIN, admin=True)


class AuthError(ContractTestError):
    """Authentication failed; the message is the engine's."""


class Authenticator:
    """Checks credentials and keeps sessions and tokens.

    ``known_user(name)`` says whether a user exists (the engine's users collection), so users
    added through the API can log in; every user shares the engine's password.
    """

    def __init__(
        self,
        password: str,
        known_user: Callable[[str], bool],
        *,
        token_ttl: float = 3600.0,
        session_ttl: float = 1800.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._password = password
        self._known_user = known_user
        self.token_ttl = token_ttl
        self.session_ttl = session_ttl
        self._clock = clock
        self._tokens: dict[str, Grant] = {}
        self._sessions: dict[str, Grant] = {}
        self._lock = threading.Lock()

    # -- credentials -------------------------------------------------------------------

    def login(self, user: str, password: str) -> Principal:
        if user and "@" not in user:
            user = f"{user}@internal"
        if not user or password != self._password or not self._known_user(user):
            raise AuthError(
                f"Cannot authenticate user '{user}': The username or password is incorrect."
            )
        return Principal(user, admin=user == ADMIN)

    def basic(self, header: str) -> Principal:
        scheme, _, encoded = header.strip().partition(" ")
        if scheme.lower() != "basic":
            raise AuthError("unsupported authorization scheme")
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):  # not base64, not ASCII, not UTF-8
            raise AuthError("malformed Basic credentials") from None
        user, colon, password = decoded.partition(":")
        if not colon:
            raise AuthError("malformed Basic credentials")
        return self.login(user, password)

    # -- SSO tokens --------------------------------------------------------------------

    def issue_token(self, form: Mapping[str, str]) -> dict[str, str]:
        """The SSO token endpoint's JSON reply for a ``grant_type=password`` form."""
        if form.get("grant_type") != "password":
            raise AuthError(f"unsupported grant_type {form.get('grant_type', '')!r}")
        if form.get("scope", SSO_SCOPE).split()[0:1] not in ([SSO_SCOPE], []):
            raise AuthError(f"unsupported scope {form.get('scope')!r}")
        principal = self.login(form.get("username", ""), form.get("password", ""))
        token = secrets.token_urlsafe(32)
        expires = self._clock() + self.token_ttl
        with self._lock:
            self._make_room(self._tokens)
            self._tokens[token] = Grant(principal, expires)
        wall_expiry_ms = int((time.time() + self.token_ttl) * 1000)
        return {
            "access_token": token,
            "scope": SSO_SCOPE,
            "exp": str(wall_expiry_ms),
            "token_type": "bearer",
        }

    def bearer(self, token: str) -> Principal:
        with self._lock:
            grant = self._tokens.get(token)
            if grant is not None and grant.expires <= self._clock():
                del self._tokens[token]
                grant = None
        if grant is None or not self._known_user(grant.principal.user):
            self.revoke(token)  # a user removed since: its tokens end with it
            raise AuthError("the access token is unknown or expired")
        return grant.principal

    def revoke(self, token: str) -> None:
        with self._lock:
            self._tokens.pop(token, None)

    # -- persistent-auth sessions ------------------------------------------------------

    def open_session(self, principal: Principal) -> str:
        session = secrets.token_hex(16)
        with self._lock:
            self._make_room(self._sessions)
            self._sessions[session] = Grant(principal, self._clock() + self.session_ttl)
        return session

    def session(self, session: str) -> Principal | None:
        with self._lock:
            grant = self._sessions.get(session)
            if grant is None:
                return None
            if grant.expires <= self._clock():
                del self._sessions[session]
                return None
            self._sessions[session] = Grant(grant.principal, self._clock() + self.session_ttl)
        if not self._known_user(grant.principal.user):
            self.end_session(session)  # a user removed since: its sessions end with it
            return None
        return grant.principal

    def _make_room(self, grants: dict[str, Grant]) -> None:
        """Bound what is kept (under the lock): drop the expired, then the oldest, so a client
        that logs in again and again cannot make the engine hold ever more."""
        if len(grants) < MAX_GRANTS:
            return
        now = self._clock()
        for key in [key for key, grant in grants.items() if grant.expires <= now]:
            del grants[key]
        while len(grants) >= MAX_GRANTS * 9 // 10:  # a tenth at once: the scan is rare
            del grants[next(iter(grants))]

    @property
    def held(self) -> tuple[int, int]:
        """How many sessions and tokens are kept now."""
        with self._lock:
            return len(self._sessions), len(self._tokens)

    def end_session(self, session: str) -> None:
        with self._lock:
            self._sessions.pop(session, None)

"""Which requests log in, and which carry a credential that came from a cassette.

Recording must never replay a login: the answer a cassette holds carries a scrubbed
placeholder (``scrubbed-token``, ``JSESSIONID=scrubbed-cookie``) where the engine gave a token
or a session, and a client that goes on with it is refused (401). As the real engine and
``client`` log in: the SSO service (``POST /ovirt-engine/sso/oauth/token``, its logout), HTTP
Basic on a request (with ``Prefer: persistent-auth`` it opens the session whose cookie later
requests carry), or another scheme of credentials sent along (Negotiate). A bearer token or a
session cookie only uses what a login gave.
"""

from __future__ import annotations

from typing import Any

from contracttest.exchange import header, request_target
from contracttest.scrubconfig import PLACEHOLDER_PREFIX

#: Where the engine's SSO service lives (token, token-http-auth, revoke, openid, ...), and its
#: logout (``client`` sends both; a test keeps these in step with it).
SSO_PREFIX = "/ovirt-engine/sso/"
SSO_LOGOUT = "/ovirt-engine/services/sso-logout"


def authenticates(request: Any) -> bool:
    """Whether a request (vcrpy's, or any with ``uri`` and ``headers``) logs in or carries
    credentials of its own, rather than a token or a session a login gave."""
    path = request_target(request.uri).partition("?")[0]
    if path.startswith(SSO_PREFIX) or path == SSO_LOGOUT:
        return True
    value = header(request.headers, "authorization") or ""
    scheme = value.strip().partition(" ")[0].lower()
    return bool(scheme) and scheme != "bearer"


def replayed_credential(request: Any, secret_headers: frozenset[str]) -> str | None:
    """The name of the secret header (or ``;jsessionid``) of ``request`` that holds a scrubbed
    placeholder, if one does: a credential that came from a cassette, not from the engine."""
    marker = f"{PLACEHOLDER_PREFIX}-"
    for name, value in request.headers.items():
        values = value if isinstance(value, list | tuple) else [value]
        if str(name).lower() in secret_headers and any(marker in str(v) for v in values):
            return str(name)
    if f";jsessionid={marker}" in request.uri.lower():
        return ";jsessionid"
    return None


def played_credential(cassette: str, mode: str, request: str, name: str) -> str:
    """The explanation of a request that would reach the engine with ``name`` (a header)
    holding a credential played from ``cassette``."""
    return "\n".join(
        [
            "contracttest: a request would reach the engine with a credential played from "
            "the cassette",
            f"  cassette:  {cassette} (record mode {mode})",
            f"  request:   {request}",
            f"  carries:   {name}: a scrubbed placeholder, which the engine refuses (401)",
            "  why:       the client logged in in a way contracttest does not send live (SSO "
            "and Basic are); record it with --record-mode all",
        ]
    )

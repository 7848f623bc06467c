"""Who may do what, in v3: a refused Basic login and a user's filtered view as in v4, and the
v3 SDK's login (HTTP Basic, kept as a session)."""

from __future__ import annotations

from contracttest.example.lab import Lab, Login
from contracttest.example.test_authentication import (  # noqa: F401 (run here, in v3)
    test_basic_login_with_a_wrong_password,
    test_user_sees_only_what_it_created,
)


def test_basic_login_keeps_a_session(lab: Lab, admin_login: Login) -> None:
    v3_sdk = lab.session(admin_login)  # v3's way: Basic, with Prefer: persistent-auth

    reply = v3_sdk.request("GET", "")

    assert reply.status == 200
    assert (reply.header("set-cookie") or "").startswith("JSESSIONID=")

"""Who may do what: logins the engine refuses, and what a user without administrative roles
sees (only what it created)."""

from __future__ import annotations

import pytest

from contracttest.api import Engine
from contracttest.example import bodies
from contracttest.example.lab import Lab, Login
from contracttest.example.reading import child, href, text


def test_sso_login_with_a_wrong_password(
    ovirt_engine: Engine, lab: Lab, admin_login: Login
) -> None:
    intruder = lab.session(Login(admin_login.user, f"not-{admin_login.password}"))

    with pytest.raises(ovirt_engine.LoginError, match=r"access_denied|incorrect"):
        intruder.get("")


def test_basic_login_with_a_wrong_password(lab: Lab, admin_login: Login) -> None:
    intruder = lab.session(Login(admin_login.user, f"not-{admin_login.password}"), method="basic")

    reply = intruder.request("GET", "vms")

    assert reply.status == 401
    assert (reply.header("www-authenticate") or "").lower().startswith("basic")


def test_basic_login_names_the_user(lab: Lab, admin_login: Login) -> None:
    v3_style = lab.session(admin_login, method="basic")

    api = v3_style.get("")

    user = v3_style.follow(child(api, "authenticated_user"))
    assert text(user, "user_name") == admin_login.user


# The user's 404 for the admin's VM is the filtered view, not a lost entity; the check does
# not tell who asked (a checker limitation, reported), so it is skipped here only.
@pytest.mark.contract(skip=["state.created-not-found"])
def test_user_sees_only_what_it_created(ovirt_engine: Engine, lab: Lab, user_login: Login) -> None:
    admins = lab.vm("admins")
    user = lab.session(user_login)

    own = lab.track(user.add("vms", bodies.vm(lab.name("users"))))

    visible = user.list("vms", search=f"name={lab.prefix}-*")
    assert {href(vm) for vm in visible} == {href(own)}
    assert user.request("GET", href(admins)).status == 404
    everything = ovirt_engine.list("vms", search=f"name={lab.prefix}-*")
    assert {href(vm) for vm in everything} == {href(admins), href(own)}

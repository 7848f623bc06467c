"""The v4 model behind the v3 answers of a 4.x engine.

A 4.x engine speaking v3 (a ``Version: 3`` request, or the plain ``/ovirt-engine/api`` prefix
of a 4.0/4.1 engine serving v3) renders its representations from its v4 model: an entity's
``<actions>`` and the API root's collection links list what the v4 model has, and some of
that is absent from the engine's own v3 RSDL (``vms/{id}/previewsnapshot``,
``affinitylabels``...). Real engines do this, so the href rule asks the v4 model about an
action, or an href, that the contract in use does not resolve: found there, the problem is a
warning; found nowhere, it stays an error.

The model is the bundled v4 RSDL (``contracttest/contracts/v4/rsdl.xml``), read through the
same contract model as any engine's. It is loaded lazily, only when an unresolved href of v3
traffic needs it, and once per process (``BUNDLED``). ``bundled_v4_contract`` is the one place
in the core that reads package data: ``importlib.resources`` hands over the bytes, so no path
or file reaches the model. The edge may pass any contract instead, or none:
``Checker(contract, schema, v4=...)`` takes a ``V4Model``, a ``Contract`` or ``None`` (no
fallback).

When the fallback applies is decided per exchange (``applies``): the contract in use is not
a v4 one, and the request is v3 traffic a 4.x engine may have answered (``Version: 3``; or no
``Version`` header under ``/ovirt-engine/api``, when the recording kept the request's
headers). The walk of a response depends on that answer, so its memo key holds the model
(or None).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import cache

from contracttest.exchange import Exchange
from contracttest.router import Router, States
from contracttest.rsdl import Contract, Link, contract_from_bytes

#: Where the bundled v4 RSDL lives, as a package resource.
BUNDLED_PACKAGE = "contracttest"
BUNDLED_RSDL = ("contracts", "v4", "rsdl.xml")


@cache
def bundled_v4_contract() -> Contract:
    """The bundled v4 RSDL, read once per process."""
    from importlib import resources

    resource = resources.files(BUNDLED_PACKAGE)
    for part in BUNDLED_RSDL:
        resource = resource / part
    return contract_from_bytes(resource.read_bytes(), "bundled v4 RSDL")


class V4Model:
    """A v4 contract, loaded on first use (thread-safe), whose router answers fallbacks.

    Compared by identity: it is part of the memo keys of the walks that may use it.
    """

    __slots__ = ("_contract", "_load", "_lock")

    def __init__(self, contract: Contract | Callable[[], Contract]) -> None:
        self._contract: Contract | None = None
        self._load: Callable[[], Contract] | None = None
        if isinstance(contract, Contract):
            self._contract = contract
        else:
            self._load = contract
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        """Whether the contract was needed (and read) so far."""
        return self._contract is not None

    @property
    def contract(self) -> Contract:
        found = self._contract
        if found is None:
            with self._lock:
                found = self._contract
                if found is None:
                    assert self._load is not None
                    found = self._contract = self._load()
        return found

    @property
    def router(self) -> Router:
        return self.contract.router

    def action(self, relative: str, rel: str) -> bool:
        """Whether the v4 model has the action ``rel`` at ``relative`` (``vms/1/reset``)."""
        router = self.router
        return _is_action(router.links_of(router.reach(relative)), rel)

    def action_at(self, owner: States, rel: str) -> bool:
        """Whether the v4 model has the action ``rel`` one step from ``owner``'s route."""
        router = self.router
        return _is_action(router.links_of(router.step(owner, rel)), rel)

    def resolves(self, relative: str) -> bool:
        """Whether the v4 model has a GET at ``relative`` (``affinitylabels``)."""
        router = self.router
        links = router.links_of(router.reach(relative))
        return links is not None and "GET" in links


def _is_action(links: dict[str, list[Link]] | None, rel: str) -> bool:
    return any(link.is_action and link.rel == rel for link in (links or {}).get("POST", ()))


#: The bundled v4 model, shared by every checker that does not name another.
BUNDLED = V4Model(bundled_v4_contract)


#: The prefix of 4.x engines (3.0-3.2 engines answer under ``/api``, which 4.x has not).
ENGINE_4_PREFIX = "/ovirt-engine/api"


def applies(contract: Contract, exchange: Exchange, base: str) -> bool:
    """Whether this exchange is v3 traffic that a 4.x engine may have answered.

    Never with a v4 contract (nothing to fall back to), nor under ``/v4`` (v4 whatever the
    headers say). Yes for ``Version: 3``; with no ``Version`` header, only under
    ``/ovirt-engine/api`` (what a 4.0/4.1 engine serves as v3 by default), and only when the
    recording kept the request's headers: a recording without them says nothing about the
    version it spoke.
    """
    if contract.major == 4 or base.endswith("/v4"):
        return False
    request = exchange.request
    version = request.header("version")
    if version is not None:
        return version.strip() == "3"
    return base == ENGINE_4_PREFIX and bool(request.headers)

"""Links matched across versions by route, and what a route takes and returns.

A route is a method and an href template with its variables unnamed (``vms/{vm:id}`` and
``vms/{id}`` are one route); hrefs are relative to the API prefix already (the contract
model strips ``/api`` or ``/ovirt-engine/api``), so the prefix never makes links differ.
Real RSDLs list some routes more than once (one link per body or response type): a route is
all its links together, and what it requires is what every one of them requires (a client
may take any).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from contracttest.diff.catalogue import Change, unnamed
from contracttest.rsdl import Contract, Header, Link, UrlParameter

_T = TypeVar("_T")

#: (method, href with variables unnamed)
RouteKey = tuple[str, str]


@dataclass(frozen=True)
class Route:
    """Every link of one route in one contract."""

    links: tuple[Link, ...]

    @property
    def first(self) -> Link:
        return self.links[0]

    @property
    def where(self) -> str:
        return f"{self.first.method} {self.first.href}"

    @property
    def is_action(self) -> bool:
        return self.first.is_action

    @property
    def rels(self) -> frozenset[str]:
        return frozenset(link.rel for link in self.links)

    @property
    def body_types(self) -> frozenset[str]:
        return frozenset(link.body_type for link in self.links if link.body_type)

    @property
    def response_types(self) -> frozenset[str]:
        return frozenset(link.response_type for link in self.links if link.response_type)

    def headers(self) -> dict[str, tuple[Header, bool]]:
        """Each header (by lower-cased name): the first seen, and whether every link
        requires it."""
        return _merged(
            [{h.name.lower(): h for h in link.headers} for link in self.links],
            lambda header: header.required,
        )

    def url_parameters(self) -> dict[str, tuple[UrlParameter, bool]]:
        return _merged(
            [{p.name: p for p in link.url_parameters} for link in self.links],
            lambda parameter: parameter.required,
        )


def _merged(
    per_link: list[dict[str, _T]], required: Callable[[_T], bool]
) -> dict[str, tuple[_T, bool]]:
    merged: dict[str, tuple[_T, bool]] = {}
    for found in per_link:
        for name, item in found.items():
            if name not in merged:
                every = all(name in other and required(other[name]) for other in per_link)
                merged[name] = (item, every)
    return merged


def route_key(link: Link) -> RouteKey:
    return link.method, unnamed(link.href)


def routes(contract: Contract) -> dict[RouteKey, Route]:
    grouped: dict[RouteKey, list[Link]] = {}
    for link in contract.links:
        grouped.setdefault(route_key(link), []).append(link)
    return {key: Route(tuple(links)) for key, links in grouped.items()}


def compare_routes(old: Route, new: Route) -> Iterator[Change]:
    """The rels, headers and URL parameters of one route in both versions."""
    where = new.where
    for rel in sorted(old.rels - new.rels):
        yield Change("rel-removed", f"{where} ({rel})", f"rel {rel!r} is gone")
    for rel in sorted(new.rels - old.rels):
        yield Change("rel-added", f"{where} ({rel})", f"rel {rel!r} is new")
    yield from compare_headers(where, old.headers(), new.headers())
    yield from compare_url_parameters(where, old.url_parameters(), new.url_parameters())


def compare_headers(
    where: str, old: dict[str, tuple[Header, bool]], new: dict[str, tuple[Header, bool]]
) -> Iterator[Change]:
    for key in sorted(old.keys() | new.keys()):
        before, after = old.get(key), new.get(key)
        if after is None and before is not None:
            header = before[0]
            yield Change(
                "header-removed",
                f"{where} header {header.name}",
                f"no longer documented (was {'required' if before[1] else 'optional'})",
            )
            continue
        if before is None and after is not None:
            header, required = after
            kind = "header-required-added" if required else "header-added"
            yield Change(
                kind,
                f"{where} header {header.name}",
                f"{'required' if required else 'optional'}, value {header.value or 'any'}",
            )
            continue
        assert before is not None and after is not None
        yield from _header_changed(f"{where} header {after[0].name}", before, after)


def _header_changed(
    where: str, before: tuple[Header, bool], after: tuple[Header, bool]
) -> Iterator[Change]:
    (old, was_required), (new, required) = before, after
    if required and not was_required:
        yield Change("header-now-required", where, "now required")
    elif was_required and not required:
        yield Change("header-now-optional", where, "now optional")
    if old.value != new.value:
        yield Change("header-value-changed", where, f"value {old.value!r} -> {new.value!r}")


def compare_url_parameters(
    where: str,
    old: dict[str, tuple[UrlParameter, bool]],
    new: dict[str, tuple[UrlParameter, bool]],
) -> Iterator[Change]:
    for name in sorted(old.keys() | new.keys()):
        before, after = old.get(name), new.get(name)
        place = f"{where} url {name}"
        if after is None and before is not None:
            yield Change(
                "url-parameter-removed", place, f"{_shown(before[0])} no longer documented"
            )
        elif before is None and after is not None:
            kind = "url-parameter-required-added" if after[1] else "url-parameter-added"
            required = "required" if after[1] else "optional"
            yield Change(kind, place, f"{required} {_shown(after[0])}, {after[0].type}")
        elif before is not None and after is not None:
            yield from _url_parameter_changed(place, before, after)


def _url_parameter_changed(
    where: str, before: tuple[UrlParameter, bool], after: tuple[UrlParameter, bool]
) -> Iterator[Change]:
    (old, was_required), (new, required) = before, after
    if required and not was_required:
        yield Change("url-parameter-now-required", where, f"{_shown(new)} now required")
    elif was_required and not required:
        yield Change("url-parameter-now-optional", where, f"{_shown(new)} now optional")
    if old.type != new.type:
        yield Change("url-parameter-type-changed", where, f"{old.type} -> {new.type}")
    if old.context != new.context:
        yield Change("url-parameter-moved", where, f"{_shown(old)} -> {_shown(new)}")
    if new.deprecated and not old.deprecated:
        yield Change("url-parameter-deprecated", where, f"{_shown(new)} deprecated")


def _shown(parameter: UrlParameter) -> str:
    """``;max (matrix)`` or ``?search (query)``, as a request spells it."""
    mark = ";" if parameter.context == "matrix" else "?"
    return f"{mark}{parameter.name} ({parameter.context})"

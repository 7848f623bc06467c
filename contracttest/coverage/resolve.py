"""Which RSDL link an exchange exercised, and which parameter sets of its body it satisfied.

A request counts for the link the contract's router resolves it to (the most specific href
of its method and path, literal segments before variables). An RSDL may also list hrefs that
carry a query (``vms?search={query}``, ``?rsdl``): the router's trie never reaches them (no
path segment holds a ``?``), so they are indexed here by their method and path, and a
request on that path that carries every query name such a link names counts for it instead
(a GET ``vms?search=name%3Dx`` for ``vms?search={query}`` where the contract has one; the
plain ``vms`` link otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import parse_qsl

from contracttest.checks.context import element_matches_type
from contracttest.exchange import Exchange
from contracttest.jsonmodel import looks_like_json, root_of
from contracttest.jsontree import JSONProblem, read_json
from contracttest.parameters import missing_parameters
from contracttest.router import Router, split_uri
from contracttest.rsdl import Contract, Link
from contracttest.schema import Schema
from contracttest.xmlsafe import Element, XMLProblem, looks_like_xml, parse

#: How coverage names a link: method, href (relative to the API prefix) and rel.
LinkKey = tuple[str, str, str]


def key_of(link: Link) -> LinkKey:
    return (link.method, link.href, link.rel)


def query_names(href: str) -> frozenset[str]:
    """The query names an href template carries: ``vms?search={query}`` -> ``{"search"}``."""
    _, mark, query = href.partition("?")
    if not mark:
        return frozenset()
    return frozenset(name for name, _ in parse_qsl(query, keep_blank_values=True)) or frozenset(
        {query}
    )


@dataclass(frozen=True, slots=True)
class Resolved:
    """Where one request went: its link (None: no RSDL link), or the path it asked for."""

    link: Link | None
    path: str  # the request's path without its parameters: ``/ovirt-engine/api/vms/123``
    in_api: bool = True  # False: not under the API prefix (SSO, logout, web pages)


class Resolver:
    """Resolves requests of one contract to its links (cheap to make: one pass over them)."""

    def __init__(self, contract: Contract, schema: Schema | None = None) -> None:
        self.contract = contract
        self.schema = schema
        self._listed = frozenset(map(id, contract.links))
        #: (method, path part) -> [(query names, link)], the most names first
        self._with_query: dict[tuple[str, str], list[tuple[frozenset[str], Link]]] = {}
        path_links: list[Link] = []
        for link in contract.links:
            if "?" in link.href:
                path = link.href.partition("?")[0].strip("/")
                self._with_query.setdefault((link.method, path), []).append(
                    (query_names(link.href), link)
                )
                path_links.append(_with_href(link, path))
        for found in self._with_query.values():
            found.sort(key=lambda item: -len(item[0]))
        #: The query-carrying links' paths, routed like any (for a path no plain link has).
        self._query_router = Router(_contract_of(contract, path_links)) if path_links else None

    def resolve(self, method: str, uri: str) -> Resolved:
        target = split_uri(uri, self.contract.prefix)
        path = "/" + "/".join((target.base.strip("/"), *target.segments)).strip("/")
        if not target.base:
            return Resolved(None, path, in_api=False)
        method = method.upper()
        link = self.contract.router.route(method, target.segments)
        if self._with_query and target.query:
            asked = frozenset(name for name, _ in target.query)
            if link is not None:
                link = self._query_link(method, link.href, asked) or link
            elif self._query_router is not None:
                path_link = self._query_router.route(method, target.segments)
                if path_link is not None:
                    link = self._query_link(method, path_link.href, asked)
        if link is not None and id(link) not in self._listed:
            link = None  # the API root every engine serves, which no RSDL lists
        return Resolved(link, path)

    def _query_link(self, method: str, path: str, asked: frozenset[str]) -> Link | None:
        for names, link in self._with_query.get((method, path), ()):
            if names <= asked:
                return link
        return None

    def satisfied_sets(self, link: Link, body: bytes) -> tuple[int, ...]:
        """The indexes of the link's parameter sets the request body satisfies (none when the
        body is not the link's element, in XML or in JSON)."""
        if not link.parameter_sets:
            return ()
        root = self._request_root(link, body)
        if root is None or not element_matches_type(
            root.tag, link.body_type or root.tag, self.schema
        ):
            return ()
        return tuple(
            i
            for i, parameter_set in enumerate(link.parameter_sets)
            if not missing_parameters(root, parameter_set)
        )

    def _request_root(self, link: Link, body: bytes) -> Element | None:
        try:
            if looks_like_xml(body):
                return parse(body)
            if looks_like_json(body):
                return read_json(body, root_of(self.schema, link.body_type), self.schema)[0]
        except (XMLProblem, JSONProblem):
            pass
        return None

    def of(self, exchange: Exchange) -> tuple[Resolved, tuple[int, ...]]:
        """An exchange's link (or path) and the parameter sets its request body satisfied."""
        request = exchange.request
        resolved = self.resolve(request.method, request.uri)
        if resolved.link is None or not request.body:
            return resolved, ()
        return resolved, self.satisfied_sets(resolved.link, request.body)


def _with_href(link: Link, href: str) -> Link:
    return replace(link, href=href)


def _contract_of(contract: Contract, links: list[Link]) -> Contract:
    return Contract(links=tuple(links), prefix=contract.prefix, source=contract.source)

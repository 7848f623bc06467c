"""The href rule: every href of a representation must resolve, in its place.

An href must be a path under the API prefix that routes to an RSDL GET link; an ``id`` must
be its href's last segment; a ``<link rel>`` must point to that sub-collection of its
entity; an ``<actions><link rel>`` must be one of the entity's RSDL actions. The walk over
the representation (``checks.walk``) hands every href here with its owning entity, so
nothing climbs the tree, and a link of an entity costs one memoised trie step from the
entity's own route.

v3 traffic of a 4.x engine lists actions and collections of the engine's v4 model that its
v3 RSDL lacks: an action or an href the contract does not resolve is asked of that model
(``checks.fallback``) when the walk was given one, and is a warning when the model has it.
The verdicts memoised on the router (``Router.cache``) are the contract's alone, keyed by
everything they are made of (the owner's tag and route, the rel, the place); the fallback is
asked after them, so they never depend on it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple
from urllib.parse import unquote

from lxml import etree

from contracttest.checks.context import shown as _shown
from contracttest.checks.fallback import V4Model
from contracttest.router import KNOWN_PREFIXES, Router, States
from contracttest.rules import Finding, Severity
from contracttest.xmlsafe import Element

_ALIAS_HINT = (
    "real RHEV-M 3.x engines answer with their /api alias; clients that follow hrefs must "
    "accept both"
)
_OUTSIDE_HINT = "hrefs are absolute paths under the API prefix, never full URLs"
_V4_HINT = "a 4.x engine speaking v3 lists what its v4 model has; a v3 client cannot rely on it"

#: (message, expected, severity or None for the rule's default, hint)
_Problem = tuple[str, str, Severity | None, str]


class Owner(NamedTuple):
    """The entity a link belongs to: its tag, its href's path and where that routed."""

    tag: str
    path: str
    prefix: str  # the path and a slash: where its own links are
    states: States
    alias: str | None  # the other API prefix its href used, if any
    #: rel -> the contract's verdict on a link right under an entity of this tag and route,
    #: for its links and for its actions (``OwnerTables``: shared by every such entity)
    links: dict[str, _Problem | None]
    actions: dict[str, _Problem | None]


_UNSEEN = object()
_new = tuple.__new__
#: The longest rel an owner's table remembers (rels come from the traffic).
_SHORT = 64
#: An owner's verdict tables: for its links, for its actions.
OwnerTables = tuple[dict[str, "_Problem | None"], dict[str, "_Problem | None"]]


class HrefChecker:
    """Collects href problems of one representation, element by element."""

    def __init__(self, base: str, router: Router, v4: V4Model | None = None) -> None:
        """``v4``: the model asked about what the contract does not resolve, or None."""
        self.base = base
        self.prefix = base + "/"
        self.router = router
        self.v4 = v4
        self.problems: list[tuple[Element, str, _Problem]] = []
        self.aliased: list[tuple[Element, str]] = []
        self._tree: etree._ElementTree | None = None
        self._verdicts = router.cache
        self._reach = router.reach
        self._cut = len(self.prefix)
        self._verdict = router.cache.get
        #: owner path -> the trie nodes it reaches in the v4 model
        self._v4_owners: dict[str, States] = {}

    def link(self, element: Element, href: str, rel: str, in_actions: bool, owner: Owner) -> None:
        """Check a ``<link href rel>`` with no children under its entity ``owner``.

        The common case, fast: a link right under its entity (``<owner href>/<rel>``). The
        contract's verdict depends only on the owner's tag and route, the rel and the place:
        it is looked up in the owner's tables, which every entity of that tag and route
        shares. Any other link goes through ``visit``.
        """
        if rel and href == owner.prefix + (
            rel if in_actions or "/" not in rel else rel.partition("/")[0]
        ):
            table = owner.actions if in_actions else owner.links
            verdict = table.get(rel, _UNSEEN)
            if verdict is _UNSEEN:
                verdict = self._owned_verdict(rel, in_actions, owner)
                if len(rel) <= _SHORT:
                    table[rel] = verdict
                    # the router's memo counts what the tables hold, so they stay bounded
                    tables = (owner.links, owner.actions)
                    self._verdicts.put(("owner", owner.tag, owner.states), tables, len(rel))
            if verdict is not None:
                self._owned_problem(element, href, verdict, rel, in_actions, owner)  # type: ignore[arg-type]
            if owner.alias is not None:
                self.aliased.append((element, owner.alias))
        else:
            self.visit(element, "link", href, in_actions, owner, True)

    def visit(
        self,
        element: Element,
        tag: str,
        href: str,
        in_actions: bool,
        owner: Owner | None,
        leaf: bool = False,
    ) -> Owner | None:
        """Check one href of an element named ``tag``; returns the element as the owner of
        its own links.

        ``leaf``: the element has no children, so it owns nothing (None is returned).
        """
        if owner is not None and tag == "link":
            rel = element.get("rel")
            if rel and href == owner.prefix + (
                rel if in_actions or "/" not in rel else rel.partition("/")[0]
            ):
                self.link(element, href, rel, in_actions, owner)
                return None
        path = href.partition("?")[0] if "?" in href else href
        other: str | None = None
        if path.startswith(self.prefix):
            relative = path[self._cut :]
        elif path == self.base:
            relative = ""
        else:
            other = _other_base(path)
            if other is None:
                message = f"href {_shown(href)!r} is not a path under the API prefix {self.base}"
                problem: _Problem = (message, f"{self.base}/...", None, _OUTSIDE_HINT)
                self.problems.append((element, href, problem))
                return None
            self.aliased.append((element, other))
            relative = path[len(other) + 1 :]
        rel = element.get("rel") if tag == "link" else None
        if rel and (in_actions or owner is not None):
            if in_actions:
                found = self._action(rel, relative, path, owner)
                if found is not None:
                    found = self._v4_action(found, rel, relative, owner)
            else:
                assert owner is not None
                found = self._sub_collection(rel, relative, path, owner)
            if found is not None:
                self.problems.append((element, href, found))
            return None
        states = self._reach(relative)
        links = None
        for node in states:  # Router.links_of, inline: the best state with links
            if node.links:
                links = node.links
                break
        if links is None or "GET" not in links:
            if self.v4 is not None and self.v4.resolves(relative):
                message = (
                    f"href {_shown(path)} is not in the RSDL in use; the engine's v4 model has it"
                )
                warning = (message, "an RSDL GET link", Severity.WARNING, _V4_HINT)
                self.problems.append((element, href, warning))
                return None
            problem = (
                f"href {_shown(path)} does not resolve to an RSDL GET link",
                "an RSDL GET link",
                None,
                "",
            )
            self.problems.append((element, href, problem))
            return None
        identifier = element.get("id")
        if identifier is not None:
            tail = relative.rpartition("/")[2]
            if identifier != tail and identifier != unquote(tail.partition(";")[0]):
                message = f"id {_shown(identifier)!r} is not the last segment of its href"
                self.problems.append((element, href, (message, _shown(tail), None, "")))
        if leaf:
            return None
        tables = self._tables(tag, states)
        # a named tuple built as a tuple: its generated constructor costs more than the rest
        return _new(Owner, (tag, path, path + "/", states, other, *tables))

    def _tables(self, tag: str, states: States) -> OwnerTables:
        """The verdict tables of the entities of this tag and route, made on first need and
        kept in the router's bounded memo (the key is all a verdict depends on; each rel a
        table learns is counted there too)."""
        key = ("owner", tag, states)
        tables = self._verdict(key)
        if tables is None:
            tables = self._verdicts.put(key, ({}, {}), len(tag))
        return tables  # type: ignore[return-value]

    def findings(self) -> Iterator[Finding]:
        for element, href, problem in self.problems:
            yield _finding(self._path_of(element), href, problem)
        if self.aliased:
            first, prefix = self.aliased[0]
            message = (
                f"{len(self.aliased)} href(s) use the API prefix {prefix}, "
                f"the request used {self.base}"
            )
            problem = (message, f"{self.base}/...", Severity.WARNING, _ALIAS_HINT)
            yield _finding(self._path_of(first), str(first.get("href")), problem)

    def _path_of(self, element: Element) -> str:
        """The element's XPath, through one tree object for the whole representation."""
        if self._tree is None:
            self._tree = element.getroottree()
        return self._tree.getpath(element)

    def _owned_verdict(self, rel: str, in_actions: bool, owner: Owner) -> _Problem | None:
        """The contract's verdict on a link right under its owner."""
        # the relative path is not needed: the route is one step from the owner's
        href = owner.prefix + rel
        if in_actions:
            return self._action(rel, "", href, owner)
        return self._sub_collection(rel, "", href, owner)

    def _owned_problem(
        self,
        element: Element,
        href: str,
        verdict: _Problem,
        rel: str,
        in_actions: bool,
        owner: Owner,
    ) -> None:
        if in_actions and self.v4 is not None:
            verdict = self._v4_owned_action(verdict, rel, owner)
        self.problems.append((element, href, verdict))

    def _v4_owned_action(self, problem: _Problem, rel: str, owner: Owner) -> _Problem:
        """``_v4_action`` for an action right under its owner: one step from the owner's
        v4 route, found once per owner."""
        assert self.v4 is not None
        states = self._v4_owners.get(owner.path)
        if states is None:
            relative = self._relative(owner.path, owner)
            router = self.v4.router
            states = self._v4_owners[owner.path] = router.reach(relative) if relative else ()
        if not states or not self.v4.action_at(states, rel):
            return problem
        return self._v4_warning(problem, rel, owner)

    def _relative(self, path: str, owner: Owner) -> str:
        """A path under the request's base, or under the alias its owner used."""
        if path.startswith(self.prefix):
            return path[len(self.prefix) :]
        if owner.alias is not None and path.startswith(owner.alias + "/"):
            return path[len(owner.alias) + 1 :]
        return ""

    def _v4_action(
        self, problem: _Problem, rel: str, relative: str, owner: Owner | None
    ) -> _Problem:
        """An action the contract lacks, as a warning when the v4 model has it there."""
        if self.v4 is None or not relative or not self.v4.action(relative, rel):
            return problem
        return self._v4_warning(problem, rel, owner)

    @staticmethod
    def _v4_warning(problem: _Problem, rel: str, owner: Owner | None) -> _Problem:
        where = f" of <{owner.tag}>" if owner is not None else ""
        message = f"action {rel!r}{where} is not in the RSDL in use; the engine's v4 model has it"
        return message, problem[1], Severity.WARNING, _V4_HINT

    def _states(self, name: str, relative: str, path: str, owner: Owner | None) -> States:
        """Where a link routes: one step from its owner when it sits right under it."""
        if owner is None:
            return self.router.reach(relative)
        size = len(owner.path)
        if (
            len(path) == size + 1 + len(name)
            and path[size] == "/"
            and path.endswith(name)
            and path.startswith(owner.path)
        ):
            return self.router.step(owner.states, name)
        return self.router.reach(relative)

    def _action(self, rel: str, relative: str, path: str, owner: Owner | None) -> _Problem | None:
        links = self.router.links_of(self._states(rel, relative, path, owner))
        posts = links.get("POST") if links else None
        if posts and posts[0].is_action and posts[0].rel == rel:
            return None
        where = f" of <{owner.tag}>" if owner is not None else ""
        message = f"action {_shown(rel)!r}{where} is not an action in the RSDL"
        return message, "an RSDL action", None, ""

    def _sub_collection(self, rel: str, relative: str, path: str, owner: Owner) -> _Problem | None:
        name = rel.partition("/")[0]
        sub = f"{owner.path}/{name}"
        if path != sub and not path.startswith(sub + "/"):
            shown = _shown(rel)
            message = (
                f"link rel={shown!r} of <{owner.tag}> does not point to its {shown!r} "
                "sub-collection"
            )
            return message, _shown(sub), None, ""
        links = self.router.links_of(self._states(name, relative, path, owner))
        if links is None or "GET" not in links:
            shown = _shown(rel)
            message = f"<{owner.tag}> links to {shown!r}, which the RSDL does not document for it"
            return message, "a sub-collection in the RSDL", Severity.WARNING, ""
        return None


def _other_base(path: str) -> str | None:
    if "://" in path:
        return None
    for candidate in KNOWN_PREFIXES:
        if path == candidate or path.startswith(candidate + "/"):
            return candidate
    return None


def _finding(xpath: str, href: str, problem: _Problem) -> Finding:
    message, expected, severity, hint = problem
    # built as a tuple: a failing body makes hundreds, and the keyword constructor costs more
    return _new(Finding, ("response.href", message, xpath, expected, _shown(href), hint, severity))

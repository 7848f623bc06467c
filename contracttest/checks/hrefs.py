"""The href rule: every href of a representation must resolve, in its place.

An href must be a path under the API prefix that routes to an RSDL GET link; an ``id`` must
be its href's last segment; a ``<link rel>`` must point to that sub-collection of its
entity; an ``<actions><link rel>`` must be one of the entity's RSDL actions. The walk over
the representation (``checks.walk``) hands every href here with its owning entity, so
nothing climbs the tree, and a link of an entity costs one memoised trie step from the
entity's own route.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple
from urllib.parse import unquote

from lxml import etree

from contracttest.router import KNOWN_PREFIXES, Router, States
from contracttest.rules import Finding, Severity
from contracttest.xmlsafe import Element

_ALIAS_HINT = (
    "real RHEV-M 3.x engines answer with their /api alias; clients that follow hrefs must "
    "accept both"
)
_OUTSIDE_HINT = "hrefs are absolute paths under the API prefix, never full URLs"

#: (message, expected, severity or None for the rule's default)
_Problem = tuple[str, str, Severity | None]


class Owner(NamedTuple):
    """The entity a link belongs to: its tag, its href's path and where that routed."""

    tag: str
    path: str
    states: States
    alias: str | None  # the other API prefix its href used, if any


_UNSEEN = object()


class HrefChecker:
    """Collects href problems of one representation, element by element."""

    def __init__(self, base: str, router: Router) -> None:
        self.base = base
        self.prefix = base + "/"
        self.router = router
        self.problems: list[tuple[Element, str, _Problem, str]] = []
        self.aliased: list[tuple[Element, str]] = []
        self._tree: etree._ElementTree | None = None

    def visit(
        self,
        element: Element,
        href: str,
        in_actions: bool,
        owner: Owner | None,
        leaf: bool = False,
    ) -> Owner | None:
        """Check one href; returns the element as the owner of its own links.

        ``leaf``: the element has no children, so it owns nothing (None is returned).
        """
        if (
            owner is not None
            and element.tag == "link"
            and self._owned_link(element, href, in_actions, owner)
        ):
            return None
        path = href.partition("?")[0] if "?" in href else href
        other: str | None = None
        if path.startswith(self.prefix):
            relative = path[len(self.prefix) :]
        elif path == self.base:
            relative = ""
        else:
            other = _other_base(path)
            if other is None:
                message = f"href {href!r} is not a path under the API prefix {self.base}"
                problem: _Problem = (message, f"{self.base}/...", None)
                self.problems.append((element, href, problem, _OUTSIDE_HINT))
                return None
            self.aliased.append((element, other))
            relative = path[len(other) + 1 :]
        rel = element.get("rel") if element.tag == "link" else None
        if rel and (in_actions or owner is not None):
            if in_actions:
                found = self._action(rel, relative, path, owner)
            else:
                assert owner is not None
                found = self._sub_collection(rel, relative, path, owner)
            if found is not None:
                self.problems.append((element, href, found, ""))
            return None
        states = self.router.reach(relative)
        links = self.router.links_of(states)
        if links is None or "GET" not in links:
            problem = (
                f"href {path} does not resolve to an RSDL GET link",
                "an RSDL GET link",
                None,
            )
            self.problems.append((element, href, problem, ""))
            return None
        identifier = element.get("id")
        if identifier is not None:
            tail = relative.rpartition("/")[2]
            if identifier != tail and identifier != unquote(tail.partition(";")[0]):
                problem = (f"id {identifier!r} is not the last segment of its href", tail, None)
                self.problems.append((element, href, problem, ""))
        return None if leaf else Owner(str(element.tag), path, states, other)

    def findings(self) -> Iterator[Finding]:
        for element, href, problem, hint in self.problems:
            yield _finding(self._path_of(element), href, problem, hint)
        if self.aliased:
            first, prefix = self.aliased[0]
            message = (
                f"{len(self.aliased)} href(s) use the API prefix {prefix}, "
                f"the request used {self.base}"
            )
            problem = (message, f"{self.base}/...", Severity.WARNING)
            yield _finding(self._path_of(first), str(first.get("href")), problem, _ALIAS_HINT)

    def _path_of(self, element: Element) -> str:
        """The element's XPath, through one tree object for the whole representation."""
        if self._tree is None:
            self._tree = element.getroottree()
        return self._tree.getpath(element)

    def _owned_link(self, element: Element, href: str, in_actions: bool, owner: Owner) -> bool:
        """The common case, fast: a link right under its entity (``<owner href>/<rel>``).

        Its verdict depends only on the entity's route, the rel and the place, so it is
        memoised across representations. False when the link is not of that shape.
        """
        rel = element.get("rel")
        if not rel:
            return False
        name = rel if in_actions else rel.partition("/")[0]
        if href != f"{owner.path}/{name}":
            return False
        key = (owner.tag, owner.states, rel, in_actions)
        verdict = self.router.cache.get(key, _UNSEEN)
        if verdict is _UNSEEN:
            # the relative path is not needed: the route is one step from the owner's
            verdict = (
                self._action(rel, "", href, owner)
                if in_actions
                else self._sub_collection(rel, "", href, owner)
            )
            self.router.cache.put(key, verdict, len(owner.tag) + len(rel))
        if verdict is not None:
            assert isinstance(verdict, tuple)
            self.problems.append((element, href, verdict, ""))
        if owner.alias is not None:
            self.aliased.append((element, owner.alias))
        return True

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
        return f"action {rel!r}{where} is not an action in the RSDL", "an RSDL action", None

    def _sub_collection(self, rel: str, relative: str, path: str, owner: Owner) -> _Problem | None:
        name = rel.partition("/")[0]
        sub = f"{owner.path}/{name}"
        if path != sub and not path.startswith(sub + "/"):
            message = (
                f"link rel={rel!r} of <{owner.tag}> does not point to its {rel!r} sub-collection"
            )
            return message, sub, None
        links = self.router.links_of(self._states(name, relative, path, owner))
        if links is None or "GET" not in links:
            message = f"<{owner.tag}> links to {rel!r}, which the RSDL does not document for it"
            return message, "a sub-collection in the RSDL", Severity.WARNING
        return None


def _other_base(path: str) -> str | None:
    if "://" in path:
        return None
    for candidate in KNOWN_PREFIXES:
        if path == candidate or path.startswith(candidate + "/"):
            return candidate
    return None


def _finding(xpath: str, href: str, problem: _Problem, hint: str) -> Finding:
    message, expected, severity = problem
    return Finding(
        "response.href",
        message,
        xpath=xpath,
        expected=expected,
        received=href,
        hint=hint,
        severity=severity,
    )

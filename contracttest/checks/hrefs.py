"""The href rule: every href of a representation must resolve, in its place.

An href must be a path under the API prefix that routes to an RSDL GET link; an ``id`` must
be its href's last segment; a ``<link rel>`` must point to that sub-collection of its
entity; an ``<actions><link rel>`` must be one of the entity's RSDL actions. The walk over
the representation (``checks.walk``) hands every href here with its parent, so nothing
climbs the tree; route lookups are memoised by the router, since the same hrefs come back
in response after response.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import unquote

from contracttest.checks.context import Context
from contracttest.router import KNOWN_PREFIXES, Router
from contracttest.rules import Finding, Severity
from contracttest.xmlsafe import Element

_ALIAS_HINT = (
    "real RHEV-M 3.x engines answer with their /api alias; clients that follow hrefs must "
    "accept both"
)
_OUTSIDE_HINT = "hrefs are absolute paths under the API prefix, never full URLs"

#: (message, expected, severity or None for the rule's default)
_Problem = tuple[str, str, Severity | None]


def check_hrefs(ctx: Context) -> Iterator[Finding]:
    from contracttest.checks.walk import walk_of

    walk = walk_of(ctx)
    if walk is not None:
        yield from walk.hrefs.findings()


class HrefChecker:
    """Collects href problems of one representation, element by element."""

    def __init__(self, base: str, router: Router) -> None:
        self.base = base
        self.prefix = base + "/"
        self.router = router
        self.problems: list[tuple[Element, str, _Problem, str]] = []
        self.aliased: list[tuple[Element, str]] = []

    def visit(
        self, element: Element, href: str, parent: Element | None, parent_href: str | None
    ) -> None:
        """Check one href; ``parent_href`` is the parent element's href, if it has one."""
        path = href.partition("?")[0] if "?" in href else href
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
                return
            self.aliased.append((element, other))
            relative = path[len(other) + 1 :]
        found = self._problem(element, relative, path, parent, parent_href)
        if found is not None:
            self.problems.append((element, href, found, ""))

    def findings(self) -> Iterator[Finding]:
        for element, href, problem, hint in self.problems:
            yield _finding(element, href, problem, hint)
        if self.aliased:
            first, prefix = self.aliased[0]
            message = (
                f"{len(self.aliased)} href(s) use the API prefix {prefix}, "
                f"the request used {self.base}"
            )
            problem = (message, f"{self.base}/...", Severity.WARNING)
            yield _finding(first, str(first.get("href")), problem, _ALIAS_HINT)

    def _problem(
        self,
        element: Element,
        relative: str,
        path: str,
        parent: Element | None,
        owner_href: str | None,
    ) -> _Problem | None:
        router = self.router
        if element.tag == "link" and parent is not None:
            rel = element.get("rel")
            if parent.tag == "actions":
                link = router.action(relative)
                if link is not None and link.rel == rel:
                    return None
                owner = parent.getparent()
                where = f" of <{owner.tag}>" if owner is not None else ""
                return f"action {rel!r}{where} is not an action in the RSDL", "an RSDL action", None
            if rel and owner_href:
                return _sub_collection(router, str(parent.tag), owner_href, rel, relative, path)
        if not router.resolves(relative):
            return f"href {path} does not resolve to an RSDL GET link", "an RSDL GET link", None
        identifier = element.get("id")
        if identifier is not None:
            tail = relative.rpartition("/")[2]
            if identifier != tail and identifier != unquote(tail.partition(";")[0]):
                return f"id {identifier!r} is not the last segment of its href", tail, None
        return None


def _sub_collection(
    router: Router, owner_tag: str, owner_href: str, rel: str, relative: str, path: str
) -> _Problem | None:
    sub = f"{owner_href.partition('?')[0]}/{rel.partition('/')[0]}"
    if path != sub and not path.startswith(sub + "/"):
        message = f"link rel={rel!r} of <{owner_tag}> does not point to its {rel!r} sub-collection"
        return message, sub, None
    if not router.resolves(relative):
        message = f"<{owner_tag}> links to {rel!r}, which the RSDL does not document for it"
        return message, "a sub-collection in the RSDL", Severity.WARNING
    return None


def _other_base(path: str) -> str | None:
    if "://" in path:
        return None
    for candidate in KNOWN_PREFIXES:
        if path == candidate or path.startswith(candidate + "/"):
            return candidate
    return None


def _finding(element: Element, href: str, problem: _Problem, hint: str) -> Finding:
    message, expected, severity = problem
    return Finding(
        "response.href",
        message,
        xpath=element.getroottree().getpath(element),
        expected=expected,
        received=href,
        hint=hint,
        severity=severity,
    )

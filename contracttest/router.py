"""The router: a concrete request path to its RSDL links, by walking path segments.

Templates are compiled once into a trie of literal segments and ``{name:id}`` variables;
a lookup costs one dictionary step per segment, whatever the number of links. Literal
segments win over variables, with backtracking when a literal branch leads nowhere.

Every walk is a loop over the path's segments, never a recursion, and stops as soon as no
trie node is left: a path of any length (an href of thousands of segments) costs at most the
trie's depth in steps, and never the interpreter's stack. Each memo below is a pure function
of its key within one router (one contract): paths and segment names in, trie nodes out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import parse_qsl, unquote

from contracttest.memo import Memo
from contracttest.rsdl import Contract, Link

KNOWN_PREFIXES = ("/ovirt-engine/api/v4", "/ovirt-engine/api", "/api")
#: Bytes of keys each of the router's memos may hold (paths, segments, names).
MEMO_BYTES = 4 << 20
_UNSEEN = object()


def path_segments(path: str) -> list[str]:
    """``vms/a%20b;x=1/nics`` -> ``["vms", "a b", "nics"]``: names only, unescaped."""
    if ";" not in path and "%" not in path:
        return [s for s in path.split("/") if s]
    return [unquote(s.partition(";")[0]) for s in path.split("/") if s and s[0] != ";"]


@dataclass(slots=True, eq=False)
class _Node:
    literal: dict[str, _Node] = field(default_factory=dict)
    variable: _Node | None = None
    links: dict[str, list[Link]] = field(default_factory=dict)


class Target(NamedTuple):
    """A request URI taken apart: the API base it used, its path segments and parameters."""

    base: str  # "/ovirt-engine/api" (a "/v4" suffix is kept here) or "" when outside the API
    segments: tuple[str, ...]
    matrix: tuple[tuple[str, str], ...]
    query: tuple[tuple[str, str], ...]

    @property
    def path(self) -> str:
        """The path under the base, without parameters: ``vms/123/nics``."""
        return "/".join(self.segments)


_SPLIT: Memo[tuple[str, str], Target] = Memo(MEMO_BYTES, largest=2048)


def split_uri(uri: str, prefix: str) -> Target:
    """Take any request URI (any host, any known API prefix) apart.

    Memoised (bounded by bytes): polling and replays send the same URIs again and again.

    The longest matching prefix wins: ``/ovirt-engine/api/v4/vms`` is ``vms`` under
    ``/ovirt-engine/api/v4``, whatever the contract's own prefix.
    """
    key = (uri, prefix)
    found = _SPLIT.get(key)
    if found is None:
        found = _SPLIT.put(key, _split_uri(uri, prefix), len(uri) + len(prefix))
    return found


def forget() -> None:
    """Forget the URI splits remembered so far (for measuring from a cold start)."""
    _SPLIT.clear()


def _split_uri(uri: str, prefix: str) -> Target:
    path, query = _path_and_query(uri)
    base = ""
    for candidate in _prefixes(prefix):
        if path.startswith(candidate):
            size = len(candidate)
            if len(path) == size or path[size] in "/;":
                base = candidate
                path = path[size:]
                break
    pairs = _query_pairs(query) if query else ()
    if ";" not in path and "%" not in path:  # the common case, without the cost below
        return Target(base, tuple(s for s in path.split("/") if s), (), pairs)
    segments: list[str] = []
    matrix: list[tuple[str, str]] = []
    for raw in path.split("/"):
        if not raw:
            continue
        name, *params = raw.split(";")
        if name:
            segments.append(unquote(name))
        for param in params:
            key, _, value = param.partition("=")
            matrix.append((unquote(key), unquote(value)))
    return Target(base, tuple(segments), tuple(matrix), pairs)


def _query_pairs(query: str) -> tuple[tuple[str, str], ...]:
    """``parse_qsl`` with blank values kept, without its cost when nothing is escaped."""
    if "%" in query or "+" in query:
        return tuple(parse_qsl(query, keep_blank_values=True))
    pairs = []
    for item in query.split("&"):
        if item:
            name, _, value = item.partition("=")
            pairs.append((name, value))
    return tuple(pairs)


def _path_and_query(uri: str) -> tuple[str, str]:
    """The path and query of a URI, without the cost of a full ``urlsplit``."""
    scheme = uri.find("://", 0, 24)
    if scheme > 0 and uri[:scheme].isalnum():
        start = scheme + 3
        cut = uri.find("/", start)
        if cut == -1:
            cut = len(uri)
        for mark in "?#":  # an authority ends at the first of / ? #
            found = uri.find(mark, start, cut)
            if found != -1:
                cut = found
        uri = uri[cut:]
    if "#" in uri:
        uri = uri.partition("#")[0]
    path, _, query = uri.partition("?")
    return path or "/", query


@lru_cache(maxsize=64)
def _prefixes(prefix: str) -> tuple[str, ...]:
    """The contract's prefix and the known ones, longest first."""
    return tuple(sorted({prefix, *KNOWN_PREFIXES}, key=len, reverse=True))


def api_relative(href: str, base: str) -> str:
    """An href or URL as a path relative to the API: ``https://h/api/vms/1;x=2`` -> ``vms/1``.

    The request's ``base`` is tried first, then every known prefix (real RHEV-M engines answer
    with their ``/api`` alias); '' when the href is under none.
    """
    path = _path_and_query(href)[0]
    for candidate in _prefixes(base) if base else KNOWN_PREFIXES:
        if path == candidate or path.startswith(candidate + "/"):
            return "/".join(path_segments(path[len(candidate) :]))
    return ""


#: The trie nodes a path reaches, best first: what the router memoises per path.
States = tuple[_Node, ...]


class Router:
    """Routes concrete paths of one contract to its links."""

    def __init__(self, contract: Contract) -> None:
        self.contract = contract
        self._root = _Node()
        for link in contract.links:
            node = self._root
            for segment in link.segments:
                if segment.startswith("{"):
                    node.variable = node.variable or _Node()
                    node = node.variable
                else:
                    node = node.literal.setdefault(segment, _Node())
            node.links.setdefault(link.method, []).append(link)
        self._root.links.setdefault("GET", []).append(contract.root_link)
        self._start: States = (self._root,)
        #: Relative path -> the trie nodes it reaches, best first (literal before variable).
        self._states: Memo[str, States] = Memo(MEMO_BYTES)
        self._steps: Memo[tuple[States, str], States] = Memo(MEMO_BYTES)
        #: Verdicts derived from routes, memoised by their users (keys are theirs; their
        #: size is what ``put`` is told).
        self.cache: Memo[tuple[object, ...], object] = Memo(MEMO_BYTES)
        self._at: Memo[tuple[str, ...], object] = Memo(MEMO_BYTES)

    def links_at(self, segments: tuple[str, ...] | list[str]) -> dict[str, list[Link]] | None:
        """The links of every method at a concrete path; None when no template matches it.

        The states a path reaches are ordered as a depth-first search with backtracking
        would meet them (literal before variable at every step), so the first with links is
        the route; the loop ends when no node is left, within the trie's depth.
        """
        key = tuple(segments)
        found = self._at.get(key, _UNSEEN)
        if found is _UNSEEN:
            states = self._start
            for name in key:
                states = self.step(states, name)
                if not states:
                    break
            found = self.links_of(states)
            self._at.put(key, found, sum(map(len, key)) + 8 * len(key))
        return found  # type: ignore[return-value]

    def route(self, method: str, segments: tuple[str, ...] | list[str]) -> Link | None:
        """The link for ``method`` at a concrete path, or None."""
        links = self.links_at(segments)
        if not links:
            return None
        found = links.get(method.upper())
        return found[0] if found else None

    def resolves(self, path: str) -> bool:
        """Whether a relative path (``vms/123/nics``, matrix and escapes allowed) has a GET."""
        links = self.links_at_path(path)
        return links is not None and "GET" in links

    def action(self, path: str) -> Link | None:
        """The action link (POST, rel not ``add``) at a relative path, or None."""
        links = self.links_at_path(path)
        found = links.get("POST") if links else None
        return found[0] if found and found[0].is_action else None

    def links_at_path(self, path: str) -> dict[str, list[Link]] | None:
        """``links_at`` for a relative path string, memoised by prefix.

        The hrefs of a representation share prefixes (``vms/1``, ``vms/1/nics``, ...), so a
        new href usually costs one trie step from its parent's memoised states.
        """
        return self.links_of(self.reach(path))

    @staticmethod
    def links_of(states: States) -> dict[str, list[Link]] | None:
        """The links of the best state that has any (literal before variable), or None."""
        for node in states:
            if node.links:
                return node.links
        return None

    def reach(self, path: str) -> States:
        """The trie nodes a relative path reaches, best first; () when none.

        The common case costs one memoised step from the path's parent (an entity's links
        from the entity); otherwise the path is walked from the root, segment by segment.
        """
        found = self._states.get(path)
        if found is not None:
            return found
        head, _, last = path.rpartition("/")
        parents = self._states.get(head) if head else self._start
        if parents is None:
            parents = self._states.put(head, self._walk(head), len(head))
        name = unquote(last.partition(";")[0]) if ";" in last or "%" in last else last
        if name and parents:
            # the last step, not memoised apart: the whole path is, and its last segment
            # (an id, mostly) seldom comes again under the same parent in another path
            parents = _advance(parents, name)
        return self._states.put(path, parents, len(path))

    def _walk(self, path: str) -> States:
        """``reach`` from the root, in a loop that stops where no node is left."""
        states = self._start
        for part in path.split("/"):
            name = _segment_name(part)
            if name:
                states = self.step(states, name)
                if not states:
                    break
        return states

    def step(self, states: States, name: str) -> States:
        """The nodes one more segment ``name`` reaches from ``states``, memoised."""
        key = (states, name)
        found = self._steps.get(key)
        if found is None:
            found = self._steps.put(key, _advance(states, name), len(name))
        return found


def _segment_name(part: str) -> str:
    """A raw path segment's name: ``a%20b;max=1`` -> ``a b``."""
    return unquote(part.partition(";")[0]) if ";" in part or "%" in part else part


def _advance(states: States, name: str) -> States:
    """The nodes a segment ``name`` reaches from ``states``: literal first, then variable."""
    reached: list[_Node] = []
    for node in states:
        literal = node.literal.get(name)
        if literal is not None:
            reached.append(literal)
        if node.variable is not None:
            reached.append(node.variable)
    return tuple(reached)

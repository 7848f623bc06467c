"""Proving from its bytes, before any parser reads it, that a document (XML or JSON) holds
nothing the scrubber would replace: each text a parser would read in it stands in it as it is
(no character reference, CDATA, DOCTYPE, escape or percent-encoding to undo, in an encoding
whose ASCII bytes mean themselves), so when the whole holds no secret name
(``Plan.may_name``'s checks), no pair's elements (``Plan.pair_in``), no secret shape
(``scrubtext.shapes_in``) and no configured value, none of its texts does, whatever a walk
would find them to be, and whether a parser would read the document at all (what it would
not read is searched as text, and holds nothing either: it is kept as it is). A document
this cannot prove goes to its parser and its walk, as every one did.

An ASCII document is read as the set of its runs of base64's characters: every letter and
digit is in one, so an anchor of the secret-name rule (a run of letters and digits) or a
pair's word is in the document only where it is in a run. Only the name checks of anchors
the runs hold are run, and only runs long enough to be base64 are decoded. What each run
holds, and whether it decodes to text, is kept from document to document (``Seen``,
bounded), and so are whole documents proved clean: an engine's documents repeat their
vocabulary (element names, link relations, ids), and a polling client's answers repeat
whole. Pure but for that memo: no I/O.
"""

from __future__ import annotations

import re
import threading

from contracttest.scrubplan import Plan
from contracttest.scrubtext import (
    _ANY_SCHEME,
    _USERINFO,
    SCHEME_WORDS,
    Scope,
    _base64_text,
    _credential,
    shapes_in,
)

#: Larger documents are walked: their sets of words would cost what the walk does.
MAX_PROVED = 1 << 20
#: Where a document's texts are not its bytes: character references and the escapes
#: ``scrub_text`` undoes (each a byte first, the cheap search, then the whole mark).
_UNDONE = ((b"&", b"&#"), (b"%", b"%"), (b"\\", b"\\u"), (b"\0", b"\0"))
_PLAIN_ENCODINGS = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})
_ENCODING = re.compile(rb"""encoding\s*=\s*["']([^"']{0,40})["']""")
#: A reference other than XML's five (an HTML name such as ``&lowbar;``).
_OTHER_REFERENCE = re.compile(rb"&(?!(?:amp|lt|gt|quot|apos);)")
_ALNUM = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789")
_BASE64 = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-")
#: ``bytes.translate`` tables: each byte not of a word (of a run) becomes a space.
_WORDS = bytes(c if c in _ALNUM else 32 for c in range(256))
_RUNS = bytes(c if c in _BASE64 else 32 for c in range(256))
_SHORTEST_RUN = 16  # what ``shapes_in`` decodes
#: Documents proved clean are remembered whole up to this size, this many bytes in all.
_LONGEST_REMEMBERED = 256 << 10
_REMEMBERED_BYTES = 16 << 20


class Seen:
    """What the runs of earlier documents were found to hold, for one plan: the marks in each
    run (the anchors of name checks and scheme words, and the words of pairs, as lower-case
    substrings; most runs hold none), and whether it decodes to text (then it is never kept:
    the document is walked). Emptied when it reaches ``limit`` runs; runs longer than
    ``longest`` are read each time. Its operations are single calls on built-in sets and
    dicts, so threads share it safely."""

    def __init__(self, plan: Plan, limit: int = 50_000, longest: int = 512) -> None:
        self.limit, self.longest = limit, longest
        worded = {c.anchor for c in plan.name_checks if _is_word(c.anchor)} | SCHEME_WORDS
        #: Name checks whose anchors are not words: always run.
        self.unworded = frozenset(c.anchor for c in plan.name_checks if not _is_word(c.anchor))
        #: Each pair's words, all of which a document holds where the pair may stand (None:
        #: one is no run of letters and digits, so any document may hold the pair).
        self.pair_words = tuple(
            None if not all(map(_is_word, parts)) else frozenset(parts)
            for parts in ([p for name in pair for p in name.split("_") if p] for pair in plan.pairs)
        )
        pairs = {word for words in self.pair_words if words is not None for word in words}
        self.marks = tuple(sorted(worded | pairs))
        self.plain: set[bytes] = set()
        self.marked: dict[bytes, frozenset[str]] = {}
        #: Whole documents proved clean, with the configuration's values applied or not.
        self.proved: set[tuple[bytes, bool, bool, bool]] = set()
        self._proved_bytes = 0

    def remember(self, key: tuple[bytes, bool, bool, bool], size: int) -> None:
        if self._proved_bytes + size > _REMEMBERED_BYTES or len(self.proved) >= self.limit:
            self.proved.clear()
            self._proved_bytes = 0
        self.proved.add(key)
        self._proved_bytes += size

    def marks_in(self, runs: set[bytes]) -> set[str] | None:
        """The marks the runs hold; None when a run long enough to be base64 decodes to text
        (``shapes_in``)."""
        held: set[str] = set()
        new = []
        for run in runs.difference(self.plain):
            found = self.marked.get(run)
            if found is None:
                new.append(run)
            else:
                held |= found
        if not new:
            return held
        lowered = b" ".join(new).lower().decode("ascii")
        present = [mark for mark in self.marks if mark in lowered]
        plain = []
        for run in new:
            if len(run) >= _SHORTEST_RUN and _base64_text(run.decode("ascii")) is not None:
                return None
            text = run.decode("ascii").lower() if present else ""
            found = frozenset(mark for mark in present if mark in text)
            held |= found
            if len(run) > self.longest:
                continue
            if found:
                self.marked[run] = found
                self._bounded(self.marked)
            else:
                plain.append(run)
        self.plain.update(plain)
        self._bounded(self.plain)
        return held

    def _bounded(self, kept: set[bytes] | dict[bytes, frozenset[str]]) -> None:
        if len(kept) > self.limit:
            kept.clear()


_seen: dict[int, tuple[Plan, Seen]] = {}
_seen_lock = threading.Lock()


def seen_for(plan: Plan) -> Seen:
    """The memo of ``plan`` (plans are few: ``scrubplan.plan`` keeps sixteen)."""
    kept = _seen.get(id(plan))
    if kept is not None and kept[0] is plan:
        return kept[1]
    with _seen_lock:
        if len(_seen) >= 64:
            _seen.clear()
        memo = Seen(plan)
        _seen[id(plan)] = (plan, memo)
        return memo


def nothing_to_find(data: bytes, scope: Scope, *, json: bool = False) -> bool:
    """True when scrubbing the XML (``json``: JSON) document ``data`` would replace nothing,
    proved from its bytes; False when that is not proved (the walk decides). A document
    proved so is remembered whole (``Seen.proved``): a polling client's answers repeat."""
    seen = seen_for(scope.plan)
    if len(data) > _LONGEST_REMEMBERED:
        return _proved(data, scope, seen, json)
    key = (data, json, scope.values is not None, scope.identities is not None)
    if key in seen.proved:
        return True
    if not _proved(data, scope, seen, json):
        return False
    seen.remember(key, len(data))
    return True


def _proved(data: bytes, scope: Scope, seen: Seen, json: bool) -> bool:
    if len(data) > MAX_PROVED or any(a in data and b in data for a, b in _UNDONE):
        return False
    if json:
        if b"\\" in data:  # every JSON escape is undone by the parser
            return False
    else:
        if not _plain_declaration(data):
            return False
        if b"<!" in data and data.count(b"<!") != data.count(b"<!--"):
            return False  # CDATA, a DOCTYPE: only comments may open with "<!"
    if b"&" in data and _OTHER_REFERENCE.search(data):
        return False  # a reference XML does not define: its text views differ (HTML's)
    plan = scope.plan
    for values, texts in ((scope.values, plan.values), (scope.identities, plan.identities)):
        if values is None:
            continue  # the parser reads "&amp;" as "&", and a line break in an attribute as " "
        if b"&" in data or any(c.isspace() for text in texts for c in text):
            return False
        if values.might_hold(data):
            return False
    if not data.isascii():
        return not json and _nothing_in_text(data, plan)
    runs = set(data.translate(_RUNS).split())  # every letter and digit is in one
    if b"<!--" in data:  # a comment's text without the dashes around it, as parsed
        runs |= set(_uncommented(data).translate(_RUNS).split())
    held = seen.marks_in(runs)
    if held is None:
        return False
    text = data.decode("ascii")
    if b"-----" in data and b"-----begin" in data.lower():
        return False
    if b"://" in data and _USERINFO.search(text):
        return False
    if held & SCHEME_WORDS and any(_credential(m["token"]) for m in _ANY_SCHEME.finditer(text)):
        return False
    checked = held | seen.unworded
    lowered = text.lower() if checked else ""
    if any(check.anchor in checked and check.found_in(lowered) for check in plan.name_checks):
        return False
    return not _pairs_possible(seen, plan, held, data, lowered, json)


def _pairs_possible(
    seen: Seen, plan: Plan, held: set[str], data: bytes, lowered: str, json: bool
) -> bool:
    """Whether a configured pair's parent and child may both stand in the document: each of
    their words is one of its words (XML: then its start tags decide, ``Plan.pair_in``)."""
    maybe = [needed for needed in seen.pair_words if needed is None or needed <= held]
    if not maybe:
        return False
    words = {w.decode("ascii") for w in data.lower().translate(_WORDS).split()}
    if any(needed is None or needed <= words for needed in maybe):
        return json or plan.pair_in(lowered or data.decode("ascii").lower())
    return False


def _nothing_in_text(data: bytes, plan: Plan) -> bool:
    """Text beyond ASCII (XML only), read whole: every rule over its lower-cased text."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    lowered = text.lower()
    if b"<!--" in data:
        bare = _uncommented(data).decode("utf-8")
        if shapes_in(bare, bare.lower()):
            return False
    return not (plan.may_name(lowered) or shapes_in(text, lowered) or plan.pair_in(lowered))


def _plain_declaration(data: bytes) -> bool:
    """Whether an XML declaration, if any, names an encoding whose ASCII bytes mean
    themselves (none named: UTF-8); one that cannot be read whole is not."""
    head = data.lstrip()
    if not head.startswith(b"<?xml"):
        return True
    end = head.find(b"?>")
    if end < 0:
        return False
    declared = _ENCODING.search(head, 0, end)
    if declared is None:
        return b"encoding" not in head[:end]
    return declared[1].decode("ascii", "replace").lower() in _PLAIN_ENCODINGS


def _uncommented(data: bytes) -> bytes:
    """``data`` with comments' delimiters blanked, so a run touching one is read as its
    comment's text has it."""
    return data.replace(b"<!--", b"    ").replace(b"-->", b"   ")


def _is_word(anchor: str) -> bool:
    return bool(anchor) and all(ord(c) in _ALNUM for c in anchor)

"""A scrubbing configuration compiled (``plan``): the name sets, the secret-name rule as
patterns over lower-cased text, and the cheap tests of bytes and texts that decide whether a
body needs reading at all. ``scrubconfig`` holds what a secret is; this, how to find one fast.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace

from contracttest.scrubconfig import (
    _BASE64_RUN,
    _ESCAPES,
    _HINT_WORDS,
    _KEY_KINDS,
    _OPAQUE_WORDS,
    _SPELLINGS,
    _TOKEN_KINDS,
    BODY_PLACEHOLDERS,
    MIN_VALUE,
    SECRET_LAST_WORDS,
    SECRET_SHORT_WORDS,
    SECRET_WORDS,
    ScrubConfig,
    canonical_name,
    placeholder,
    secret_words_name,
)


@dataclass(frozen=True)
class Plan:
    """A configuration compiled: name sets, the secret-name rule, and cheap tests of bytes and
    texts (substring searches of lower-cased data: a fraction of a second for 64 MiB)."""

    headers: frozenset[str]  # canonical header names
    names: frozenset[str]  # canonical plain field names
    pairs: frozenset[tuple[str, str]]  # (parent, child), canonical
    hint_words: tuple[bytes, ...]  # lower case: a secret name holds one of them
    text_words: tuple[str, ...]
    text_pattern: re.Pattern[str]  # the same, faster for short texts
    opaque_words: tuple[str, ...]  # lower case, every spelling
    values: tuple[str, ...]  # searched for everywhere
    identities: tuple[str, ...]  # searched for in login forms and error answers
    name_checks: tuple[_NameCheck, ...]  # where a secret name may stand in lower-cased text
    pair_elements: re.Pattern[str] | None  # the start tags of pairs' elements, their words

    def secret_field(self, canonical: str, parent: str = "") -> bool:
        """The one test of a field name (canonical), under its parent (canonical, or '')."""
        return (
            canonical in self.names
            or (parent, canonical) in self.pairs
            or secret_words_name(canonical)
        )

    def secret_header(self, canonical: str) -> bool:
        return canonical in self.headers or secret_words_name(canonical)

    def might_hold(self, data: bytes) -> bool:
        """False when ``data`` can hold no secret name, decoded or not (values aside)."""
        if any(escape in data for escape in _ESCAPES):
            return True
        lowered = data.lower()
        if any(word in lowered for word in self.hint_words):
            return True
        return _BASE64_RUN.search(data) is not None  # names may hide in base64

    def might_hold_text(self, text: str) -> bool:
        lowered = text.lower()
        if len(lowered) < 4096:
            return self.text_pattern.search(lowered) is not None
        return any(word in lowered for word in self.text_words)

    def may_name(self, lowered: str) -> bool:
        """False when no name anywhere in a lower-cased text can be secret, whatever parser
        reads names in it (XML names, ``name=`` texts, assignments): no secret word where the
        rule reads one (``password`` anywhere, ``token`` ending a name, ``pwd`` a last word
        of its own), no configured name or header whole, no parent and child element of a
        configured pair both. Exact where ``might_hold`` is broad: ``pass_discard``,
        ``authorized_ssh_keys`` and ``sessions`` name nothing. Substring searches first, a
        small pattern where one is found."""
        absent: set[str] = set()
        for check in self.name_checks:  # shorter anchors first: one absent rules out more
            if check.within in absent:
                continue
            found = check.found_in(lowered)
            if found:
                return True
            if found is None:
                absent.add(check.anchor)
        return False

    def pair_in(self, lowered: str) -> bool:
        """Whether a lower-cased document starts elements that are a configured pair's
        parent and child (by their canonical names, any prefix, any separators)."""
        if self.pair_elements is None:
            return False
        found = set(self.pair_elements.findall(lowered))
        names = {re.sub(_NAME_SEPARATORS, "_", name) for name in found}
        return any(parent in names and child in names for parent, child in self.pairs)

    def named_in(self, view: str) -> str | None:
        """The first secret word a text view of unreadable bytes holds, if any."""
        lowered = view.lower()
        return next((word for word in self.opaque_words if word in lowered), None)


@functools.lru_cache(maxsize=16)
def plan(config: ScrubConfig) -> Plan:
    fields = [f.split("/") for f in config.fields]
    names = frozenset(canonical_name(f[0]) for f in fields if len(f) == 1)
    pairs = frozenset((canonical_name(f[0]), canonical_name(f[1])) for f in fields if len(f) == 2)
    headers = frozenset(canonical_name(h) for h in config.headers)
    words = sorted({*names, *(p for p, _ in pairs), *headers})
    # a name's longest word is in it however its words are separated (``custom\nscript``)
    longest = [max(w.split("_"), key=len) for w in words]
    hint = _shortest({*_HINT_WORDS, *(v for w in words for v in _spelled(w)), *longest})
    text = _shortest({*hint, "basic", "bearer"})
    return Plan(
        headers,
        names,
        pairs,
        tuple(w.encode() for w in hint),
        text,
        re.compile("|".join(re.escape(w) for w in text)),
        _shortest({v for w in (*_OPAQUE_WORDS, *words) for v in _spelled(w)}),
        _searchable(config.values, words),
        _searchable(config.identities, words),
        _name_checks([*names, *headers]),
        *_pair_elements(pairs),
    )


#: How ``canonical_name`` reads the text around a name, as patterns over lower-cased text: a
#: ``_`` between words is any run of separators; a name starts after no letter or digit, and
#: ends before none, even after separators (``pass_discard`` holds no name ``pass``, while
#: ``<pass discard="1">`` does: white space ends a name as well).
_JOIN = r"[_.\-\s]"
_START = "(?<![a-z0-9])"
_END = r"(?![_.\-]*[a-z0-9])"
_COUNTED = rf"(?:s|{_JOIN}*\d+)?{_END}"  # ``tokens``, ``token_2``: "(?:s|_?\d+)?$"


@dataclass(frozen=True)
class _NameCheck:
    """Where ``anchor`` stands in a lower-cased text, ``pattern`` (None: the anchor alone)
    says whether a secret name does; ``reach``: how far before the anchor (and the
    separators just before it) a match may start; ``within``: a shorter anchor this one
    holds (where that one is absent, so is this)."""

    anchor: str
    pattern: re.Pattern[str] | None = None
    reach: int = 0
    within: str = ""

    def found_in(self, lowered: str) -> bool | None:
        """Whether a secret name stands at an anchor; None: the anchor is nowhere."""
        at = lowered.find(self.anchor)
        if at < 0:
            return None
        if self.pattern is None:
            return True
        end = len(lowered)
        while at >= 0:
            start = at
            if self.reach:
                while start and (lowered[start - 1] in "_.-" or lowered[start - 1].isspace()):
                    start -= 1
                start = max(0, start - self.reach)
            if self.pattern.search(lowered, start, min(end, at + len(self.anchor) + 64)):
                return True
            at = lowered.find(self.anchor, at + 1)
        return False


def _name_checks(names: list[str]) -> tuple[_NameCheck, ...]:
    """The rule's words (``SECRET_WORDS`` anywhere, ``SECRET_LAST_WORDS`` last, each of
    ``SECRET_SHORT_WORDS`` a last word of its own), then configured names the rule does not
    make secret already, each spelled with any separators."""
    checks = [_NameCheck(word) for word in SECRET_WORDS.split("|")]
    checks += [
        _NameCheck(word, re.compile(rf"{word}{_COUNTED}")) for word in SECRET_LAST_WORDS.split("|")
    ]
    short = SECRET_SHORT_WORDS.replace(f"(?:{_KEY_KINDS})_?key", "").replace("_?", f"{_JOIN}*")
    for word in filter(None, short.split("|")):
        anchor = word.split("[", 1)[0]
        checks.append(_NameCheck(anchor, re.compile(rf"{_START}(?:{word}){_COUNTED}")))
    kinds = _KEY_KINDS.split("|")
    key = re.compile(rf"{_START}(?:{_KEY_KINDS}){_JOIN}*key{_COUNTED}")
    checks.append(_NameCheck("key", key, max(map(len, kinds))))
    for name in sorted(n for n in set(names) if not secret_words_name(n)):
        words = [re.escape(word) for word in name.split("_")]
        pattern = re.compile(_START + f"{_JOIN}+".join(words) + _END)
        checks.append(_NameCheck(next(w for w in name.split("_") if w), pattern))
    checks.sort(key=lambda check: len(check.anchor))
    anchors = [check.anchor for check in checks]
    within = {a: next((b for b in anchors if b != a and b in a), "") for a in anchors}
    return tuple(replace(check, within=within[check.anchor]) for check in checks)


def _pair_elements(pairs: frozenset[tuple[str, str]]) -> tuple[re.Pattern[str] | None]:
    """A pattern of the start tags whose canonical names are the words of ``pairs``, over
    lower-cased text: any prefix, leading ``_``, any separators between words and after."""
    words = sorted({word for pair in pairs for word in pair}, key=len, reverse=True)
    if not words:
        return (None,)
    spelled = "|".join(_NAME_SEPARATORS.join(map(re.escape, w.split("_"))) for w in words)
    return (re.compile(rf"<(?:[^\s<>/!?:]*:)?_*({spelled}){_NAME_SEPARATORS[:-1]}*(?=[\s/>])"),)


#: What separates the words of an XML name (no white space in one).
_NAME_SEPARATORS = r"[_.\-]+"


def _searchable(values: frozenset[str], words: list[str]) -> tuple[str, ...]:
    """The values searched for: long enough not to match ordinary traffic, and not words of
    the scrubber's own (a password "password" would otherwise be found again in every
    ``scrubbed-password`` and every ``<password>`` tag, and break them)."""
    vocabulary = "\n".join(
        [
            *BODY_PLACEHOLDERS.values(),
            *(placeholder(w) for w in (*words, *_TOKEN_KINDS.values())),
            *SECRET_WORDS.split("|"),
            *SECRET_LAST_WORDS.split("|"),
            *_OPAQUE_WORDS,
            "authorization basic bearer digest negotiate",
        ]
    ).lower()
    return tuple(
        sorted(v for v in values if len(v.strip()) >= MIN_VALUE and v.lower() not in vocabulary)
    )


def _shortest(words: set[str]) -> tuple[str, ...]:
    """``words`` without those that hold another: a text holding one holds the other."""
    return tuple(sorted(w for w in words if not any(o != w and o in w for o in words)))


def _spelled(name: str) -> set[str]:
    """A canonical name in each spelling (``api_key``: ``api-key``, ``apikey``, ``api key``)."""
    parts = name.split("_")
    return {separator.join(parts) for separator in _SPELLINGS}

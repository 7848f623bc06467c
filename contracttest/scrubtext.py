"""Secrets inside free text: a query or form value, an XML text, attribute, comment or
processing instruction, a JSON string, a header value, a text body.

``scrub_text`` replaces, wherever a secret name (``Plan.secret_field`` or ``secret_header``,
as ``scrubconfig`` decides) stands in the text:

* an assignment: ``password=x``, ``password: x``, ``"password": "x"``, ``\\"token\\":\\"x\\"``,
  ``root_password='x'`` (search languages, INI and YAML files, JSON or XML written as text);
* an element written as text: ``<password>x</password>`` (a commented-out or escaped body);
* a credential after an authentication scheme: ``Basic dXNlcjpwdw==``, ``Bearer eyJ...``;
* a PEM private key block, whatever names it;
* the userinfo of a URL: ``https://user:pw@host`` loses ``user:pw@``.

Text that holds percent-encoding is looked at decoded too (``search=pass%77ord%3Dx``).
Every search is one left-to-right pass with bounded lookahead: linear in the text.
Pure: no I/O.
"""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_plus, unquote, unquote_plus

from contracttest.scrubconfig import canonical_name, is_placeholder, placeholder
from contracttest.scrubplan import Plan
from contracttest.scrubvalues import Values

Found = list[str]


@dataclass(frozen=True)
class Scope:
    """What one message is scrubbed with, and where its findings go: the plan, the configured
    values, the identities to search for everywhere (an error answer) and in forms (a login)."""

    plan: Plan
    found: Found
    values: Values | None = None
    identities: Values | None = None
    form_identities: Values | None = None
    #: What headers and request URIs scrubbed to under this configuration, with their
    #: findings (``scrubheaders.remembered``).
    memo: dict[Any, Any] | None = field(default=None, compare=False, repr=False)

    def values_in(self, data: bytes, where: str, *, form: bool = False) -> bytes:
        """``data`` without the configured values (and the user, where it is searched for)."""
        new = data
        for values, kind, what in (
            (self.values, "value", "a configured secret value"),
            (self.identities or (self.form_identities if form else None), "user", "the user"),
        ):
            if values is not None:
                changed = values.sub(new, kind)
                if changed is not new:
                    self.found.append(f"{where} ({what})")
                    new = changed
        return new

    def escapes_values(self, data: bytes) -> bool:
        """Whether ``data`` may hold a value under an escape its parser undoes (``&amp;#65;``
        in XML is ``&#65;`` in its text): then its texts are searched one by one."""
        return (self.values is not None or self.identities is not None) and any(
            mark in data for mark in (b"&", b"%", b"\\", b"+", b"=")
        )

    def values_in_text(self, text: str, where: str) -> str:
        data = text.encode("utf-8", "surrogateescape")
        new = self.values_in(data, where)
        return text if new is data else new.decode("utf-8", "surrogateescape")


_ASSIGN = re.compile(
    r"""(?<![\w%.-])(?P<q>\\{0,3}["']?)(?P<name>[A-Za-z_%][\w.%-]{0,63})(?P=q)"""
    r"[ \t]{0,8}(?P<sep>[:=])[ \t]{0,8}"
)
_TAG = re.compile(
    r"<(?:[\w.-]{1,64}:)?(?P<name>[\w.-]{1,64})(?:\s[^<>]{0,2048})?>(?P<text>[^<]*)(?=<)"
)
_SCHEME_WORD = r"\b(?:Basic|Bearer|Digest|Negotiate|NTLM|Token)"
_TOKEN = r"(?P<token>[A-Za-z0-9._~+/=-]{8,})"
_SCHEME = re.compile(rf"{_SCHEME_WORD}[ \t]+{_TOKEN}", re.IGNORECASE)
#: Every scheme word with the token after it (after any white space: an XML parser reads a
#: line break in an attribute as a space), each word tried, none hiding the next.
_ANY_SCHEME = re.compile(rf"{_SCHEME_WORD}(?=\s+{_TOKEN})", re.IGNORECASE)
_BASE64_RUN = re.compile(r"(?<![\w+/-])[A-Za-z0-9+/_-]{16,}={0,2}(?![\w+/=-])")
_PEM = re.compile(r"-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY-----")
_USERINFO = re.compile(
    r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]{0,20}://)(?P<info>[^/?#@\s\"'<>]{1,512})@"
)
_VALUE_END = re.compile(r"""[\s&;,"'<>}\])]""")
#: Words before a credential that stay: "Bearer scrubbed-...".
SCHEME_WORDS = frozenset({"basic", "bearer", "digest", "negotiate", "ntlm", "token"})
_TRIVIAL = frozenset({"true", "false", "null", "none", "yes", "no", "on", "off"})


def carries(value: str) -> bool:
    """True when ``value`` still carries something: not empty, not a placeholder, not a
    boolean or null (``has_password: true`` tells nothing)."""
    value = value.strip().strip("\"'")
    return bool(value) and value.lower() not in _TRIVIAL and not is_placeholder(value)


def scrub_text(text: str, scope: Scope, where: str, depth: int = 0) -> str:
    """``text`` (decoded by whatever held it: a query, a form, XML, JSON) with the secrets it
    holds replaced, by name first and then by value (so that a replay without the values
    configured scrubs what names give away alike); the same object when there were none."""
    if not text:
        return text
    new = text
    if depth < 2 and len(new) >= 16:
        new = _base64_runs(new, scope, where, depth)
    plan, found = scope.plan, scope.found
    if plan.might_hold_text(new):
        new = _pem(new, where, found)
        new = _USERINFO.sub(lambda m: _userinfo(m, where, found), new)
        new = _tags(new, plan, where, found)
        new = _assignments(new, plan, where, found)
        new = _SCHEME.sub(lambda m: _scheme(m, where, found), new)
    if "%" in new and depth < 3:
        decoded = unquote(new)
        if decoded != new:
            before = len(found)
            cleaned = scrub_text(decoded, scope, where, depth + 1)
            if len(found) > before:
                new = quote(cleaned, safe=" !$'()*,/:;=?@[]~+&")
    new = scope.values_in_text(new, where)
    return text if new == text else new


def scrub_pairs(text: str, scope: Scope, where: str) -> str:
    """``name=value`` pairs joined by ``&`` (a query, a fragment, a form) with secret values
    replaced, ``password=...`` inside a value too (``search=password%3Dx``), the rest byte
    for byte; ``where`` names them (``uri query``, ``body field``)."""
    pairs = text.split("&")
    for i, pair in enumerate(pairs):
        raw_name, eq, value = pair.partition("=")
        if not eq or not value:
            continue
        shown, decoded = unquote_plus(raw_name), unquote_plus(value)
        name = canonical_name(shown)
        if scope.plan.secret_field(name):
            if carries(decoded):
                scope.found.append(f"{where} {shown}")
                pairs[i] = f"{raw_name}={placeholder(name)}"
            continue
        cleaned = scrub_text(decoded, scope, f"{where} {shown}")
        if cleaned is not decoded:
            pairs[i] = f"{raw_name}={quote_plus(cleaned, safe='*')}"
    new = "&".join(pairs)
    return text if new == text else new


def _base64_runs(text: str, scope: Scope, where: str, depth: int) -> str:
    """Runs of base64 (``{"config": "cGFzc3dvcmQ9..."}``) that decode to text holding a
    secret: replaced whole."""
    out, pos = [], 0
    for match in _BASE64_RUN.finditer(text):
        inner = _base64_text(match[0])
        if inner is None:
            continue
        probe = Scope(scope.plan, [])  # by name: a value is found in base64 as it stands
        scrub_text(inner, probe, where, depth + 1)
        if probe.found:
            scope.found.append(f"{where} (base64 holding {probe.found[0].rpartition(' (')[2]}")
            out.append(text[pos : match.start()])
            out.append(placeholder("base64"))
            pos = match.end()
    if not out:
        return text
    out.append(text[pos:])
    return "".join(out)


def _base64_text(run: str) -> str | None:
    """The text a run of base64 decodes to; None for a path, a UUID, or binary data."""
    urlsafe = "-" in run or "_" in run
    if urlsafe and ("+" in run or "/" in run):
        return None  # a path or a UUID, not base64
    try:
        padded = (run.translate(_URLSAFE) if urlsafe else run) + "=" * (-len(run) % 4)
        return binascii.a2b_base64(padded, strict_mode=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None


_URLSAFE = str.maketrans("-_", "+/")


def shapes_in(text: str, lowered: str) -> bool:
    """Whether ``text`` (``lowered``: in lower case) holds a shape ``scrub_text`` replaces
    whatever name stands near it: a PEM block, URL userinfo, a credential after a scheme word
    (after any white space), or base64 that decodes to text. With no secret name in it either
    (``Plan.may_name``), every text inside ``text`` scrubs to itself, which proves a whole
    document clean before any walk."""
    if "-----begin" in lowered or ("://" in text and _USERINFO.search(text)):
        return True
    if any(word in lowered for word in SCHEME_WORDS) and any(
        _credential(match["token"]) for match in _ANY_SCHEME.finditer(text)
    ):
        return True
    runs = text.translate(_RUNS).split() if text.isascii() else _RUN.findall(text)
    return any(len(run) >= 16 and _base64_text(run) is not None for run in runs)


#: Each run ``_BASE64_RUN`` finds is one of these (or in one): the runs of base64's
#: characters (both alphabets), found by a pattern, or in ASCII text faster by splitting at
#: every other character.
_RUN = re.compile(r"[A-Za-z0-9+/_-]{16,}")
_RUNS = str.maketrans(
    {c: " " for c in map(chr, range(128)) if not re.fullmatch(r"[A-Za-z0-9+/_-]", c)}
)


def _pem(text: str, where: str, found: Found) -> str:
    if "-----BEGIN" not in text:
        return text
    out, pos = [], 0
    for match in _PEM.finditer(text):
        if match.start() < pos:
            continue
        end = text.find("-----END", match.end())
        stop = len(text) if end < 0 else text.find("-----", end + 8)
        stop = len(text) if stop < 0 else stop + 5
        out.append(text[pos : match.start()])
        out.append(placeholder("private_key"))
        found.append(f"{where} (a private key)")
        pos = stop
    out.append(text[pos:])
    return "".join(out) if pos else text


def _userinfo(match: re.Match[str], where: str, found: Found) -> str:
    found.append(f"{where} (URL userinfo)")
    return match["scheme"]


def _tags(text: str, plan: Plan, where: str, found: Found) -> str:
    if "<" not in text:
        return text

    def replace(match: re.Match[str]) -> str:
        name = canonical_name(match["name"])
        if not plan.secret_field(name) or not carries(match["text"]):
            return match[0]
        found.append(f"{where} (<{match['name']}>)")
        return match[0][: match.start("text") - match.start()] + placeholder(name)

    return _TAG.sub(replace, text)


def _assignments(text: str, plan: Plan, where: str, found: Found) -> str:
    if "=" not in text and ":" not in text:
        return text
    out, pos = [], 0
    for match in _ASSIGN.finditer(text):
        if match.start() < pos:
            continue
        name = canonical_name(match["name"])
        if not (plan.secret_field(name) or plan.secret_header(name)):
            continue
        start, end = _value_span(text, match.end(), match["q"])
        value = text[start:end]
        if not carries(value):
            continue
        found.append(f"{where} ({match['name']}{match['sep']})")
        out.append(text[pos:start])
        out.append(placeholder(name))
        pos = end
    if not out:
        return text
    out.append(text[pos:])
    return "".join(out)


def _value_span(text: str, at: int, quote_mark: str) -> tuple[int, int]:
    """Where the value that starts at ``at`` lies: inside its quotes, or up to a delimiter;
    after an authentication scheme word, the credential that follows it."""
    opening = quote_mark or (text[at] if at < len(text) and text[at] in "\"'" else "")
    if opening and text.startswith(opening, at):
        close = text.find(opening, at + len(opening))
        line = text.find("\n", at)
        stop = close if close >= 0 else (line if line >= 0 else len(text))
        return at + len(opening), stop
    match = _VALUE_END.search(text, at)
    end = match.start() if match else len(text)
    if text[at:end].lower() in SCHEME_WORDS:  # "Authorization: Basic dXNlcjpwdw=="
        rest = end
        while rest < len(text) and text[rest] in " \t":
            rest += 1
        more = _VALUE_END.search(text, rest)
        end = more.start() if more else len(text)
        at = rest
    return at, end


def _credential(token: str) -> bool:
    """A token after a scheme word that is one: not a word ("Basic authentication"), not a
    placeholder."""
    return not (is_placeholder(token) or _PLAIN_WORD.fullmatch(token))


_PLAIN_WORD = re.compile(r"[A-Za-z][a-z]*")


def _scheme(match: re.Match[str], where: str, found: Found) -> str:
    token = match["token"]
    if not _credential(token):
        return match[0]
    found.append(f"{where} (a credential after {match[0].split()[0]})")
    return match[0][: match.start("token") - match.start()] + placeholder("authorization")

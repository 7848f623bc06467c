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

import base64
import binascii
import re
from dataclasses import dataclass
from urllib.parse import quote, quote_plus, unquote, unquote_plus

from contracttest.scrubconfig import Plan, canonical_name, is_placeholder, placeholder
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
_SCHEME = re.compile(
    r"\b(?:Basic|Bearer|Digest|Negotiate|NTLM|Token)[ \t]+(?P<token>[A-Za-z0-9._~+/=-]{8,})",
    re.IGNORECASE,
)
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
        run = match[0]
        urlsafe = "-" in run or "_" in run
        if urlsafe and ("+" in run or "/" in run):
            continue  # a path or a UUID, not base64
        try:
            raw = base64.b64decode(
                run + "=" * (-len(run) % 4), altchars=b"-_" if urlsafe else None, validate=True
            )
            inner = raw.decode("utf-8")
        except (binascii.Error, ValueError):
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


def _scheme(match: re.Match[str], where: str, found: Found) -> str:
    token = match["token"]
    if is_placeholder(token) or re.fullmatch(r"[A-Za-z][a-z]*", token):
        return match[0]  # a word ("Basic authentication"), not a credential
    found.append(f"{where} (a credential after {match[0].split()[0]})")
    return match[0][: match.start("token") - match.start()] + placeholder("authorization")

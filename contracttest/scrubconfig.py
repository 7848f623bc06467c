"""What counts as a secret in a cassette, and the placeholder that replaces it: the one notion
of "secret" that scrubbing (``scrub``) and scanning (``scan``) share.

A *name* (header, XML element or attribute, JSON key, form field, query or matrix parameter,
multipart part, ``name=`` in free text) is compared after decoding (``canonical_name``:
percent-encoding undone, lower case, ``-``, ``.`` and white space read as ``_``); the parsers
have undone JSON escapes and XML character references already. It is secret when it is named
(``DEFAULT_HEADERS``, ``DEFAULT_FIELDS`` and what a user adds) or when its words say so
(``password``, ``passwd``, ``secret``, ``credential`` anywhere in it; ``token``,
``authorization``, ``pwd``, ``api_key``, ``session_id``, ``cookie``... as its last word,
counted or plural: ``SECRET_WORDS`` and the two lists after it), so ``X-Password``,
``db_passwd2``, ``new_password_confirm`` and ``Api-Key`` need no configuration.

A *value* (the configured password, ``--scrub-value``) is searched for in every byte, in every
encoding (``scrubvalues``); an *identity* (the configured user name) likewise, in login forms
and error answers only, where an engine echoes what was typed as the user.

``plan`` compiles a configuration once into name sets, the rule and cheap byte tests. Pure
values: no I/O. A configuration's ``fingerprint`` names its names, never its values.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from urllib.parse import unquote

from contracttest.errors import UsageError

PLACEHOLDER_PREFIX = "scrubbed"
#: The shortest value (password, ``--scrub-value``, user name) searched for as a value: a
#: shorter one would match ordinary traffic (the embedded engine's "ovirt" is in every URI).
MIN_VALUE = 6
#: Bumped whenever what counts as a secret changes, so older recordings are scrubbed again
#: (not trusted as scrubbed alike) when they are loaded.
RULES_VERSION = "2"


def placeholder(kind: str) -> str:
    """The text that replaces a secret of ``kind`` (a field or header name).

    The SSO token has one placeholder whatever field carries it: the client reads it from
    the token reply's ``access_token`` and sends it back as the logout form's ``token``, and
    both must scrub alike for the replayed logout to match its recording."""
    kind = kind.lower()
    return f"{PLACEHOLDER_PREFIX}-{_TOKEN_KINDS.get(kind, kind)}"


_TOKEN_KINDS = {"access_token": "token", "refresh_token": "token", "id_token": "token"}


def is_placeholder(value: str) -> bool:
    """True for a placeholder (any kind): a value that is not a secret any more. Placeholders
    are lower case, so a secret that merely starts with ``Scrubbed-`` still is one."""
    return _PLACEHOLDER.fullmatch(value.strip()) is not None


_PLACEHOLDER = re.compile(rf"{PLACEHOLDER_PREFIX}-[a-z0-9_./-]+")

#: What replaces a body that cannot be read and names a secret, or cannot be inspected.
BODY_PLACEHOLDERS = {
    what: f"{PLACEHOLDER_PREFIX}-body: {what} replaced whole, unread, as it may hold a secret"
    for what in ("XML that does not parse", "JSON that does not parse", "binary data", "text")
}
BODY_PLACEHOLDERS["compressed"] = (
    f"{PLACEHOLDER_PREFIX}-body: a compressed body that expands beyond the inflate limit, "
    "replaced whole, uninspected"
)
_BODY_PLACEHOLDER_BYTES = frozenset(text.encode() for text in BODY_PLACEHOLDERS.values())


def is_body_placeholder(body: bytes) -> bool:
    return body.strip() in _BODY_PLACEHOLDER_BYTES


DEFAULT_HEADERS = frozenset(
    {
        "authorization",  # Basic user:password, Bearer <SSO token>
        "proxy-authorization",
        "cookie",  # JSESSIONID of a persistent-auth session
        "set-cookie",
        "x-auth-token",
        "x-api-key",
        "jsessionid",  # 3.6 engines echo the session id in a header of this name too
    }
)

DEFAULT_FIELDS = frozenset(
    {
        # <password>: host <ssh><password>, storage connection and iSCSI CHAP, fence agent,
        # domain user, OpenStack and external providers, v3 <cloud_init><users><user><password>;
        # the SSO form's password field; a password= query parameter.
        "password",
        "root_password",  # host add (v3 and v4), v4 VM <initialization>
        "user_password",  # a guest user's password in initialization payloads
        "custom_script",  # v4 <initialization><custom_script>: the cloud-init user script
        "configuration/data",  # v4 <initialization><configuration><type>sysprep ... <data>
        "file/content",  # v3 <payloads> and <cloud_init><files>: files for the guest
        "payload_file/content",  # 3.6 <cloud_init><payload_files><payload_file><content>
        "windows_license_key",  # v4 <initialization> of Windows guests
        "ticket/value",  # vms/{id}/ticket, graphicsconsoles/{id}/ticket: a console password
        "proxy_ticket/value",  # graphicsconsoles/{id}/proxyticket: the websocket proxy ticket
        "remote_viewer_connection_file",  # remoteviewerconnectionfile: a .vv with password=
        "openstack_volume_authentication_key/value",  # the cephx secret of a volume provider
        "authentication_key",  # the same secret as other clients name it
        "certificate/content",  # a certificate's PEM (a private key pasted there too)
        "access_token",  # SSO token reply; ?access_token= query
        "refresh_token",
        "id_token",
        "token",  # sso-logout form
        "client_secret",  # OAuth client credentials
        "secret",
    }
)

#: What a key is that is secret as a last word (``x_api_key``, ``privatekey``).
_KEY_KINDS = "api|private|secret|access|encryption|signing|license"
#: The last words of a name that make it secret whatever it is called: ``X-Password``,
#: ``db_passwd``, ``Api-Key``, ``x_auth_token``, ``client_secret``, ``jsessionid``.
SECRET_WORDS = "password|passwd|passphrase|passcode|secret|credential"
#: Words that make a name secret as its last word (``csrftoken``, ``x_auth_token``), also
#: counted or plural (``token2``, ``tokens``).
SECRET_LAST_WORDS = "token|authorization|signature"
#: Shorter words, secret only as a last word of their own: ``old_pwd``, ``x_api_key``.
SECRET_SHORT_WORDS = f"pwd|pass|auth|(?:{_KEY_KINDS})_?key|session_?id|jsessionid|cookie"
_SECRET_NAME = re.compile(
    rf"{SECRET_WORDS}|(?:(?:{SECRET_LAST_WORDS})|(?:^|_)(?:{SECRET_SHORT_WORDS}))(?:s|_?\d+)?$"
)
_SEPARATORS = re.compile(r"[\s.-]+")
#: What every secret name contains (in some case): bytes without any of these, without an
#: escape and without a URL hold no secret name (a cheap first test, never the verdict).
_HINT_WORDS = (
    "pass", "pwd", "secret", "token", "credential", "auth", "signature", "key", "session",
    "cookie", "-----begin", "://",
)  # fmt: skip
#: (CDATA joins the text around it, as in ``pa<![CDATA[ss]]>word``; the Kelvin sign is a
#: ``k`` once lower-cased, as in ``api_\u212aey``.)
_ESCAPES = (b"\\u", b"%", b"&#", b"\0", b"<![", "\u212a".encode())
_BASE64_RUN = re.compile(rb"[A-Za-z0-9+/]{16,}|[A-Za-z0-9_-]{16,}")
#: Secret words long enough to mean something inside bytes that cannot be parsed (not ``pwd``,
#: ``pass`` or ``key``, which random bytes hold by chance), in each spelling.
_OPAQUE_WORDS = (
    "password", "passwd", "passphrase", "passcode", "secret", "token", "credential",
    "authoriz", "session_id", "cookie", "api_key", "private_key", "access_key", "secret_key",
    "encryption_key", "signing_key", "license_key",
)  # fmt: skip
_SPELLINGS = ("_", "-", "", ".", " ")


def canonical_name(name: str) -> str:
    """``name`` as names are compared: percent-encoding undone (three times at most), lower
    case, runs of ``-``, ``.`` and white space as ``_`` (``Pass%77ord`` is ``password``,
    ``X-Api-Key`` is ``x_api_key``). Names as long as a name is are remembered; a longer one
    (a key a client made of data) is worked out each time, so the memo stays small."""
    return _canonical(name) if len(name) <= 128 else _canonical.__wrapped__(name)


@functools.lru_cache(maxsize=4096)
def _canonical(name: str) -> str:
    for _ in range(3):
        if "%" not in name:
            break
        decoded = unquote(name)
        if decoded == name:
            break
        name = decoded
    return _SEPARATORS.sub("_", name.strip().lower()).strip("_")


def secret_words_name(canonical: str) -> bool:
    """True when the words of a canonical name say it is secret (no configuration)."""
    if len(canonical) > 128:
        return _SECRET_NAME.search(canonical) is not None
    return _secret_words(canonical)


@functools.lru_cache(maxsize=4096)
def _secret_words(canonical: str) -> bool:
    return _SECRET_NAME.search(canonical) is not None


@dataclass(frozen=True)
class ScrubConfig:
    """What to scrub: header and field names (compared as ``canonical_name`` says), and the
    secret values and identities to search for in every byte.

    A field is an XML element's or attribute's local name, a form field, a JSON key, a
    multipart part or a query parameter; ``parent/child`` names a child only under that parent
    (XML elements, JSON keys). ``values`` and ``identities`` never show in a ``repr`` and never
    count in the ``fingerprint``."""

    enabled: bool = True
    headers: frozenset[str] = DEFAULT_HEADERS
    fields: frozenset[str] = DEFAULT_FIELDS
    values: frozenset[str] = field(default=frozenset(), repr=False)
    identities: frozenset[str] = field(default=frozenset(), repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "headers", frozenset(_checked(self.headers, "header", 0)))
        object.__setattr__(self, "fields", frozenset(_checked(self.fields, "field", 1)))
        for name in ("values", "identities"):
            kept = frozenset(v for v in getattr(self, name) if isinstance(v, str) and v.strip())
            object.__setattr__(self, name, kept)

    @functools.cached_property
    def fingerprint(self) -> str:
        """Names what was scrubbed, so a recording can say it (and a replay trust it)."""
        if not self.enabled:
            return "off"
        text = "\n".join([RULES_VERSION, *sorted(self.headers), "", *sorted(self.fields)])
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def extended(
        self,
        fields: Iterable[str] = (),
        headers: Iterable[str] = (),
        values: Iterable[str] = (),
        identities: Iterable[str] = (),
    ) -> ScrubConfig:
        """This configuration with more secret fields, headers, values and identities."""
        return replace(
            self,
            fields=self.fields | frozenset(fields),
            headers=self.headers | frozenset(headers),
            values=self.values | frozenset(values),
            identities=self.identities | frozenset(identities),
        )


_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def _checked(names: Iterable[str], what: str, max_slashes: int) -> Iterable[str]:
    for name in names:
        parts = name.split("/") if isinstance(name, str) else [""]
        good = len(parts) <= max_slashes + 1 and all(p.strip() == p and p for p in parts)
        if good and not max_slashes:
            good = _HEADER_NAME.fullmatch(name) is not None
        if not good:
            form = "name or parent/child" if max_slashes else "header name (an HTTP token)"
            raise UsageError(f"bad secret {what} {name!r}: expected a {form}")
        yield name.lower()


def checked_values(values: Iterable[str], what: str) -> list[str]:
    """Values given explicitly (``--scrub-value``): ``UsageError`` for one too short to search
    for without matching ordinary traffic."""
    kept = []
    for value in values:
        if len(value.strip()) < MIN_VALUE:
            raise UsageError(
                f"{what}: a secret value of {len(value.strip())} character(s) is too short to "
                f"search for (at least {MIN_VALUE}: a shorter one matches ordinary traffic)"
            )
        kept.append(value)
    return kept


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

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

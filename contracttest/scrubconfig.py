"""What counts as a secret in a cassette, and the placeholder that replaces it.

``ScrubConfig`` names the secret headers and fields (``DEFAULT_HEADERS``, ``DEFAULT_FIELDS``,
extensible); ``plan`` compiles one into name sets and cheap byte tests, once per configuration.
Pure values: no I/O.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from contracttest.errors import UsageError

PLACEHOLDER_PREFIX = "scrubbed"


def placeholder(kind: str) -> str:
    """The text that replaces a secret of ``kind`` (a field or header name).

    The SSO token has one placeholder whatever field carries it: the client reads it from
    the token reply's ``access_token`` and sends it back as the logout form's ``token``, and
    both must scrub alike for the replayed logout to match its recording."""
    kind = kind.lower()
    return f"{PLACEHOLDER_PREFIX}-{_TOKEN_KINDS.get(kind, kind)}"


_TOKEN_KINDS = {"access_token": "token", "refresh_token": "token", "id_token": "token"}


def is_placeholder(value: str) -> bool:
    """True for a placeholder (any kind): a value that is not a secret any more."""
    return _PLACEHOLDER.fullmatch(value.strip()) is not None


_PLACEHOLDER = re.compile(rf"{PLACEHOLDER_PREFIX}-[^\s;,&]+")

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
        "access_token",  # SSO token reply; ?access_token= query
        "refresh_token",
        "id_token",
        "token",  # sso-logout form
        "client_secret",  # OAuth client credentials
        "secret",
    }
)


#: Header names whose value starts with a scheme word that stays: "Bearer scrubbed-...".
@dataclass(frozen=True)
class ScrubConfig:
    """What to scrub: header names and field names, compared case-insensitively.

    A field is an XML element's local name, a form field, a JSON key or a query parameter;
    ``parent/child`` names a child only under that parent (XML elements, JSON keys).
    """

    enabled: bool = True
    headers: frozenset[str] = DEFAULT_HEADERS
    fields: frozenset[str] = DEFAULT_FIELDS

    def __post_init__(self) -> None:
        object.__setattr__(self, "headers", frozenset(_checked(self.headers, "header", 0)))
        object.__setattr__(self, "fields", frozenset(_checked(self.fields, "field", 1)))

    @functools.cached_property
    def fingerprint(self) -> str:
        """Names what was scrubbed, so a recording can say it (and a replay trust it)."""
        if not self.enabled:
            return "off"
        text = "\n".join([*sorted(self.headers), "", *sorted(self.fields)])
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def extended(self, fields: Iterable[str] = (), headers: Iterable[str] = ()) -> ScrubConfig:
        """This configuration with more secret fields and headers."""
        return replace(
            self, fields=self.fields | frozenset(fields), headers=self.headers | frozenset(headers)
        )


def _checked(names: Iterable[str], what: str, max_slashes: int) -> Iterable[str]:
    for name in names:
        parts = name.split("/") if isinstance(name, str) else [""]
        if len(parts) > max_slashes + 1 or not all(p.strip() == p and p for p in parts):
            form = "name or parent/child" if max_slashes else "name"
            raise UsageError(f"bad secret {what} {name!r}: expected a {form}")
        yield name.lower()


@dataclass(frozen=True)
class _Hint:
    """A cheap test of raw bytes: might they hold a secret field at all?"""

    plain: re.Pattern[bytes]
    parents: re.Pattern[bytes]
    children: re.Pattern[bytes]

    def __call__(self, body: bytes) -> bool:
        if self.plain.search(body):
            return True
        return bool(self.parents.search(body) and self.children.search(body))


def _hint(template: bytes, names: frozenset[str], pairs: frozenset[tuple[str, str]]) -> _Hint:
    def pattern(group: Iterable[str]) -> re.Pattern[bytes]:
        return re.compile(template % _either(group), re.IGNORECASE)

    return _Hint(pattern(names), pattern(p for p, _ in pairs), pattern(c for _, c in pairs))


def _either(names: Iterable[str]) -> bytes:
    """A regex alternation of ``names``; one that never matches when there are none."""
    return b"|".join(re.escape(n.encode()) for n in sorted(set(names))) or b"(?!)"


@dataclass(frozen=True)
class Plan:
    """A configuration compiled for speed: name sets and the pre-check patterns."""

    headers: frozenset[str]
    names: frozenset[str]  # plain field names
    pairs: frozenset[tuple[str, str]]  # (parent, child)
    xml_hint: _Hint
    json_hint: _Hint
    form_hint: re.Pattern[bytes]
    fallback: re.Pattern[bytes]  # <name>text< in XML that does not parse


@functools.lru_cache(maxsize=16)
def plan(config: ScrubConfig) -> Plan:
    names = frozenset(f for f in config.fields if "/" not in f)
    pairs = frozenset((p, c) for p, _, c in (f.partition("/") for f in config.fields if "/" in f))
    plain = _either(names)
    return Plan(
        config.headers,
        names,
        pairs,
        _hint(rb"[<:](?:%s)[\s/>]", names, pairs),
        _hint(rb'"(?:%s)"', names, pairs),
        re.compile(rb"(?:^|&)(?:%s)=" % plain, re.IGNORECASE),
        re.compile(rb"<(?:[\w.-]+:)?(%s)(?:\s[^>]*)?>([^<]*)<" % plain, re.IGNORECASE),
    )

"""How to reach and log in to an engine (``Access``), resolved the same way everywhere:
options, then the ``OVIRT_*`` environment variables, then the URL's userinfo; URLs shown
without userinfo (``public_url``); the API versions spoken (``api_version``). The transport
itself is ``client.Client`` (``Access.client()`` makes one).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit, urlunsplit

from contracttest.errors import UsageError
from contracttest.options import BY_FLAG, DEFAULT_USER, TRUE_WORDS

if TYPE_CHECKING:
    from contracttest.client import Client

#: The API versions the client speaks: v3 (3.x engines, and 4.0-4.2 engines asked for it) and v4.
API_VERSIONS = (3, 4)


def api_version(value: object, name: str = "--engine-api-version") -> int:
    """An API version as an option or ini file gives it (``"3"``, ``"4"``), checked."""
    text = str(value).strip()
    if text not in {str(v) for v in API_VERSIONS}:
        given = f"{name} {value!r}" if name.startswith("-") else f"{name} = {value!r}"
        raise UsageError(f"{given}: expected 3 or 4, the engine API version to speak")
    return int(text)


def public_url(url: str) -> str:
    """``url`` without userinfo (``https://admin:pw@engine/...`` -> ``https://engine/...``):
    what a message or a file may show."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<a malformed URL>"
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


@dataclass(frozen=True)
class Access:
    """How to reach and log in to an engine: its API URL (without userinfo), the user and
    password, and how to trust its TLS certificate. ``password=None`` sends no credentials.
    Built by ``Access.resolve``; the password never shows in ``repr``."""

    url: str
    user: str = DEFAULT_USER
    password: str | None = field(default=None, repr=False)
    ca_file: str | None = None
    insecure: bool = False

    @classmethod
    def resolve(
        cls,
        url: str,
        *,
        user: str | None = None,
        password: str | None = None,
        ca_file: str | None = None,
        insecure: bool | None = None,
        environ: Mapping[str, str] = os.environ,
    ) -> Access:
        """Options win over the environment (``OVIRT_USERNAME``, ``OVIRT_PASSWORD``,
        ``OVIRT_CAFILE``, ``OVIRT_INSECURE``), which wins over userinfo in the URL."""

        def env(flag: str) -> str | None:
            name = BY_FLAG[flag].env
            return (environ.get(name) or None) if name else None

        parts = urlsplit(url)
        given_user = unquote(parts.username) if parts.username else None
        given_password = unquote(parts.password) if parts.password is not None else None
        if insecure is None:
            insecure = (env("--engine-insecure") or "").strip().lower() in TRUE_WORDS
        return cls(
            public_url(url),
            user or env("--engine-user") or given_user or DEFAULT_USER,
            password if password is not None else env("--engine-password") or given_password,
            ca_file or env("--engine-ca-file"),
            bool(insecure),
        )

    def client(self, **options: object) -> Client:
        from contracttest.client import Client

        return Client(
            self.url,
            self.user,
            self.password,
            ca_file=self.ca_file,
            insecure=self.insecure,
            **options,  # type: ignore[arg-type]
        )

"""The one transport: a small client of the engine API (keep-alive HTTP, Basic or SSO login,
TLS with a CA file or insecure, XML in and out), and ``Access``, how to reach and log in to an
engine, resolved the same way everywhere (options, then ``OVIRT_*`` environment variables,
then the URL's userinfo).

Everything that talks to an engine goes through it: the plugin (recording, pinning the
contract), ``contracttest run``, and contract fetching (``loading``) for ``check`` and
``contract``. No message it makes holds a password or a token: URLs are shown without their
userinfo. Every exchange it makes can be kept (``client.exchanges``) as the values the checker
reads, so whatever it does against an engine can be checked against the engine's contract.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import socket
import ssl
import threading
from dataclasses import dataclass
from urllib.parse import quote, urlencode, urlsplit

from lxml import etree

from contracttest.errors import ClientError, InputError
from contracttest.exchange import Exchange, Headers, Request, Response, body_bytes
from contracttest.reach import API_VERSIONS, Access, api_version, public_url
from contracttest.xmlsafe import Element, root_or_none

SSO_TOKEN_PATH = "/ovirt-engine/sso/oauth/token"
SSO_LOGOUT_PATH = "/ovirt-engine/services/sso-logout"
_FORM = "application/x-www-form-urlencoded"
#: The one URL parameter v3 takes in the query; the others (``max``, ``case_sensitive``,
#: ``async``, ``force``, ...) are matrix parameters there, as its RSDL declares them.
_V3_QUERY = frozenset({"search"})
#: The prefix of RHEV-M 3.0-3.2, whose clients send no ``Version`` header (it came with 3.3).
_OLD_V3_PREFIX = "/api"


__all__ = ["API_VERSIONS", "Access", "Client", "ClientError", "Reply", "api_version", "public_url"]


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Headers
    body: bytes
    root: Element | None

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[0] if values else None

    @property
    def fault(self) -> tuple[str, str] | None:
        if self.root is None or self.root.tag != "fault":
            return None
        return self.root.findtext("reason") or "", self.root.findtext("detail") or ""


class Client:
    """``Client("http://127.0.0.1:8080/ovirt-engine/api", "admin@internal", "pw")``.

    ``login="sso"`` gets a bearer token first (as ovirtsdk4 does; an engine without the SSO
    service, 3.x, gets Basic instead), ``"basic"`` sends Basic credentials with
    ``Prefer: persistent-auth`` (as the v3 SDK does); no password sends no credentials. The
    default is the one of the API version's SDK: SSO for v4, Basic for v3.

    ``version`` is the API version spoken, as its SDK speaks it: v4 sends ``Version: 4`` and
    every URL parameter in the query; v3 sends ``Version: 3`` (none under RHEV-M 3.0-3.2's
    ``/api``, which predates the header), ``search`` in the query and the other parameters
    as matrix parameters (``vms;max=2?search=...``), and ``<action/>`` with a DELETE.
    ``version=None`` sends no ``Version`` header: the engine answers in its default API
    (how a contract is fetched before the version is known).
    """

    def __init__(
        self,
        url: str,
        user: str,
        password: str | None,
        *,
        login: str | None = None,
        version: int | None = 4,
        timeout: float = 30.0,
        ca_file: str | None = None,
        insecure: bool = False,
        keep: bool = True,
        max_body: int | None = None,
        deadline: float | None = None,
    ) -> None:
        """``ca_file`` trusts the engine's CA; ``insecure`` skips TLS verification (a lab
        engine with a self-signed certificate); ``keep=False`` keeps no exchanges."""
        shown = public_url(url)
        try:
            parts = urlsplit(url)
        except ValueError:
            raise ClientError(f"{shown}: not an http(s) URL of an engine API") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ClientError(f"{shown}: not an http(s) URL of an engine API")
        try:
            port = parts.port
        except ValueError:
            raise ClientError(f"{shown}: the port is not a number from 0 to 65535") from None
        self.url = shown.rstrip("/")
        self.prefix = parts.path.rstrip("/") or "/ovirt-engine/api"
        if version is not None and version not in API_VERSIONS:
            raise ClientError(f"{shown}: API version {version} (this client speaks 3 and 4)")
        self._origin = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"
        self._secure = parts.scheme == "https"
        self._host = parts.hostname
        self._port = port
        self._timeout = timeout
        self.ca_file, self.insecure = ca_file, insecure
        self._context: ssl.SSLContext | None = None
        if self._secure:
            self._context = _tls_context(ca_file)
            if insecure:
                self._context.check_hostname = False
                self._context.verify_mode = ssl.CERT_NONE
        self._keep = keep
        self._max_body = max_body
        self._deadline = deadline
        self._user, self._password = user, password
        self._login = login or ("basic" if version == 3 else "sso")
        self.version = version
        self._token: str | None = None
        self._connection: http.client.HTTPConnection | None = None
        self.exchanges: list[Exchange] = []

    # -- the API ---------------------------------------------------------------------

    def get(self, path: str, **query: str) -> Reply:
        return self.request("GET", path, query=query)

    def add(self, path: str, body: str | bytes | Element, **query: str) -> Reply:
        return self.request("POST", path, body, query=query, expect="201-created")

    def update(self, path: str, body: str | bytes | Element) -> Reply:
        return self.request("PUT", path, body)

    def remove(self, path: str) -> Reply:
        return self.request("DELETE", path)

    def action(self, path: str, name: str, body: str | bytes | Element = "<action/>") -> Reply:
        return self.request("POST", f"{path.rstrip('/')}/{name}", body)

    def follow(self, element: Element) -> Reply:
        """GET what an element's ``href`` points to (a reference, a link)."""
        href = element.get("href")
        if not href:
            raise ClientError(f"<{element.tag}> has no href to follow")
        return self.request("GET", href)

    def request(
        self,
        method: str,
        path: str,
        body: str | bytes | Element | None = None,
        *,
        query: dict[str, str] | None = None,
        expect: str | None = None,
        media: str = "application/xml",
    ) -> Reply:
        """``path`` is relative to the API (``vms/1``) or an absolute href (``/ovirt-...``);
        ``media`` is the representation asked for and sent (``application/json``: the
        reply's ``root`` is None, its body the JSON)."""
        target = path if path.startswith("/") else f"{self.prefix}/{path}" if path else self.prefix
        query = dict(query or {})
        if self.version == 3:  # matrix parameters on the path, before the query
            matrix = sorted((k, v) for k, v in query.items() if k not in _V3_QUERY)
            target += "".join(f";{quote(k, safe='')}={quote(v, safe='')}" for k, v in matrix)
            query = {k: v for k, v in query.items() if k in _V3_QUERY}
            if method == "DELETE" and body is None:
                body = "<action/>"  # as the v3 SDK sends it
        if query:
            target = f"{target}?{urlencode(sorted(query.items()))}"
        data = _bytes(body)
        headers = {"Accept": media}
        if self.version is not None and (self.version, self.prefix) != (3, _OLD_V3_PREFIX):
            headers["Version"] = str(self.version)
        if data or method in ("POST", "PUT", "DELETE"):
            headers["Content-Type"] = media
        if expect:
            headers["Expect"] = expect
        return self.send(method, target, data, headers)

    def send(self, method: str, target: str, data: bytes, headers: dict[str, str]) -> Reply:
        """One request as given (an absolute target, these headers: a replay sends the
        recorded ones), with this client's credentials added (its login: SSO or Basic)."""
        return self._send(method, target, data, {**headers, **self._credentials()})

    def forward(self, method: str, target: str, data: bytes, headers: dict[str, str]) -> Reply:
        """One request exactly as given, without this client's login, the answer's body left
        unparsed (``root`` None): how a proxy relays its clients' requests."""
        return self._send(method, target, data, headers, parse=False)

    def close(self) -> None:
        """Log out (revoking the SSO token) and close the connection."""
        if self._token is not None:
            form = urlencode({"scope": "ovirt-app-api", "token": self._token}).encode()
            self._send(
                "POST",
                SSO_LOGOUT_PATH,
                form,
                {"Content-Type": _FORM, "Accept": "application/json"},
            )
            self._token = None
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    # -- plumbing --------------------------------------------------------------------

    def _credentials(self) -> dict[str, str]:
        if self._password is None:
            return {}
        if self._login == "sso":
            if self._token is None:
                token = self._sso_token()
                if token is None:  # no SSO service (a 3.x engine): Basic from now on
                    self._login = "basic"
                    return self._credentials()
                self._token = token
            return {"Authorization": f"Bearer {self._token}"}
        pair = base64.b64encode(f"{self._user}:{self._password}".encode()).decode()
        return {"Authorization": f"Basic {pair}", "Prefer": "persistent-auth"}

    def _sso_token(self) -> str | None:
        """A bearer token, or None when the engine has no SSO service (404)."""
        assert self._password is not None
        form = {
            "grant_type": "password",
            "scope": "ovirt-app-api",
            "username": self._user,
            "password": self._password,
        }
        headers = {
            "Content-Type": _FORM,
            "Accept": "application/json",
        }
        reply = self._send("POST", SSO_TOKEN_PATH, urlencode(form).encode(), headers)
        if reply.status == 404:
            return None
        try:
            answer = json.loads(reply.body)
        except ValueError:
            raise ClientError(
                f"{self._origin}: SSO login answered {reply.status} without JSON"
            ) from None
        if not isinstance(answer, dict) or "access_token" not in answer:
            error = answer.get("error", answer) if isinstance(answer, dict) else answer
            raise ClientError(f"{self._origin}: SSO login refused: {one_line(str(error))}")
        return str(answer["access_token"])

    def _send(
        self, method: str, target: str, data: bytes, headers: dict[str, str], parse: bool = True
    ) -> Reply:
        for attempt in (1, 2):  # a kept-alive connection the server closed: once more
            connection = self._open()
            watchdog = self._watch(connection)
            try:
                connection.request(method, target, body=data or None, headers=headers)
                response = connection.getresponse()
                body = response.read(None if self._max_body is None else self._max_body + 1)
                if self._max_body is not None and len(body) > self._max_body:
                    connection.close()
                    self._connection = None
                    raise ClientError(f"{self._origin}: an answer over {self._max_body} bytes")
                if response.length:  # what Content-Length promised and never came
                    raise http.client.IncompleteRead(body, response.length)
                break
            except (http.client.HTTPException, OSError) as exc:
                connection.close()
                self._connection = None
                if watchdog is not None and watchdog.fired:
                    raise ClientError(
                        f"{self._origin}: no whole answer within {self._deadline:g} s"
                    ) from None
                if isinstance(exc, http.client.IncompleteRead):
                    raise ClientError(f"{self._origin}: the answer was cut off") from None
                if attempt == 2 or not isinstance(exc, http.client.HTTPException | ConnectionError):
                    reason = exc.strerror if isinstance(exc, OSError) else None
                    raise ClientError(f"{self._origin}: {one_line(str(reason or exc))}") from None
            finally:
                if watchdog is not None:
                    watchdog.cancel()
        reply_headers: Headers = {}
        for name, value in response.getheaders():
            key = name.lower()
            reply_headers[key] = (*reply_headers.get(key, ()), value)
        root = root_or_none(body) if parse else None
        if not self._keep:
            return Reply(response.status, reply_headers, body, root)
        request_headers: Headers = {name.lower(): (value,) for name, value in headers.items()}
        self.exchanges.append(
            Exchange(
                Request(method, f"{self._origin}{target}", request_headers, data),
                Response(response.status, response.reason, reply_headers, body),
                index=len(self.exchanges),
            )
        )
        return Reply(response.status, reply_headers, body, root)

    def _watch(self, connection: http.client.HTTPConnection) -> _Watchdog | None:
        """With a deadline, a timer that cuts the connection when an exchange outlasts it:
        ``timeout`` bounds each wait, not a server that trickles one byte at a time."""
        if self._deadline is None:
            return None
        watchdog = _Watchdog(self._deadline, connection)
        watchdog.start()
        return watchdog

    def _open(self) -> http.client.HTTPConnection:
        if self._connection is None:
            if self._secure:
                self._connection = http.client.HTTPSConnection(
                    self._host, self._port, timeout=self._timeout, context=self._context
                )
            else:
                self._connection = http.client.HTTPConnection(
                    self._host, self._port, timeout=self._timeout
                )
        return self._connection


class CaFileError(InputError, ClientError):
    """A CA certificate file that cannot be read."""


def one_line(text: str, limit: int = 200) -> str:
    """What a server or a library said, made safe for one line of a message: control
    characters escaped (a hostile server's bytes never reach a terminal as they are),
    and cut at ``limit`` characters."""
    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."


def _tls_context(ca_file: str | None) -> ssl.SSLContext:
    """A verifying TLS context trusting ``ca_file`` (PEM) besides the system's CAs; a CA
    file that cannot be used is one line naming it (read bounded, as every file named is)."""
    context = ssl.create_default_context()
    if ca_file is None:
        return context
    from contracttest.files import read_regular

    data = read_regular(ca_file, 16 << 20, CaFileError, "a CA certificate file")
    try:
        context.load_verify_locations(cadata=data.decode("ascii", "replace"))
    except (ssl.SSLError, ValueError) as exc:
        raise ClientError(
            f"{ca_file}: not a PEM CA certificate file ({one_line(str(exc))})"
        ) from None
    return context


class _Watchdog(threading.Timer):
    """Shuts a connection's socket down when its time is up, so that a read blocked on it
    returns at once; ``fired`` tells that from an ordinary failure."""

    def __init__(self, seconds: float, connection: http.client.HTTPConnection) -> None:
        super().__init__(seconds, self._cut)
        self.daemon = True
        self.fired = False
        self._connection = connection

    def _cut(self) -> None:
        self.fired = True
        sock = getattr(self._connection, "sock", None)
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def _bytes(body: str | bytes | Element | None) -> bytes:
    if isinstance(body, etree._Element):
        return etree.tostring(body, encoding="UTF-8")
    return body_bytes(body)

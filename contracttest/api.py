"""``Engine``: what the ``engine`` fixture gives a test, an API client returning parsed XML.

Every method maps to one kind of engine call and returns the answer's root element; an
error status raises ``EngineError`` carrying the engine's ``<fault>`` reason and detail,
the way ovirtsdk4 raises ``sdk.Error``. ``request`` is the raw call that never raises on a
status. Waiting (``wait_for``) sleeps only against a live engine: a replay answers at once.

The client speaks the engine's API version (``version``: 3 or 4; see ``client.Client`` for
what differs on the wire); what these helpers read works for both shapes: ``status`` is v4's
``<status>up</status>`` or v3's ``<status><state>up</state></status>``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from lxml import etree

from contracttest.client import Client, ClientError, Reply
from contracttest.errors import ContractTestError
from contracttest.xmlsafe import Element

if TYPE_CHECKING:
    from contracttest.apijson import Codec, JsonCalls

Body = str | bytes | Element


class EngineError(ContractTestError):
    """An error status from the engine: ``status``, ``reason``, ``detail``, ``reply``."""

    def __init__(self, method: str, path: str, reply: Reply) -> None:
        reason, detail = reply.fault or ("", "")
        self.status, self.reason, self.detail, self.reply = reply.status, reason, detail, reply
        text = f"{method} {path}: {reply.status}"
        if reason or detail:
            text += f" {reason} {detail}".rstrip()
        super().__init__(text)


class Engine:
    """``engine.get("vms/123")``, ``engine.list("vms", search="name=web*")``,
    ``engine.add("vms", "<vm>...</vm>")``, ``engine.action("vms/123", "start")``."""

    Error = EngineError
    LoginError = ClientError  # a login the engine refused (SSO), or an unreachable engine

    def __init__(self, client: Client, *, live: bool, codec: Codec | None = None) -> None:
        """``codec`` (``apijson.Codec``): every call speaks JSON on the wire, bodies and
        answers converted from and to the XML documents the methods take and return."""
        self.client = client
        self.live = live  # False while replaying: nothing waits
        self.last: Reply | None = None
        self.codec = codec

    @property
    def representation(self) -> str:
        """What the calls speak on the wire: ``xml`` or ``json``."""
        return "json" if self.codec is not None else "xml"

    @property
    def json(self) -> JsonCalls:
        """The same client answering parsed JSON: ``engine.json.get("vms/123")``."""
        from contracttest.apijson import JsonCalls

        return JsonCalls(self)

    def _call(
        self,
        method: str,
        path: str,
        body: Body | None = None,
        query: dict[str, str] | None = None,
        expect: str | None = None,
    ) -> Reply:
        codec = self.codec
        if codec is None:
            return self.client.request(method, path, body, query=query, expect=expect)
        data = codec.body(body)
        reply = self.client.request(
            method, path, data, query=query, expect=expect, media="application/json"
        )
        return codec.reply(method, path, reply)

    def codec_reply(self, method: str, path: str, reply: Reply) -> Reply:
        """A reply with its JSON body read into ``root`` (a fault, for one)."""
        from contracttest.apijson import Codec

        return (self.codec or Codec(None, None)).reply(method, path, reply)

    @property
    def url(self) -> str:
        return self.client.url

    @property
    def version(self) -> int:
        """The API version spoken: 3 or 4."""
        return self.client.version or 4

    @staticmethod
    def status(element: Element) -> str | None:
        """The status of an entity or an action answer, whatever the API version: v4's
        ``<status>up</status>`` or v3's ``<status><state>up</state></status>``; None when
        it has none."""
        holder = element.find("status")
        if holder is None:
            return None
        state = holder.find("state")
        return ((state if state is not None else holder).text or "").strip()

    def get(self, path: str, **query: str) -> Element:
        return self._root("GET", path, self._call("GET", path, query=query))

    def list(self, path: str, **query: str) -> list[Element]:
        """The entities of a collection (``search``, ``max``, ``follow`` as keywords)."""
        root = self.get(path, **query)
        return [child for child in root if isinstance(child.tag, str)]

    def add(self, path: str, body: Body, **query: str) -> Element:
        reply = self._call("POST", path, body, query, expect="201-created")
        return self._root("POST", path, reply)

    def update(self, path: str, body: Body, **query: str) -> Element:
        return self._root("PUT", path, self._call("PUT", path, body, query))

    def remove(self, path: str, **query: str) -> None:
        self._check("DELETE", path, self._call("DELETE", path, query=query))

    def action(self, path: str, name: str, body: Body = "<action/>") -> Element:
        """Run action ``name`` on the entity at ``path``; the ``<action>`` answer."""
        target = f"{path.rstrip('/')}/{name}"
        return self._root("POST", target, self._call("POST", target, body))

    def follow(self, element: Element, rel: str | None = None) -> Element:
        """GET an element's ``href`` (a reference), or its ``<link rel=...>``."""
        href = element.get("href")
        if rel is not None:
            link = element.find(f"link[@rel='{rel}']")
            href = link.get("href") if link is not None else None
            if href is None:
                raise LookupError(f"<{element.tag}> has no link rel={rel!r}")
        if not href:
            raise LookupError(f"<{element.tag}> has no href to follow")
        return self.get(href)

    def request(self, method: str, path: str, body: Body | None = None, **query: str) -> Reply:
        """Any call, raw: the status, headers and body, whatever the status."""
        self.last = self._call(method, path, body, query)
        return self.last

    def wait_for(
        self,
        path: str,
        condition: Callable[[Element], bool],
        *,
        timeout: float = 60.0,
        interval: float = 1.0,
    ) -> Element:
        """GET ``path`` until ``condition(root)`` holds (polling a VM until it is up)."""
        deadline = time.monotonic() + timeout
        while True:
            root = self.get(path)
            if condition(root):
                return root
            if time.monotonic() > deadline:
                raise TimeoutError(f"{path}: condition not reached within {timeout:g} s")
            if self.live:
                time.sleep(interval)

    def wait_for_status(self, path: str, status: str, **kwargs: float) -> Element:
        """GET ``path`` until its status (v3 or v4 shape: ``status``) is ``status``."""
        return self.wait_for(path, lambda root: self.status(root) == status, **kwargs)

    def session(self, user: str, password: str, *, login: str | None = None) -> Engine:
        """Another client of the same engine in the same API version, logged in as ``user``
        (``login="sso"``: a bearer token, as ovirtsdk4 does; ``"basic"``: HTTP Basic with
        ``Prefer: persistent-auth``, as the v3 SDK does; default: the version's SDK's way).
        Its exchanges go through the same cassette and checks; close it when done."""
        client = Client(
            self.client.url,
            user,
            password,
            login=login,
            version=self.client.version,
            ca_file=self.client.ca_file,
            insecure=self.client.insecure,
            keep=False,
        )
        return Engine(client, live=self.live, codec=self.codec)

    def close(self) -> None:
        self.client.close()

    def _check(self, method: str, path: str, reply: Reply) -> Reply:
        self.last = reply
        if reply.status >= 400:
            raise EngineError(method, path, reply)
        return reply

    def _root(self, method: str, path: str, reply: Reply) -> Element:
        self._check(method, path, reply)
        if reply.root is None:
            return etree.Element("empty")
        return reply.root

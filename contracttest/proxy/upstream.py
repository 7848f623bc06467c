"""The proxy's side towards the engine: the one client (``client.Client``), one kept-alive
connection per worker thread of the proxy's server, TLS trusted as the plugin trusts it (a
CA file, or insecure). Requests go as the proxy's clients sent them, with their own logins
(``Client.forward``); answers come back whole, bounded in size, their bodies unparsed."""

from __future__ import annotations

import threading

from contracttest.client import Client, Reply

#: The most an engine's answer may hold (a disk's OVF, a big listing): more is a 502.
MAX_ANSWER = 64 << 20


class Upstream:
    def __init__(
        self, url: str, *, ca_file: str | None = None, insecure: bool = False, timeout: float = 60
    ) -> None:
        self.url = url
        self._options = {"ca_file": ca_file, "insecure": insecure, "timeout": timeout}
        Client(url, "", None, **self._options)  # type: ignore[arg-type]  # a bad URL or CA file now
        self._local = threading.local()
        self._clients: list[Client] = []
        self._lock = threading.Lock()

    def send(self, method: str, target: str, body: bytes, headers: dict[str, str]) -> Reply:
        """The engine's answer; ``ClientError`` (one line) when it cannot be had."""
        client: Client | None = getattr(self._local, "client", None)
        if client is None:
            client = Client(
                self.url,
                "",
                None,
                keep=False,
                max_body=MAX_ANSWER,
                version=None,
                **self._options,  # type: ignore[arg-type]
            )
            self._local.client = client
            with self._lock:
                self._clients.append(client)
        return client.forward(method, target, body, headers)

    def close(self) -> None:
        with self._lock:
            clients, self._clients = self._clients, []
        for client in clients:
            client.close()

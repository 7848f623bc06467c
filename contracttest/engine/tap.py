"""A tap on the engine: every request it answers, as the exchanges the checker reads.

``engine.observers.append(tap)`` and every exchange the engine serves is kept, whoever the
client is (the ovirtsdk4 SDK talks through pycurl, which vcrpy cannot see).
"""

from __future__ import annotations

import threading

from contracttest.engine.http import HttpRequest, HttpResponse
from contracttest.exchange import Exchange, Headers, Request, Response


class Tap:
    def __init__(self, base_url: str = "http://127.0.0.1", name: str = "<engine tap>") -> None:
        self.base_url = base_url
        self.name = name
        self.exchanges: list[Exchange] = []
        self._lock = threading.Lock()

    def __call__(self, request: HttpRequest, response: HttpResponse) -> None:
        request_headers: Headers = {name: (value,) for name, value in request.headers.items()}
        response_headers: Headers = {}
        for name, value in response.headers:
            key = name.lower()
            response_headers[key] = (*response_headers.get(key, ()), value)
        if response.content_type is not None and (response.body or response.status >= 400):
            response_headers["content-type"] = (response.content_type,)
        with self._lock:
            self.exchanges.append(
                Exchange(
                    Request(
                        request.method, self.base_url + request.uri, request_headers, request.body
                    ),
                    Response(response.status, "", response_headers, response.body),
                    index=len(self.exchanges),
                    cassette=self.name,
                )
            )

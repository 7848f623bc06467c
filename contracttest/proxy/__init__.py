"""The recording proxy: any client's traffic (ovirtsdk4 through pycurl, curl, the other
SDKs) recorded into the same cassettes, replayed from them with no engine, and checked as it
flows. ``relay`` (where a request goes, which headers travel), ``upstream`` (the one client,
towards the engine), ``tape`` (the shared cassette and when it is written), ``watch`` (checks
and console lines), ``app`` (the three modes), ``running`` (``open_proxy``: all of it behind
the engine's HTTP server), ``command`` (``contracttest proxy``).
"""

from __future__ import annotations

from contracttest.proxy.running import Proxy, open_proxy
from contracttest.proxy.watch import Watch

__all__ = ["Proxy", "Watch", "open_proxy"]

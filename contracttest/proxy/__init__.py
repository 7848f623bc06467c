"""The recording proxy: any client's traffic (ovirtsdk4 through pycurl, curl, the other
SDKs) recorded into the same cassettes, replayed from them with no engine, and checked as it
flows. ``relay`` (where a request goes, which headers travel), ``upstream`` (the one client,
towards the engine), ``tape`` (the shared cassette and when it is written), ``watch`` (checks
and console lines), ``app`` (the three modes), ``running`` (``open_proxy``: all of it behind
the engine's HTTP server), ``command`` (``contracttest proxy``).

Importing this package costs nothing: the command line builds its parser from it on every
run, so its public names load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from contracttest.proxy.running import Proxy, open_proxy
    from contracttest.proxy.watch import Watch

__all__ = ["MODES", "Proxy", "Watch", "open_proxy"]

#: What the proxy does with a request: record it, replay it, or pass it on (checked only).
MODES = ("record", "replay", "passthrough")


def __getattr__(name: str) -> object:
    homes = {"Proxy": "running", "open_proxy": "running", "Watch": "watch"}
    if name not in homes:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"{__name__}.{homes[name]}"), name)

"""What other plugins do that breaks clients outside vcrpy, and what contracttest does
about it.

pytest-recording, in its ``pytest_configure`` (every run, whether a test uses it or not),
replaces ``sys.modules["pycurl"]`` with a wrapper whose ``Curl`` is a Python proxy of the
real handle (so that its ``--block-network`` can refuse ``perform``); ``CurlMulti`` stays the
real one, whose ``add_handle`` accepts only a real ``pycurl.Curl``. ovirtsdk4 sends every
request through a ``CurlMulti``, so when it is imported after that (as test modules are) every
call fails with ``add_handle() argument 1 must be pycurl.Curl, not Curl``; the wrapper goes
at ``pytest_unconfigure``. Imported by the plugin only when ``pycurl`` is loaded at all.
"""

from __future__ import annotations

import importlib.abc
import sys
from types import ModuleType
from typing import Any

import pytest

#: What pycurl says when ovirtsdk4 hands pytest-recording's wrapper to a real ``CurlMulti``.
_PYCURL_REFUSED = "must be pycurl.Curl"
_PYCURL_ADVICE = (
    "contracttest: pytest-recording (plugin name 'recording') replaced pycurl with a wrapper "
    "that pycurl.CurlMulti refuses; leave it out with -p no:recording"
)


def keep_the_sdk_on_real_pycurl(config: pytest.Config) -> None:
    """When pytest-recording's wrapper is in place (the plugin's ``pytest_configure`` runs
    after pytest-recording's), ovirtsdk4 is imported with the real pycurl: a finder that does
    only that, removed with the run. Other pycurl clients are told how to leave the plugin
    out (``explain_pycurl``)."""
    wrapper = sys.modules.get("pycurl")
    # type(), not isinstance(): the wrapper answers ``__class__`` with the real module's
    if wrapper is None or issubclass(type(wrapper), ModuleType):
        return
    real = getattr(sys.modules.get("pytest_recording.network"), "pycurl", None)
    if not isinstance(real, ModuleType) or "ovirtsdk4" in sys.modules:
        return
    finder = _RealPycurlFinder("ovirtsdk4", real)
    sys.meta_path.insert(0, finder)
    config.add_cleanup(lambda: sys.meta_path.remove(finder) if finder in sys.meta_path else None)


def explain_pycurl(report: pytest.TestReport, error: str) -> None:
    """A pycurl client that pytest-recording's wrapper broke: one line says so."""
    wrapper = sys.modules.get("pycurl")
    if _PYCURL_REFUSED not in error or wrapper is None or issubclass(type(wrapper), ModuleType):
        return
    add = getattr(report.longrepr, "addsection", None)
    if add is not None:
        add("contracttest", _PYCURL_ADVICE)
    elif isinstance(report.longrepr, str):
        report.longrepr += "\n" + _PYCURL_ADVICE


class _RealPycurlFinder:
    """A meta path finder for one module (ovirtsdk4): found as usual, and imported with the
    real pycurl in ``sys.modules`` for the time of its import."""

    def __init__(self, name: str, real: ModuleType) -> None:
        self.name, self.real = name, real

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name != self.name:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                if spec.loader is not None:
                    spec.loader = _RealPycurlLoader(spec.loader, self.real)
                return spec
        return None


class _RealPycurlLoader(importlib.abc.Loader):
    def __init__(self, loader: Any, real: ModuleType) -> None:
        self.loader, self.real = loader, real

    def create_module(self, spec: Any) -> Any:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        swapped = sys.modules.get("pycurl")
        sys.modules["pycurl"] = self.real
        try:
            self.loader.exec_module(module)
        finally:
            if swapped is not None:
                sys.modules["pycurl"] = swapped

    def __getattr__(self, name: str) -> Any:  # get_data, get_resource_reader, ...
        return getattr(self.loader, name)

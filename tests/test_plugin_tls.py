"""Recording against an engine over TLS: its CA trusted with ``--engine-ca-file``, or not
verified with ``--engine-insecure``; a certificate nobody vouches for is refused in one line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.loopback import tls_engine as serving_tls
from tests.plugin_suite import outcomes, run

SUITE = """
def test_root(ovirt_engine):
    assert ovirt_engine.get("").tag == "api"
"""


@pytest.fixture(scope="module")
def tls_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The embedded engine behind TLS, with a self-signed certificate for 127.0.0.1."""
    folder = tmp_path_factory.mktemp("tls")
    with serving_tls(folder) as served:
        yield served


def test_the_engines_ca_is_trusted_with_ca_file(
    pytester: pytest.Pytester, tls_engine: tuple[str, Path]
) -> None:
    url, cert = tls_engine
    pytester.makepyfile(test_tls=SUITE)
    common = ("--engine", url, "--engine-password", "ovirt", "--record-mode", "all")
    assert outcomes(run(pytester, *common, "--engine-ca-file", str(cert))) == {"passed": 1}
    assert outcomes(run(pytester)) == {"passed": 1}  # and it replays without the engine
    refused = run(pytester, *common)  # said once, before any test: a usage error
    assert refused.ret == pytest.ExitCode.USAGE_ERROR
    refused.stderr.fnmatch_lines(["ERROR: contracttest: *CERTIFICATE_VERIFY_FAILED*"])
    assert outcomes(run(pytester, *common, "--engine-insecure")) == {"passed": 1}

"""Recording against an engine over TLS: its CA trusted with ``--engine-ca-file``, or not
verified with ``--engine-insecure``; a certificate nobody vouches for is refused in one line."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from contracttest.engine import EngineServer, open_engine
from tests.plugin_suite import outcomes, run

SUITE = """
def test_root(ovirt_engine):
    assert ovirt_engine.get("").tag == "api"
"""


@pytest.fixture(scope="module")
def tls_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The embedded engine behind TLS, with a self-signed certificate for 127.0.0.1."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("needs the openssl command to make a certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "engine.pem", folder / "engine.key"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    engine = open_engine()
    with EngineServer(engine.handle, tls=context) as server:
        yield f"https://127.0.0.1:{server.address[1]}{engine.prefix}", cert
    engine.close()


def test_the_engines_ca_is_trusted_with_ca_file(
    pytester: pytest.Pytester, tls_engine: tuple[str, Path]
) -> None:
    url, cert = tls_engine
    pytester.makepyfile(test_tls=SUITE)
    common = ("--engine", url, "--engine-password", "ovirt", "--record-mode", "all")
    assert outcomes(run(pytester, *common, "--engine-ca-file", str(cert))) == {"passed": 1}
    assert outcomes(run(pytester)) == {"passed": 1}  # and it replays without the engine
    refused = run(pytester, *common)
    assert outcomes(refused) == {"errors": 1}
    refused.stdout.fnmatch_lines(["contracttest: *CERTIFICATE_VERIFY_FAILED*"])
    assert outcomes(run(pytester, *common, "--engine-insecure")) == {"passed": 1}

"""pytest-recording installed and enabled beside contracttest: its ``pytest_configure`` puts
a wrapper in ``sys.modules["pycurl"]`` whose ``Curl`` a real ``CurlMulti`` refuses, which
breaks ovirtsdk4 in every mode. With contracttest loaded, ovirtsdk4 keeps the real pycurl;
any other pycurl client that still breaks is told which plugin to leave out."""

from __future__ import annotations

import importlib.util

import pytest

from tests.plugin_suite import contracttest, outcomes, run

pytest.importorskip("ovirtsdk4", reason="the ovirtsdk4 SDK (a test dependency) is absent")
# Not imported here: it registers vcr.matchers for assertion rewriting, which this process has
# imported already (a warning, so an error). The runs below load it as a plugin.
pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("pytest_recording") is None,
    reason="pytest-recording (a test dependency) is absent",
)

#: The embedded engine started by the suite itself (not the plugin's fixture), so the same
#: suite runs with contracttest left out too.
CONFTEST = """
import pytest

from contracttest.engine import EngineServer, open_engine


@pytest.fixture(scope="session")
def engine_url():
    engine = open_engine(password="sdk-pw")
    with EngineServer(engine.handle) as server:
        yield f"{server.base_url}{engine.prefix}"
    engine.close()
"""

SDK_SUITE = """
import sys

import ovirtsdk4 as sdk  # imported as the module is collected: after pytest_configure
import ovirtsdk4.types as types


def _connect(url):
    return sdk.Connection(url=url, username="admin@internal", password="sdk-pw", timeout=30)


def test_pytest_recording_wraps_pycurl():
    assert type(sys.modules["pycurl"]).__name__ == "PyCurlWrapper"


def test_sdk_adds_and_lists(engine_url):
    connection = _connect(engine_url)
    try:
        vms = connection.system_service().vms_service()
        vm = vms.add(
            types.Vm(
                name="sdk-vm",
                cluster=types.Cluster(name="Default"),
                template=types.Template(name="Blank"),
            )
        )
        assert [v.name for v in vms.list(search="name=sdk-vm")] == ["sdk-vm"]
        vms.vm_service(vm.id).remove()
    finally:
        connection.close()


def test_sdk_through_the_sandbox(ovirt_sandbox):
    connection = sdk.Connection(
        url=ovirt_sandbox.url, username=ovirt_sandbox.user, password=ovirt_sandbox.password
    )
    try:
        assert connection.system_service().get().product_info.name == "oVirt Engine"
    finally:
        connection.close()
"""


def test_ovirtsdk4_works_with_pytest_recording_enabled(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_sdk=SDK_SUITE)
    result = run(pytester, "-p", "recording")
    result.stdout.fnmatch_lines(["plugins: *recording-*"])
    assert outcomes(result) == {"passed": 3}, result.stdout.str()
    # The same suite as ``contracttest run PATH`` runs it (pytest in-process).
    ran = contracttest("run", str(pytester.path / "test_sdk.py"), "--", "-p", "no:cacheprovider")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "3 passed" in ran.stdout


def test_without_contracttest_pytest_recording_breaks_ovirtsdk4(
    pytester: pytest.Pytester,
) -> None:
    """What the above guards against: the failure users saw, with the plugin left out."""
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_sdk=SDK_SUITE.split("def test_sdk_through_the_sandbox")[0])
    result = run(pytester, "-p", "recording", "-p", "no:contracttest")
    assert outcomes(result) == {"passed": 1, "failed": 1}, result.stdout.str()
    result.stdout.fnmatch_lines(["*add_handle() argument 1 must be pycurl.Curl, not Curl*"])


MULTI = """
def test_a_pycurl_multi_client():
    import pycurl

    multi = pycurl.CurlMulti()
    multi.add_handle(pycurl.Curl())
    multi.close()
"""


def test_another_pycurl_client_is_told_which_plugin_to_leave_out(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_multi=MULTI)
    broken = run(pytester, "-p", "recording")
    assert outcomes(broken) == {"failed": 1}
    broken.stdout.fnmatch_lines(
        [
            "contracttest: pytest-recording (plugin name 'recording') replaced pycurl with a "
            "wrapper that pycurl.CurlMulti refuses; leave it out with -p no:recording"
        ]
    )
    assert outcomes(run(pytester, "-p", "no:recording")) == {"passed": 1}

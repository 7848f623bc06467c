"""Every real recording, checked against its nearest real contract."""

from __future__ import annotations

import functools
from collections import Counter
from pathlib import Path

import pytest

from conftest import corpus_path
from contracttest import (
    Checker,
    Contract,
    Schema,
    Severity,
    Violation,
    load_cassette,
    load_contract,
    load_schema,
)
from tests.corpus_contracts import RSDL, XSD, nearest, vcrpy_cassettes

VCRPY = corpus_path() / "cassettes" / "vcrpy"
NAMES = [path.name for path in vcrpy_cassettes(corpus_path())] if VCRPY.is_dir() else []
V3_NAMES = [name for name in NAMES if nearest(name)[1] == "v3"]
DELTACLOUD = [name for name in NAMES if name.startswith("deltacloud-rhevm__")]
BEFORE_MIGRATION = "manageiq-providers-ovirt__refresher_before_migration.yml"


@functools.cache
def contract(corpus: Path, key: str) -> Contract:
    return load_contract(corpus / RSDL[key])


@functools.cache
def schema(corpus: Path, key: str) -> Schema | None:
    return load_schema(corpus / XSD[key]) if key in XSD else None


@functools.cache
def violations(corpus: Path, name: str) -> tuple[Violation, ...]:
    """The violations of one corpus cassette against its nearest contract, computed once."""
    key, _ = nearest(name)
    checker = Checker(contract(corpus, key), schema(corpus, key))
    return tuple(checker.check_cassette(load_cassette(corpus / "cassettes" / "vcrpy" / name)))


def test_the_corpus_has_48_vcrpy_cassettes(corpus: Path) -> None:
    assert len(NAMES) == 48
    assert Counter(nearest(name)[1] for name in NAMES) == {"v3": 30, "v4": 18}
    assert len(DELTACLOUD) == 23


@pytest.mark.parametrize("name", NAMES)
def test_cassette_checks_without_exception(corpus: Path, name: str) -> None:
    found = violations(corpus, name)
    cassette = str(corpus / "cassettes" / "vcrpy" / name)
    for violation in found:
        assert violation.cassette == cassette
        assert violation.severity in (Severity.WARNING, Severity.ERROR)
        assert violation.message and "\n" not in violation.message
        assert violation.method in {"GET", "POST", "PUT", "DELETE"}


@pytest.mark.parametrize("name", V3_NAMES)
def test_v3_cassettes_have_no_errors(corpus: Path, name: str) -> None:
    errors = [v for v in violations(corpus, name) if v.severity is Severity.ERROR]
    assert errors == []


def test_html_error_pages_stay_reported_as_warnings(corpus: Path) -> None:
    html_faults = [
        v
        for name in DELTACLOUD
        for v in violations(corpus, name)
        if v.rule == "response.fault" and "HTML page" in v.message
    ]
    assert html_faults
    assert all(v.severity is Severity.WARNING for v in html_faults)
    statuses = {v.message.split()[1] for v in html_faults}
    assert statuses == {"401", "404"}


def test_wrong_credentials_gives_an_html_401_warning(corpus: Path) -> None:
    (found,) = violations(
        corpus, "deltacloud-rhevm__test_0001_must_throw_error_when_wrong_credentials.yml"
    )
    assert (found.rule, found.severity, found.index) == ("response.fault", Severity.WARNING, 0)
    assert found.message == "status 401 with an HTML page instead of a <fault>"
    assert found.link == "GET /api/datacenters (get)"


def test_rhevm_368_api_alias_hrefs_are_warnings(corpus: Path) -> None:
    found = violations(corpus, BEFORE_MIGRATION)
    hrefs = [v for v in found if v.rule == "response.href"]
    assert hrefs and hrefs == list(found)
    assert all(v.severity is Severity.WARNING for v in hrefs)
    assert all(
        "use the API prefix /api, the request used /ovirt-engine/api" in v.message for v in hrefs
    )
    assert {v.uri.split("/ovirt-engine/api")[0] for v in hrefs} == {"https://10.35.161.51"}
    first = hrefs[0]
    assert (first.index, first.link) == (0, "GET /ovirt-engine/api (get)")
    assert first.message.startswith("49 href(s)")


def test_v4_recordings_against_the_v3_contract_are_reported_apart(corpus: Path) -> None:
    """No real v4 contract exists: v4 cassettes are checked, and show real differences."""
    v4 = [name for name in NAMES if nearest(name)[1] == "v4"]
    rules = Counter(v.rule for name in v4 for v in violations(corpus, name))
    assert rules["response.schema"] > 0 and rules["response.href"] > 0

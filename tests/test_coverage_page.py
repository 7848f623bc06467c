"""The coverage page in a real browser: Debian's headless Chromium, driven by Playwright (never
a browser of its own), opens the page ``contracttest report --html`` wrote for the real 3.6
recordings, offline, and the test reads the rendered DOM: the figures, the filters, the
keyboard. A screenshot is kept (its path printed; a copy at ``/tmp/coverage-shot.png``)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.corpus_contracts import RSDL, XSD
from tests.plugin_suite import contracttest
from tests.test_coverage import _recordings

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
#: What lets Chromium run headless as root here, and keeps it off the network.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOT = Path("/tmp/coverage-shot.png")


@pytest.fixture(scope="module")
def report(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("coverage-page")
    page, data = folder / "coverage.html", folder / "coverage.json"
    rsdl, xsd = corpus / RSDL["3.6"], corpus / XSD["3.6"]
    done = contracttest(
        "report", *map(str, _recordings(corpus)), "--contract", str(rsdl), "--schema", str(xsd),
        "--html", str(page), "--json", str(data),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return page, json.loads(data.read_text())


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (Debian's chromium package; .ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=CHROMIUM,
            headless=True,
            args=FLAGS,
            viewport={"width": 1366, "height": 768},
        )
        try:
            yield context
        finally:
            context.close()


def _words(entry: dict[str, Any]) -> str:
    return f"{entry['method']} {entry['href']} {entry['rel']} {entry['collection']}".lower()


def test_the_page_shows_the_figures_filters_and_works_with_the_keyboard(
    report: tuple[Path, dict[str, Any]], browser: Any, tmp_path: Path
) -> None:
    path, document = report
    page = browser.new_page()
    problems: list[str] = []
    fetched: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("request", lambda request: fetched.append(request.url))
    page.goto(path.as_uri())
    links, exercised = document["links"], document["exercised"]
    per_link = document["per_link"]

    def shown() -> str:
        return str(page.inner_text("#shown"))

    # the figures, as the JSON has them
    assert page.inner_text("#fig-links") == f"{exercised} / {links}" == "20 / 772"
    assert page.inner_text("#fig-percent") == f"{document['percent']}%"
    assert page.inner_text("#fig-violations") == str(document["violations"])
    assert page.locator("li.link").count() == links
    assert page.locator("li.link.exercised, li.link.violations").count() == exercised
    assert page.locator(".tiles a").count() == len(document["collections"])
    assert shown() == f"{links} of {links} links shown"
    # a text filter narrows the list to the links whose words hold every word typed
    page.fill("#filter-text", "nics")
    expected = [e for e in per_link if "nics" in _words(e)]
    assert 0 < len(expected) < links
    assert shown() == f"{len(expected)} of {links} links shown"
    visible = page.locator("li.link:visible code.href").all_inner_texts()
    assert sorted(visible) == sorted(e["href"] for e in expected)
    page.fill("#filter-text", "vms nics get")
    narrower = sum(all(w in _words(e) for w in ("vms", "nics", "get")) for e in per_link)
    assert 0 < narrower < len(expected)
    assert shown() == f"{narrower} of {links} links shown"
    # a state filter, alone and with text
    page.fill("#filter-text", "")
    page.select_option("#filter-state", "untouched")
    assert shown() == f"{links - exercised} of {links} links shown"
    page.select_option("#filter-state", "violations")
    flagged = [e for e in per_link if e["violations"]]
    assert shown() == f"{len(flagged)} of {links} links shown" and flagged
    page.select_option("#filter-state", "clean")
    assert shown() == f"{exercised - len(flagged)} of {links} links shown"
    page.select_option("#filter-state", "exercised")
    assert shown() == f"{exercised} of {links} links shown"
    page.fill("#filter-text", "vms")
    in_vms = [e for e in per_link if e["exercised"] and "vms" in _words(e)]
    assert shown() == f"{len(in_vms)} of {links} links shown"
    sections = page.locator("section.collection:not([hidden])").evaluate_all(
        "sections => sections.map(s => s.dataset.collection)"
    )
    assert sorted(sections) == sorted({e["collection"] for e in in_vms})
    page.select_option("#filter-state", "violations")
    page.fill("#filter-text", "zzz-nothing")
    assert shown() == f"0 of {links} links shown" and page.is_visible("#nothing")
    page.fill("#filter-text", "")
    # the keyboard: "/" goes to the filter; Tab reaches a link's summary; Enter opens it
    page.evaluate("document.activeElement.blur()")
    assert page.evaluate("document.activeElement === document.body")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "filter-text"
    assert page.input_value("#filter-text") == ""  # the key moved the focus, typed nothing
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "filter-state"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.tagName") == "SUMMARY"
    page.keyboard.press("Enter")
    opened = page.locator("details[open]")
    assert opened.count() == 1
    href = opened.locator("code.href").inner_text()
    method = opened.locator(".method").inner_text()
    (first,) = [e for e in flagged if (e["method"], e["href"]) == (method, href)]
    detail = opened.inner_text()
    assert "Violations" in detail and first["findings"][0]["message"][:40] in detail
    assert first["cassettes"][0] in detail
    # readable on a laptop screen: nothing wider than the window
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot = tmp_path / "coverage.png"
    page.screenshot(path=str(shot))
    shutil.copyfile(shot, SHOT)
    print(f"screenshot: {shot} (copied to {SHOT})")
    assert not problems, problems
    assert fetched == [path.as_uri()], fetched  # offline: nothing but the page itself
    page.close()

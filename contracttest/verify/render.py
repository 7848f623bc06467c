"""``verify``'s three outputs: text for a terminal (100 columns), the JSON document CI
scripts read, and JUnit XML for CI test reports (a test case per replayed exchange, failed
by a difference at ``--fail-on``). URIs are shown as the scrubber leaves them
(``report.shown_uri``): no userinfo, session id or secret parameter reaches a log."""

from __future__ import annotations

import json
import re

from lxml import etree

from contracttest.compare import BREAKING, COMPATIBLE
from contracttest.report import shown, shown_uri
from contracttest.verify.replay import Found, Verification

WIDTH = 100
VIOLATIONS_SHOWN = 5
BREAKING_SHOWN = 20
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def as_json(result: Verification) -> str:
    document = {
        "exchanges": result.exchanges,
        "cassettes": result.cassettes,
        "skipped_logins": result.skipped,
        "against": result.against,
        "contract": result.contract,
        "differences": [_shown(found).as_json() for found in result.differences],
        "counts": result.counts,
        "violations": [shown(v).as_json() for v in result.violations],
    }
    return json.dumps(document, indent=2, ensure_ascii=True)


def as_text(result: Verification) -> str:
    lines = [f"against:  {result.against}", f"contract: {result.contract or 'not known'}"]
    place: tuple[str, int] | None = None
    for found in result.differences:
        if (found.cassette, found.index) != place:
            place = (found.cassette, found.index)
            lines.append("")
            lines.append(f"{found.cassette}#{found.index} {found.method} {shown_uri(found.uri)}")
        d = found.difference
        verdict = f" ({found.contract})" if found.contract else ""
        lines.append(f"  [{d.kind}] {d.xpath}: {d.message}{verdict}")
        if d.recorded:
            lines.append(f"      recorded: {d.recorded}")
        if d.received:
            lines.append(f"      received: {d.received}")
    if result.violations:
        lines.append("")
        lines.append(f"checked against the new contract, the new answers: {_tally(result)}")
        for v in result.violations[:VIOLATIONS_SHOWN]:
            lines.append(f"  [{v.severity}] {v.rule}: {v.message}")
            lines.append(f"      exchange: {v.cassette}#{v.index} {v.method} {shown_uri(v.uri)}")
        if len(result.violations) > VIOLATIONS_SHOWN:
            more = len(result.violations) - VIOLATIONS_SHOWN
            lines.append(f"  ... and {more} more (--format json lists them all)")
    breaking = [f for f in result.differences if f.kind == BREAKING]
    if breaking:
        lines.append("")
        lines.append("breaking, in short:")
        for f in breaking[:BREAKING_SHOWN]:
            lines.append(
                f"  {f.cassette}#{f.index} {f.method} {f.difference.xpath}: {f.difference.message}"
            )
        if len(breaking) > BREAKING_SHOWN:
            lines.append(f"  ... and {len(breaking) - BREAKING_SHOWN} more")
    counts = result.counts
    lines.append("")
    if result.skipped:
        lines.append(f"{result.skipped} recorded login(s) not replayed (verify logs in afresh)")
    lines.append(
        f"{result.exchanges} exchange(s) of {result.cassettes} cassette(s) replayed: "
        f"{counts[BREAKING]} breaking, {counts[COMPATIBLE]} compatible difference(s)"
    )
    return "\n".join(fit(line) for line in lines)


def as_junit(result: Verification, fail_on: str) -> str:
    """A JUnit XML report: a test suite per cassette, a test case per replayed exchange."""
    by_exchange: dict[tuple[str, int], list[Found]] = {}
    for each in result.differences:
        by_exchange.setdefault((each.cassette, each.index), []).append(each)
    suites = etree.Element("testsuites", name="contracttest verify")
    total = failed = 0
    current: etree._Element | None = None
    for cassette, index, method, uri in result.replayed:
        if current is None or current.get("name") != _xml(cassette):
            current = etree.SubElement(suites, "testsuite", name=_xml(cassette))
            current.set("tests", "0")
            current.set("failures", "0")
            current.set("errors", "0")
            current.set("skipped", "0")
        case = etree.SubElement(
            current,
            "testcase",
            classname=_xml(cassette),
            name=_xml(f"#{index} {method} {shown_uri(uri)}"),
        )
        current.set("tests", str(int(current.get("tests", "0")) + 1))
        total += 1
        found = by_exchange.get((cassette, index), [])
        failing = [f for f in found if fail_on == COMPATIBLE or f.kind == BREAKING]
        if failing:
            failed += 1
            current.set("failures", str(int(current.get("failures", "0")) + 1))
            failure = etree.SubElement(
                case,
                "failure",
                message=_xml(
                    f"{len(failing)} {fail_on} difference(s): {failing[0].difference.message}"
                ),
                type=failing[0].kind,
            )
            failure.text = _xml("\n".join(_lines(failing)))
        rest = [f for f in found if f not in failing]
        if rest:
            out = etree.SubElement(case, "system-out")
            out.text = _xml("\n".join(_lines(rest)))
    suites.set("tests", str(total))
    suites.set("failures", str(failed))
    suites.set("errors", "0")
    return etree.tostring(suites, encoding="unicode", pretty_print=True)


def _tally(result: Verification) -> str:
    errors = sum(1 for v in result.violations if v.severity == "error")
    return f"{errors} error(s), {len(result.violations) - errors} warning(s)"


def fit(line: str, width: int = WIDTH) -> str:
    """One line of at most ``width`` columns (control characters shown escaped)."""
    line = "".join(c if c.isprintable() else repr(c)[1:-1] for c in line)
    return line if len(line) <= width else line[: width - 3] + "..."


def _lines(found: list[Found]) -> list[str]:
    lines: list[str] = []
    for f in found:
        d = f.difference
        verdict = f" ({f.contract})" if f.contract else ""
        lines.append(f"[{d.kind}] {d.xpath}: {d.message}{verdict}")
        lines.append(f"    recorded: {d.recorded}")
        lines.append(f"    received: {d.received}")
    return lines


def _shown(found: Found) -> Found:
    uri = shown_uri(found.uri)
    return found if uri == found.uri else found._replace(uri=uri)


def _xml(text: str) -> str:
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)

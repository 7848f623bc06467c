"""The three forms of a diff: text for a terminal (grouped by severity and class, with
counts, every line within 100 columns), the JSON document CI scripts read, and JUnit XML
(one testsuite per class, one testcase per change, a failure where the change reaches
``--fail-on``)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from lxml import etree

from contracttest.diff.catalogue import CATALOGUE, Change, Severity, counts

WIDTH = 100


def as_json(changes: Sequence[Change]) -> str:
    document = {"changes": [change.as_json() for change in changes], "counts": counts(changes)}
    return json.dumps(document, indent=2)


def as_text(changes: Sequence[Change], old: str, new: str, accepted: int = 0) -> str:
    lines = _wrapped(f"contracttest diff: {old} -> {new}", "  ")
    found = counts(changes)
    summary = ", ".join(f"{found[str(s)]} {s}" for s in _SEVERITIES)
    lines.append(f"{len(changes)} change(s): {summary}" if changes else "no change")
    if accepted:
        lines.append(f"{accepted} change(s) accepted by the ignore file, not shown")
    for severity in _SEVERITIES:
        chosen = [change for change in changes if change.severity is severity]
        if not chosen:
            continue
        lines += ["", f"{severity}: {len(chosen)}"]
        for kind, group in _by_class(chosen):
            about = CATALOGUE[kind]
            lines += _wrapped(f"  {kind}: {len(group)} ({about.title}: {about.why})", "      ")
            for change in group:
                lines += _wrapped(f"    {change.where}: {change.message}", "        ")
    return "\n".join(lines)


_SEVERITIES = (Severity.BREAKING, Severity.WARNING, Severity.INFO)


def _by_class(changes: Sequence[Change]) -> list[tuple[str, list[Change]]]:
    groups: dict[str, list[Change]] = {}
    for change in changes:
        groups.setdefault(change.kind, []).append(change)
    return list(groups.items())


def _wrapped(line: str, indent: str) -> list[str]:
    """``line`` within ``WIDTH`` columns, continued under ``indent``: broken at spaces and
    after the slashes of an href; a word longer than a line is cut, never left to overflow."""
    if len(line) <= WIDTH:
        return [line]
    done: list[str] = []
    current = line[: len(line) - len(line.lstrip())]
    for piece in _PIECES.findall(line.strip()):
        if len(current) + len(piece) > WIDTH and current.strip():
            done.append(current.rstrip())
            current = indent
            if piece.isspace():
                continue
        while len(current) + len(piece) > WIDTH:
            room = WIDTH - len(current)
            done.append(current + piece[:room])
            current, piece = indent, piece[room:]
        current += piece
    done.append(current.rstrip())
    return done


_PIECES = re.compile(r"[^\s/]*/|[^\s/]+|\s+")


def as_junit(changes: Sequence[Change], old: str, new: str, fail_on: Severity) -> str:
    """JUnit XML: a testsuite per change class, a testcase per change; a change at or above
    ``fail_on`` is a failure. No change at all is one passing testcase (CI tools treat a
    report without tests as a broken run)."""
    failing = [change for change in changes if change.severity.rank >= fail_on.rank]
    root = etree.Element("testsuites", name=f"contracttest diff {old} -> {new}")
    _tally(root, len(changes) or 1, len(failing))
    if not changes:
        suite = _suite(root, "contract", 1, 0)
        etree.SubElement(
            suite, "testcase", classname="contracttest.diff", name="no change", time="0"
        )
    for kind, group in _by_class(changes):
        failures = sum(1 for change in group if change.severity.rank >= fail_on.rank)
        suite = _suite(root, kind, len(group), failures)
        for change in group:
            case = etree.SubElement(
                suite,
                "testcase",
                classname=f"contracttest.diff.{kind}",
                name=change.where,
                time="0",
            )
            text = f"{change.id}\n{change.severity}: {change.message}"
            if change.severity.rank >= fail_on.rank:
                failure = etree.SubElement(
                    case, "failure", type=str(change.severity), message=change.message
                )
                failure.text = text
            else:
                etree.SubElement(case, "system-out").text = text
    body: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return body.decode("utf-8")


def _suite(root: etree._Element, name: str, tests: int, failures: int) -> etree._Element:
    suite = etree.SubElement(root, "testsuite", name=name)
    _tally(suite, tests, failures)
    return suite


def _tally(element: etree._Element, tests: int, failures: int) -> None:
    for key, value in (("tests", tests), ("failures", failures), ("errors", 0), ("skipped", 0)):
        element.set(key, str(value))
    element.set("time", "0")

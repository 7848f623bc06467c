"""Rendering results: the one text form of a violation (``violation_lines``, used by
``check`` and by the plugin's failure text), violations grouped by rule, the JSON document
(each violation in its one shape, ``Violation.as_json``), and the rule reference shipped in
the package (``contracttest rules``)."""

from __future__ import annotations

import functools
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from contracttest.exchange import Exchange
from contracttest.rsdl import Contract
from contracttest.rules import RULES, Violation
from contracttest.schema import Schema

EXAMPLES_PER_RULE = 3
#: The paths without an RSDL link that coverage's text shows.
UNMATCHED_SHOWN = 10

_TALLIES = ("exchanges", "errors", "warnings")


def spoken_in(exchange: Exchange) -> str:
    """``xml``, ``json``, ``other`` (a body in another format) or ``none`` (no body at
    all): the representation an exchange speaks, its response body's, else its request's."""
    from contracttest.jsonmodel import representation

    response, request = exchange.response, exchange.request
    found = representation(response.body, response.content_type)
    if not found:
        found = representation(request.body, (request.header("content-type") or "").lower())
    if found:
        return found
    return "other" if response.body.strip() or request.body.strip() else "none"


@dataclass
class Result:
    """What one ``check`` run found, and against what."""

    exchanges: int = 0
    cassettes: int = 0
    violations: list[Violation] = field(default_factory=list)
    contract: str = ""  # where the contract came from
    schema: str | None = None  # the XSD's source; None: there was none
    schema_checks: bool = False  # whether response.schema ran
    #: Per representation ("xml", "json", "other", "none"): exchanges, errors, warnings.
    representations: dict[str, dict[str, int]] = field(default_factory=dict)

    def tally(self, exchanges: Iterable[Exchange], violations: Iterable[Violation]) -> None:
        """Count one cassette's exchanges and violations by the representation each
        exchange speaks (its response body's, else its request body's)."""
        spoken: dict[int, str] = {}
        for exchange in exchanges:
            spoken[exchange.index] = found = spoken_in(exchange)
            counts = self.representations.setdefault(found, dict.fromkeys(_TALLIES, 0))
            counts["exchanges"] += 1
        for violation in violations:
            found = spoken.get(violation.index, "none")
            counts = self.representations.setdefault(found, dict.fromkeys(_TALLIES, 0))
            counts["errors" if violation.severity == "error" else "warnings"] += 1

    @property
    def counts(self) -> dict[str, int]:
        counted = Counter(v.rule for v in self.violations)
        return {rule: counted[rule] for rule in RULES if counted[rule]}


def as_json(result: Result) -> str:
    """The ``check`` JSON document, one violation per line: json's C encoder writes each
    (an ``indent`` would send the whole document through its pure-Python encoder, which
    costs more than checking a corpus)."""
    head = {"exchanges": result.exchanges, "cassettes": result.cassettes}
    tail = {
        "representations": result.representations,
        "counts": result.counts,
        "contract": {
            "source": result.contract,
            "schema": result.schema,
            "schema_checks": result.schema_checks,
        },
    }
    encode = json.JSONEncoder(ensure_ascii=True, separators=(", ", ": ")).encode
    lines = [f"  {encode(key)}: {encode(value)}," for key, value in head.items()]
    if result.violations:
        lines.append('  "violations": [')
        lines.append(",\n".join(f"    {encode(shown(v).as_json())}" for v in result.violations))
        lines.append("  ],")
    else:
        lines.append('  "violations": [],')
    lines.extend(f"  {encode(key)}: {encode(value)}," for key, value in tail.items())
    lines[-1] = lines[-1].rstrip(",")
    return "{\n" + "\n".join(lines) + "\n}"


def as_text(result: Result) -> str:
    lines: list[str] = []
    by_rule: dict[str, list[Violation]] = {}
    for violation in result.violations:
        by_rule.setdefault(violation.rule, []).append(violation)
    for rule_id in RULES:
        found = by_rule.get(rule_id)
        if not found:
            continue
        errors = sum(1 for v in found if v.severity == "error")
        kinds = ", ".join(
            part
            for part in (
                f"{errors} error(s)" if errors else "",
                f"{len(found) - errors} warning(s)" if len(found) > errors else "",
            )
            if part
        )
        lines.append(f"{rule_id}: {RULES[rule_id].title} [{kinds}]")
        examples = sorted(found, key=lambda v: -v.severity.rank)[:EXAMPLES_PER_RULE]
        for violation in examples:  # errors first
            lines.extend(
                "  " + line
                for line in violation_lines(violation, cassette=True, skip=f"--ignore {rule_id}")
            )
        if len(found) > EXAMPLES_PER_RULE:
            lines.append(f"  ... and {len(found) - EXAMPLES_PER_RULE} more")
        lines.append("")
    errors = sum(1 for v in result.violations if v.severity == "error")
    warnings = len(result.violations) - errors
    if result.contract:
        if result.schema is None:
            schema = "no schema, so response.schema did not run (give --schema)"
        elif not result.schema_checks:
            schema = f"schema {result.schema} (response.schema not selected)"
        else:
            schema = f"schema {result.schema}"
        lines.append(f"contract: {result.contract}; {schema}")
    spoken = [
        f"{name.upper() if name in ('xml', 'json') else name} {counts['exchanges']} "
        f"exchange(s), {counts['errors']} error(s), {counts['warnings']} warning(s)"
        for name in ("xml", "json", "other", "none")
        if (counts := result.representations.get(name))
    ]
    if "json" in result.representations:  # XML alone: the line would say nothing new
        lines.append("by representation: " + "; ".join(spoken))
    lines.append(
        f"checked {result.exchanges} exchange(s) in {result.cassettes} cassette(s): "
        f"{errors} error(s), {warnings} warning(s)"
    )
    return "\n".join(lines)


@functools.lru_cache(maxsize=4096)
def shown_uri(uri: str) -> str:
    """A request URI as output may show it: no userinfo, secret query and matrix values
    (``;jsessionid``, ``?password=``) replaced, as a recording would have scrubbed them. A
    cassette made by another tool may hold them; a CI log must not."""
    from contracttest.scrub import ScrubConfig, scrub_uri

    return scrub_uri(uri, ScrubConfig())


def shown(v: Violation) -> Violation:
    """The violation as output shows it (``shown_uri``; what its message, expected and
    received quote without a secret a name gives away, as a recording would scrub it)."""
    from contracttest.scrub import ScrubConfig, scrub_free_text

    config = ScrubConfig()
    message, expected, received = (
        scrub_free_text(text, config) if text else text
        for text in (v.message, v.expected, v.received)
    )
    uri = shown_uri(v.uri)
    if (uri, message, expected, received) == (v.uri, v.message, v.expected, v.received):
        return v
    return v._replace(uri=uri, message=message, expected=expected, received=received)


def violation_lines(v: Violation, *, cassette: bool = False, skip: str = "") -> list[str]:
    """The one text form of a violation: what, where, against which RSDL link, expected and
    received, how to fix it, and how to accept it (``skip``, as the front door says it)."""
    v = shown(v)
    where = f"{v.cassette}#{v.index}" if cassette else f"#{v.index}"
    lines = [
        f"[{v.severity}] {v.rule}: {v.message}",
        f"  exchange:  {where} {v.method} {v.uri}",
        f"  RSDL link: {v.link or '(none: no link matches)'}",
    ]
    if v.xpath:
        lines.append(f"  at:        {v.xpath}")
    if v.expected:
        lines.append(f"  expected:  {v.expected}")
    if v.received:
        lines.append(f"  received:  {v.received}")
    rule = RULES.get(v.rule)
    reference = f"see {rule.reference}" if rule else ""
    lines.append(f"  fix:       {v.hint or (rule.title if rule else v.rule)} ({reference})")
    if skip:
        lines.append(f"  skip:      {skip}")
    return lines


def rule_reference(rule_id: str | None = None) -> str:
    """The shipped rule reference: every rule in one line each, or one rule's section."""
    if rule_id is None:
        width = max(len(rule) for rule in RULES)
        lines = [
            f"{rule.id.ljust(width)}  {rule.severity:<7}  {rule.title}" for rule in RULES.values()
        ]
        lines.append("")
        lines.append("contracttest rules ID: a rule's description, what real engines do, the fix")
        return "\n".join(lines)
    from importlib import resources

    text = (resources.files("contracttest") / "rules.md").read_text(encoding="utf-8")
    heading = f"## {rule_id}\n"
    start = text.index(heading)
    end = text.find("\n## ", start + len(heading))
    return text[start : end if end >= 0 else len(text)].strip()


def contract_summary(contract: Contract, schema: Schema | None) -> dict[str, object]:
    methods = Counter(link.method for link in contract.links)
    summary: dict[str, object] = {
        "source": contract.source,
        "links": len(contract.links),
        "version": contract.version,
        "prefix": contract.prefix,
        "form": "served" if contract.served_form else "build-time",
        "methods": dict(sorted(methods.items())),
        "collections": list(contract.collections),
        "rels": list(contract.rels),
        "warnings": list(contract.warnings),
    }
    if schema is not None:
        summary["schema"] = {
            "source": schema.source,
            "elements": len(schema.elements),
            "complex_types": len(schema.complex_types),
            "simple_types": len(schema.simple_types),
        }
    return summary


def contract_text(summary: dict[str, object]) -> str:
    lines = [
        f"contract: {summary['source']}",
        f"  version: {summary['version'] or '(not stated: build-time form)'}",
        f"  prefix: {summary['prefix']} ({summary['form']} form)",
        f"  links: {summary['links']} {summary['methods']}",
    ]
    collections = summary["collections"]
    rels = summary["rels"]
    assert isinstance(collections, list) and isinstance(rels, list)
    lines.append(f"  top-level collections ({len(collections)}): {', '.join(collections)}")
    lines.append(f"  rels ({len(rels)}): {', '.join(rels)}")
    schema = summary.get("schema")
    if isinstance(schema, dict):
        lines.append(
            f"  schema: {schema['source']}: {schema['elements']} elements, "
            f"{schema['complex_types']} complex types, {schema['simple_types']} simple types"
        )
    warnings = summary["warnings"]
    assert isinstance(warnings, list)
    if warnings:
        lines.append(f"  read leniently ({len(warnings)} defect(s) in the document):")
        lines.extend(f"    {w}" for w in warnings)
    return "\n".join(lines)


def coverage_text(document: dict[str, Any]) -> str:
    """Contract coverage (its one JSON shape, ``coverage.Coverage.as_json``) as text: the
    overall figures, the collections exercised, least covered first, and those never
    exercised; then the requests that reached no RSDL link."""
    return "\n".join(coverage_lines(document))


def coverage_lines(document: dict[str, Any], *, least: int | None = None) -> list[str]:
    """``coverage_text``'s lines; with ``least``, the compact table that ends a pytest run:
    the overall figures and that many collections, least covered first (the run's summary
    says the rest)."""
    lines = []
    if document.get("contract") and least is None:
        lines.append(f"contract: {document['contract']}")
    lines.append(
        f"coverage: {document['exercised']} of {document['links']} links exercised "
        f"({document['percent']}%), {document['parameter_sets_exercised']} of "
        f"{document['parameter_sets']} parameter sets ({document['parameter_sets_percent']}%)"
    )
    outside = document["unmatched_exchanges"]
    away = document.get("outside_api_exchanges", 0)
    if least is None:
        lines.append(
            f"  {document['exchanges']} exchange(s) in {document['cassettes']} cassette(s), "
            f"{document['violations']} violation(s)"
            + (f"; {outside} reached no RSDL link" if outside else "")
            + (f"; {away} outside the API (logins)" if away else "")
        )
    collections = document["collections"]
    touched = sorted(
        (c for c in collections if c["exercised"]), key=lambda c: (c["percent"], c["name"])
    )
    untouched = [c["name"] for c in collections if not c["exercised"]]
    if touched:
        listed = touched if least is None else touched[:least]
        heading = "least covered collections" if least is not None else "collections"
        lines.append(f"  {heading} (exercised/links):")
        width = max(len(c["name"]) for c in listed)
        for c in listed:
            figure = f"{c['exercised']}/{c['links']}".rjust(7) + f"  {c['percent']:5.1f}%"
            problems = f"  {c['violations']} violation(s)" if c["violations"] else ""
            lines.append(f"    {c['name'].ljust(width)}  {figure}{problems}")
        if len(listed) < len(touched):
            lines.append(f"    ... and {len(touched) - len(listed)} more")
    if untouched:
        names = ", ".join(untouched[:8]) + (", ..." if len(untouched) > 8 else "")
        lines.append(f"  {len(untouched)} collection(s) not exercised at all: {names}")
    if least is None:
        unmatched = document["unmatched"]
        for u in unmatched[:UNMATCHED_SHOWN]:
            lines.append(f"  no RSDL link: {u['method']} {u['path']} ({u['count']})")
        if len(unmatched) > UNMATCHED_SHOWN:
            lines.append(f"  ... and {len(unmatched) - UNMATCHED_SHOWN} more paths (see --json)")
    elif outside:
        lines.append(f"  {outside} exchange(s) reached no RSDL link")
    return lines

"""Rendering results: violations grouped by rule as text, or the JSON document."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

from contracttest.rsdl import Contract
from contracttest.rules import RULES, Violation
from contracttest.schema import Schema

EXAMPLES_PER_RULE = 3


@dataclass
class Result:
    """What one ``check`` run found."""

    exchanges: int = 0
    cassettes: int = 0
    violations: list[Violation] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        counted = Counter(v.rule for v in self.violations)
        return {rule: counted[rule] for rule in RULES if counted[rule]}


def as_json(result: Result) -> str:
    return json.dumps(
        {
            "exchanges": result.exchanges,
            "cassettes": result.cassettes,
            "violations": [v.as_json() for v in result.violations],
            "counts": result.counts,
        },
        indent=2,
    )


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
            lines.extend(_example(violation))
        if len(found) > EXAMPLES_PER_RULE:
            lines.append(f"  ... and {len(found) - EXAMPLES_PER_RULE} more")
        lines.append(f"  reference: {RULES[rule_id].reference}; skip with --ignore {rule_id}")
        lines.append("")
    errors = sum(1 for v in result.violations if v.severity == "error")
    warnings = len(result.violations) - errors
    lines.append(
        f"checked {result.exchanges} exchange(s) in {result.cassettes} cassette(s): "
        f"{errors} error(s), {warnings} warning(s)"
    )
    return "\n".join(lines)


def _example(v: Violation) -> list[str]:
    out = [f"  {v.severity}: {v.cassette}#{v.index} {v.method} {v.uri}"]
    if v.link:
        out.append(f"    link: {v.link}")
    out.append(f"    {v.message}")
    if v.xpath:
        out.append(f"    at: {v.xpath}")
    if v.expected or v.received:
        out.append(f"    expected: {v.expected or '-'}; received: {v.received or '-'}")
    if v.hint:
        out.append(f"    fix: {v.hint}")
    return out


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

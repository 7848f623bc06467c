"""The representation rules: the schema rule (field by field against the XSD type) and
the href rule (every href resolves, in its place; the logic is in ``checks.hrefs``).

Both read one walk of the body (``checks.walk``), made once per distinct body. Schema
problems are folded: the same problem at the same schema position is reported once per
exchange, with a count.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from contracttest.checks.context import Context
from contracttest.checks.walk import SchemaProblems, walk_of
from contracttest.rules import Finding, Severity
from contracttest.schema import Schema


def check_schema(ctx: Context) -> Sequence[Finding]:
    walk = walk_of(ctx)
    if walk is None or walk.schema is None:
        return ()
    found = walk.findings.get("schema")
    if found is None:  # once per distinct walk: identical bodies share it
        found = walk.findings["schema"] = tuple(_findings(walk.schema, walk.schema_problems))
    return found


def check_hrefs(ctx: Context) -> Sequence[Finding]:
    walk = walk_of(ctx)
    if walk is None:
        return ()
    found = walk.findings.get("hrefs")
    if found is None:  # once per distinct walk: identical bodies share it
        found = walk.findings["hrefs"] = tuple(walk.hrefs.findings())
    return found


def _findings(schema: Schema, problems: SchemaProblems) -> Iterator[Finding]:
    """The findings of a walk's schema problems; what they say (all but where) is made once
    per schema and problem, as the same problems come in body after body."""
    said: dict[tuple[str, str, str, str, int], Finding] = schema.__dict__.setdefault("_said", {})
    tree = None
    for (owner, name, kind), seen in problems.items():
        tree = tree or seen.element.getroottree()
        key = (owner, name, kind, seen.detail, seen.count)
        finding = said.get(key)
        if finding is None:
            more = f" ({seen.count} times)" if seen.count > 1 else ""
            finding = _schema_finding(schema, owner, name, kind, seen.detail, "", more)
            if len(said) < _SAID and len(seen.detail) <= _SAID_DETAIL:
                said[key] = finding
        yield _new(Finding, (finding[0], finding[1], tree.getpath(seen.element), *finding[3:]))


#: How many findings' words a schema remembers, and the longest value they may quote.
_SAID = 4096
_SAID_DETAIL = 256
_new = tuple.__new__


def _schema_finding(
    schema: Schema, owner: str, name: str, kind: str, detail: str, xpath: str, more: str
) -> Finding:
    ctype = schema.complex_types[owner]
    if kind == "unknown":
        return Finding(
            "response.schema",
            f"<{name}> is not an element of {owner} in the XSD{more}",
            xpath=xpath,
            expected=f"one of {owner}'s elements",
            received=f"<{name}>",
            hint="an element of a neighbouring engine version; check the contract version",
            severity=Severity.WARNING,
        )
    if kind == "attribute":
        known = ", ".join(sorted(ctype.attributes)) or "none"
        return Finding(
            "response.schema",
            f"attribute {name[1:]!r} is not an attribute of {owner}{more}",
            xpath=xpath,
            expected=f"attributes: {known}",
            received=f"{name[1:]}={detail!r}",
            hint="only id and href are attributes of entities; send it as an element",
        )
    if name.startswith("@"):
        declared = ctype.attributes[name[1:]].type
    elif name == "text()":
        declared = ctype.text_type or "xs:string"
    else:
        declared = ctype.children[name].type
    shown = detail if len(detail) <= 60 else detail[:57] + "..."
    return Finding(
        "response.schema",
        f"{name} of {owner} holds {shown!r}, not a valid {declared}{more}",
        xpath=xpath,
        expected=_expected(schema, declared),
        received=shown,
    )


def _expected(schema: Schema, declared: str) -> str:
    check = schema.value_check(declared)
    return (check("\x00") or declared) if check is not None else declared

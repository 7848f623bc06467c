"""The rule catalogue and the values checks produce.

A rule is data: a stable id (part of the public interface), a default severity, a title and
its reference entry in ``rules.md``, shipped in the package (``contracttest rules ID``). A
check yields ``Finding`` values; the checker turns
them into ``Violation`` values carrying where they happened (cassette, interaction, request,
RSDL link). Both are frozen and compare equal for the same problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple


class Severity(StrEnum):
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return 1 if self is Severity.WARNING else 2


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    severity: Severity
    title: str

    @property
    def reference(self) -> str:
        return f"contracttest rules {self.id}"


_E, _W = Severity.ERROR, Severity.WARNING

RULES: dict[str, Rule] = {
    rule.id: rule
    for rule in (
        Rule("link.undocumented", _E, "No RSDL link for the method and path"),
        Rule("request.header.required", _E, "A header the RSDL requires is missing"),
        Rule("request.body.type", _E, "The request body is not the declared type"),
        Rule("request.parameters.required", _E, "The body satisfies none of the parameter sets"),
        Rule("request.url.parameter", _E, "Unknown or mistyped URL parameter"),
        Rule("response.status", _E, "Status not what the engine answers for this link"),
        Rule("response.content-type", _E, "XML body without an XML content type"),
        Rule("response.body.type", _E, "The response body is not the declared type"),
        Rule("response.schema", _E, "The representation does not match its XSD type"),
        Rule("response.fault", _E, "An error status without a <fault> body"),
        Rule("response.href", _E, "An href, id, link or action that does not resolve"),
        Rule("response.location", _E, "A 201 without a Location equal to the entity's href"),
        Rule("state.use-after-delete", _E, "An entity found after its successful DELETE"),
        Rule("state.created-not-found", _E, "An entity not found after its creation"),
        Rule("json.root-wrapper", _E, "A JSON body wrapped in its root element's name"),
        Rule("json.scalar", _E, "A JSON value of another kind than the engine writes"),
        Rule("json.null", _E, "A JSON null where the engine leaves the key out"),
        Rule("json.shape", _E, "A JSON array, object or value where the XSD has another"),
        Rule("body.unreadable", _W, "A body in a format the checks cannot read"),
    )
}


class Finding(NamedTuple):
    """What a check found, before the checker says where: a rule id and the particulars."""

    rule: str
    message: str
    xpath: str = ""
    expected: str = ""
    received: str = ""
    hint: str = ""
    severity: Severity | None = None  # None: the rule's default


class Violation(NamedTuple):
    """One problem in one exchange: a frozen value, equal for the same problem.

    A named tuple rather than a frozen dataclass: a failing run makes thousands, and a tuple
    is built several times faster.
    """

    rule: str
    severity: Severity
    cassette: str
    index: int  # type: ignore[assignment]  # the interaction's index; shadows tuple.index
    method: str
    uri: str
    link: str  # "GET /ovirt-engine/api/vms/{vm:id} (get)", or "" when no link matched
    xpath: str
    message: str
    expected: str = ""
    received: str = ""
    hint: str = ""

    def as_json(self) -> dict[str, object]:
        """The one JSON shape of a violation, for ``check --format json``, the plugin's
        report and whatever reads them: every field, by name."""
        return {
            "rule": self.rule,
            "severity": str(self.severity),
            "cassette": self.cassette,
            "index": self.index,
            "method": self.method,
            "uri": self.uri,
            "link": self.link,
            "xpath": self.xpath,
            "message": self.message,
            "expected": self.expected,
            "received": self.received,
            "hint": self.hint,
        }


def suggest(name: str, known: list[str] | tuple[str, ...]) -> str:
    """`` (did you mean 'x'?)`` for a near miss among ``known``, else ''."""
    import difflib

    close = difflib.get_close_matches(name, known, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""

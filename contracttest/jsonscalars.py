"""How ``jsontree.Reader`` reads one JSON scalar: the XML text it stands for, and a note
when its JSON kind is not the one the engine writes for its XSD type (``json.scalar``);
and how a string is escaped in the XML text the reader writes."""

from __future__ import annotations

import re

from contracttest.jsonmodel import Kind, date_text, number_text
from contracttest.rules import Severity


class Notes:
    """What the halves of ``jsontree.Reader`` need of it: ``request``, and ``note`` to
    record a departure from the engine's conventions."""

    request: bool

    def note(
        self,
        rule: str,
        where: str,
        what: str,
        message: str,
        *,
        expected: str = "",
        received: str = "",
        hint: str = "",
        severity: Severity | None = None,
    ) -> None:
        raise NotImplementedError


class Scalars(Notes):
    """The scalar half of ``jsontree.Reader``."""

    def _scalar(self, item: object, kind: Kind, where: str) -> str:
        """The XML text of a scalar, noting a JSON kind the engine would not write."""
        request = self.request
        if isinstance(item, bool):
            text = "true" if item else "false"
            if kind is Kind.BOOLEAN:
                self._literal(where, kind, "a boolean literal", f'"{text}"', text)
            else:
                self._literal(where, kind, "a boolean literal", f"a {kind} value", text)
            return text
        if isinstance(item, int | float):
            text = number_text(item)
            if kind is Kind.DATE:
                return date_text(item) or text
            if kind is Kind.NUMBER:
                return text
            if kind is Kind.LONG:
                self.note(
                    "json.scalar",
                    where,
                    "long",
                    "a 64-bit integer written as a JSON number, as engines before 4.2.3 did; "
                    "4.2.3 and later write a string",
                    expected=f'"{text}"',
                    received=text,
                    hint=f'write "{text}" (a string), as current engines do',
                    severity=Severity.WARNING,
                )
                return text
            self._literal(where, kind, "a JSON number", f'"{text}"', text)
            return text
        text = str(item)
        if kind in (Kind.NUMBER, Kind.DATE):
            shown = "milliseconds since 1970" if kind is Kind.DATE else "a JSON number"
            self.note(
                "json.scalar",
                where,
                str(kind),
                f"a {kind} written as a string; the engine writes {shown}",
                expected=shown,
                received=f'"{text[:60]}"',
                hint=f"write {shown}",
                severity=Severity.WARNING if request else None,
            )
        return text

    def _literal(self, where: str, kind: Kind, what: str, expected: str, text: str) -> None:
        self.note(
            "json.scalar",
            where,
            f"{what}:{kind}",
            f"{what} where the engine writes a string ({kind})",
            expected=expected,
            received=text,
            hint=f"write {expected}: the engine's JSON has strings for {kind} values"
            + ("; it accepts the literal in a request" if self.request else ""),
            severity=Severity.WARNING if self.request else None,
        )


#: What text or an attribute value cannot hold as it is: markup, and characters XML 1.0
#: cannot hold at all (replaced by U+FFFD, as the engine's own rendering does).
_TEXT_SPECIAL = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ATTRIBUTE_SPECIAL = re.compile('[&<>"\t\n\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]')
_ESCAPES = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    '"': "&quot;",
    "\t": "&#9;",
    "\n": "&#10;",
    "\r": "&#13;",
}


def _escaped(text: str, special: re.Pattern[str]) -> str:
    return special.sub(lambda m: _ESCAPES.get(m.group(), "\ufffd"), text)


def escape_text(text: str) -> str:
    return text if _TEXT_SPECIAL.search(text) is None else _escaped(text, _TEXT_SPECIAL)


def escape_attribute(text: str) -> str:
    return text if _ATTRIBUTE_SPECIAL.search(text) is None else _escaped(text, _ATTRIBUTE_SPECIAL)


def same(text: str) -> str:
    return text


#: What a JSON body holds when one of its strings may need escaping in XML: markup
#: characters, or a JSON escape (a quote, a control character). Most bodies have none.
MAY_NEED_ESCAPES = (b"&", b"<", b">", b"\\")

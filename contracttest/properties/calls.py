"""The API calls an example made, and the two ways a failure shows them.

``CallLog`` keeps every call (method, path, query, body, the status received and the
statuses expected) and the variables the ids of created entities are bound to. ``lines``
lists them for a person; ``as_test`` writes a pytest test using the ``ovirt_engine`` fixture
that makes the same calls, ids taken from the answers that created them, and asserts what the
broken promise expected.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_IDENTIFIER = re.compile(r"[^0-9A-Za-z_]")


@dataclass(frozen=True)
class Call:
    method: str
    path: str  # relative to the API ("vms/<id>")
    query: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    expect: str | None = None  # the Expect header (adds: 201-created)
    credentials: bool = True
    status: int = 0
    expected: tuple[int, ...] = ()
    binds: str | None = None  # the variable the answer's id is bound to
    version: int = 4


class CallLog:
    """The calls of one example, after the calls of the run that prepared it (``preface``)."""

    def __init__(self, preface: CallLog | None = None) -> None:
        self.preface = preface
        self.calls: list[Call] = []
        self.names: dict[str, str] = {}  # id -> variable
        self._counts: dict[str, int] = {}

    def record(self, call: Call) -> None:
        self.calls.append(call)

    def bind(self, entity_id: str, tag: str) -> str:
        """The variable the id of a new ``tag`` entity is known by (``vm_1``)."""
        known = self.variables().get(entity_id)
        if known is not None:
            return known
        stem = _IDENTIFIER.sub("_", tag) or "entity"
        count = self._counts[stem] = self._counts.get(stem, 0) + 1
        name = f"{stem}_{count}"
        while name in self.variables().values():
            count = self._counts[stem] = count + 1
            name = f"{stem}_{count}"
        self.names[entity_id] = name
        return name

    def variables(self) -> dict[str, str]:
        found = dict(self.preface.variables()) if self.preface is not None else {}
        found.update(self.names)
        return found

    def everything(self) -> list[Call]:
        earlier = self.preface.everything() if self.preface is not None else []
        return [*earlier, *self.calls]

    # -- for a person ------------------------------------------------------------------

    def shown(self, text: str) -> str:
        """``text`` with the ids of created entities shown as their variables (``<vm_1>``)."""
        return _substituted(text, self.variables())

    def lines(self) -> list[str]:
        names = self.variables()
        shown = []
        for n, call in enumerate(self.everything(), 1):
            target = _substituted(call.path, names)
            if call.query:
                target += "?" + "&".join(f"{k}={v}" for k, v in call.query)
            line = f"{n:3}. {call.method} {target}"
            if not call.credentials:
                line += " (no credentials)"
            if call.body:
                body = call.body.decode("utf-8", "replace")
                line += f"  {_substituted(body, names)}"
            expected = " or ".join(str(s) for s in call.expected)
            line += f"  -> {call.status}"
            if expected and call.status not in call.expected:
                line += f" (expected {expected})"
            if call.binds:
                line += f"  [{call.binds}]"
            shown.append(line)
        return shown

    # -- for pytest --------------------------------------------------------------------

    def as_test(self, name: str, promise: str, detail: str, check: str | None = None) -> str:
        """A pytest test that makes these calls through the ``ovirt_engine`` fixture."""
        names = self.variables()
        calls = self.everything()
        doc = f"{promise}: {detail}".replace('"""', "'''").replace("\\", "\\\\")
        out = [
            f"def {_test_name(name)}(ovirt_engine):",
            f'    """{doc}"""',
            "    client = ovirt_engine.client",
        ]
        if any(not call.credentials for call in calls):
            out.insert(0, "from contracttest.client import Client\n\n")
            version = next(call.version for call in calls if not call.credentials)
            out.append(
                f'    anonymous = Client(ovirt_engine.url, "", None, version={version}, keep=False)'
            )
        for call in calls:
            out.extend(_call_lines(call, names))
        if check:
            out.append(f"    assert {check}")
        return "\n".join(out) + "\n"


def _call_lines(call: Call, names: dict[str, str]) -> list[str]:
    who = "client" if call.credentials else "anonymous"
    arguments = [repr(call.method), _literal(call.path, names)]
    if call.body is not None:
        arguments.append(_literal(call.body.decode("utf-8", "replace"), names))
    if call.query:
        pairs = ", ".join(f"{k!r}: {_literal(v, names)}" for k, v in call.query)
        arguments.append(f"query={{{pairs}}}")
    if call.expect:
        arguments.append(f"expect={call.expect!r}")
    lines = [f"    reply = {who}.request({', '.join(arguments)})"]
    expected = call.expected or (call.status,)
    if len(expected) == 1:
        lines.append(f"    assert reply.status == {expected[0]}, reply.body")
    else:
        lines.append(f"    assert reply.status in {expected!r}, reply.body")
    if call.binds:
        lines.append(f'    {call.binds} = reply.root.get("id")')
    return lines


def _literal(text: str, names: dict[str, str]) -> str:
    """``text`` as a Python literal: an f-string where it holds ids bound to variables."""
    if not any(entity_id in text for entity_id in names):
        return repr(text)
    out = []
    for literal, variable in _split(text, names):
        if variable is not None:
            out.append("{" + variable + "}")
            continue
        out.append(
            literal.replace("\\", "\\\\")
            .replace('"', '\\"')
            .replace("\n", "\\n")
            .replace("\r", "\\r")
            .replace("\t", "\\t")
            .replace("{", "{{")
            .replace("}", "}}")
        )
    return 'f"' + "".join(out) + '"'


def _substituted(text: str, names: dict[str, str]) -> str:
    return "".join(
        literal if variable is None else f"<{variable}>"
        for literal, variable in _split(text, names)
    )


def _split(text: str, names: dict[str, str]) -> Iterable[tuple[str, str | None]]:
    if not names:
        yield text, None
        return
    pattern = re.compile("|".join(re.escape(i) for i in sorted(names, key=len, reverse=True)))
    last = 0
    for match in pattern.finditer(text):
        if match.start() > last:
            yield text[last : match.start()], None
        yield "", names[match.group(0)]
        last = match.end()
    if last < len(text):
        yield text[last:], None


def _test_name(name: str) -> str:
    cleaned = _IDENTIFIER.sub("_", name).strip("_").lower()
    return cleaned if cleaned.startswith("test_") else f"test_{cleaned}"

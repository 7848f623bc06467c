"""The checker: runs every selected check over every exchange of a cassette.

Data flow: a ``Cassette`` (exchanges) and a ``Contract`` (+ optional ``Schema``) go in;
for each exchange a ``Context`` routes the request and parses each body at most once; the
checks registered in ``contracttest.checks`` yield findings; the checker stamps them with
where they happened and returns ``Violation`` values. Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Iterable

from contracttest.checks import CHECKS, CassetteState, Context, Memo
from contracttest.checks.walk import compiled_type
from contracttest.errors import ContractTestError
from contracttest.exchange import Cassette, Exchange
from contracttest.rsdl import Contract
from contracttest.rules import RULES, Violation
from contracttest.schema import Schema


class UnknownRule(ContractTestError, ValueError):
    """A rule id that is not in the catalogue; the message suggests the nearest one."""


def resolve_rules(select: Iterable[str] = (), ignore: Iterable[str] = ()) -> tuple[str, ...]:
    """The rule ids to run: ``select`` (all when empty) minus ``ignore``; prefixes allowed.

    ``--select response`` selects every ``response.*`` rule.
    """
    chosen = [_expand(name) for name in select] or [list(RULES)]
    dropped = {rule for name in ignore for rule in _expand(name)}
    selected = {rule for group in chosen for rule in group}
    return tuple(rule for rule in RULES if rule in selected and rule not in dropped)


def _expand(name: str) -> list[str]:
    matched = [rule for rule in RULES if rule == name or rule.startswith(name + ".")]
    if not matched:
        from contracttest.rules import suggest

        raise UnknownRule(f"unknown rule {name!r}{suggest(name, list(RULES))}")
    return matched


def compile_contract(contract: Contract, schema: Schema | None = None) -> None:
    """Compile once, up front: the router's trie and every XSD type's check tables.

    Both are cached on the objects, so every checker of the same contract shares them.
    """
    contract.router  # noqa: B018 - a cached property: builds the trie
    if schema is not None:
        for type_name in schema.complex_types:
            compiled_type(schema, type_name)


class Checker:
    """Checks exchanges against one contract (and, when given, its entity schema)."""

    def __init__(
        self,
        contract: Contract,
        schema: Schema | None = None,
        rules: Iterable[str] | None = None,
        *,
        reuse: bool = True,
    ) -> None:
        """``reuse=False`` parses and walks every body afresh (for measuring)."""
        self.contract = contract
        self.memo = Memo() if reuse else None
        self.schema = schema
        chosen = tuple(rules) if rules is not None else tuple(RULES)
        self._checks = [(rule, CHECKS[rule]) for rule in chosen]
        self._described: dict[int, str] = {}  # id(link) -> link.describe(); links live on
        compile_contract(contract, schema)

    def check_cassette(self, cassette: Cassette) -> list[Violation]:
        return self.check_exchanges(cassette.exchanges)

    def check_exchanges(self, exchanges: Iterable[Exchange]) -> list[Violation]:
        """Check exchanges in order, as one cassette (the state rules follow them)."""
        state = CassetteState()
        violations: list[Violation] = []
        for exchange in exchanges:
            violations.extend(self.check_exchange(exchange, state))
        return violations

    def check_exchange(
        self, exchange: Exchange, state: CassetteState | None = None
    ) -> list[Violation]:
        ctx = Context(exchange, self.contract, self.schema, state or CassetteState(), self.memo)
        findings = [finding for _, check in self._checks for finding in check(ctx)]
        if not findings:
            return []
        # What every violation of this exchange shares, looked up once.
        where = (exchange.cassette, exchange.index, exchange.request.method, exchange.request.uri)
        link = self._describe(ctx)
        return [
            Violation(
                f.rule,
                f.severity or RULES[f.rule].severity,
                *where,
                link,
                f.xpath,
                f.message,
                f.expected,
                f.received,
                f.hint,
            )
            for f in findings
        ]

    def _describe(self, ctx: Context) -> str:
        link = ctx.link
        if link is None:
            return ""
        described = self._described.get(id(link))
        if described is None:
            described = self._described[id(link)] = link.describe()
        return described

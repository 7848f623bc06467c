"""The checker: runs every selected check over every exchange of a cassette.

Data flow: a ``Cassette`` (exchanges) and a ``Contract`` (+ optional ``Schema``) go in;
for each exchange a ``Context`` routes the request and parses each body at most once; the
checks registered in ``contracttest.checks`` yield findings; the checker stamps them with
where they happened and returns ``Violation`` values. Nothing here does I/O.

What a checker remembers between exchanges (parsed bodies, walks and the findings of
identical exchanges in its memo; the router's memos; the compiled schema) changes speed,
never verdicts: ``check_exchange(exchange)`` gives the same violations whatever was checked
before, because every memoised result is keyed by everything it depends on. The v4 model
asked about the v3 answers of 4.x engines (``checks.fallback``) is passed in: by default the
bundled v4 RSDL, read only if an href needs it.
"""

from __future__ import annotations

from collections.abc import Iterable

from contracttest.checks import CHECKS, STATE_RULES, CassetteState, Context, Memo
from contracttest.checks.fallback import BUNDLED, V4Model
from contracttest.checks.state import record as record_state
from contracttest.checks.walk import compiled_type
from contracttest.errors import ContractTestError
from contracttest.exchange import Cassette, Exchange
from contracttest.rsdl import Contract, Link
from contracttest.rules import RULES, Finding, Violation
from contracttest.schema import Schema

#: Each rule's default severity, for findings that do not name theirs.
_SEVERITIES = {rule.id: rule.severity for rule in RULES.values()}


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
    """Checks exchanges against one contract (and, when given, its entity schema).

    What it checks against (contract, schema, v4 model, rules) is fixed when it is made: the
    verdicts it remembers are its own.
    """

    def __init__(
        self,
        contract: Contract,
        schema: Schema | None = None,
        rules: Iterable[str] | None = None,
        *,
        reuse: bool = True,
        v4: V4Model | Contract | None = BUNDLED,
    ) -> None:
        """``reuse=False`` parses and walks every body afresh (for measuring).

        ``v4``: the v4 model a 4.x engine's v3 answers may show (a ``V4Model``, or a
        ``Contract``); by default the bundled v4 RSDL, loaded on first need; None: none.
        """
        self._contract = contract
        self._schema = schema
        self._v4 = V4Model(v4) if isinstance(v4, Contract) else v4
        self._memo = Memo() if reuse else None
        chosen = tuple(rules) if rules is not None else tuple(RULES)
        self._rules = chosen
        #: The checks of one exchange alone, then those that follow a cassette (run last).
        self._alone = [CHECKS[rule] for rule in chosen if rule not in STATE_RULES]
        self._in_order = [CHECKS[rule] for rule in chosen if rule in STATE_RULES]
        #: id(link) -> (link, link.describe()): the link is kept, so its id is never reused
        self._described: dict[int, tuple[Link, str]] = {}
        compile_contract(contract, schema)

    @property
    def contract(self) -> Contract:
        return self._contract

    @property
    def schema(self) -> Schema | None:
        return self._schema

    @property
    def v4(self) -> V4Model | None:
        return self._v4

    @property
    def memo(self) -> Memo | None:
        return self._memo

    @property
    def rules(self) -> tuple[str, ...]:
        return self._rules

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
        """The violations of one exchange (``state``: what its cassette did before it).

        The checks of the exchange alone are a function of what it holds (``verdict_key``):
        an identical exchange met before (polling, replays) reuses their findings. The state
        rules always run, on the exchange itself.
        """
        ctx: Context | None = None
        findings: list[Finding] = []
        link = ""
        if self._alone:
            memo = self._memo
            key = verdict_key(exchange) if memo is not None else None
            found = memo.result(key) if memo is not None and key is not None else Memo.MISSING
            if found is Memo.MISSING:
                ctx = self._context(exchange, state)
                for check in self._alone:
                    findings.extend(check(ctx))
                link = self._describe(ctx)
                if memo is not None and key is not None:
                    memo.store(key, (tuple(findings), link), _verdict_size(exchange))
            else:
                assert isinstance(found, tuple)
                remembered, link = found
                findings.extend(remembered)
        if self._in_order:
            if ctx is None:
                ctx = self._context(exchange, state)
                link = self._describe(ctx)
            for check in self._in_order:
                findings.extend(check(ctx))
            record_state(ctx)
        if not findings:
            return []
        # What every violation of this exchange shares, looked up once; a failing run makes
        # thousands of violations, so each is one tuple built in place.
        request = exchange.request
        where = (exchange.cassette, exchange.index, request.method, request.uri, link)
        new, severities = tuple.__new__, _SEVERITIES
        return [
            new(
                Violation,
                (
                    rule,
                    severity or severities[rule],
                    *where,
                    xpath,
                    message,
                    expected,
                    received,
                    hint,
                ),
            )
            for rule, message, xpath, expected, received, hint, severity in findings
        ]

    def _context(self, exchange: Exchange, state: CassetteState | None) -> Context:
        return Context(
            exchange, self._contract, self._schema, state or CassetteState(), self._memo, self._v4
        )

    def _describe(self, ctx: Context) -> str:
        link = ctx.link
        if link is None:
            return ""
        found = self._described.get(id(link))
        if found is None or found[0] is not link:
            found = self._described[id(link)] = (link, link.describe())
        return found[1]


def verdict_key(exchange: Exchange) -> tuple[object, ...]:
    """Everything of an exchange the checks of one exchange read, as a memo key.

    The whole request (method, URI, every header, body) and what of the response the checks
    read: status, body, ``Content-Type`` and ``Location`` (not ``Date`` and the like, which
    differ between otherwise identical answers and say nothing to any check). A check that
    comes to read more of an exchange must add it here; ``tests/test_order.py`` moves
    exchanges to other statuses, media types, places and headers to hold this to account.
    """
    request, response = exchange.request, exchange.response
    headers = response.headers
    return (
        "exchange",
        request.method,
        request.uri,
        tuple(request.headers.items()),
        request.body,
        response.status,
        response.body,
        headers.get("content-type"),
        headers.get("location"),
    )


def _verdict_size(exchange: Exchange) -> int:
    request, response = exchange.request, exchange.response
    return len(request.uri) + len(request.body) + len(response.body)

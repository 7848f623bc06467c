"""contracttest: keep clients and servers of the oVirt engine REST API honest.

The public surface::

    load_contract(source)            -> Contract      (RSDL, file path or URL)
    load_schema(source)              -> Schema        (the entity XSD)
    load_cassette(path)              -> Cassette      (vcrpy YAML)
    Checker(contract, schema)        .check_cassette(cassette) -> list[Violation]
    RULES                            the rule catalogue, by id

Errors (all derive from ``ContractTestError``; each names the file and the problem)::

    ContractTestError
    ├── ContractError     an RSDL or XSD that cannot be read
    └── CassetteError     a cassette that cannot be read
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from contracttest.cassette import load_cassette
    from contracttest.checker import Checker
    from contracttest.errors import CassetteError, ContractError, ContractTestError
    from contracttest.exchange import Cassette, Exchange, Request, Response
    from contracttest.loading import load_contract, load_schema
    from contracttest.rsdl import Contract, Link
    from contracttest.rules import RULES, Rule, Severity, Violation
    from contracttest.schema import Schema

__version__ = "0.1.0"

#: Where each public name lives. Imported on first use: pytest imports this package (through
#: the plugin's entry point) in every run of every project that has it installed, and a run
#: that does not use contracttest must not pay for lxml, YAML and the checks.
_HOMES = {
    "Checker": "checker",
    "CassetteError": "errors",
    "ContractError": "errors",
    "ContractTestError": "errors",
    "Cassette": "exchange",
    "Exchange": "exchange",
    "Request": "exchange",
    "Response": "exchange",
    "load_cassette": "cassette",
    "load_contract": "loading",
    "load_schema": "loading",
    "Contract": "rsdl",
    "Link": "rsdl",
    "RULES": "rules",
    "Rule": "rules",
    "Severity": "rules",
    "Violation": "rules",
    "Schema": "schema",
}


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'contracttest' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"contracttest.{home}"), name)
    globals()[name] = value
    return value


__all__ = [
    "RULES",
    "Cassette",
    "CassetteError",
    "Checker",
    "Contract",
    "ContractError",
    "ContractTestError",
    "Exchange",
    "Link",
    "Request",
    "Response",
    "Rule",
    "Schema",
    "Severity",
    "Violation",
    "load_cassette",
    "load_contract",
    "load_schema",
]

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

from contracttest.checker import Checker
from contracttest.errors import CassetteError, ContractError, ContractTestError
from contracttest.exchange import Cassette, Exchange, Request, Response
from contracttest.loading import load_contract, load_schema
from contracttest.rsdl import Contract, Link
from contracttest.rules import RULES, Rule, Severity, Violation
from contracttest.schema import Schema

if TYPE_CHECKING:
    from contracttest.cassette import load_cassette

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    """``load_cassette`` on first use: the YAML machinery stays unloaded until then."""
    if name == "load_cassette":
        from contracttest.cassette import load_cassette

        return load_cassette
    raise AttributeError(f"module 'contracttest' has no attribute {name!r}")


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

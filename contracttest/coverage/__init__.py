"""Contract coverage: what a set of exchanges exercised of a contract, link by link.

Data flow: a ``Resolver`` (``resolve``) finds each exchange's RSDL link through the contract's
router and the parameter sets its body satisfied; ``hit_of`` makes it a ``Hit`` with the
checker's violations of that exchange; a ``Tally`` (``tally``) counts hits per link, and has
a small JSON form that pytest-xdist workers send to their controller; ``build`` (``model``)
draws the ``Coverage`` map over the contract's ``catalogue_of`` links, a frozen value with one
JSON shape; ``html.render`` makes it a self-contained page. ``command`` is the only part that
reads files (``contracttest report``). Nothing but ``command`` does I/O.
"""

from __future__ import annotations

from contracttest.coverage.model import (
    Coverage,
    LinkInfo,
    build,
    catalogue_from_json,
    catalogue_json,
    catalogue_of,
)
from contracttest.coverage.resolve import LinkKey, Resolver
from contracttest.coverage.tally import Hit, Tally, hit_of

__all__ = [
    "Coverage",
    "Hit",
    "LinkInfo",
    "LinkKey",
    "Resolver",
    "Tally",
    "build",
    "catalogue_from_json",
    "catalogue_json",
    "catalogue_of",
    "hit_of",
]

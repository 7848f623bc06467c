"""The contract diff: what changed between two versions of an engine's contract, judged
from the side of a client written against the old one (issue 13, ``contracttest diff``).

::

    diff_contracts(old, new, old_schema, new_schema) -> tuple[Change, ...]
    CATALOGUE                  every change class by id: severity, title, why
    Change                     kind (class id), where, message; .id "kind:where", .severity
    parse_ignore(data, source) -> Ignore   an ignore file's entries (.split(changes))
    as_text, as_json, as_junit the three renderings

Everything here but ``command`` (the front door: loading, files, exit status) is pure: the
contract model in, values out. Names load on first use, so building the command line
(``command.add_arguments``) costs no XML library.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from contracttest.diff.catalogue import CATALOGUE, Change, ChangeClass, Severity, counts
    from contracttest.diff.compare import diff_contracts
    from contracttest.diff.ignore import Ignore, parse_ignore
    from contracttest.diff.render import as_json, as_junit, as_text

_HOMES = {
    "CATALOGUE": "catalogue",
    "Change": "catalogue",
    "ChangeClass": "catalogue",
    "Severity": "catalogue",
    "counts": "catalogue",
    "diff_contracts": "compare",
    "Ignore": "ignore",
    "parse_ignore": "ignore",
    "as_json": "render",
    "as_junit": "render",
    "as_text": "render",
}


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'contracttest.diff' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"contracttest.diff.{home}"), name)
    globals()[name] = value
    return value


__all__ = [
    "CATALOGUE",
    "Change",
    "ChangeClass",
    "Ignore",
    "Severity",
    "as_json",
    "as_junit",
    "as_text",
    "counts",
    "diff_contracts",
    "parse_ignore",
]

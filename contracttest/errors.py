"""What contracttest raises on purpose: one root, ``ContractTestError``, whose ``str()`` is
the one line a user reads. A command prints it as ``contracttest: error: <line>`` and exits
with status 2; a test fails with it and no traceback.

::

    ContractTestError               everything below; one line, never a secret
    ├── InputError                  a file or URL that cannot be used: "<source>: <problem>"
    │   ├── ContractError           an RSDL or XSD that cannot be read or fetched
    │   ├── CassetteError           a cassette that cannot be read
    │   └── StoreError              the embedded engine's data folder or database
    ├── UsageError                  a bad option, argument or setting
    │   └── UnknownDefect (engine)  a defect switch the embedded engine does not have
    ├── ClientError                 an engine that cannot be reached or refuses the login
    ├── ServeError (serve)          the embedded engine cannot start
    ├── EngineError (api)           an error status from the engine, with its <fault>
    ├── ReplayError (recording)     a request a replay cannot answer
    ├── UnknownRule (checker)       a rule id that is not in the catalogue (also ValueError)
    ├── XMLProblem (xmlsafe)        a body that is not safe, well-formed XML (also ValueError)
    ├── JSONProblem (jsonmodel)     a body that is not a JSON object (also ValueError)
    ├── BrokenPromise (properties)  a promise an engine broke (also AssertionError), one
    │                               subclass per promise name
    ├── Unsatisfiable (properties)  a link none of whose parameter sets can be satisfied
    └── SetupError (properties)     what a CRUD run needed to prepare could not be made

The embedded engine's own control flow (a fault to answer, a refused login, a request the
HTTP layer refuses) derives from the root too, and never leaves the engine.
"""

from __future__ import annotations


class ContractTestError(Exception):
    """Anything contracttest raises on purpose; ``str()`` is the one-line message."""


class InputError(ContractTestError):
    """A file or URL contracttest cannot use, named with what is wrong with it."""

    def __init__(self, source: str, problem: str) -> None:
        super().__init__(f"{source}: {problem}")
        self.source = source
        self.problem = problem


class ContractError(InputError):
    """An RSDL or XSD document that cannot be loaded."""


class CassetteError(InputError):
    """A cassette file that cannot be read."""


class StoreError(InputError):
    """The embedded engine's data folder or its SQLite database cannot be used."""


class UsageError(ContractTestError):
    """A bad option, argument or setting: exit status 2 (a usage error in pytest)."""


class ClientError(ContractTestError):
    """The engine could not be reached, or refused to log us in."""

"""The promises every oVirt engine owes its users, by stable name, and how a broken one fails.

``PROMISES`` is data: name -> what is promised, in plain words. A broken promise raises
``BrokenPromise`` (an ``AssertionError``, so pytest shows it as a failed assertion, and a
``ContractTestError``, like everything contracttest raises on purpose). Each promise has its
own subclass, so Hypothesis tells two broken promises apart while it shrinks and keeps the
one it found. The message says which promise, what was expected and received, then the API
calls of the example (the shrunk one, when Hypothesis raises it at the end) and a pytest test
that reproduces them.
"""

from __future__ import annotations

from contracttest.errors import ContractTestError

PROMISES: dict[str, str] = {
    "crud.add-created": "an add answers 201 with a Location that resolves (or 202, then the "
    "entity appears)",
    "crud.add-keeps-fields": "what an add sent is what a read of the new entity shows",
    "crud.listed": "a new entity is in its collection, found by its name, reachable by its href "
    "and by follow",
    "crud.update-changes-only-sent": "an update changes the fields it sent and leaves every other "
    "one as it was",
    "crud.delete-is-gone": "a deleted entity answers 404, is in no listing or search, and its "
    "sub-resources are gone",
    "crud.lifecycle": "an action moves the entity to its next state, and an action its state does "
    "not allow faults with 409",
    "crud.action-keeps-initialization": "the initialization given to an action is kept on the "
    "entity",
    "negative.required-parameter": "a body without a required parameter is refused with 400 and a "
    "fault naming it",
    "negative.invalid-value": "a value outside its XSD type or enumeration is refused with 400",
    "negative.unknown-id": "an id that names nothing answers 404",
    "negative.no-credentials": "a request without credentials answers 401",
    "negative.duplicate-name": "a duplicate name is refused with 409 every time where the engine "
    "refuses duplicates",
}


class BrokenPromise(ContractTestError, AssertionError):
    """A promise the engine broke: ``promise`` (its name), ``detail``, and the report."""

    promise = ""

    def __init__(self, detail: str, report: str = "") -> None:
        self.detail = detail
        self.report = report
        words = PROMISES.get(self.promise, "")
        text = f"{self.promise}: {detail}"
        if words:
            text += f"\n  promised: {words}"
        if report:
            text += f"\n{report}"
        super().__init__(text)


def _class_name(promise: str) -> str:
    words = promise.replace(".", "-").split("-")
    return "".join(word.capitalize() for word in words)


#: One subclass per promise (``CrudAddKeepsFields``...), so each is a failure of its own.
FAILURES: dict[str, type[BrokenPromise]] = {
    name: type(_class_name(name), (BrokenPromise,), {"promise": name, "__module__": __name__})
    for name in PROMISES
}


def broken(promise: str, detail: str, report: str = "") -> BrokenPromise:
    """The failure of ``promise`` (a name in ``PROMISES``)."""
    return FAILURES[promise](detail, report)

"""Something below an entity before it is deleted.

``crud.delete-is-gone`` promises that what hangs below a deleted entity (a VM's NICs, its
disk attachments) is gone with it: only an entity with something below it can show that, so
the delete rule sometimes adds one first, in a sub-collection the contract lets the run add
to, from the add link's required parameters.
"""

from __future__ import annotations

from hypothesis import strategies as st

from contracttest.properties.calls import CallLog
from contracttest.properties.shapes import Collection
from contracttest.properties.suite import CrudRun, minimal_body


def hang_below(
    run: CrudRun, log: CallLog, path: str, collection: Collection, data: st.DataObject
) -> str | None:
    """Maybe add one entity below the entity at ``path``; its path, or None (none drawn, no
    sub-collection to add to, or the engine did not create it: not this promise's concern)."""
    choices = [
        segment
        for segment in collection.subcollections
        if f"{collection.name}/{segment}" in run.surface.collections
    ]
    if not choices or not data.draw(st.booleans(), label="something below"):
        return None
    segment = data.draw(st.sampled_from(choices), label="below")
    spec = run.surface.collections[f"{collection.name}/{segment}"]
    body = minimal_body(run, spec.add, "ct-below")
    if body is None:
        return None
    reply = run.call(
        log, "POST", f"{path}/{segment}", body.xml, expected=(201, 202),
        expect="201-created", binds=spec.element,
    )  # fmt: skip
    new_id = reply.root.get("id") if reply.root is not None else None
    if reply.status not in (201, 202) or not new_id:
        return None
    return f"{path}/{segment}/{new_id}"

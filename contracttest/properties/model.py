"""The machine's model of an entity, and how a write changes it.

``Known`` is what should be true of one entity: its path, name, status and the fields the
engine was sent (by slot). ``applied`` is a write's effect as the promises read it: each
field sent replaces its slot, a list sent replaces the whole list, a reference everything
under its element; every other field stays. ``check_expression`` is the assertion a
reproduction ends with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from contracttest.client import Reply
from contracttest.properties.values import Field, Mismatch, Path, split_step


@dataclass
class Known:
    """The model of one entity: what should be true of it."""

    id: str
    path: str
    name: str | None
    fields: dict[Path, Field] = field(default_factory=dict)
    status: str | None = None


def applied(fields: dict[Path, Field], sent: tuple[Field, ...]) -> dict[Path, Field]:
    """The model's fields after a write sent ``sent``: each sent field replaces its slot; a
    list sent replaces the whole list, a reference everything under its element."""
    new = dict(fields)
    checked = [f for f in sent if f.checked]
    replaced: set[Path] = set()
    for leaf in checked:
        for i, step in enumerate(leaf.slot):
            if split_step(step)[1] > 1 or "[" in step:
                replaced.add((*leaf.slot[:i], split_step(step)[0]))
                break
        if leaf.refers is not None:
            replaced.add(leaf.slot)
    for slot in list(new):
        for root in replaced:
            head = len(root) - 1
            if (
                len(slot) > head
                and slot[:head] == root[:head]
                and split_step(slot[head])[0] == root[head]
            ):
                del new[slot]
                break
    for leaf in checked:
        new[leaf.slot] = leaf
    return new


def check_expression(mismatch: Mismatch) -> str:
    """The assertion a reproduction ends with, for the first field found wrong."""
    leaf = mismatch.field
    if leaf.refers is not None:
        return f'reply.root.find({"/".join(leaf.slot)!r}).get("id") == {leaf.refers.id!r}'
    *holder, last = leaf.path
    if last.startswith("@"):
        where = f"reply.root.find({'/'.join(holder)!r})" if holder else "reply.root"
        return f"{where}.get({last[1:]!r}) == {leaf.value!r}"
    return f"reply.root.findtext({'/'.join(leaf.path)!r}) == {leaf.value!r}"


def listed(reply: Reply) -> dict[str, Any]:
    if reply.root is None:
        return {}
    found: dict[str, Any] = {}
    for child in reply.root:
        entity_id = child.get("id") if isinstance(child.tag, str) else None
        if entity_id:
            found[entity_id] = child
    return found


def id_of(reply: Reply) -> str | None:
    return reply.root.get("id") if reply.root is not None else None

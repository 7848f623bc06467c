"""What clients send: bodies read safely, checked against the schema, references resolved.

Each problem is an engine fault: an unreadable body is 400 "Request syntactically
incorrect.", a value outside its XSD type 400 "Invalid value", a reference to nothing 400
"Operation Failed" / "Entity not found", a missing parameter 400 "Incomplete parameters".
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from contracttest.engine.model import EngineModel, Kind
from contracttest.errors import ContractTestError
from contracttest.parameters import closest_gap
from contracttest.rsdl import Link
from contracttest.xmlsafe import Element, XMLProblem, parse

SYNTAX = "Request syntactically incorrect."
#: Parts of a representation the engine computes: ignored when a client sends them back.
READ_ONLY = frozenset({"actions", "link", "status", "creation_status"})

#: (kind, id, name) -> the id of the referenced entity, or None when there is none.
Lookup = Callable[[Kind, str | None, str | None], str | None]


class Fault(ContractTestError):
    """An answer other than success: status, and the engine's reason and detail.

    ``body=False`` answers with no body at all (v4's 404, a bare 400 for a bad version).
    """

    def __init__(
        self,
        status: int,
        reason: str = "",
        detail: str = "",
        *,
        body: bool = True,
        headers: tuple[tuple[str, str], ...] = (),
    ) -> None:
        super().__init__(f"{status} {reason}: {detail}")
        self.status = status
        self.reason = reason
        self.detail = detail
        self.body = body
        self.headers = headers


def read_body(data: bytes, link: Link, model: EngineModel) -> Element:
    """The request's XML body as the link's body type, or a 400 fault."""
    if not data.strip():
        raise Fault(400, SYNTAX, f"{link.describe()} needs a request body")
    try:
        root = parse(data)
    except XMLProblem as exc:
        raise Fault(400, SYNTAX, str(exc)) from None
    expected = model.schema.element_names(link.body_type) if link.body_type else ()
    if expected and root.tag not in expected:
        wanted = " or ".join(f"<{name}>" for name in expected)
        raise Fault(400, SYNTAX, f"the body is <{root.tag}>; {link.describe()} takes {wanted}")
    return root


def require_parameters(root: Element, link: Link, entity: str) -> None:
    """400 "Incomplete parameters" naming what the closest parameter set lacks."""
    if not link.parameter_sets:
        return
    _, lacking = closest_gap(root, link.parameter_sets)
    if lacking:
        head = f"{root.tag}."
        names = ", ".join(name.removeprefix(head) for name in lacking)
        verb = "add" if link.rel == "add" else link.rel
        raise Fault(400, "Incomplete parameters", f"{entity} [{names}] required for {verb}")


def strip_read_only(root: Element) -> Element:
    for name in ("href", "id"):
        if name in root.attrib:
            del root.attrib[name]
    for child in list(root):
        if not isinstance(child.tag, str) or child.tag in READ_ONLY:
            root.remove(child)
    return root


def drop_unknown(element: Element, type_name: str, model: EngineModel, depth: int = 0) -> None:
    """Drop the elements the schema does not know, at any depth: the engine's XML binding
    ignores them, so they are neither stored nor answered back."""
    complex_type = model.complex_type(type_name)
    if complex_type is None or complex_type.open or depth > 40:
        return
    for child in list(element):
        if not isinstance(child.tag, str):
            continue
        known = complex_type.children.get(child.tag)
        if known is None:
            element.remove(child)
        elif len(child):
            drop_unknown(child, known.type, model, depth + 1)


def check_values(element: Element, type_name: str, model: EngineModel, depth: int = 0) -> None:
    """400 "Invalid value" for the first text (or attribute) outside its XSD type."""
    if depth > 40:
        return
    complex_type = model.complex_type(type_name)
    attributes = complex_type.attributes if complex_type is not None else {}
    for key, raw in element.attrib.items():
        name, value = str(key), str(raw)
        attribute = attributes.get(name)
        check = model.schema.value_check(attribute.type) if attribute is not None else None
        if attribute is not None and check is not None and check(value) is not None:
            tag = element.tag if isinstance(element.tag, str) else ""
            detail = f"'{value.strip()}' is not a valid {attribute.type} for <{tag} {name}>"
            raise Fault(400, "Invalid value", detail)
    for child, child_type in model.typed_children(element, type_name):
        if child_type in model.schema.complex_types:
            check_values(child, child_type, model, depth + 1)
            continue
        check = model.schema.value_check(child_type)
        text = child.text or ""
        if check is not None and check(text) is not None:
            simple = model.schema.simple_types.get(child_type)
            if simple is not None and simple.enumeration is not None:
                shown = ", ".join(sorted(simple.enumeration))
                detail = (
                    f"{text.strip()} is not a member of {child_type}. "
                    f"Possible values for {child_type} are: {shown}"
                )
            else:
                detail = f"'{text.strip()}' is not a valid {child_type} for <{child.tag}>"
            raise Fault(400, "Invalid value", detail)


def resolve_references(
    element: Element, type_name: str, model: EngineModel, lookup: Lookup, depth: int = 0
) -> None:
    """Turn ``<cluster><name>Default</name></cluster>`` into ``<cluster id=".."/>``, at any
    depth (``<placement_policy><hosts><host><name>``).

    A reference is a child whose type is held by a top-level collection (or a list of
    them); one with neither id nor name is a value, not a reference, and is kept.
    """
    references = list(model.references(element, type_name))
    for reference, kind in references:
        _resolve(reference, kind, lookup)
    if depth > 40:
        return
    resolved = {id(reference) for reference, _ in references}
    for child, child_type in model.typed_children(element, type_name):
        if id(child) not in resolved and len(child) and child_type in model.schema.complex_types:
            resolve_references(child, child_type, model, lookup, depth + 1)


def _resolve(reference: Element, kind: Kind, lookup: Lookup) -> None:
    given_id = reference.get("id") or _text(reference, "id")
    name = _text(reference, "name") if not given_id else None
    if not given_id and not name:
        return
    found = lookup(kind, given_id, name)
    if found is None:
        raise entity_not_found(kind.entity_type, given_id, name)
    for child in list(reference):
        reference.remove(child)
    reference.attrib.clear()
    reference.text = None
    reference.set("id", found)


def entity_not_found(type_name: str, given_id: str | None, name: str | None) -> Fault:
    """The engine's 400 for a reference to nothing (or to what the caller may not see)."""
    what = f"id={given_id}" if given_id else f"name={name}"
    return Fault(400, "Operation Failed", f"Entity not found: {type_name}: {what}")


def _text(element: Element, tag: str) -> str | None:
    child = element.find(tag)
    return child.text.strip() if child is not None and child.text else None


def name_of(element: Element) -> str | None:
    """The name an entity is found and searched by (users go by ``user_name``)."""
    return _text(element, "user_name") or _text(element, "name")


def merge(
    stored: Element,
    update: Element,
    type_name: str | None = None,
    model: EngineModel | None = None,
    depth: int = 0,
) -> None:
    """Set the fields the update carries, at any depth; keep every other one.

    Where the schema types an element (``type_name`` in ``model``): a child that may repeat
    is a list, and the items sent replace the stored ones; a reference (an entity type, with
    an id) replaces; any other structure (``<high_availability><priority>``, v3's
    ``<cpu id="..">`` or ``<os type=".."><boot dev=".."/>``) is merged field by field, its
    attributes too. Where it does not, the shape decides: a structure (unique child tags) is
    merged, a value, a reference (it has an id) or a list (repeated children) replaces.
    """
    for key, value in update.attrib.items():  # v3 fields kept as attributes
        stored.set(key, value)
    declared = model.complex_type(type_name) if model is not None and type_name else None
    lists: set[str] = set()
    for child in list(update):
        if not isinstance(child.tag, str):
            continue
        olds = stored.findall(child.tag)
        known = declared.children.get(child.tag) if declared is not None else None
        if known is not None and model is not None and depth < 40:
            if known.max_occurs != 1:
                if child.tag not in lists:
                    lists.add(child.tag)
                    for old in olds:
                        stored.remove(old)
                stored.append(child)
                continue
            structure = known.type in model.schema.complex_types and not (
                child.get("id") is not None and known.type in model.reference_kinds
            )
            if structure and len(olds) == 1:
                merge(olds[0], child, known.type, model, depth + 1)
                continue
        elif len(olds) == 1 and _is_structure(child) and _is_structure(olds[0]):
            merge(olds[0], child)
            continue
        for old in olds:
            stored.remove(old)
        stored.append(child)


def _is_structure(element: Element) -> bool:
    if element.get("id") is not None:
        return False
    if not len(element):  # v3's <ip address=".." netmask=".."/>: fields as attributes
        return bool(element.attrib) and not (element.text or "").strip()
    tags = [child.tag for child in element]
    return len(tags) == len(set(tags))


def compact(element: Element) -> bytes:
    """A stored document: no declaration, no indentation."""
    for node in element.iter():
        if len(node) and node.text is not None and not node.text.strip():
            node.text = None
        if node.tail is not None and not node.tail.strip():
            node.tail = None
    return etree.tostring(element, encoding="UTF-8")

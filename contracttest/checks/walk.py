"""One pass over a response representation, shared by the schema and the href rules.

The XSD side is compiled per complex type (up front by ``checker.compile_contract``, else on
first use) into ``{child tag: (child type, value check, texts known valid)}`` maps, so
visiting an element costs one dictionary lookup; elements of a "plain" type (no values to
check: ``<link href rel/>``, references) with no children are not visited at all beyond
their href; a ``<link href rel/>`` (attributes in the order engines write them) under its
entity hands both values to ``HrefChecker.link`` at once. Each element's owning entity is at
hand during the walk, so the href rule never climbs the tree. The result is cached on the
exchange's context, and in the checker's memo for identical bodies: a body is walked once
whichever of the two rules run.

Whether a response is walked at all (a 2xx XML answer of a request in the API that does not
ask for the contract itself) is decided per exchange, before the memo is asked; the walk is
then a pure function of the body, the API base the request used, the router (the contract),
the compiled root type (the schema), and the v4 model when the fallback applies, and its memo
key is exactly these (see ``walk_of``). The walk recurses once per element level; the safe
parser refuses documents deeper than libxml2's limit (256 levels), which bounds it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from contracttest.checks.context import Context, Memo
from contracttest.checks.fallback import V4Model, applies
from contracttest.checks.hrefs import HrefChecker, Owner
from contracttest.router import Router
from contracttest.rules import Finding
from contracttest.schema import ComplexType, Schema, ValueCheck
from contracttest.xmlsafe import Element

#: (owner type, child tag or "@attribute" or "text()", kind) -> where first seen, how often
SchemaProblems = dict[tuple[str, str, str], "Seen"]


@dataclass(slots=True)
class Seen:
    """A schema problem's first occurrence (element, offending value) and how often it came."""

    element: Element
    detail: str
    count: int = 1


#: An element's children as a list, in one call (faster than iterating the element).
children_of: Callable[[Element], list[Element]] = Element.getchildren  # type: ignore[attr-defined]
#: A child element whose text needs no check: nothing to do but know its name.
TEXT: tuple[None, None, set[str]] = (None, None, set())
#: The default of a child lookup: a name the type does not have.
UNKNOWN: tuple[None, None, set[str]] = (None, None, set())
ChildSpec = tuple["Compiled | None", "ValueCheck | None", set[str]]
#: The attribute names of a link, in the order engines write them.
HREF_REL = ["href", "rel"]


@dataclass(slots=True, eq=False)
class Compiled:
    """A complex type of one schema made ready for the walk (equal only to itself)."""

    type: ComplexType
    name: str
    #: has xs:any: any child is allowed
    open: bool
    #: child tag -> (its complex type, or None; its value check, or None; texts known valid),
    #: or ``TEXT`` for a child whose text needs no check (most of them)
    children: dict[str, ChildSpec]
    attributes: dict[str, ValueCheck | None]
    text: ValueCheck | None
    attribute_names: frozenset[str] = frozenset()
    #: No attribute value to check: known attribute names are all there is to see.
    unchecked_attributes: bool = False
    #: No attribute value and no text to check: an element of this type with no children
    #: and only known attributes needs no visit beyond its href.
    plain: bool = False
    #: Plain, with ``href`` and ``rel`` attributes: a ``<link href rel/>`` needs no more.
    href_rel: bool = False


def compiled_type(schema: Schema, type_name: str) -> Compiled | None:
    """The walk's tables for a complex type of ``schema``, or None for any other name.

    Made once per schema and type, with every type it reaches: a worklist, not a recursion,
    so a chain of types of any length compiles (types may also refer to themselves). The new
    tables are published together, filled, so a reader never sees one half made.
    """
    cache: dict[str, Compiled | None] = schema.__dict__.setdefault("_compiled", {})
    if type_name in cache:
        return cache[type_name]
    made: dict[str, Compiled | None] = {}
    pending = [type_name]
    while pending:
        name = pending.pop()
        if name in cache or name in made:
            continue
        ctype = schema.complex_types.get(name)
        made[name] = Compiled(ctype, ctype.name, ctype.open, {}, {}, None) if ctype else None
        if ctype is not None:
            pending.extend(child.type for child in ctype.children.values())
    for compiled in made.values():  # every type reached is in ``made`` or the cache now
        if compiled is None:
            continue
        ctype = compiled.type
        for name, child in ctype.children.items():
            sub = made[child.type] if child.type in made else cache[child.type]
            check = schema.value_check(child.type)
            compiled.children[name] = (
                TEXT
                if sub is None and check is None
                else (sub, check, _valid_texts(schema, child.type))
            )
        for name, attribute in ctype.attributes.items():
            compiled.attributes[name] = schema.value_check(attribute.type)
        if ctype.text_type:
            compiled.text = schema.value_check(ctype.text_type)
        compiled.attribute_names = frozenset(compiled.attributes)
        compiled.unchecked_attributes = all(c is None for c in compiled.attributes.values())
        compiled.plain = compiled.text is None and compiled.unchecked_attributes
        compiled.href_rel = compiled.plain and compiled.attribute_names.issuperset(HREF_REL)
    cache.update(made)
    return cache[type_name]


#: How many valid texts are remembered per simple type (true/false, sizes, states...).
_VALID_TEXTS = 4096
#: The longest text remembered (so the memo stays within 4096 * 256 characters a type).
_VALID_TEXT_SIZE = 256


def _valid_texts(schema: Schema, type_name: str) -> set[str]:
    """The texts already found valid for a type: values repeat, checks need not."""
    cache: dict[str, set[str]] = schema.__dict__.setdefault("_valid_texts", {})
    return cache.setdefault(type_name, set())


class Walk:
    """The findings of one walk: schema problems (folded) and href problems."""

    def __init__(self, hrefs: HrefChecker, schema: Schema | None) -> None:
        self.hrefs = hrefs
        self.visit = hrefs.visit
        self.link = hrefs.link
        #: The schema the representation was checked against; None when it was not.
        self.schema = schema
        self.schema_problems: SchemaProblems = {}
        #: The findings each rule made of this walk, by rule: computed once, then reused.
        self.findings: dict[str, tuple[Finding, ...]] = {}

    def note(self, key: tuple[str, str, str], element: Element, detail: str) -> None:
        seen = self.schema_problems.get(key)
        if seen is None:
            self.schema_problems[key] = Seen(element, detail)
        else:
            seen.count += 1

    def typed(
        self,
        element: Element,
        compiled: Compiled,
        owner: Owner | None = None,
        in_actions: bool = False,
        actions: bool = False,
    ) -> None:
        """Visit an element of a known complex type, and everything below it.

        ``owner`` is the entity the element's links belong to; ``in_actions`` says the
        element stands in an ``<actions>``, ``actions`` that it is one.
        """
        mine: Owner | None = None
        keys = element.keys()
        if keys:
            if not (compiled.unchecked_attributes and compiled.attribute_names.issuperset(keys)):
                self.attributes(element, compiled)
            if "href" in keys:
                href: str = element.get("href")  # type: ignore[assignment]  # it is there
                mine = self.hrefs.visit(element, element.tag, href, in_actions, owner)
        if compiled.text is not None and compiled.text(element.text or "") is not None:
            self.note((compiled.name, "text()", "value"), element, element.text or "")
        below = mine if mine is not None else owner if actions else None
        lookup = compiled.children.get
        visit, link, problems = self.visit, self.link, self.schema_problems
        for child in children_of(element):
            tag = child.tag
            spec = lookup(tag, UNKNOWN)
            if spec is TEXT:
                continue
            if spec is UNKNOWN:
                if not compiled.open:  # ``note``, inline: whole documents of these come
                    key = (compiled.name, str(tag), "unknown")
                    seen = problems.get(key)
                    if seen is None:
                        problems[key] = Seen(child, "")
                    else:
                        seen.count += 1
                if len(child) or child.get("href") is not None:
                    self.untyped(child, below, actions)
                continue
            sub, check, valid = spec
            if sub is None:  # a value (``TEXT`` took those with nothing to check)
                text = child.text or ""
                if text not in valid:
                    if check(text) is not None:  # type: ignore[misc]  # a value has a check
                        self.note((compiled.name, str(tag), "value"), child, text)
                    elif len(valid) < _VALID_TEXTS and len(text) <= _VALID_TEXT_SIZE:
                        valid.add(text)
            elif sub.plain and not len(child):
                keys = child.keys()
                if not keys:
                    continue
                if keys == HREF_REL and below is not None and tag == "link" and sub.href_rel:
                    # the common ``<link href rel/>`` under its entity: both values at once
                    target, rel = child.values()
                    link(child, target, rel, actions, below)  # type: ignore[arg-type]  # text
                    continue
                if not sub.attribute_names.issuperset(keys):
                    self.attributes(child, sub)
                if "href" in keys:
                    visit(child, tag, child.get("href"), actions, below, True)  # type: ignore[arg-type]
            else:
                self.typed(child, sub, below, actions, tag == "actions")

    def untyped(self, element: Element, owner: Owner | None, in_actions: bool) -> None:
        """Visit an element the XSD does not describe: only its hrefs are checked."""
        href = element.get("href")
        tag = element.tag
        mine = self.hrefs.visit(element, tag, href, in_actions, owner) if href is not None else None
        actions = tag == "actions"
        below = mine if mine is not None else owner if actions else None
        for child in children_of(element):
            self.untyped(child, below, actions)

    def attributes(self, element: Element, compiled: Compiled) -> None:
        type_name = compiled.name
        attributes = compiled.attributes
        for raw_name, raw_value in element.attrib.items():
            name, value = str(raw_name), str(raw_value)
            if name not in attributes:
                if name[0] != "{":
                    self.note((type_name, "@" + name, "attribute"), element, value)
                continue
            check = attributes[name]
            if check is not None and check(value) is not None:
                self.note((type_name, "@" + name, "value"), element, value)


def walk_of(ctx: Context) -> Walk | None:
    """The walk of this exchange's response, made on first use; None when there is none.

    Whether there is one is this exchange's own question (its status, its media type, its
    request); what the walk finds is asked of the memo under a key holding everything it
    depends on, so an identical body met before in another place never lends its verdict.
    """
    cached = ctx.cache.get("walk", False)
    if cached is not False:
        assert cached is None or isinstance(cached, Walk)
        return cached
    walk: Walk | None = None
    root = ctx.response_root
    if (
        root is not None
        and ctx.in_api
        and 200 <= ctx.exchange.response.status < 300
        and not ctx.serves_contract
    ):
        schema = ctx.schema
        type_name = schema.elements.get(str(root.tag)) if schema is not None else None
        compiled = compiled_type(schema, type_name) if schema is not None and type_name else None
        router = ctx.contract.router
        v4 = ctx.v4
        if v4 is not None and not applies(ctx.contract, ctx.exchange, ctx.target.base):
            v4 = None
        memo = ctx.memo
        if memo is None:
            walk = walk_representation(root, schema, compiled, ctx.api_base, router, v4)
        else:
            body = ctx.exchange.response.body
            key = ("walk", body, ctx.api_base, router, compiled, v4)
            found = memo.result(key)
            if found is Memo.MISSING:
                walk = walk_representation(root, schema, compiled, ctx.api_base, router, v4)
                memo.store(key, walk, len(body))
            else:
                assert isinstance(found, Walk)
                walk = found
    ctx.cache["walk"] = walk
    return walk


def walk_representation(
    root: Element,
    schema: Schema | None,
    compiled: Compiled | None,
    base: str,
    router: Router,
    v4: V4Model | None,
) -> Walk:
    """Walk a representation whose root is of the ``compiled`` type (None: not in the XSD).

    A pure function of its arguments: ``base`` is the API prefix the request used,
    ``router`` the contract's, ``v4`` the model asked about what the contract lacks.
    """
    walk = Walk(HrefChecker(base, router, v4), schema if compiled is not None else None)
    if compiled is not None:
        walk.typed(root, compiled, actions=root.tag == "actions")
    else:
        walk.untyped(root, None, False)
    return walk

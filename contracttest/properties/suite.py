"""One CRUD run against one engine: its settings, the calls it makes, what it prepared.

``CrudRun(engine, contract, schema, config=...)`` is what every machine of a run shares: the
``api.Engine`` it drives (so recording, replay and the contract checks apply as for any
test), the contract's ``Surface``, the cleanup ``Ledger``, the ``preface`` (the calls that
prepared entities to refer to and owners of sub-collections, shown before every failing
example's calls), and the ``Provider`` of references. Every call goes through ``call``, which
keeps it in a ``CallLog`` and counts the time spent waiting for the engine.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from hypothesis import strategies as st

from contracttest.api import Engine
from contracttest.client import Client, Reply
from contracttest.errors import ContractTestError
from contracttest.properties.calls import Call, CallLog
from contracttest.properties.ledger import Ledger
from contracttest.properties.lifecycle import LIFECYCLES, UNIQUE_NAMES, LifeCycle
from contracttest.properties.promises import BrokenPromise
from contracttest.properties.shapes import Collection, Slot, Surface
from contracttest.properties.strategies import (
    NAMES,
    Enumerations,
    enumerations_from_capabilities,
    from_link,
    short_name,
    surface_of,
)
from contracttest.properties.values import (
    Entity,
    Field,
    Mismatch,
    Representation,
    base_of,
    mismatches,
)
from contracttest.rsdl import Contract, Link, ParameterSet
from contracttest.schema import Schema
from contracttest.scrubconfig import is_placeholder
from contracttest.xmlsafe import Element


@dataclass(frozen=True)
class CrudConfig:
    """How a run drives an engine.

    ``overrides``: values for parameters, by collection and parameter name below the root
    (``{"vms": {"memory": st.sampled_from(["1073741824"])}}``); ``unique_names``: whether the
    engine refuses a duplicate name in a collection (``lifecycle.UNIQUE_NAMES``; absent:
    learned from its first answer);
    ``lifecycles``: see ``lifecycle.py``; ``exclude``: collections ``crud_collections`` leaves
    out; ``negative``: run the negative rules; ``names``: the names new entities get;
    ``wait``: seconds a live engine is given to reach a state.
    """

    overrides: Mapping[str, Mapping[str, st.SearchStrategy[str]]] = field(default_factory=dict)
    unique_names: Mapping[str, bool] = field(default_factory=lambda: dict(UNIQUE_NAMES))
    lifecycles: Mapping[str, LifeCycle] = field(default_factory=lambda: dict(LIFECYCLES))
    exclude: frozenset[str] = frozenset()
    negative: bool = True
    names: st.SearchStrategy[str] = NAMES
    wait: float = 60.0


class SetupError(ContractTestError):
    """What a run needed to prepare (an entity to refer to, an owner) could not be made."""


class CrudRun:
    """What the machines of one run share (see the module docstring)."""

    def __init__(
        self,
        engine: Engine,
        contract: Contract,
        schema: Schema,
        *,
        config: CrudConfig | None = None,
        enumerations: Enumerations | None = None,
    ) -> None:
        self.engine = engine
        self.contract = contract
        self.schema = schema
        self.config = config or CrudConfig()
        self.surface: Surface = surface_of(contract, schema)
        self.preface = CallLog()
        self.ledger = Ledger(engine, self.calm)
        self.provider = Provider(self)
        #: every promise seen broken (with its number of calls), the fewest calls first
        #: when Hypothesis cannot make a broken example fail alike twice (``runner``)
        self.broken: list[tuple[int, BrokenPromise]] = []
        self.gave_up: set[str] = set()  # what ``wait_until`` waited for in vain
        self.example_ids: set[str] = set()  # created by examples: never handed out to refer to
        self.checked: Counter[str] = Counter()  # promise -> times it was checked
        self.examples = 0
        self.calls = 0
        self.engine_seconds = 0.0
        self._anonymous: Client | None = None
        self._bodies: dict[tuple[object, ...], st.SearchStrategy[Representation]] = {}
        self.enumerations = enumerations if enumerations is not None else self._capabilities()

    def mismatches(self, fields: tuple[Field, ...], element: Element) -> list[Mismatch]:
        """``values.mismatches`` for this run: replaying, a value the recording's scrubber
        replaced (a placeholder) is not compared, since the live run compared it."""
        hidden = None if self.engine.live else is_placeholder
        return mismatches(self.schema, fields, element, hidden)

    # -- calls -------------------------------------------------------------------------

    def call(
        self,
        log: CallLog,
        method: str,
        path: str,
        body: bytes | None = None,
        *,
        query: tuple[tuple[str, str], ...] = (),
        expected: tuple[int, ...] = (200,),
        expect: str | None = None,
        credentials: bool = True,
        binds: str | None = None,
    ) -> Reply:
        """Make one call, keep it in ``log``; ``binds`` names the tag whose id it creates."""
        client = self.engine.client if credentials else self.anonymous
        started = time.perf_counter()
        reply = client.request(method, path, body, query=dict(query) or None, expect=expect)
        self.engine_seconds += time.perf_counter() - started
        self.calls += 1
        self.engine.last = reply
        variable = None
        new_id = reply.root.get("id") if reply.root is not None else None
        if binds and reply.status in (200, 201, 202) and new_id:
            variable = log.bind(new_id, binds)
        version = self.engine.version
        log.record(
            Call(method, path, query, body, expect, credentials, reply.status, expected, variable,
                 version)
        )  # fmt: skip
        return reply

    @property
    def anonymous(self) -> Client:
        if self._anonymous is None:
            c = self.engine.client
            self._anonymous = Client(
                c.url, "", None, version=c.version, ca_file=c.ca_file, insecure=c.insecure,
                keep=False,
            )  # fmt: skip
        return self._anonymous

    def relative(self, href: str) -> str:
        """An href or ``Location`` as a path below the API (``vms/<id>``)."""
        path = urlsplit(href).path
        prefix = self.engine.client.prefix.rstrip("/") + "/"
        return path[len(prefix) :] if path.startswith(prefix) else path.lstrip("/")

    def wait_until(self, log: CallLog, path: str, done: Any, what: str = "") -> Reply:
        """GET ``path`` until ``done(reply)``: a live engine is asked every half second, as
        many times as ``config.wait`` seconds allow, a replay at once (the cassette answers
        as the engine did); counted, never timed, so both make the same calls. Once a wait
        for ``what`` (a state of a collection) has run out, later ones ask once: an engine
        stuck there must not make every example, and each shrinking step, wait again."""
        polls = 1 if what and what in self.gave_up else max(1, int(self.config.wait * 2))
        for n in range(polls):
            if n and self.engine.live:
                time.sleep(0.5)
            reply = self.call(log, "GET", path, expected=(200,))
            if done(reply):
                return reply
        if what:
            self.gave_up.add(what)
        return reply

    def bodies(self, link: Link, **options: Any) -> st.SearchStrategy[Representation]:
        """``from_link`` for ``link`` with this run's references and enumerations (made once
        per link and options)."""
        key = (id(link), *sorted((k, repr(v)) for k, v in options.items()))
        found = self._bodies.get(key)
        if found is None:
            found = self._bodies[key] = from_link(
                self.contract,
                link,
                schema=self.schema,
                references=self.provider,
                enumerations=self.enumerations,
                **options,
            )
        return found

    def lifecycle(self, collection: Collection) -> LifeCycle:
        return self.config.lifecycles.get(collection.element, LifeCycle())

    def calm(self, path: str) -> tuple[str, ...]:
        parts = path.strip("/").split("/")
        top = self.surface.collections.get(parts[0]) if len(parts) == 2 else None
        return self.lifecycle(top).calm if top is not None else ()

    def _capabilities(self) -> Enumerations:
        """A v3 engine's ``/capabilities`` read into enumerations (v4 XSDs have their own)."""
        if not any(
            link.href == "capabilities" and link.method == "GET" for link in self.contract.links
        ):
            return {}
        reply = self.engine.client.request("GET", "capabilities")
        if reply.status != 200 or reply.root is None:
            return {}
        return enumerations_from_capabilities(reply.root, self.schema)

    def close(self) -> list[str]:
        """Remove what the run created; the problems met (never raised)."""
        problems = self.ledger.clean()
        if self._anonymous is not None:
            self._anonymous.close()
        return problems


class Provider:
    """The entities bodies refer to: those the engine has (listed once, never one an example
    created), and for a required reference to a collection that has none, one made by the
    run from the contract's required parameters. Owners of sub-collections are always made
    by the run, never borrowed."""

    def __init__(self, run: CrudRun) -> None:
        self.run = run
        self.known: dict[str, list[Entity]] = {}
        self.owners: dict[str, Entity] = {}
        self._made = 0
        self._depth = 0

    def __call__(self, collection: str, required: bool) -> Sequence[Entity]:
        found = self.known.get(collection)
        if found is None:
            found = self.known[collection] = self.listing(collection)
        usable = [e for e in found if e.id not in self.run.example_ids]
        if not usable and required:
            made = self.make(collection)
            if made is not None:
                found.append(made)
                usable = [made]
        return usable

    def owner(self, collection: Collection) -> Entity:
        assert collection.owner is not None
        found = self.owners.get(collection.owner)
        if found is None:
            found = self.make(collection.owner)
            if found is None:
                raise SetupError(f"{collection.name}: cannot create an owner in {collection.owner}")
            self.owners[collection.owner] = found
        return found

    def listing(self, collection: str) -> list[Entity]:
        """The entities a collection lists now (id, name, path)."""
        reply = self.run.engine.client.request("GET", collection)
        if reply.status != 200 or reply.root is None:
            return []
        return [
            Entity(child.get("id", ""), child.findtext("name"), f"{collection}/{child.get('id')}")
            for child in reply.root
            if isinstance(child.tag, str) and child.get("id")
        ]

    def make(self, collection: str) -> Entity | None:
        """Create one entity of a top-level collection from the contract's required
        parameters (deterministic values), kept in the run's preface and ledger."""
        spec = self.run.surface.collections.get(collection)
        if spec is None or not spec.top_level or self._depth > 3:
            return None
        self._made += 1
        name = f"ct-fixture-{self._made}"
        self._depth += 1
        try:
            body = minimal_body(self.run, spec.add, name)
        finally:
            self._depth -= 1
        if body is None:
            return None
        run = self.run
        reply = run.call(
            run.preface, "POST", collection, body.xml, expected=(201, 202),
            expect="201-created", binds=spec.element,
        )  # fmt: skip
        entity_id = reply.root.get("id") if reply.root is not None else None
        if reply.status not in (201, 202) or not entity_id:
            fault = reply.fault
            said = f": {fault[0]} {fault[1]}" if fault else ""
            raise SetupError(f"could not create a {spec.element} to refer to: {reply.status}{said}")
        path = f"{collection}/{entity_id}"
        run.ledger.created(path)
        if reply.status == 202:
            run.wait_until(run.preface, path, lambda r: r.status == 200)
        return Entity(entity_id, name, path)


def minimal_body(run: CrudRun, link: Link, name: str) -> Representation | None:
    """A body with only what the first satisfiable parameter set requires (and a name where
    it takes one), from fixed values: the first enumeration value, 1, false, ``name``."""
    surface, schema = run.surface, run.schema
    root_type = link.body_type or ""
    tag = (schema.element_names(root_type) or (root_type.lower(),))[0]
    for index, parameter_set in enumerate(link.parameter_sets or (ParameterSet(()),)):
        fields: list[Field] = []
        for parameter in parameter_set.parameters:
            if not parameter.required and short_name(parameter) != "name":
                continue
            slot = surface.slot(root_type, parameter)
            made = _minimal(run, slot, parameter.name, name, parameter.parameter_sets)
            if made is None and parameter.required:
                break
            fields.extend(made or ())
        else:
            return Representation(tag, root_type, tuple(fields), index)
    return None


def _minimal(
    run: CrudRun, slot: Slot, parameter: str, name: str, nested: Sequence[ParameterSet] = ()
) -> list[Field] | None:
    if slot.kind == "value":
        leaf = (slot.steps[-1] if slot.steps else "").lstrip("@")
        allowed = run.enumerations.get((slot.owner, leaf))
        value = _minimal_value(run.schema, slot.type, leaf, name, allowed)
        return [Field(slot.steps, value, slot.type, parameter)]
    if slot.kind == "reference" and slot.target is not None:
        entities = run.provider(slot.target, True)
        if not entities:
            return None
        step = "@id" if slot.id_attribute else "id"
        return [
            Field((*slot.steps, step), entities[0].id, "xs:string", parameter, refers=entities[0])
        ]
    if slot.kind == "collection" and slot.item is not None and nested:
        item = f"{slot.item}[1]"
        fields: list[Field] = []
        for inner in nested[0].required:
            inner_slot = run.surface.item_slot(slot.item, slot.type, inner)
            made = _minimal(run, inner_slot, parameter, name)
            if made is None:
                return None
            fields.extend(replace(f, path=(*slot.steps, item, *f.path)) for f in made)
        if fields:
            return fields
    if slot.kind in ("collection", "structure"):
        item_step = (f"{slot.item}[1]",) if slot.item else ()
        return [Field((*slot.steps, *item_step), "", slot.type, parameter, checked=False)]
    return None


def _minimal_value(schema: Schema, type_name: str, leaf: str, name: str, allowed: Any) -> str:
    simple = schema.simple_types.get(type_name)
    values = allowed or (simple.enumeration if simple is not None else None)
    if values:
        return str(sorted(values)[0])
    kind = base_of(schema, type_name).removeprefix("xs:")
    if kind == "boolean":
        return "false"
    if kind == "negativeInteger":
        return "-1"
    if kind in ("dateTime",):
        return "2020-01-01T00:00:00.000Z"
    if kind == "date":
        return "2020-01-01"
    if kind in ("int", "long", "short", "byte", "integer", "double", "float", "decimal") or (
        kind.startswith("unsigned") or kind.endswith("Integer")
    ):
        return "1"
    return name if leaf == "name" else "ct"

"""The embedded engine impersonates a 3.6 engine across its whole surface.

Started on the real 3.6 contract of the corpus, the engine is used the way a v3 client uses
a real one: every collection linked from the API root is listed, every entity listed is read
with its sub-collections, and an entity is created in every collection whose ``add`` link
the test can satisfy, with a body built from the RSDL's parameter sets and the XSD alone
(nothing here is written per resource). Entities are then updated as the v3 SDK does (the
whole document read back) and removed. The traffic is recorded with vcrpy into a real
cassette, and ``contracttest check`` must find no error in it against the same contract.
"""

from __future__ import annotations

import base64
import http.client
import itertools
import json
import re
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import vcr
from lxml import etree

from contracttest.engine import EngineServer, HttpRequest, open_engine
from contracttest.loading import load_contract, load_schema
from contracttest.rsdl import Contract, Link, Parameter, ParameterSet
from contracttest.schema import UNBOUNDED, Schema
from contracttest.xmlsafe import Element, XMLProblem, parse
from tests.corpus_contracts import RSDL, XSD

VERSION = "3.6"
CREDENTIALS = "Basic " + base64.b64encode(b"admin@internal:ovirt").decode()
#: Fewer creations than this means the body builder or the engine lost ground.
MIN_CREATED = 80
_DATE_TIME = "2016-03-01T12:00:00.000Z"


@pytest.fixture(scope="module")
def contract_files(corpus: Path) -> tuple[Path, Path]:
    return corpus / RSDL[VERSION], corpus / XSD[VERSION]


# -- the client ----------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def root(self) -> Element | None:
        try:
            return parse(self.body) if self.body.strip() else None
        except XMLProblem:
            return None

    def fault(self) -> str:
        root = self.root()
        if root is None or root.tag != "fault":
            return self.body[:200].decode("utf-8", "replace")
        return f"{root.findtext('reason')}: {root.findtext('detail')}"


class Client:
    """A v3 client over ``http.client`` (which vcrpy records): Basic auth, XML both ways."""

    def __init__(self, base_url: str, prefix: str, *, version_header: bool) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.prefix = prefix
        self.version_header = version_header
        self.methods: Counter[str] = Counter()
        self.connection: http.client.HTTPConnection | None = None

    def path(self, relative: str) -> str:
        return f"{self.prefix}/{relative}" if relative else self.prefix

    def send(
        self, method: str, path: str, body: bytes | None = None, *, expect: bool = False
    ) -> Answer:
        headers = {"Authorization": CREDENTIALS, "Accept": "application/xml"}
        if self.version_header:
            headers["Version"] = "3"
        if body is not None:
            headers["Content-Type"] = "application/xml"
        if expect:
            headers["Expect"] = "201-created"
        if self.connection is None:  # one keep-alive connection, as the v3 SDK keeps
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        self.methods[method] += 1
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, data)

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def get(self, path: str) -> Answer:
        answer = self.send("GET", path)
        assert answer.status == 200, f"GET {path}: {answer.status} {answer.fault()}"
        return answer


# -- what the contract says ----------------------------------------------------------------


class Unsatisfiable(Exception):
    """A parameter set (or a path) the test cannot fill: the reason is the message."""


@dataclass
class Entity:
    id: str
    name: str | None
    href: str
    created: bool = False


def list_item(schema: Schema, type_name: str) -> tuple[str, str] | None:
    """(item element, item type) when ``type_name`` is a list type: ``VMs`` -> (vm, VM)."""
    complex_type = schema.complex_types.get(type_name)
    if complex_type is None:
        return None
    for child in complex_type.children.values():
        if child.max_occurs == UNBOUNDED and child.type in schema.complex_types:
            return child.name, child.type
    return None


def top_collections(contract: Contract, schema: Schema) -> dict[str, str]:
    """Entity type -> the top-level collection listing it (where references point)."""
    found: dict[str, str] = {}
    for link in sorted(contract.links, key=lambda link: link.href):
        if link.method == "GET" and link.href and "/" not in link.href and link.response_type:
            item = list_item(schema, link.response_type)
            if item is not None:
                found.setdefault(item[1], link.href)
    return found


@dataclass
class Engine36:
    """The test's view of a running engine: the contract, and the entities seen so far."""

    client: Client
    contract: Contract
    schema: Schema
    references: dict[str, str] = field(init=False)
    entities: dict[str, list[Entity]] = field(default_factory=dict)  # by concrete path
    counter: Iterator[int] = field(default_factory=itertools.count)

    def __post_init__(self) -> None:
        self.references = top_collections(self.contract, self.schema)

    # -- entities -----------------------------------------------------------------

    def listed(self, collection: str) -> list[Entity]:
        """The entities of a concrete collection path (read once, then kept up to date)."""
        if collection not in self.entities:
            root = self.client.get(self.client.path(collection)).root()
            found = []
            for child in root if root is not None else ():
                if isinstance(child.tag, str) and child.get("id") and child.get("href"):
                    name = child.findtext("name") or child.findtext("user_name")
                    found.append(Entity(child.get("id", ""), name, child.get("href", "")))
            self.entities[collection] = found
        return self.entities[collection]

    def concrete(self, href: str) -> str:
        """``vms/{vm:id}/nics`` -> ``vms/<an existing vm>/nics`` (one the test made, if any)."""
        done: list[str] = []
        for segment in href.split("/"):
            if segment.startswith("{"):
                collection = "/".join(done)
                candidates = self.listed(collection)
                if not candidates:
                    raise Unsatisfiable(f"no entity in {generic(collection)} to add under")
                chosen = next((e for e in candidates if e.created), candidates[0])
                done.append(chosen.id)
            else:
                done.append(segment)
        return "/".join(done)

    def unique(self, what: str) -> str:
        return f"ct36-{what}-{next(self.counter)}"

    # -- bodies -------------------------------------------------------------------

    def body(self, link: Link) -> Element:
        """A body for ``link`` satisfying its first satisfiable parameter set."""
        names = self.schema.element_names(link.body_type or "")
        if not names:
            raise Unsatisfiable(f"body type {link.body_type} has no element in the XSD")
        type_name = link.body_type or ""
        parameter_sets = self.parameter_sets(link)
        if not parameter_sets:
            root = etree.Element(names[0])
            children = self.schema.complex_types.get(type_name)
            if children is not None and "name" in children.children:
                etree.SubElement(root, "name").text = self.unique("name")
            return root
        reasons = []
        for parameter_set in parameter_sets:
            root = etree.Element(names[0])
            try:
                self.fill(root, type_name, parameter_set)
            except Unsatisfiable as exc:
                reasons.append(str(exc))
                continue
            return root
        raise Unsatisfiable(reasons[0])

    def parameter_sets(self, link: Link) -> tuple[ParameterSet, ...]:
        """The link's parameter sets; where the RSDL gives none for an alias of another
        path (``datacenters/{dc}/clusters/...`` of ``clusters/...``), those of the other."""
        if link.parameter_sets:
            return link.parameter_sets
        for other in self.contract.links:
            if (
                other.rel == link.rel
                and other.body_type == link.body_type
                and link.href.endswith(f"/{other.href}")
                and other.parameter_sets
            ):
                return other.parameter_sets
        return ()

    def fill(self, item: Element, type_name: str | None, parameter_set: ParameterSet) -> None:
        for parameter in parameter_set.required:
            if parameter.is_collection:
                self.collection(item, type_name, parameter)
            else:
                self.value(item, type_name, parameter)

    def holder(
        self, item: Element, type_name: str | None, steps: tuple[tuple[str, ...], ...]
    ) -> tuple[Element, str | None]:
        """The element at ``steps`` under ``item`` (made as needed) and its XSD type."""
        for alternatives in steps:
            name = alternatives[0]
            child = item.find(name)
            if child is None:
                child = etree.SubElement(item, name)
            item, type_name = child, self.child_type(type_name, name)
        return item, type_name

    def child_type(self, type_name: str | None, name: str) -> str | None:
        complex_type = self.schema.complex_types.get(type_name or "")
        if complex_type is None:
            return None
        child = complex_type.children.get(name)
        if child is not None:
            return child.type
        attribute = complex_type.attributes.get(name)
        return attribute.type if attribute is not None else None

    def value(self, item: Element, type_name: str | None, parameter: Parameter) -> None:
        *parents, last = parameter.path
        holder, holder_type = self.holder(item, type_name, tuple(parents))
        collection = self.references.get(holder_type or "")
        # <cluster><name>: a reference; a bare <name>: the new entity's own (an id at the
        # root, as for vms/{vm:id}/tags, names the entity to attach)
        refers = "id" in last or (bool(parents) and "name" in last)
        if collection is not None and refers:
            self.reference(holder, holder_type, collection, last)
            return
        name = last[0]
        text = self.literal(self.child_type(holder_type, name), parameter.type, name)
        if self.is_attribute(holder_type, name):  # <version major="3" minor="6"/>
            holder.set(name, text)
        else:
            etree.SubElement(holder, name).text = text

    def reference(
        self, holder: Element, holder_type: str | None, collection: str, last: tuple[str, ...]
    ) -> None:
        """``<cluster><name>Default</name></cluster>`` or ``<cluster id=".."/>``."""
        existing = self.listed(collection)
        if not existing:
            raise Unsatisfiable(f"nothing in {collection} to refer to")
        target = existing[0]
        if "name" in last and target.name:
            etree.SubElement(holder, "name").text = target.name
        elif "id" in last and self.is_attribute(holder_type, "id"):
            holder.set("id", target.id)
        elif "id" in last:
            etree.SubElement(holder, "id").text = target.id
        else:
            raise Unsatisfiable(f"the entities of {collection} have no name")

    def collection(self, item: Element, type_name: str | None, parameter: Parameter) -> None:
        *containers, (tag, *_) = parameter.path
        holder, holder_type = self.holder(item, type_name, tuple(containers))
        child = etree.SubElement(holder, tag)
        child_type = self.child_type(holder_type, tag)
        if not parameter.parameter_sets:
            return
        reasons = []
        for nested in parameter.parameter_sets:
            try:
                self.fill(child, child_type, nested)
                return
            except Unsatisfiable as exc:
                reasons.append(str(exc))
                for grandchild in list(child):
                    child.remove(grandchild)
        raise Unsatisfiable(reasons[0])

    def is_attribute(self, type_name: str | None, name: str) -> bool:
        """Whether the XSD makes ``name`` an attribute (not a child) of ``type_name``."""
        complex_type = self.schema.complex_types.get(type_name or "")
        if complex_type is None:
            return False
        return name in complex_type.attributes and name not in complex_type.children

    def literal(self, xsd_type: str | None, rsdl_type: str, name: str) -> str:
        """A valid value: the XSD's type first (the RSDL's is often plain xs:string)."""
        simple = self.schema.simple_types.get(xsd_type or "")
        if simple is not None and simple.enumeration:
            return sorted(simple.enumeration)[0]
        base = simple.base if simple is not None else xsd_type
        complex_type = self.schema.complex_types.get(base or "")
        if complex_type is not None:
            base = complex_type.text_type
        kind = (base or rsdl_type).removeprefix("xs:")
        if kind in ("int", "long", "integer", "short", "unsignedInt", "unsignedShort"):
            return "1"
        if kind == "boolean":
            return "true"
        if kind in ("double", "decimal", "float"):
            return "1.5"
        if kind == "dateTime":
            return _DATE_TIME
        if kind == "date":
            return _DATE_TIME[:10]
        return self.unique(name)


def generic(path: str) -> str:
    return "/".join("{id}" if i % 2 else s for i, s in enumerate(path.split("/")))


# -- the session ---------------------------------------------------------------------------


@dataclass
class Tally:
    followed: set[str] = field(default_factory=set)  # collection templates listed
    entities_read: int = 0
    attempted: int = 0
    created: list[tuple[str, Entity]] = field(default_factory=list)  # (collection, entity)
    statuses: Counter[int] = field(default_factory=Counter)
    skipped: dict[str, str] = field(default_factory=dict)  # add template -> reason
    failed: dict[str, str] = field(default_factory=dict)  # add template -> the engine's answer
    updated: int = 0
    deleted: int = 0
    refused: dict[str, str] = field(default_factory=dict)

    def report(self) -> str:
        lines = [
            f"collections followed: {len(self.followed)}; entities read: {self.entities_read}",
            f"adds attempted: {self.attempted}; created: {len(self.created)} "
            f"(statuses {dict(sorted(self.statuses.items()))}); skipped: {len(self.skipped)}; "
            f"refused by the engine: {len(self.failed)}",
            f"updated: {self.updated}; deleted: {self.deleted}; removal refused: "
            f"{len(self.refused)}",
        ]
        reasons = Counter(re.sub(r"\bct36-\S+", "..", r) for r in self.skipped.values())
        lines += [f"  skipped {count}x: {reason}" for reason, count in reasons.most_common()]
        lines += [f"  refused: {href}: {answer}" for href, answer in sorted(self.failed.items())]
        lines += [f"  removal refused: {h}: {a}" for h, a in sorted(self.refused.items())]
        return "\n".join(lines)


def add_links(contract: Contract) -> list[Link]:
    found = {link.href: link for link in contract.links if link.rel == "add"}
    return sorted(found.values(), key=lambda link: (link.href.count("/"), link.href))


def create_everywhere(engine: Engine36, tally: Tally) -> None:
    """Every add link, in passes, until a pass creates nothing new (references to entities
    created later are satisfied in a later pass)."""
    pending = add_links(engine.contract)
    while pending:
        left: list[Link] = []
        for link in pending:
            try:
                collection = engine.concrete(link.href)
                body = engine.body(link)
            except Unsatisfiable as exc:
                tally.skipped[link.href] = str(exc)
                left.append(link)
                continue
            tally.skipped.pop(link.href, None)
            tally.attempted += 1
            expect = tally.attempted % 2 == 0  # half the adds ask for 201-created
            answer = engine.client.send(
                "POST", engine.client.path(collection), etree.tostring(body), expect=expect
            )
            tally.statuses[answer.status] += 1
            root = answer.root()
            if answer.status not in (201, 202) or root is None:
                tally.failed[link.href] = f"{answer.status} {answer.fault()}"
                continue
            # an entity, or a list of them (gluster bricks are added as <bricks>)
            for item in [root] if root.get("id") else list(root.iterchildren()):
                name = item.findtext("name") or item.findtext("user_name")
                entity = Entity(item.get("id", ""), name, item.get("href", ""), created=True)
                engine.listed(collection).append(entity)
                tally.created.append((collection, entity))
        if len(left) == len(pending):
            break
        pending = left


def crawl(engine: Engine36, tally: Tally) -> None:
    """The API root, every collection it links, every entity listed, each entity's
    sub-collections and the entities in them."""
    client = engine.client
    root = client.get(client.path("")).root()
    assert root is not None and root.tag == "api"
    rels = [
        (link.get("rel", ""), link.get("href", ""))
        for link in root.iterchildren("link")
        if "/search" not in link.get("rel", "")
    ]
    assert len(rels) > 30, rels
    for rel, href in rels:
        tally.followed.add(rel)
        listing = client.get(href).root()
        for entity in listing if listing is not None else ():
            if isinstance(entity.tag, str) and entity.get("href"):
                read_entity(client, tally, entity.get("href", ""), depth=1)


def read_entity(client: Client, tally: Tally, href: str, depth: int) -> None:
    tally.entities_read += 1
    entity = client.get(href).root()
    if entity is None or depth == 0:
        return
    for link in entity.iterchildren("link"):
        sub_href = link.get("href", "")
        if "?" in sub_href:
            continue
        tally.followed.add(generic(sub_href.removeprefix(client.prefix + "/")))
        listing = client.get(sub_href).root()
        for child in listing if listing is not None else ():
            if isinstance(child.tag, str) and child.get("href"):
                read_entity(client, tally, child.get("href", ""), depth - 1)


def update_created(engine: Engine36, tally: Tally) -> None:
    """As the v3 SDK updates: the whole document read, one field changed, PUT back."""
    updatable = {generic(link.href) for link in engine.contract.links if link.rel == "update"}
    for collection, entity in tally.created:
        if f"{generic(collection)}/{{id}}" not in updatable:
            continue
        document = engine.client.get(entity.href).root()
        assert document is not None
        fields = engine.schema.complex_types.get(engine.schema.elements.get(document.tag, ""))
        if fields is None or "description" not in fields.children:
            continue
        description = document.find("description")
        if description is None:
            description = etree.SubElement(document, "description")
        description.text = engine.unique("updated")
        answer = engine.client.send("PUT", entity.href, etree.tostring(document))
        assert answer.status == 200, f"PUT {entity.href}: {answer.status} {answer.fault()}"
        tally.updated += 1


def delete_created(engine: Engine36, tally: Tally) -> set[str]:
    """The test's entities, newest first, each at its collection's path (where an attached
    entity is detached), with the body the RSDL asks for: v3 clients send ``<action/>``."""
    deletes = {generic(link.href): link for link in engine.contract.links if link.rel == "delete"}
    gone: set[str] = set()
    for collection, entity in reversed(tally.created):
        link = deletes.get(f"{generic(collection)}/{{id}}")
        path = engine.client.path(f"{collection}/{entity.id}")
        if link is None or any(path.startswith(f"{href}/") for href in gone):
            continue  # not removable, or removed with its owner
        try:
            body = etree.tostring(engine.body(link)) if link.body_type else b"<action/>"
        except Unsatisfiable as exc:
            tally.refused[path] = f"no body for {link.describe()}: {exc}"
            continue
        answer = engine.client.send("DELETE", path, body)
        if answer.status == 200:
            tally.deleted += 1
            gone.add(path)
        else:
            tally.refused[path] = f"{answer.status} {answer.fault()}"
    return gone


# -- checking ------------------------------------------------------------------------------


def check(cassette: Path, rsdl: Path, xsd: Path) -> dict[str, Any]:
    args = ["check", str(cassette), "--contract", str(rsdl), "--schema", str(xsd)]
    done = subprocess.run(
        [sys.executable, "-m", "contracttest", *args, "--format", "json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    document: dict[str, Any] = json.loads(done.stdout)
    return document


def summarise(document: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
    """(the errors, and the warnings grouped by rule as text)."""
    violations = document["violations"]
    errors = [v for v in violations if v["severity"] == "error"]
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for violation in violations:
        if violation["severity"] == "warning":
            by_rule.setdefault(violation["rule"], []).append(violation)
    lines = [f"{document['exchanges']} exchanges checked; {len(errors)} error(s)"]
    for rule, found in sorted(by_rule.items()):
        messages = Counter(f"{v['link']}: {v['xpath']}: {v['message']}" for v in found)
        lines.append(f"warning {rule}: {len(found)}")
        lines += [f"  {count}x {message}" for message, count in messages.most_common(12)]
    return errors, "\n".join(lines)


def describe(errors: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{e['rule']} #{e['index']} {e['method']} {e['uri']} {e['xpath']}: {e['message']}"
        for e in errors[:30]
    )


@contextmanager
def recording(cassette: Path) -> Iterator[None]:
    # record_mode "all" never plays back, yet vcrpy matches every request against all those
    # recorded (quadratic, with eager debug formatting): no matchers keeps that O(1)
    recorder = vcr.VCR(record_mode="all", match_on=())
    with recorder.use_cassette(str(cassette)):
        yield
    assert cassette.is_file(), "vcrpy wrote no cassette"


# -- the tests -----------------------------------------------------------------------------


def test_engine_impersonates_a_36_engine_across_its_whole_surface(
    contract_files: tuple[Path, Path], tmp_path: Path
) -> None:
    rsdl, xsd = contract_files
    contract, schema = load_contract(rsdl), load_schema(xsd)
    engine = open_engine(rsdl, xsd)
    cassette = tmp_path / "engine-3.6.yaml"
    tally = Tally()
    try:
        with EngineServer(engine.handle) as server, recording(cassette):
            client = Client(server.base_url, engine.prefix, version_header=True)
            view = Engine36(client, contract, schema)
            try:
                crawl(view, tally)  # the seeded engine
                create_everywhere(view, tally)
                crawl(view, tally)  # and again, with what the test created
                update_created(view, tally)
                gone = delete_created(view, tally)
                for collection in sorted({c for c, _ in tally.created if "/" not in c}):
                    listed = client.get(client.path(collection)).root()
                    hrefs = {e.get("href") for e in listed} if listed is not None else set()
                    assert not hrefs & gone, f"{collection} still lists removed entities"
            finally:
                client.close()
    finally:
        engine.close()
    print(tally.report())
    print(f"requests: {dict(client.methods)}")

    errors, warnings = summarise(check(cassette, rsdl, xsd))
    print(warnings)
    assert not errors, describe(errors)
    assert not tally.failed, tally.report()  # every add the test could satisfy was taken
    assert len(tally.created) >= MIN_CREATED, tally.report()
    # removals refused only for the entity's state (a host that is up), as a real engine does
    assert all(answer.startswith("409 ") for answer in tally.refused.values()), tally.report()
    assert len(tally.followed) >= 100, sorted(tally.followed)
    assert tally.updated >= 20 and tally.deleted >= 40, tally.report()


def test_contracttest_serve_answers_as_the_36_engine(
    contract_files: tuple[Path, Path], tmp_path: Path
) -> None:
    """The real command line: ``contracttest serve --port 0`` prints where it listens."""
    rsdl, xsd = contract_files
    command = [sys.executable, "-m", "contracttest", "serve", "--port", "0"]
    command += ["--contract", str(rsdl), "--schema", str(xsd)]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1
    )
    cassette = tmp_path / "serve-3.6.yaml"
    try:
        url = _served_url(process)
        parts = urlsplit(url)
        client = Client(f"{parts.scheme}://{parts.netloc}", parts.path, version_header=False)
        view = Engine36(client, load_contract(rsdl), load_schema(xsd))
        with recording(cassette):
            try:
                crawl(view, Tally())
                served = client.get(f"{parts.path}?rsdl").root()
                assert served is not None and served.tag == "rsdl"
                add = next(x for x in view.contract.links if x.href == "vms" and x.rel == "add")
                answer = client.send("POST", client.path("vms"), etree.tostring(view.body(add)))
                assert answer.status == 202, answer.fault()  # no Expect: created asynchronously
                created = answer.root()
                assert created is not None and created.find("creation_status/state") is not None
                href = created.get("href", "")
                client.get(href)
                assert client.send("DELETE", href, b"<action/>").status == 200
            finally:
                client.close()
    finally:
        process.terminate()
        try:
            _, err = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            _, err = process.communicate()
    assert process.returncode == 0, err
    assert "stopped" in err
    errors, warnings = summarise(check(cassette, rsdl, xsd))
    print(warnings)
    assert not errors, describe(errors)


def _served_url(process: subprocess.Popen[str]) -> str:
    """The URL ``contracttest serve`` prints on its first line (waiting at most 120 s: only a
    hang's bound, a busy machine starts it slowly)."""
    lines: list[str] = []
    reader = threading.Thread(
        target=lambda: lines.append(process.stdout.readline() if process.stdout else ""),
        daemon=True,
    )
    reader.start()
    reader.join(120)
    assert lines and lines[0], f"contracttest serve printed nothing (exit {process.poll()})"
    found = re.search(r"serving (http://\S+)", lines[0])
    assert found, lines[0]
    return found.group(1)


def test_collection_removal_and_attachment_act_on_what_the_body_names(
    contract_files: tuple[Path, Path],
) -> None:
    """Two shapes of the 3.6 contract the crawl meets: ``DELETE`` of the gluster bricks
    collection removes the bricks its body lists (not their volume), and adding a VM to an
    affinity group attaches that VM (no entity path of its own: it is linked at ``vms``)."""
    engine = open_engine(*contract_files)
    headers = {"authorization": CREDENTIALS, "content-type": "application/xml"}

    def call(method: str, path: str, body: str = "") -> tuple[int, Element | None]:
        request = HttpRequest(method, f"{engine.prefix}/{path}", headers, body.encode())
        response = engine.handle(request)
        return response.status, parse(response.body) if response.body.strip() else None

    try:
        _, clusters = call("GET", "clusters")
        assert clusters is not None
        cluster = clusters[0].get("id")
        brick = "<brick><server_id>s1</server_id><brick_dir>/b/{}</brick_dir></brick>"
        status, volume = call(
            "POST",
            f"clusters/{cluster}/glustervolumes",
            "<gluster_volume><name>gv</name><volume_type>distribute</volume_type>"
            f"<bricks>{brick.format(1)}</bricks></gluster_volume>",
        )
        assert status == 201 and volume is not None
        bricks = f"clusters/{cluster}/glustervolumes/{volume.get('id')}/bricks"
        status, added = call("POST", bricks, f"<bricks>{brick.format(2)}</bricks>")
        assert status == 201 and added is not None and added.tag == "bricks", status
        brick_id = added[0].get("id")
        assert call("DELETE", bricks, f'<bricks><brick id="{brick_id}"/></bricks>')[0] == 200
        assert call("GET", f"clusters/{cluster}/glustervolumes/{volume.get('id')}")[0] == 200
        _, left = call("GET", bricks)
        assert left is not None and brick_id not in {b.get("id") for b in left}

        status, vm = call(
            "POST",
            "vms",
            "<vm><name>vm1</name><template><name>Blank</name></template>"
            "<cluster><name>Default</name></cluster></vm>",
        )
        assert status in (201, 202) and vm is not None
        vm_id = vm.get("id")
        _, group = call(
            "POST",
            f"clusters/{cluster}/affinitygroups",
            "<affinity_group><name>ag</name><positive>true</positive>"
            "<enforcing>false</enforcing></affinity_group>",
        )
        assert group is not None
        members = f"clusters/{cluster}/affinitygroups/{group.get('id')}/vms"
        status, member = call("POST", members, f'<vm id="{vm_id}"/>')
        assert status == 201 and member is not None, status
        assert member.get("id") == vm_id and member.get("href") == f"{engine.prefix}/vms/{vm_id}"
        assert call("POST", members, "<vm><name>vm1</name></vm>")[0] == 409
        assert call("DELETE", f"{members}/{vm_id}", "<action/>")[0] == 200
        assert call("GET", f"vms/{vm_id}")[0] == 200  # detached, not removed
    finally:
        engine.close()

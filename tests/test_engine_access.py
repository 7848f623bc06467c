"""Authorization of the embedded engine, generated from the contract, over real HTTP.

Two worlds are stored in a fresh engine: one entity in every collection and sub-collection of
the contract (views included) owned by the admin, and the same owned by the non-admin user;
the admin's also in views of shared (seeded) owners. Then every RSDL link (path template and
method) is instantiated on the admin's world and sent by the user: with ``follow`` on every
GET, a body on every write. The user must learn nothing of the admin's world:

* every answer is the answer the same request gets with every id replaced by an unknown one
  (status and body, ids aside): what the user may not see does not exist for it;
* no answer holds an id of the admin's world that the request did not carry;
* nothing of the admin's world changes.

On the user's own world, every add that attaches or refers names an entity of the admin's
(by id, by name) and gets exactly what naming an unknown one gets. And the admin still sees
everything: every GET link on the user's world answers 200.
"""

from __future__ import annotations

import http.client
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from lxml import etree

import contracttest
from contracttest.engine import Engine, EngineServer, open_engine
from contracttest.engine.access import EVERYONE
from contracttest.engine.model import EngineModel, Kind, Template, View, generic
from contracttest.engine.store import Row
from contracttest.rsdl import Link

ADMIN = "admin@internal"
USER = "user@internal"
PASSWORD = "ovirt"
BUNDLED = Path(contracttest.__file__).parent / "contracts" / "v4"
BLANK = "00000000-0000-0000-0000-000000000000"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass
class World:
    """One owner's entities: the id at every generic entity template, where each is stored."""

    owner: str
    tag: str
    ids: dict[Template, str] = field(default_factory=dict)
    stored: dict[Template, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # id -> name
    #: (template, the collection's path under a shared owner, the entity's id there)
    under_shared: list[tuple[Template, tuple[str, str, str], str]] = field(default_factory=list)

    def path(self, template: Template) -> list[str] | None:
        """A link's template with this world's ids, or None where it has none."""
        segments: list[str] = []
        for k, segment in enumerate(template):
            if segment != "{id}":
                segments.append(segment)
                continue
            found = self.ids.get(template[: k + 1])
            if found is None:
                return None
            segments.append(found)
        return segments


def _document(kind: Kind, name: str, view: View | None = None, owner: str = "") -> bytes:
    root = etree.Element(kind.element)
    etree.SubElement(root, "name").text = name
    if view is not None:
        if view.item is None:
            etree.SubElement(root, view.field, id=owner)
        else:
            etree.SubElement(etree.SubElement(root, view.field), view.item, id=owner)
    return etree.tostring(root)


def populate(engine: Engine, owner: str, tag: str, shared: bool = False) -> World:
    """One entity of ``owner`` in every collection the contract has, stored as the engine
    stores them (a view's entity in its top-level collection, referring to its owner)."""
    model = engine.model
    world = World(owner, tag)
    store = engine.store
    kinds = sorted(
        (kind for kind in model.kinds.values() if not kind.generated),
        key=lambda kind: (len(kind.template), kind.template),
    )
    with store.transaction():
        for n, kind in enumerate(kinds):
            entity = (*kind.template, "{id}")
            entity_id = str(uuid.uuid4())
            name = f"{tag}-{n}"
            if kind.top_level:
                store.insert(Row(kind.name, entity_id, name, owner, _document(kind, name)))
                world.stored[entity] = f"{kind.name}/{entity_id}"
            else:
                parent = kind.template[:-1]
                owner_id = world.ids.get(parent)
                if owner_id is None:
                    continue
                view = model.view(kind)
                if view is not None:
                    doc = _document(view.top, name, view, owner_id)
                    store.insert(Row(view.top.name, entity_id, name, owner, doc))
                    world.stored[entity] = f"{view.top.name}/{entity_id}"
                else:
                    collection = f"{world.stored[parent]}/{kind.name}"
                    store.insert(Row(collection, entity_id, name, owner, _document(kind, name)))
                    world.stored[entity] = f"{collection}/{entity_id}"
            world.ids[entity] = entity_id
            world.names[entity_id] = name
        if shared:  # the admin's entities under shared (seeded) owners too
            for kind in kinds:
                owner_kind = model.kind(kind.template[:-2])
                if len(kind.template) != 3 or owner_kind is None or not owner_kind.top_level:
                    continue
                view = model.view(kind)
                for row in store.list(owner_kind.name):
                    if row.owner != EVERYONE:
                        continue
                    entity_id = str(uuid.uuid4())
                    name = f"{tag}-shared-{len(world.names)}"
                    if view is not None:
                        doc = _document(view.top, name, view, row.id)
                        store.insert(Row(view.top.name, entity_id, name, owner, doc))
                    else:
                        collection = f"{owner_kind.name}/{row.id}/{kind.name}"
                        doc = _document(kind, name)
                        store.insert(Row(collection, entity_id, name, owner, doc))
                    world.names[entity_id] = name
                    where = (owner_kind.name, row.id, kind.name)
                    world.under_shared.append((kind.template, where, entity_id))
    return world


@dataclass
class Reply:
    status: int
    body: bytes
    headers: list[tuple[str, str]]

    def normal(self, *swaps: tuple[str, str]) -> tuple[int, bytes]:
        """Status and body with every id made alike (and the given names swapped)."""
        body = _UUID.sub("ID", self.body.decode("utf-8", "replace"))
        for old, new in swaps:
            body = body.replace(old, new)
        return self.status, body.encode()

    def text(self) -> str:
        return self.body.decode("utf-8", "replace") + repr(self.headers)


class Client:
    def __init__(self, server: EngineServer, prefix: str, user: str) -> None:
        self.host, self.port = server.address
        self.prefix = prefix
        import base64

        self.auth = "Basic " + base64.b64encode(f"{user}:{PASSWORD}".encode()).decode()
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)

    def send(self, method: str, path: str, body: bytes | None = None) -> Reply:
        headers = {"Authorization": self.auth, "Content-Type": "application/xml"}
        if body is not None:
            headers["Expect"] = "201-created"
        for attempt in range(2):
            try:
                self.connection.request(method, f"{self.prefix}/{path}", body, headers)
                response = self.connection.getresponse()
                data = response.read()
                return Reply(response.status, data, response.getheaders())
            except (http.client.HTTPException, ConnectionError):
                self.connection.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.connection.close()


@dataclass
class Setup:
    engine: Engine
    admin_world: World
    user_world: World
    admin: Client
    user: Client
    server: EngineServer

    @property
    def model(self) -> EngineModel:
        return self.engine.model

    def private_ids(self) -> set[str]:
        return set(self.admin_world.names)

    def snapshot(self) -> list[Row]:
        """Everything not the user's: what no request of the user may change."""
        store = self.engine.store
        with store.lock:
            rows = store._db.execute(
                "SELECT collection, id, name, owner, doc FROM entities WHERE owner != ? "
                "AND collection != 'jobs' ORDER BY collection, id",
                (USER,),
            ).fetchall()
        return [Row(*row) for row in rows]


def _contracts() -> list[tuple[str, Path, Path]]:
    found = [("v4", BUNDLED / "rsdl.xml", BUNDLED / "api.xsd")]
    corpus = Path(__file__).resolve().parents[2] / "shared" / "corpus"
    import os

    corpus = Path(os.environ.get("CONTRACTTEST_CORPUS", corpus))
    v3 = (
        corpus / "rsdl" / "rsdl_3.6_pysdk_e99bbd10.xml",
        corpus / "xsd" / "api_3.6_pysdk_e99bbd10.xsd",
    )
    if v3[0].exists():
        found.append(("v3.6", *v3))
    return found


@contextmanager
def worlds(rsdl: Path, xsd: Path) -> Iterator[Setup]:
    engine = open_engine(rsdl, xsd)
    admin_world = populate(engine, ADMIN, "adm", shared=True)
    user_world = populate(engine, USER, "usr")
    with EngineServer(engine.handle) as server:
        admin = Client(server, engine.prefix, ADMIN)
        user = Client(server, engine.prefix, USER)
        try:
            yield Setup(engine, admin_world, user_world, admin, user, server)
        finally:
            admin.close()
            user.close()
    engine.close()


@pytest.fixture(scope="module", params=_contracts(), ids=lambda c: c[0])
def setup(request: pytest.FixtureRequest) -> Iterator[Setup]:
    with worlds(*request.param[1:]) as found:
        yield found


@pytest.fixture(params=_contracts(), ids=lambda c: c[0])
def fresh(request: pytest.FixtureRequest) -> Iterator[Setup]:
    """Worlds of their own, for a test that changes them."""
    with worlds(*request.param[1:]) as found:
        yield found


def _links(model: EngineModel) -> list[tuple[Template, Link]]:
    return sorted(
        ((generic(link.segments), link) for link in model.contract.links),
        key=lambda pair: (pair[0], pair[1].method),
    )


def _follow(model: EngineModel, template: Template) -> str:
    """``follow`` naming every sub-collection and reference of the entity at ``template``."""
    kind = model.kind(template[:-1]) if template and template[-1] == "{id}" else None
    kind = kind or model.kind(template)
    if kind is None:
        return ""
    names = [segment for segment, _ in model.shape(kind.entity_template).subcollections]
    entity = model.complex_type(kind.entity_type)
    names += sorted(entity.children) if entity is not None else []
    return "follow=" + ",".join(dict.fromkeys(names))


def _body(model: EngineModel, link: Link, name: str, entity_id: str | None = None) -> bytes:
    if link.is_action or link.method == "DELETE":
        return b"<action/>"
    names = model.schema.element_names(link.body_type or "") if link.body_type else ()
    tag = names[0] if names else "action"
    root = etree.Element(tag)
    if entity_id:
        root.set("id", entity_id)
    etree.SubElement(root, "name").text = name
    return etree.tostring(root)


def _fresh() -> str:
    return f"probe-{uuid.uuid4().hex[:8]}"


def _ghost(segments: list[str], world: World) -> list[str]:
    return [str(uuid.uuid4()) if s in world.names else s for s in segments]


def _leaks(reply: Reply, private: set[str], asked: str) -> set[str]:
    return {found for found in _UUID.findall(reply.text()) if found in private} - set(
        _UUID.findall(asked)
    )


def test_a_filtered_user_learns_nothing_of_another_users_world(setup: Setup) -> None:
    model = setup.model
    private = setup.private_ids()
    before = setup.snapshot()
    covered: set[tuple[Template, str]] = set()
    problems: list[str] = []
    for template, link in _links(model):
        segments = setup.admin_world.path(template)
        if segments is None or not any(s in private for s in segments):
            continue
        ghost = _ghost(segments, setup.admin_world)
        path, ghost_path = "/".join(segments), "/".join(ghost)
        body = None if link.method == "GET" else _body(model, link, "probe")
        if link.method == "GET":
            follow = _follow(model, template)
            path, ghost_path = f"{path}?{follow}", f"{ghost_path}?{follow}"
        seen = setup.user.send(link.method, path, body)
        unknown = setup.user.send(link.method, ghost_path, body)
        covered.add((template, link.method))
        if seen.normal() != unknown.normal():
            problems.append(
                f"{link.method} {path}: {seen.status} {seen.body[:200]!r}, "
                f"an unknown id gets {unknown.status} {unknown.body[:200]!r}"
            )
        leaked = _leaks(seen, private, path)
        if leaked:
            problems.append(f"{link.method} {path} shows the admin's {sorted(leaked)[:3]}")
    assert not problems, "\n".join(problems[:20])
    assert setup.snapshot() == before
    links = {(template, link.method) for template, link in _links(model) if "{id}" in template}
    print(f"\naccess: {len(covered)} (path, method) pairs of {len(links)} with ids tried")
    assert len(covered) >= 0.9 * len(links)


def test_what_hangs_under_shared_owners_is_seen_by_its_own_owner(setup: Setup) -> None:
    """A cluster every user sees, holding the admin's affinity group (a sub-collection) or a
    data centre holding the admin's private cluster (a view): the user's listing, ``follow``
    and every method on the entity answer as if it did not exist."""
    model = setup.model
    private = setup.private_ids()
    before = setup.snapshot()
    problems: list[str] = []
    for template, (owner, owner_id, segment), entity_id in setup.admin_world.under_shared:
        collection = f"{owner}/{owner_id}/{segment}"
        follow = _follow(model, template[:-1])
        for asked in (collection, f"{owner}/{owner_id}?{follow}"):
            reply = setup.user.send("GET", asked)
            if reply.status != 200 or _leaks(reply, private, asked):
                problems.append(f"GET {asked}: {reply.status}, shows the admin's")
            if setup.admin.send("GET", asked).status != 200:
                problems.append(f"the admin cannot GET {asked}")
        entity = f"{collection}/{entity_id}"
        ghost = f"{collection}/{uuid.uuid4()}"
        methods = model.links.get((*template, "{id}"), {})
        for method in sorted(methods):
            body = None if method in ("GET", "DELETE") else _body(model, methods[method], "x")
            seen, unknown = (setup.user.send(method, path, body) for path in (entity, ghost))
            if seen.normal() != unknown.normal():
                problems.append(f"{method} {entity}: {seen.status}, unknown: {unknown.status}")
    assert not problems, "\n".join(problems[:20])
    assert setup.snapshot() == before
    assert setup.admin_world.under_shared


def test_the_user_cannot_attach_or_name_what_it_cannot_see(setup: Setup) -> None:
    """Every add under the user's own entities names an admin's entity (by id, then by
    name): the answer is the one an unknown id or name gets, and nothing of the admin's
    changes."""
    model = setup.model
    private = setup.private_ids()
    before = setup.snapshot()
    problems: list[str] = []
    tried = 0
    for template, link in _links(model):
        if link.method != "POST" or link.is_action or not template or template[-1] == "{id}":
            continue
        segments = setup.user_world.path(template)
        kind = model.kind(template)
        if segments is None or kind is None:
            continue
        target = model.view(kind)
        top = target.top if target is not None else model.reference_kinds.get(kind.entity_type)
        if top is None:
            continue
        theirs = setup.admin_world.ids.get((*top.template, "{id}"))
        if theirs is None:
            continue
        path = "/".join(segments)
        name = setup.admin_world.names[theirs]
        ghost_name = f"ghost-{uuid.uuid4().hex[:8]}"
        for mine, unknown in (
            (_body(model, link, _fresh(), theirs), _body(model, link, _fresh(), str(uuid.uuid4()))),
            (_body(model, link, name), _body(model, link, ghost_name)),
        ):
            first = setup.user.send("POST", path, unknown)
            second = setup.user.send("POST", path, mine)
            tried += 1
            if first.status != second.status:
                problems.append(
                    f"POST {path} {mine!r}: {second.status} {second.body[:200]!r}; "
                    f"unknown: {first.status} {first.body[:200]!r}"
                )
            leaked = _leaks(second, private, path + mine.decode())
            if leaked:
                problems.append(f"POST {path} shows the admin's {sorted(leaked)[:3]}")
    assert not problems, "\n".join(problems[:20])
    assert setup.snapshot() == before
    assert tried


def test_the_admin_still_sees_everything(setup: Setup) -> None:
    model = setup.model
    failures = []
    tried = 0
    for template, link in _links(model):
        if link.method != "GET":
            continue
        segments = setup.user_world.path(template)
        if segments is None or "{id}" not in template:
            continue
        path = "/".join(segments)
        reply = setup.admin.send("GET", path)
        tried += 1
        if reply.status != 200:
            failures.append(f"GET {path}: {reply.status}")
        elif template[-1] != "{id}" and model.kind(template) is not None:
            continue
    assert not failures, failures[:10]
    assert tried
    listing = setup.admin.send("GET", "vms")
    assert setup.user_world.ids[("vms", "{id}")].encode() in listing.body


@pytest.mark.parametrize(
    "collection", ["users", "groups", "roles", "tags", "datacenters", "clusters", "hosts"]
)
def test_administrative_collections_are_the_admins(setup: Setup, collection: str) -> None:
    kind = setup.model.top_kinds.get(collection)
    if kind is None:
        pytest.skip(f"no {collection} in this contract")
    body = f"<{kind.element}><name>not-{uuid.uuid4().hex[:6]}</name></{kind.element}>".encode()
    if collection == "users":
        body = (
            b"<user><user_name>intruder@internal</user_name><domain><name>internal-authz</name>"
            b"</domain></user>"
        )
    reply = setup.user.send("POST", collection, body)
    assert reply.status == 403, reply
    assert b"User is not authorized to perform this action." in reply.body
    shared = next(
        (row for row in setup.engine.store.list(collection) if row.owner == EVERYONE), None
    )
    if shared is not None:  # seen, not changed
        assert setup.user.send("GET", f"{collection}/{shared.id}").status == 200
        assert setup.user.send("PUT", f"{collection}/{shared.id}", body).status == 403
        assert setup.user.send("DELETE", f"{collection}/{shared.id}").status == 403


def test_a_filtered_user_is_not_shown_its_vms_host(setup: Setup) -> None:
    """As the real engine's ``removeRestrictedInfo``: the VM's host and placement policy are
    the admin's to see; the cluster and template references stay."""
    engine = setup.engine
    vms = setup.model.top_kinds.get("vms")
    host = next(iter(engine.store.list("hosts")), None)
    if vms is None or host is None:
        pytest.skip("no VMs or hosts in this contract")
    mine = setup.user_world.ids[("vms", "{id}")]
    row = engine.store.get("vms", mine)
    assert row is not None
    doc = row.doc.replace(
        b"</vm>",
        f'<host id="{host.id}"/><placement_policy><affinity>pinned</affinity></placement_policy>'
        f'<template id="{BLANK}"/></vm>'.encode(),
    )
    engine.store.update("vms", mine, doc, row.name)
    seen = etree.fromstring(setup.user.send("GET", f"vms/{mine}").body)
    assert seen.find("host") is None and seen.find("placement_policy") is None
    assert seen.find("template").get("id") == BLANK  # a shared reference stays
    listed = etree.fromstring(setup.user.send("GET", "vms").body)
    assert not listed.xpath("//vm/host")
    admin = etree.fromstring(setup.admin.send("GET", f"vms/{mine}").body)
    assert admin.find("host") is not None and admin.find("placement_policy") is not None


def test_a_name_the_user_cannot_see_clashes_with_nothing(setup: Setup) -> None:
    """Creating a VM named as the admin's (which the user cannot see) answers as a new name
    does; the user's own name does clash."""
    if "vms" not in setup.model.top_kinds:
        pytest.skip("no VMs in this contract")
    theirs = setup.admin_world.names[setup.admin_world.ids[("vms", "{id}")]]

    def vm(name: str) -> bytes:
        return (
            f"<vm><name>{name}</name><cluster><name>Default</name></cluster>"
            f"<template><name>Blank</name></template></vm>"
        ).encode()

    fresh = setup.user.send("POST", "vms", vm(f"fresh-{uuid.uuid4().hex[:8]}"))
    taken = setup.user.send("POST", "vms", vm(theirs))
    assert fresh.status == taken.status == 201, (fresh, taken)
    again = setup.user.send("POST", "vms", vm(theirs))
    assert again.status == 409  # its own VM holds the name now


def test_a_user_the_admin_adds_sees_itself(setup: Setup) -> None:
    users = setup.model.top_kinds.get("users")
    if users is None:
        pytest.skip("no users in this contract")
    name = f"jane{uuid.uuid4().hex[:6]}@internal"
    body = f"<user><user_name>{name}</user_name><domain><name>internal-authz</name></domain></user>"
    added = setup.admin.send("POST", "users", body.encode())
    assert added.status == 201, added
    jane_id = etree.fromstring(added.body).get("id")
    jane = Client(setup.server, setup.engine.prefix, name)
    try:
        listed = etree.fromstring(jane.send("GET", "users").body)
        assert [user.get("id") for user in listed] == [jane_id]
        assert jane.send("GET", f"users/{jane_id}").status == 200
        assert jane.send("DELETE", f"users/{jane_id}").status == 403
        root = etree.fromstring(jane.send("GET", "").body)
        found = root.find("authenticated_user")
        assert found is None or found.get("id") == jane_id
    finally:
        jane.close()


def test_a_user_detaches_a_shared_entity_from_its_own(setup: Setup) -> None:
    """The root tag (shared) on the user's own VM: attaching and detaching change the VM."""
    if ("vms", "{id}", "tags") not in setup.model.kinds or "tags" not in setup.model.top_kinds:
        pytest.skip("no VM tags in this contract")
    mine = setup.user_world.ids[("vms", "{id}")]
    attached = setup.user.send("POST", f"vms/{mine}/tags", f'<tag id="{BLANK}"/>'.encode())
    assert attached.status == 201, attached
    assert setup.user.send("DELETE", f"vms/{mine}/tags/{BLANK}").status == 200
    assert setup.user.send("DELETE", f"tags/{BLANK}").status == 403  # the tag is not its own


def test_what_the_admin_joins_the_users_entities_to_stays_unseen(fresh: Setup) -> None:
    """The admin puts the user's entities in its own (the user's VM in the admin's affinity
    label, through every view that joins): the user's own representations, listings and
    ``follow`` show nothing of the admin's."""
    model = fresh.model
    joined = 0
    for kind in model.kinds.values():
        view = model.view(kind)
        if view is None or len(kind.template) != 3:
            continue
        theirs = fresh.admin_world.ids.get((*kind.template[:2],))
        mine = fresh.user_world.ids.get((*view.top.template, "{id}"))
        if theirs is None or mine is None:
            continue
        body = f'<{view.top.element} id="{mine}"/>'.encode()
        reply = fresh.admin.send("POST", f"{kind.template[0]}/{theirs}/{kind.name}", body)
        joined += reply.status in (200, 201)
    assert joined
    private = fresh.private_ids()
    problems = []
    for template, link in _links(model):
        segments = fresh.user_world.path(template)
        if link.method != "GET" or segments is None:
            continue
        asked = "/".join(segments) + "?" + _follow(model, template)
        leaked = _leaks(fresh.user.send("GET", asked), private, asked)
        if leaked:
            problems.append(f"GET {asked[:120]} shows the admin's {sorted(leaked)[:2]}")
    assert not problems, "\n".join(problems[:10])


def test_a_removed_user_is_logged_out_and_leaves_nothing_to_a_namesake(fresh: Setup) -> None:
    if "users" not in fresh.model.top_kinds or "vms" not in fresh.model.top_kinds:
        pytest.skip("no users or VMs in this contract")
    name = f"jane{uuid.uuid4().hex[:6]}@internal"
    body = f"<user><user_name>{name}</user_name><domain><name>internal-authz</name></domain></user>"
    jane_id = etree.fromstring(fresh.admin.send("POST", "users", body.encode()).body).get("id")
    jane = Client(fresh.server, fresh.engine.prefix, name)
    token = fresh.engine.auth.issue_token(
        {"grant_type": "password", "username": name, "password": PASSWORD}
    )["access_token"]
    vm = (
        f"<vm><name>janes-{uuid.uuid4().hex[:6]}</name><cluster><name>Default</name></cluster>"
        "<template><name>Blank</name></template></vm>"
    )
    namesake = Client(fresh.server, fresh.engine.prefix, name)
    try:
        janes = etree.fromstring(jane.send("POST", "vms", vm.encode()).body).get("id")
        assert fresh.admin.send("DELETE", f"users/{jane_id}").status == 200
        jane.auth = f"Bearer {token}"
        assert jane.send("GET", "vms").status == 401
        fresh.admin.send("POST", "users", body.encode())  # a namesake
        listed = namesake.send("GET", "vms")
        assert listed.status == 200 and janes.encode() not in listed.body
    finally:
        jane.close()
        namesake.close()

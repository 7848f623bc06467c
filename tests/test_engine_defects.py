"""Defects on purpose: each switch breaks one promise of the embedded engine, and only when on.

Every defect of the catalogue has a demonstration below, run over real HTTP on loopback
against a sound engine and against one with that defect alone, for the v4 and the v3 API:
the same requests, the sound answers and the broken ones. Then the contract checks run over
the exchanges each engine's tap saw: ``CAUGHT_BY_CONTRACT`` is what they find on the broken
engine and not on the sound one, and every defect missing from it is one that only a suite
that remembers what it wrote (a property-based CRUD suite) can catch. Last, ``serve``'s
options as a user meets them.
"""

from __future__ import annotations

import subprocess
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from contracttest.checker import Checker
from contracttest.engine import Defects, UnknownDefect, open_engine
from contracttest.engine.defects import SOUND, catalogue
from contracttest.engine.tap import Tap
from contracttest.rules import RULES, Severity
from tests.test_engine_cli import COMMAND, assert_one_line_error, stop
from tests.test_engine_http import (
    ADMIN,
    RSDL_36,
    XSD_36,
    Api,
    Contract,
    Reply,
    add_nic,
    add_vm,
    assert_not_found,
    basic,
    running,
    state,
    unique,
    vm_body,
    vm_state,
)

CREATED = {"Expect": "201-created"}

Demonstration = Callable[[Api, bool], None]
#: defect name -> what it breaks, shown: ``demo(api, broken)`` asserts the sound answers
#: when ``broken`` is False and the broken ones when it is True.
DEMONSTRATIONS: dict[str, Demonstration] = {}

#: What the contract checks alone find in a demonstration's traffic on the broken engine and
#: not on the sound one (error rules). The other defects need a suite that remembers what it
#: wrote, what it deleted and what it was refused.
CAUGHT_BY_CONTRACT: dict[str, set[str]] = {
    "delete-leaves-entity": {"state.use-after-delete"},
    "orphan-subresources": {"state.use-after-delete"},
    "wrong-status": {"response.status"},
    "missing-location": {"response.location"},
    "wrong-href": {"response.href", "link.undocumented"},  # and the client that follows it
}

#: Rules about what the client sent (the demonstrations' client sends no ``Content-Type``
#: with a body-less v3 DELETE, and sends incomplete bodies on purpose): whatever the engine.
CLIENT_RULES = frozenset(rule for rule in RULES if rule.startswith(("request.", "link.")))

#: What the checks find in a demonstration's traffic on the sound engine that is wrong: none
#: (a NIC asked for after its VM was deleted answers 404, rightly: ``checks/state.py`` forgets
#: what was created below a deleted entity).
FALSE_ALARMS: dict[str, set[str]] = {}


def demonstrates(name: str) -> Callable[[Demonstration], Demonstration]:
    def register(demo: Demonstration) -> Demonstration:
        DEMONSTRATIONS[name] = demo
        return demo

    return register


def names(reply: Reply) -> list[str]:
    assert reply.status == 200, reply
    return reply.names()


def search(api: Api, query: str) -> list[str]:
    return names(api.get(f"/vms?search={quote(query)}"))


# -- the demonstrations --------------------------------------------------------------------


@demonstrates("update-ignores-field")
def _update_ignores_field(api: Api, broken: bool) -> None:
    name = unique()
    vm = add_vm(api, name, "<description>before</description>")
    body = f"<vm><name>{name}</name><description>after</description><comment>c</comment></vm>"
    reply = api.put(f"/vms/{vm}", body)  # the name is unchanged: the description is the first
    assert reply.status == 200, reply
    for shown in (reply.xml, api.get(f"/vms/{vm}").xml):
        assert shown.findtext("description") == ("before" if broken else "after")
        assert shown.findtext("comment") == "c"  # only the first change is lost
        assert shown.findtext("name") == name


@demonstrates("add-drops-field")
def _add_drops_field(api: Api, broken: bool) -> None:
    name = unique()
    extra = "<description>kept?</description><comment>kept</comment>"
    reply = api.post("/vms", vm_body(name, extra), headers=CREATED)
    assert reply.status == 201, reply
    got = api.get(f"/vms/{reply.xml.get('id')}").xml
    for shown in (reply.xml, got):
        assert shown.findtext("name") == name
        assert shown.find("cluster") is not None and shown.find("template") is not None
        assert shown.findtext("description") == (None if broken else "kept?")
        assert shown.findtext("comment") == "kept"


@demonstrates("delete-leaves-entity")
def _delete_leaves_entity(api: Api, broken: bool) -> None:
    name = unique()
    vm = add_vm(api, name)
    reply = api.delete(f"/vms/{vm}")
    assert reply.status == 200, reply
    if broken:
        assert api.get(f"/vms/{vm}").status == 200
        assert name in names(api.get("/vms"))
        assert search(api, f"name={name}") == [name]
    else:
        assert_not_found(api, api.get(f"/vms/{vm}"))
        assert name not in names(api.get("/vms"))
        assert search(api, f"name={name}") == []


@demonstrates("orphan-subresources")
def _orphan_subresources(api: Api, broken: bool) -> None:
    vm = add_vm(api)
    nic = add_nic(api, vm)
    assert api.delete(f"/vms/{vm}").status == 200
    assert_not_found(api, api.get(f"/vms/{vm}"))  # the entity itself is gone either way
    orphan = api.get(f"/vms/{vm}/nics/{nic}")
    listing = api.get(f"/vms/{vm}/nics")
    if broken:
        assert orphan.status == 200 and orphan.xml.get("id") == nic, orphan
        assert [n.get("id") for n in listing.xml] == [nic]
    else:
        assert_not_found(api, orphan)
        assert_not_found(api, listing)


@demonstrates("wrong-status")
def _wrong_status(api: Api, broken: bool) -> None:
    name = unique()
    reply = api.post("/vms", vm_body(name), headers=CREATED)
    assert reply.status == (200 if broken else 201), reply
    assert reply.xml.findtext("name") == name
    assert reply.header("Location"), reply  # all else as sound


@demonstrates("missing-location")
def _missing_location(api: Api, broken: bool) -> None:
    reply = api.post("/vms", vm_body(unique()), headers=CREATED)
    assert reply.status == 201, reply
    location = reply.header("Location")
    if broken:
        assert location is None, reply
    else:
        assert location is not None and urlsplit(location).path == reply.xml.get("href")


@demonstrates("wrong-href")
def _wrong_href(api: Api, broken: bool) -> None:
    reply = api.post("/vms", vm_body(unique()), headers=CREATED)
    assert reply.status == 201, reply
    vm = reply.xml.get("id")
    href = reply.xml.get("href") or ""
    assert href == f"{api.prefix}/{'vm' if broken else 'vms'}/{vm}"
    followed = api.get(href)
    if broken:
        assert_not_found(api, followed)
    else:
        assert followed.status == 200 and followed.xml.get("id") == vm, followed
    nic = add_nic(api, vm or "")  # a sub-entity's href names its element too
    got = api.get(f"/vms/{vm}/nics/{nic}").xml
    assert got.get("href") == f"{api.prefix}/vms/{vm}/{'nic' if broken else 'nics'}/{nic}"


@demonstrates("search-stale")
def _search_stale(api: Api, broken: bool) -> None:
    added, removed = unique("added"), unique("removed")
    gone = add_vm(api, removed)
    assert search(api, f"name={removed}") == [removed]  # the first search of the collection
    assert search(api, f"name={added}") == []
    add_vm(api, added)
    assert api.delete(f"/vms/{gone}").status == 200
    assert search(api, f"name={added}") == ([] if broken else [added])
    assert search(api, f"name={removed}") == ([removed] if broken else [])
    listed = names(api.get("/vms"))  # a listing without a search is right either way
    assert added in listed and removed not in listed


@demonstrates("lifecycle-stuck")
def _lifecycle_stuck(api: Api, broken: bool) -> None:
    vm = add_vm(api)
    reply = api.post(f"/vms/{vm}/start", "<action/>")
    assert reply.status == 200, reply
    assert state(reply.xml) == "complete"
    assert vm_state(api, vm) == ("down" if broken else "up")


@demonstrates("no-fault-detail")
def _no_fault_detail(api: Api, broken: bool) -> None:
    body = f"<vm><name>{unique()}</name><template><name>Blank</name></template></vm>"
    reply = api.post("/vms", body, headers=CREATED)
    assert reply.status == 400, reply
    reason, detail = reply.fault
    assert reason == "Incomplete parameters"
    if broken:
        assert detail == reason
    else:
        assert detail == "VM [cluster.id|name] required for add"
    vm = add_vm(api)
    assert api.post(f"/vms/{vm}/stop", "<action/>").status == 409  # a state refusal too
    reply = api.post(f"/vms/{vm}/stop", "<action/>")
    assert reply.fault[1] == (
        "Operation Failed" if broken else "[Cannot stop VM. VM is not running.]"
    )


@demonstrates("accepts-invalid")
def _accepts_invalid(api: Api, broken: bool) -> None:
    name = unique()
    body = f"<vm><name>{name}</name><template><name>Blank</name></template></vm>"  # no cluster
    reply = api.post("/vms", body, headers=CREATED)
    if broken:
        assert reply.status == 201, reply
        assert reply.xml.find("cluster") is None
        assert name in names(api.get("/vms"))
    else:
        assert reply.status == 400, reply
        assert reply.fault[0] == "Incomplete parameters"
        assert name not in names(api.get("/vms"))


@demonstrates("duplicate-name-accepted")
def _duplicate_name_accepted(api: Api, broken: bool) -> None:
    name = unique()
    add_vm(api, name)
    again = api.post("/vms", vm_body(name), headers=CREATED)
    other = add_vm(api)
    renamed = api.put(f"/vms/{other}", f"<vm><name>{name}</name></vm>")
    if broken:
        assert (again.status, renamed.status) == (201, 200), (again, renamed)
        assert search(api, f"name={name}") == [name] * 3
    else:
        assert (again.status, renamed.status) == (409, 409), (again, renamed)
        assert again.fault[1].startswith("[Cannot add VM.")
        assert search(api, f"name={name}") == [name]


# -- engines ---------------------------------------------------------------------------------


@pytest.fixture(params=["v3", "v4"])
def contract(request: pytest.FixtureRequest) -> Contract:
    """The corpus 3.6 contract (skipped without the corpus) or the bundled v4 one."""
    if request.param == "v4":
        return None, None
    corpus: Path = request.getfixturevalue("corpus")
    return corpus / RSDL_36, corpus / XSD_36


@pytest.fixture
def start(contract: Contract) -> Iterator[Callable[..., tuple[Api, Tap]]]:
    """Start fresh engines of the contract (``start(defects=[...])``), each with a tap."""
    with ExitStack() as stack:

        def starter(**options: object) -> tuple[Api, Tap]:
            api = stack.enter_context(running(contract, **options))
            tap = Tap(f"http://{api.host}:{api.port}", name="defects")
            api.engine.observers.append(tap)
            return api, tap

        yield starter


# -- every defect, shown -----------------------------------------------------------------------


def test_every_defect_is_demonstrated() -> None:
    assert list(DEMONSTRATIONS) == list(catalogue())
    assert set(CAUGHT_BY_CONTRACT) <= set(catalogue())


@pytest.mark.parametrize("broken", [False, True], ids=["sound", "broken"])
@pytest.mark.parametrize("defect", list(catalogue()))
def test_defect_breaks_its_promise_only_when_on(
    start: Callable[..., tuple[Api, Tap]], defect: str, broken: bool
) -> None:
    api, _ = start(defects=[defect] if broken else [])
    assert api.engine.defects == Defects.of([defect] if broken else [])
    DEMONSTRATIONS[defect](api, broken)


def _error_rules(checker: Checker, tap: Tap) -> set[str]:
    violations = checker.check_exchanges(tap.exchanges)
    return {v.rule for v in violations if v.severity is Severity.ERROR}


@pytest.mark.parametrize("defect", list(catalogue()))
def test_contract_rules_catch_what_they_can(
    start: Callable[..., tuple[Api, Tap]], defect: str
) -> None:
    """The demonstration's traffic checked: on the sound engine, the checks find only the
    client's own doing (and ``FALSE_ALARMS``); on the broken one, ``CAUGHT_BY_CONTRACT``
    more, and nothing more for the defects only a property suite catches."""
    found = {}
    for broken in (False, True):
        api, tap = start(defects=[defect] if broken else [])
        DEMONSTRATIONS[defect](api, broken)
        model = api.engine.model
        found[broken] = _error_rules(Checker(model.contract, model.schema), tap)
    assert found[False] - CLIENT_RULES == FALSE_ALARMS.get(defect, set()), found
    assert found[True] - found[False] == CAUGHT_BY_CONTRACT.get(defect, set()), found


# -- the Python API ----------------------------------------------------------------------------


def test_the_sound_engine_has_no_defect() -> None:
    engine = open_engine()
    try:
        assert engine.defects == SOUND and not engine.defects
        assert str(engine.defects) == "none" and engine.defects.names == ()
    finally:
        engine.close()


def test_defects_by_name_in_the_catalogue_order() -> None:
    chosen = Defects.of(["wrong-href", "wrong-status", "wrong-href"])
    assert chosen.names == ("wrong-status", "wrong-href")
    assert str(chosen) == "wrong-status, wrong-href"
    assert chosen.wrong_status and chosen.wrong_href and not chosen.search_stale
    assert Defects.of("lifecycle-stuck") == Defects(lifecycle_stuck=True)  # one name alone
    assert Defects.of(chosen) is chosen
    for name, does in catalogue().items():
        assert name.replace("-", "_") in Defects.__dataclass_fields__
        assert does and "\n" not in does and len(f"{name:<24}  {does}") <= 120


@pytest.mark.parametrize("name", ["wrong_status", "nope", "", "Wrong-Status"])
def test_an_unknown_defect_is_one_line_naming_the_known(name: str) -> None:
    with pytest.raises(UnknownDefect) as raised:
        open_engine(defects=[name])
    message = str(raised.value)
    assert "\n" not in message and f"unknown defect {name!r}" in message
    assert all(known in message for known in catalogue())


def test_a_broken_engine_says_so_at_its_root(start: Callable[..., tuple[Api, Tap]]) -> None:
    sound, _ = start()
    broken, _ = start(defects=["wrong-status", "search-stale"])
    assert sound.get("").xml.findtext("product_info/name") == "oVirt Engine"
    assert broken.get("").xml.findtext("product_info/name") == (
        "oVirt Engine (broken on purpose: wrong-status, search-stale)"
    )


# -- serve ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "says", "status"),
    [
        (["--defect", "wrong-status", "--defect", "missing-location"],
         "BROKEN ON PURPOSE, defects: wrong-status, missing-location; ", 200),
        ([], None, 201),
    ],
    ids=["broken", "sound"],
)  # fmt: skip
def test_serve_banner_names_the_defects_on(args: list[str], says: str | None, status: int) -> None:
    process = subprocess.Popen(
        [*COMMAND, "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        assert banner.startswith("contracttest engine: serving http://127.0.0.1:"), banner
        if says is None:
            assert "BROKEN" not in banner and "defect" not in banner, banner
        else:
            assert says in banner, banner
        url = banner.split("serving ", 1)[1].split()[0]
        request = urllib.request.Request(
            f"{url}/tags",
            data=f"<tag><name>{unique('tag')}</name></tag>".encode(),
            headers={"Content-Type": "application/xml", "Authorization": basic(ADMIN, "ovirt")},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=60) as reply:  # the defects are served
            assert reply.status == status
            assert (reply.headers.get("Location") is None) == (says is not None)
    finally:
        code, stderr = stop(process)
    assert code == 0, stderr


@pytest.mark.parametrize("name", ["nope", "wrong-stat"])
def test_serve_unknown_defect_is_a_one_line_usage_error(name: str) -> None:
    result = subprocess.run(
        [*COMMAND, "serve", "--defect", "wrong-status", "--defect", name],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert_one_line_error(result.stderr, f"unknown defect {name!r}")
    assert all(known in result.stderr for known in catalogue())
    if name == "wrong-stat":
        assert "did you mean 'wrong-status'?" in result.stderr


@pytest.mark.parametrize("option", [["--defect", "help"], ["--list-defects"]])
def test_serve_lists_the_defects_one_line_each(option: list[str]) -> None:
    result = subprocess.run(
        [*COMMAND, "serve", *option], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == list(catalogue())
    for line, does in zip(lines, catalogue().values(), strict=True):
        assert line.endswith(does)

"""Recording and replaying through ``RecordingCassette``: a real client, real vcrpy patches,
real cassette files; the embedded engine on loopback where something is recorded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from contracttest.client import Client
from contracttest.engine import EngineServer, open_engine
from contracttest.exchange import Exchange
from contracttest.matching import canonical_body, request_key
from contracttest.offline import NetworkBlocked, network_blocked
from contracttest.recording import MissingCassette, RecordingCassette, UnmatchedRequest

GOLDEN = Path(__file__).parent / "golden"
REPLAY_URL = "https://engine.invalid/ovirt-engine/api"


@pytest.fixture(scope="module")
def live() -> Iterator[str]:
    engine = open_engine()
    with EngineServer(engine.handle) as server:
        yield f"{server.base_url}{engine.prefix}"
    engine.close()


def record(path: Path, url: str, mode: str, session: object) -> list[Exchange]:
    seen: list[Exchange] = []
    with RecordingCassette.use(
        path=str(path), mode=mode, observer=lambda e, _: seen.append(e), display=path.name
    ):
        client = Client(url, "admin@internal", "ovirt", keep=False)
        session(client)  # type: ignore[operator]
        client.close()
    return seen


def replay(path: Path, session: object, **kwargs: Any) -> list[Exchange]:
    seen: list[Exchange] = []
    login = kwargs.pop("login", "sso")
    with (
        network_blocked("test"),
        RecordingCassette.use(
            path=str(path),
            mode=kwargs.pop("mode", "none"),
            observer=lambda e, _: seen.append(e),
            display=kwargs.pop("display", path.name),
            **kwargs,
        ),
    ):
        client = Client(REPLAY_URL, "admin@internal", "not-the-password", login=login, keep=False)
        session(client)  # type: ignore[operator]
        client.close()
    return seen


def _search(client: Client) -> None:
    assert client.get("clusters", search="name=Default").status == 200
    assert client.get("").status == 200


def test_replay_answers_what_was_recorded_without_the_network(live: str, tmp_path: Path) -> None:
    path = tmp_path / "search.yaml"
    recorded = record(path, live, "all", _search)
    replayed = replay(path, _search)
    assert [(e.request.method, e.request.uri) for e in replayed] == [
        (e.request.method, e.request.uri) for e in recorded
    ]
    assert [e.response.body for e in replayed] == [e.response.body for e in recorded]


def test_replay_never_needs_the_password(live: str, tmp_path: Path) -> None:
    path = tmp_path / "search.yaml"
    record(path, live, "all", _search)
    text = path.read_text()
    assert "password=scrubbed-password" in text
    assert "ovirt&" not in text and "password=ovirt" not in text
    replay(path, _search)  # another password: the scrubbed form still matches


def test_a_polled_request_replays_in_order_then_keeps_the_last(tmp_path: Path) -> None:
    path = tmp_path / "poll.yaml"
    statuses = ["wait_for_launch", "powering_up", "up"]
    interactions = [_interaction("GET", "/ovirt-engine/api/vms/1", status) for status in statuses]
    path.write_text(yaml.safe_dump({"version": 1, "interactions": interactions}))
    seen: list[str] = []

    def poll(client: Client) -> None:
        for _ in range(5):
            reply = client.get("vms/1")
            assert reply.root is not None
            seen.append(reply.root.findtext("status") or "")

    replay(path, poll, mode="none", login="basic")
    assert seen == ["wait_for_launch", "powering_up", "up", "up", "up"]


def _interaction(method: str, path: str, status: str, body: str = "") -> dict[str, object]:
    return {
        "request": {
            "method": method,
            "uri": f"https://engine.example.com{path}",
            "body": body or None,
            "headers": {"Accept": ["application/xml"]},
        },
        "response": {
            "status": {"code": 200, "message": "OK"},
            "headers": {"Content-Type": ["application/xml"]},
            "body": {"string": f'<vm href="{path}" id="1"><status>{status}</status></vm>'},
        },
    }


def test_bodies_match_by_meaning_not_bytes(tmp_path: Path) -> None:
    path = tmp_path / "body.yaml"
    recorded_body = (
        '<vm xmlns:a="urn:x"><name>web</name>\n  <a:memory unit="b" kind="x">1</a:memory></vm>'
    )
    interactions = [_interaction("PUT", "/ovirt-engine/api/vms/1", "down", recorded_body)]
    path.write_text(yaml.safe_dump({"version": 1, "interactions": interactions}))
    sent = '<vm><name>web</name><b:memory xmlns:b="urn:x" kind="x" unit="b">1</b:memory></vm>'

    def update(client: Client) -> None:
        assert client.update("vms/1", sent).status == 200

    replay(path, update, login="basic")


def _fixed(name: str) -> str:
    return (GOLDEN / name).read_text()


def test_a_missing_cassette_says_so_and_how_to_record_it(tmp_path: Path) -> None:
    with pytest.raises(MissingCassette) as missing:
        replay(
            tmp_path / "absent.yaml",
            _search,
            display="cassettes/test_vms/test_search.yaml",
            record_command="pytest tests/test_vms.py::test_search --record-mode once --engine URL",
        )
    assert str(missing.value) + "\n" == _fixed("replay-missing.txt")


def test_an_unmatched_request_names_the_nearest_and_what_differs(live: str, tmp_path: Path) -> None:
    path = tmp_path / "search.yaml"
    record(path, live, "all", _search)

    def other(client: Client) -> None:
        client.get("clusters", search="name=Other")

    with pytest.raises(UnmatchedRequest) as unmatched:
        replay(
            path,
            other,
            display="cassettes/test_vms/test_search.yaml",
            rerecord_command=(
                "pytest tests/test_vms.py::test_search --record-mode rewrite --engine URL"
            ),
        )
    assert str(unmatched.value) + "\n" == _fixed("replay-unmatched.txt")


@pytest.mark.parametrize("exists", [False, True], ids=["missing", "unmatched"])
def test_a_replay_miss_never_shows_a_secret_of_the_live_request(
    live: str, tmp_path: Path, exists: bool
) -> None:
    """The live request is shown as it would have been recorded: its URI's secrets scrubbed."""
    path = tmp_path / "search.yaml"
    if exists:
        record(path, live, "all", _search)

    def leaky(client: Client) -> None:
        client.get("clusters", search="name=x", password="Hunter2-in-a-query")

    with pytest.raises((MissingCassette, UnmatchedRequest)) as miss:
        replay(path, leaky, login="basic")  # no SSO exchange first: the GET is the miss
    assert "Hunter2-in-a-query" not in str(miss.value)
    assert "GET /ovirt-engine/api/clusters" in str(miss.value)
    assert "password=scrubbed-password" in str(miss.value)


def test_record_mode_once_records_then_replays(live: str, tmp_path: Path) -> None:
    path = tmp_path / "once.yaml"
    first = record(path, live, "once", _search)
    assert path.is_file()
    before = path.read_bytes()
    # Now it exists: once replays, even with the engine given (no connection is made).
    replay(path, _search, mode="once")
    assert path.read_bytes() == before
    assert first


def test_new_episodes_adds_and_rewrite_replaces(live: str, tmp_path: Path) -> None:
    path = tmp_path / "episodes.yaml"
    record(path, live, "all", _search)
    count = len(yaml.safe_load(path.read_text())["interactions"])

    def more(client: Client) -> None:
        _search(client)
        client.get("templates")

    record(path, live, "new_episodes", more)
    assert len(yaml.safe_load(path.read_text())["interactions"]) == count + 1
    record(path, live, "rewrite", _search)
    assert len(yaml.safe_load(path.read_text())["interactions"]) == count


def test_the_network_is_blocked_while_replaying() -> None:
    with network_blocked("record mode none"), pytest.raises(NetworkBlocked, match="blocked"):
        import socket

        socket.create_connection(("192.0.2.1", 443), timeout=1)


def test_a_cassette_records_its_provenance_and_vcrpy_still_reads_it(
    live: str, tmp_path: Path
) -> None:
    import vcr
    from vcr.persisters.filesystem import FilesystemPersister
    from vcr.serializers import yamlserializer

    path = tmp_path / "prov.yaml"
    with RecordingCassette.use(
        path=str(path), mode="all", provenance={"contract_hash": "sha256:1"}
    ):
        client = Client(live, "admin@internal", "ovirt", keep=False)
        _search(client)
        client.close()
    assert yaml.safe_load(path.read_text())["contracttest"]["contract_hash"] == "sha256:1"
    # Plain vcrpy replays it, with its own patches and matching.
    with vcr.use_cassette(str(path), record_mode="none") as cassette:
        assert len(cassette) >= 3
        client = Client(live, "admin@internal", "whatever", keep=False)
        _search(client)
        client.close()
        assert cassette.all_played
    # And tools that unpack exactly two lists from vcrpy's loader (pytest-recording) read it.
    requests, responses = FilesystemPersister.load_cassette(str(path), yamlserializer)
    assert len(requests) == len(responses) >= 3


# -- matching, as a property ------------------------------------------------------------------

_names = st.sampled_from(["name", "description", "memory", "cpu", "status"])
_texts = st.text(alphabet="abcdef 0123", max_size=6).map(str.strip)


@st.composite
def _documents(draw: st.DrawFn) -> tuple[str, str]:
    """One XML document written two ways: attribute order, indentation, prefixes."""
    children = draw(st.lists(st.tuples(_names, _texts), max_size=5))
    attributes = draw(st.dictionaries(st.sampled_from(["id", "href", "kind"]), _texts, max_size=3))
    prefix = draw(st.sampled_from(["a", "ns0", "x"]))
    plain_attrs = "".join(f' {k}="{v}"' for k, v in attributes.items())
    other_attrs = "".join(f' {k}="{v}"' for k, v in reversed(attributes.items()))
    inner = "".join(f"<{n}>{t}</{n}>" for n, t in children)
    spaced = "".join(f"\n  <{prefix}:{n}>{t}</{prefix}:{n}>" for n, t in children)
    one = f'<vm xmlns="urn:ovirt"{plain_attrs}>{inner}</vm>'
    two = f'<{prefix}:vm xmlns:{prefix}="urn:ovirt"{other_attrs}>{spaced}\n</{prefix}:vm>'
    return one, two


@settings(max_examples=150, deadline=None)
@given(_documents())
def test_xml_bodies_written_differently_are_the_same_key(pair: tuple[str, str]) -> None:
    one, two = pair
    assert canonical_body(one.encode()) == canonical_body(two.encode())
    assert request_key("POST", "/api/vms?b=2&a=1", one.encode()) == request_key(
        "post", "/api/vms?a=1&b=2", two.encode()
    )


def test_different_text_or_matrix_parameters_are_different_keys() -> None:
    assert canonical_body(b"<vm><name>a</name></vm>") != canonical_body(b"<vm><name>b</name></vm>")
    assert request_key("GET", "/api/vms;max=1", b"") != request_key("GET", "/api/vms;max=2", b"")


def test_a_field_scrubbed_only_at_replay_still_matches(live: str, tmp_path: Path) -> None:
    from contracttest.scrub import ScrubConfig

    path = tmp_path / "add.yaml"
    body = (
        "<vm><name>scrub-later</name><description>now-a-secret</description>"
        "<cluster><name>Default</name></cluster><template><name>Blank</name></template></vm>"
    )

    def add(client: Client) -> None:
        assert client.add("vms", body).status == 201

    record(path, live, "all", add)
    assert "now-a-secret" in path.read_text()
    # The suite now scrubs <description> too: the old recording is scrubbed as it loads.
    replay(path, add, scrub=ScrubConfig().extended(fields=["description"]))


def test_a_request_repeated_while_recording_reaches_the_engine_each_time(
    live: str, tmp_path: Path
) -> None:
    """The same GET before and after a start: recording must not answer the second one with
    the first's recording, and the replay answers both in order."""
    path = tmp_path / "repeat.yaml"
    body = (
        "<vm><name>repeat-{}</name><cluster><name>Default</name></cluster>"
        "<template><name>Blank</name></template></vm>"
    )
    seen: list[str] = []
    mode = "once"

    def session(client: Client) -> None:
        added = client.add("vms", body.format(mode)).root
        assert added is not None
        href = added.get("href") or ""
        for step in ("before", "after"):
            root = client.get(href).root
            assert root is not None
            seen.append(root.findtext("status") or "")
            if step == "before":
                client.action(href, "start")

    for mode in ("once", "new_episodes"):
        seen.clear()
        path.unlink(missing_ok=True)
        record(path, live, mode, session)
        assert seen == ["down", "up"], mode
    seen.clear()
    replay(path, session)
    assert seen == ["down", "up"]


# -- replay order, as a property --------------------------------------------------------------

_paths = st.sampled_from(["vms/1", "vms/2", "hosts/1", "vms/1/statistics"])


@settings(max_examples=60, deadline=None)
@given(st.lists(_paths, min_size=1, max_size=12), st.integers(min_value=0, max_value=3))
def test_replay_answers_each_request_in_recorded_order_then_the_last(
    tmp_path_factory: pytest.TempPathFactory, asked: list[str], extra: int
) -> None:
    """Whatever order requests were recorded in: the n-th GET of a path gets the n-th answer
    recorded for it, and every GET after those gets its last answer again."""
    path = tmp_path_factory.mktemp("order") / "order.yaml"
    interactions = [
        _interaction("GET", f"/ovirt-engine/api/{p}", f"answer-{i}") for i, p in enumerate(asked)
    ]
    path.write_text(yaml.safe_dump({"version": 1, "interactions": interactions}))
    answers: dict[str, list[str]] = {}
    for i, p in enumerate(asked):
        answers.setdefault(p, []).append(f"answer-{i}")
    sequence = asked + [p for p in dict.fromkeys(asked) for _ in range(extra)]
    got: list[str] = []

    def session(client: Client) -> None:
        for p in sequence:
            root = client.get(p).root
            assert root is not None
            got.append(root.findtext("status") or "")

    replay(path, session, login="basic")
    counts: dict[str, int] = {}
    for p, answer in zip(sequence, got, strict=True):
        n = counts[p] = counts.get(p, 0) + 1
        recorded = answers[p]
        assert answer == recorded[min(n, len(recorded)) - 1]


def test_a_body_that_differs_is_named_with_both_sides(tmp_path: Path) -> None:
    path = tmp_path / "body.yaml"
    interactions = [
        _interaction("PUT", "/ovirt-engine/api/vms/1", "down", "<vm><name>web</name></vm>")
    ]
    path.write_text(yaml.safe_dump({"version": 1, "interactions": interactions}))

    def update(client: Client) -> None:
        client.update("vms/1", "<vm>\n  <name>db</name>\n</vm>")

    with pytest.raises(UnmatchedRequest) as unmatched:
        replay(path, update, login="basic")
    lines = str(unmatched.value).splitlines()
    assert "  nearest:   #0 PUT /ovirt-engine/api/vms/1" in lines
    assert "  differs:   body: asked <vm><name>db</name></vm>" in lines
    assert "                   recorded <vm><name>web</name></vm>" in lines

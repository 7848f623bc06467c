"""vcrpy's private hooks that ``RecordingCassette`` relies on, checked against the vcrpy
installed: a release that changes them fails here with the reason, not in a replay."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from contracttest.recording import RecordingCassette
from tests.test_recording import _interaction


def test_vcrpy_still_calls_the_private_hooks_recording_overrides(tmp_path: Path) -> None:
    """vcrpy's persister and hooks cannot express replay by key with the file's own provenance
    and an atomic, record-only save, so ``RecordingCassette`` overrides the private
    ``Cassette._load`` (called by ``Cassette.load`` as a cassette is entered) and ``_save``
    (called as it is left), and uses ``_path``, ``play_counts``, ``dirty`` and ``rewound``.
    pyproject.toml pins vcrpy to the versions this was tested with; a vcrpy that changes any
    of it fails here, saying what changed, before any replay goes silently wrong."""
    import inspect

    import vcr
    from vcr.cassette import Cassette

    changed = (
        f"vcrpy {vcr.__version__} changed a private hook contracttest.recording.RecordingCassette "
        "overrides; adapt it, and the vcrpy range in pyproject.toml, before using this version: "
    )
    missing = [
        name
        for name in ("_path", "play_counts", "dirty", "rewound")
        if not hasattr(Cassette(str(tmp_path / "x.yaml")), name)
    ]
    if missing:
        pytest.fail(changed + f"Cassette instances no longer have {', '.join(missing)}")
    for hook, parameters in (("_load", ["self"]), ("_save", ["self", "force"])):
        found = list(inspect.signature(getattr(Cassette, hook, lambda: None)).parameters)
        if found != parameters:
            pytest.fail(changed + f"Cassette.{hook}{tuple(found)} is not {hook}{tuple(parameters)}")

    calls: list[str] = []

    class Spy(RecordingCassette):
        def _load(self) -> None:
            calls.append("_load")
            super()._load()

        def _save(self, force: bool = False) -> None:
            calls.append("_save")
            super()._save(force)

    path = tmp_path / "one.yaml"
    interactions = [_interaction("GET", "/ovirt-engine/api/vms/1", "up")]
    path.write_text(yaml.safe_dump({"version": 1, "interactions": interactions}))
    with Spy.use(path=str(path), mode="new_episodes") as cassette:
        if calls != ["_load"] or cassette.loaded != 1:
            pytest.fail(changed + f"entering a cassette called {calls}, not Cassette._load")
        from vcr.request import Request as VcrRequest

        cassette.append(
            VcrRequest("GET", "https://engine.example.com/ovirt-engine/api/vms/2", None, {}),
            {"status": {"code": 200, "message": "OK"}, "headers": {}, "body": {"string": b"<vm/>"}},
        )
    if calls != ["_load", "_save"]:
        pytest.fail(changed + f"leaving a cassette called {calls[1:]}, not Cassette._save")
    saved = yaml.safe_load(path.read_text())
    assert [i["request"]["uri"][-5:] for i in saved["interactions"]] == ["vms/1", "vms/2"]

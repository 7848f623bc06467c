"""Odd files where cassettes are looked for, through the real commands: what cannot be read
is one error line naming it (never a hang, an unbounded read, or an internal error), what is
found in a folder and plainly not a cassette is skipped with a note, and odd but valid
cassettes (a BOM, UTF-16, CRLF, vcrpy's Python tags, anchors) are read like any other."""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

import pytest
import yaml

from tests.hostile import (
    GOOD,
    assert_checked,
    assert_refused,
    both,
    good_text,
    limited,
    workspace,
)

COMPOSE = "services:\n  db:\n    image: postgres:16\n    ports: ['5432:5432']\n"
SKIPPED = (
    "contracttest: note: {} file(s) found in the folders named are not vcrpy cassettes "
    "(no 'interactions' key), skipped"
)


def test_a_fifo_named_is_refused_not_waited_on(tmp_path: Path) -> None:
    folder = workspace(tmp_path)
    os.mkfifo(folder / "pipe.yaml")
    check, scan = both(folder, "pipe.yaml", GOOD)
    assert_refused(check, scan, Path("pipe.yaml"), "is a FIFO, not a cassette file")


def test_a_fifo_found_in_a_folder_is_skipped(tmp_path: Path) -> None:
    os.mkfifo(workspace(tmp_path) / "pipe.yaml")
    check, scan = both(tmp_path, "cassettes")
    assert_checked(check, scan, cassettes=1, notes=1)
    assert check.stderr == SKIPPED.format(1) + "\n"


def test_dev_zero_is_refused_not_read_forever(tmp_path: Path) -> None:
    workspace(tmp_path)
    check, scan = both(tmp_path, "/dev/zero", f"cassettes/{GOOD}")
    assert_refused(check, scan, Path("/dev/zero"), "is a device, not a cassette file")


@pytest.mark.parametrize("where", ["folder", "command-line"])
def test_a_symlink_loop_is_one_error(tmp_path: Path, where: str) -> None:
    folder = workspace(tmp_path)
    (folder / "loop.yaml").symlink_to("loop.yaml")
    paths = ["cassettes"] if where == "folder" else ["cassettes/loop.yaml", f"cassettes/{GOOD}"]
    check, scan = both(tmp_path, *paths)
    assert_refused(check, scan, Path("cassettes/loop.yaml"), "symlink loop")


def test_a_symlink_to_nowhere_is_one_error(tmp_path: Path) -> None:
    (workspace(tmp_path) / "gone.yaml").symlink_to("nowhere.yaml")
    check, scan = both(tmp_path, "cassettes")
    assert_refused(check, scan, Path("cassettes/gone.yaml"), "no such file")


def test_a_symlinked_folder_loop_is_not_followed(tmp_path: Path) -> None:
    (workspace(tmp_path) / "again").symlink_to(".")
    check, scan = both(tmp_path, "cassettes")
    assert_checked(check, scan, cassettes=1)


def test_a_folder_named_like_a_cassette_is_a_folder(tmp_path: Path) -> None:
    inner = workspace(tmp_path) / "x.yaml"
    inner.mkdir()
    (inner / "inner.yml").write_text(good_text(), encoding="utf-8")
    check, scan = both(tmp_path, "cassettes")
    assert_checked(check, scan, cassettes=2)


def _without_file_permission_override() -> None:
    """As root, a process reads every file: drop the capabilities that allow it
    (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH) from the bounding set before exec."""
    limited()
    if os.geteuid() == 0:
        libc = ctypes.CDLL(None, use_errno=True)
        for capability in (1, 2):
            if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


@pytest.mark.parametrize("what", ["file", "folder", "named-folder"])
def test_permission_denied_is_one_error(tmp_path: Path, what: str) -> None:
    folder = workspace(tmp_path)
    locked = folder / "locked.yaml" if what == "file" else folder / "locked"
    if what == "file":
        (locked).write_text(good_text(), encoding="utf-8")
    else:
        locked.mkdir()
        (locked / "inner.yaml").write_text(good_text(), encoding="utf-8")
    locked.chmod(0)
    paths = ["cassettes"] if what != "named-folder" else ["cassettes/locked", f"cassettes/{GOOD}"]
    try:
        check, scan = both(tmp_path, *paths, preexec=_without_file_permission_override)
    finally:
        locked.chmod(0o755)
    assert_refused(check, scan, Path("cassettes") / locked.name, "Permission denied")


def test_files_in_a_folder_that_are_not_cassettes_are_skipped_with_a_note(
    tmp_path: Path,
) -> None:
    folder = workspace(tmp_path)
    (folder / "docker-compose.yml").write_text(COMPOSE)
    (folder / "empty.yaml").write_bytes(b"")
    (folder / "notes.yaml").write_text("- just\n- a: [list\n")  # corrupt, and no cassette
    (folder / "archive.yaml").write_bytes(b"\x1f\x8b" + bytes(range(256)) * 64)
    check, scan = both(tmp_path, "cassettes")
    assert_checked(check, scan, cassettes=1, notes=1)
    assert check.stderr == SKIPPED.format(4) + "\n"
    assert scan.stderr == SKIPPED.format(4) + "\n"


def test_a_file_named_that_is_not_a_cassette_is_still_an_error(tmp_path: Path) -> None:
    folder = workspace(tmp_path)
    (folder / "docker-compose.yml").write_text(COMPOSE)
    check, scan = both(folder, "docker-compose.yml", GOOD)
    assert_refused(check, scan, Path("docker-compose.yml"), "not a vcrpy cassette")


def test_only_files_that_are_not_cassettes_is_no_cassettes(tmp_path: Path) -> None:
    folder = tmp_path / "cassettes"
    folder.mkdir()
    (folder / "docker-compose.yml").write_text(COMPOSE)
    check, scan = both(tmp_path, "cassettes")
    for run in (check, scan):
        assert run.returncode == 2
        assert run.stderr.splitlines() == [
            SKIPPED.format(1),
            "contracttest: error: cassettes: no cassettes (*.yaml, *.yml) found",
        ]


# -- odd but valid: read like any other cassette ---------------------------------------------


def _sample() -> str:
    return good_text()


def _python_tags() -> str:
    """What vcrpy's own dumper writes for tuples and str subclasses, and old BytesIO bodies."""
    text = _sample().replace(
        "      Accept:\n      - application/xml\n",
        "      Accept: !!python/tuple\n      - application/xml\n",
    )
    text = text.replace(
        "    body: null\n",
        "    body: !!python/object/new:_io.BytesIO\n      state: !!python/tuple ['', 0, null]\n",
        1,
    )
    assert "!!python/tuple" in text and "_io.BytesIO" in text
    return text


def _anchored() -> str:
    """The same session written with every repeated mapping as an anchor and aliases."""

    class Anchored(yaml.SafeDumper):
        def ignore_aliases(self, data: object) -> bool:
            return False

    data = yaml.safe_load(_sample())
    shared = data["interactions"][0]["request"]["headers"]
    for item in data["interactions"]:
        if item["request"]["headers"] == shared:
            item["request"]["headers"] = shared
    text = yaml.dump(data, Dumper=Anchored)
    assert "*id001" in text
    return text


ODD = {
    "utf8-bom": lambda: b"\xef\xbb\xbf" + _sample().encode(),
    "utf16": lambda: _sample().encode("utf-16"),
    "crlf": lambda: _sample().replace("\n", "\r\n").encode(),
    "python-tags": lambda: _python_tags().encode(),
    "anchors": lambda: _anchored().encode(),
}


@pytest.mark.parametrize("kind", list(ODD))
def test_an_odd_but_valid_cassette_is_read_like_any(tmp_path: Path, kind: str) -> None:
    (workspace(tmp_path) / f"{kind}.yaml").write_bytes(ODD[kind]())
    check, scan = both(tmp_path, "cassettes")
    assert_checked(check, scan, cassettes=2)

"""A recording killed with SIGKILL at any moment leaves the old cassette or the new one,
never a truncated file: real processes, really killed, the file then read by contracttest
and by vcrpy itself."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from contracttest.cassette import find_cassettes, load_cassette

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")

#: A process that records one cassette again and again, each time with a new, large body.
RECORDER = """
import os, signal, sys
from vcr.request import Request
from contracttest.recording import RecordingCassette

path, how = sys.argv[1], sys.argv[2]
generation = 0


def save(generation):
    body = (f"<vms><vm id='{generation}'><name>g{generation}</name>" + "<x>pad</x>" * 200_000
            + "</vm></vms>").encode()
    with RecordingCassette.use(path=path, mode="all") as cassette:
        cassette.append(
            Request("GET", "https://engine.example.com/ovirt-engine/api/vms", None, {}),
            {"status": {"code": 200, "message": "OK"},
             "headers": {"Content-Type": ["application/xml"]},
             "body": {"string": body}},
        )


save(0)
print("saved 0", flush=True)
if how == "mid-write":      # die with half of the new file written
    real_fdopen = os.fdopen
    class Half:
        def __init__(self, stream): self.stream = stream
        def __enter__(self): return self
        def __exit__(self, *exc): self.stream.close()
        def write(self, data):
            self.stream.write(data[: len(data) // 2]); self.stream.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        def __getattr__(self, name): return getattr(self.stream, name)
    os.fdopen = lambda fd, mode="r", *a, **k: Half(real_fdopen(fd, mode, *a, **k))
elif how == "before-rename":  # die with the whole new file written, not yet renamed
    os.replace = lambda *args: os.kill(os.getpid(), signal.SIGKILL)
while True:
    generation += 1
    save(generation)
"""


def _start(path: Path, how: str) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(RECORDER), str(path), how],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "saved 0"
    return process


def _close(process: subprocess.Popen[str]) -> None:
    if process.stdout is not None:
        process.stdout.close()


def _assert_whole(path: Path) -> int:
    """The cassette loads, in contracttest and in vcrpy; returns its generation."""
    import vcr

    cassette = load_cassette(path)
    assert len(cassette.exchanges) == 1
    body = cassette.exchanges[0].response.body
    assert body.endswith(b"</vm></vms>")
    with vcr.use_cassette(str(path), record_mode="none") as replay:
        assert len(replay) == 1
    return int(body.split(b"id='", 1)[1].split(b"'", 1)[0])


@pytest.mark.parametrize("how", ["mid-write", "before-rename"])
def test_killed_while_writing_leaves_the_old_cassette(tmp_path: Path, how: str) -> None:
    path = tmp_path / "vms.yaml"
    process = _start(path, how)
    assert process.wait(timeout=60) == -signal.SIGKILL
    _close(process)
    assert _assert_whole(path) == 0  # the old one, whole
    leftovers = [p for p in tmp_path.iterdir() if p != path]
    assert leftovers and all(p.name.startswith(".vms.yaml.") for p in leftovers)
    assert list(find_cassettes([str(tmp_path)])) == [str(path)]  # temp files are not cassettes


def test_killed_at_random_moments_always_leaves_a_whole_cassette(tmp_path: Path) -> None:
    chance = random.Random(4)
    path = tmp_path / "vms.yaml"
    generations = []
    for _ in range(6):
        process = _start(path, "loop")
        time.sleep(chance.uniform(0.0, 0.4))
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        _close(process)
        generations.append(_assert_whole(path))
    assert generations  # each kill left a loadable cassette of some generation


def test_a_killed_pytest_recording_leaves_loadable_cassettes(pytester: pytest.Pytester) -> None:
    from tests.plugin_suite import SUITE

    pytester.makepyfile(test_api=SUITE)
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "--engine",
        "sandbox",
        "--record-mode",
        "all",
    ]
    complete = subprocess.run(command, cwd=pytester.path, capture_output=True, check=False)
    assert complete.returncode == 0, complete.stdout
    process = subprocess.Popen(command, cwd=pytester.path, stdout=subprocess.DEVNULL)
    time.sleep(random.Random(7).uniform(1.0, 2.0))
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    files = list(find_cassettes([str(pytester.path / "cassettes")]))
    assert len(files) == 4
    for file in files:
        assert load_cassette(file).exchanges


def test_a_write_removes_what_a_killed_writer_left_and_nothing_else(tmp_path: Path) -> None:
    from contracttest.pin import atomic_write

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    dead, alive = int(gone.stdout), os.getpid()
    cassette = tmp_path / "test_vms.yaml"
    left = tmp_path / f".test_vms.yaml.{dead}.k1ll3d.tmp"
    writing = tmp_path / f".test_vms.yaml.{alive}.wr1t1n.tmp"  # a live writer's
    other = tmp_path / f".test_disks.yaml.{dead}.k1ll3d.tmp"  # another file's
    for path in (left, writing, other):
        path.write_bytes(b"interactions: [half")
    atomic_write(cassette, b"interactions: []\n")
    assert cassette.read_bytes() == b"interactions: []\n"
    assert not left.exists()
    assert writing.exists() and other.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["test_vms.yaml", writing.name, other.name]
    )

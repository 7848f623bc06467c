"""Reading vcrpy cassette files into exchanges, and finding them in folders.

``load_cassette`` reads one file (``yamlfile``: a regular file, bounded, safe YAML), checks
each interaction and decodes its bodies (``interactions``). A file that is not a readable
cassette raises ``CassetteError`` naming the file and the problem, in one line.

``find_cassettes`` lists the files named and the ``*.yaml``/``*.yml`` files found in the
folders named. A file found in a folder that is plainly not a cassette (no ``interactions``
key in it: a ``docker-compose.yml``, a FIFO) is skipped, and a note on stderr says how many
were; a file named on the command line is always a cassette to read, and so is a found file
that cannot be read or told apart, so that its problem is reported.
"""

from __future__ import annotations

import os
import re
import stat
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from contracttest.errors import CassetteError
from contracttest.exchange import Cassette
from contracttest.interactions import Budget, exchange_of, interactions_of, stored
from contracttest.yamlfile import MAX_FILE, load_yaml, read_cassette_file

__all__ = ["CASSETTE_SUFFIXES", "CassetteError", "find_cassettes", "load_cassette"]

CASSETTE_SUFFIXES = (".yaml", ".yml")


def load_cassette(path: str | Path) -> Cassette:
    """Read one vcrpy cassette file."""
    name = str(path)
    return cassette_from_yaml(read_cassette_file(name), name)


def cassette_from_yaml(text: bytes | str, name: str = "<cassette>") -> Cassette:
    return cassette_from_data(load_yaml(text, name), name)


def cassette_from_data(data: object, name: str = "<cassette>") -> Cassette:
    items = interactions_of(data, name)
    budget = Budget()
    exchanges = tuple(
        exchange_of(stored(item, index, name), index, name, budget)
        for index, item in enumerate(items)
    )
    assert isinstance(data, dict)  # interactions_of checked it
    provenance = data.get("contracttest")
    skipped = provenance.get("skipped_rules") if isinstance(provenance, dict) else None
    rules = frozenset(skipped.split()) if isinstance(skipped, str) else frozenset()
    return Cassette(name, exchanges, rules)


def find_cassettes(
    paths: list[str], *, on_skipped: Callable[[int], None] | None = None
) -> Iterator[str]:
    """Cassette files named, or found recursively in the folders named, sorted per folder.

    A file named twice (itself and through its folder, say) comes once. ``on_skipped`` is
    told how many found files were not cassettes (by default, a note on stderr says so).
    """
    seen: set[object] = set()
    skipped = 0
    for raw in paths:
        if os.path.isdir(raw):
            found: list[str] = []
            for file in _files_under(raw):
                if _plainly_not_a_cassette(file):
                    skipped += 1
                else:
                    found.append(file)
        else:
            found = [raw]
        for file in found:
            key = _identity(file)
            if key not in seen:
                seen.add(key)
                yield file
    if skipped:
        (on_skipped or _note_skipped)(skipped)


def _files_under(folder: str) -> list[str]:
    """The cassette-named files under ``folder`` (symlinked folders are not followed), and
    any sub-folder that cannot be listed (so that reading it reports why)."""
    found: list[Path] = []

    def unlisted(error: OSError) -> None:
        if error.filename:
            found.append(Path(error.filename))

    for root, folders, files in os.walk(folder, onerror=unlisted):
        folders.sort()
        found.extend(Path(root, f) for f in files if f.endswith(CASSETTE_SUFFIXES))
    return [str(p) for p in sorted(found, key=lambda p: p.parts)]


#: The one key every cassette has (vcrpy writes it first), in UTF-8 or UTF-16 YAML or JSON.
_MARKER = re.compile(
    rb"interactions[\"']?[ \t]*:|"
    + re.escape("interactions".encode("utf-16-le"))
    + b"|"
    + re.escape("interactions".encode("utf-16-be"))
)
_CHUNK = 1 << 16


def _plainly_not_a_cassette(name: str) -> bool:
    """True for a file found in a folder that cannot be a cassette: not a regular file, or
    one without an ``interactions`` key. False when it may be one, or when it cannot be
    told (unreadable, too large): reading it will say what is wrong."""
    try:
        info = os.stat(name)
        if not stat.S_ISREG(info.st_mode):
            return not stat.S_ISDIR(info.st_mode)  # a FIFO, a socket, a device
        if info.st_size > MAX_FILE:
            return False
        handle = os.open(name, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return False
    try:
        tail = b""
        while chunk := os.read(handle, _CHUNK):
            if _MARKER.search(tail + chunk):
                return False
            tail = chunk[-64:]
        return True
    except OSError:
        return False
    finally:
        os.close(handle)


def _identity(name: str) -> object:
    try:
        info = os.stat(name)
    except OSError:
        return os.path.abspath(name)
    return (info.st_dev, info.st_ino)


def _note_skipped(count: int) -> None:
    print(
        f"contracttest: note: {count} file(s) found in the folders named are not vcrpy "
        "cassettes (no 'interactions' key), skipped",
        file=sys.stderr,
    )

"""``contracttest scan-secrets``: the credentials cassette files still hold.

Files are found, read and checked exactly as ``contracttest check`` reads them (``cassette``,
``yamlfile``, ``interactions``): what one refuses the other refuses, with the same one line.
Each message of each interaction then goes through ``scrub.secrets_in``, the walk scrubbing
makes, and every place it would replace something is a ``Leak``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from contracttest.cassette import find_cassettes
from contracttest.errors import CassetteError
from contracttest.interactions import Budget, decoded, interactions_of, lowered, stored
from contracttest.scrub import ScrubConfig, secrets_in
from contracttest.yamlfile import load_yaml, read_cassette_file

__all__ = ["Leak", "ScrubConfig", "scan_cassette_file", "scan_secrets_main"]


@dataclass(frozen=True)
class Leak:
    """A secret found in a cassette: ``index`` counts interactions from 0, -1 for the file."""

    path: str
    index: int
    where: str

    def __str__(self) -> str:
        at = f"interaction {self.index}: " if self.index >= 0 else ""
        return f"{self.path}: {at}{self.where} holds a credential"


_DEFAULT = ScrubConfig()


def scan_cassette_file(path: str | Path, config: ScrubConfig = _DEFAULT) -> list[Leak]:
    """Every secret a cassette still holds; ``CassetteError`` when it cannot be read."""
    name = str(path)
    items = interactions_of(load_yaml(read_cassette_file(name), name), name)
    budget = Budget()
    leaks: list[Leak] = []
    for index, item in enumerate(items):
        checked = stored(item, index, name)
        sides = (
            ("request", checked.uri, checked.request_headers, checked.request_body),
            ("response", None, checked.response_headers, checked.response_body),
        )
        for side, uri, headers, body in sides:
            plain = decoded(body, lowered(headers), index, name, budget)
            found = secrets_in(uri, headers, plain, config)
            leaks.extend(Leak(name, index, f"{side} {where}") for where in found)
    return leaks


def scan_secrets_main(paths: list[str], config: ScrubConfig = _DEFAULT) -> int:
    """``contracttest scan-secrets PATH...``: 0 no secrets, 1 secrets, 2 unreadable input."""
    files = list(find_cassettes(paths))
    if not files:
        _error(f"{', '.join(paths)}: no cassettes (*.yaml, *.yml) found")
        return 2
    leaks = failed = holding = 0
    for path in files:
        try:
            found = scan_cassette_file(path, config)
        except CassetteError as exc:
            _error(str(exc))
            failed += 1
            continue
        for leak in found:
            print(leak)
        leaks += len(found)
        holding += bool(found)
    if leaks:
        print(f"{leaks} credential(s) in {holding} cassette(s)")
    else:
        print(f"no credentials in {len(files) - failed} cassette(s)")
    return 2 if failed else 1 if leaks else 0


def _error(message: str) -> None:
    print(f"contracttest: error: {message}", file=sys.stderr)

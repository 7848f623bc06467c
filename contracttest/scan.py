"""``contracttest scan-secrets``: the credentials cassette files still hold; ``contracttest
scrub``: the same credentials replaced in place.

Files are found, read and checked exactly as ``contracttest check`` reads them (``cassette``,
``yamlfile``, ``interactions``): what one refuses the other refuses, with the same one line.
Each message of each interaction then goes through ``scrub.scrub_message``, the walk
scrubbing makes: every place it would replace something is a ``Leak`` (``scan``), and
``scrub`` writes what it replaced back into the file's own mappings (nothing else changes
but what the one YAML writer reformats), atomically (``pin.atomic_write``: a reader sees the
old file or the whole new one), keeping the file's permissions. A file that holds nothing to
replace is not written, so scrubbing twice changes nothing.

Which values to search for besides names: ``OVIRT_PASSWORD`` and the lines of
``CONTRACTTEST_SCRUB_VALUES`` (``OVIRT_USERNAME`` in error answers), as ``values_from_env``
reads them.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contracttest.cassette import find_cassettes
from contracttest.errors import CassetteError
from contracttest.interactions import Budget, decoded, interactions_of, lowered, stored
from contracttest.pin import atomic_write
from contracttest.scrub import Scrubbed, ScrubConfig, scrub_message
from contracttest.scrubconfig import checked_values
from contracttest.yamlfile import dump_yaml, load_yaml, read_cassette_file

__all__ = [
    "Leak",
    "ScrubConfig",
    "config_from",
    "scan_cassette_file",
    "scan_secrets_main",
    "scrub_cassette_file",
    "scrub_main",
]

VALUES_ENV = "CONTRACTTEST_SCRUB_VALUES"


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


def config_from(
    fields: list[str], headers: list[str], environ: Mapping[str, str] = os.environ
) -> ScrubConfig:
    """The commands' configuration: the default names, ``--field`` and ``--header``, and the
    values of the environment (``OVIRT_PASSWORD``, ``CONTRACTTEST_SCRUB_VALUES`` one value a
    line; ``OVIRT_USERNAME`` in error answers)."""
    values = checked_values(
        [v for v in environ.get(VALUES_ENV, "").splitlines() if v.strip()], VALUES_ENV
    )
    password, user = environ.get("OVIRT_PASSWORD"), environ.get("OVIRT_USERNAME")
    return ScrubConfig().extended(
        fields=fields,
        headers=headers,
        values=[*values, *([password] if password else [])],
        identities=[user] if user else [],
    )


def scan_cassette_file(path: str | Path, config: ScrubConfig = _DEFAULT) -> list[Leak]:
    """Every secret a cassette still holds; ``CassetteError`` when it cannot be read."""
    name = str(path)
    items = interactions_of(load_yaml(read_cassette_file(name), name), name)
    budget = Budget()
    leaks: list[Leak] = []
    for index, item in enumerate(items):
        kept = stored(item, index, name)
        sides = (
            ("request", kept.uri, kept.request_headers, kept.request_body, None, None),
            ("response", None, kept.response_headers, kept.response_body, kept.status, kept.reason),
        )
        for side, uri, headers, body, status, reason in sides:
            plain = decoded(body, lowered(headers), index, name, budget)
            found = scrub_message(uri, headers, plain, config, status=status, message=reason)
            leaks.extend(Leak(name, index, f"{side} {where}") for where in found.found)
    return leaks


def scrub_cassette_file(path: str | Path, config: ScrubConfig = _DEFAULT) -> list[Leak]:
    """Replace every secret of a cassette in place; what was replaced (nothing: the file is
    not written). ``CassetteError`` when it cannot be read; then it is left as it was."""
    name = str(path)
    data = load_yaml(read_cassette_file(name), name)
    items = interactions_of(data, name)
    checked = [stored(item, index, name) for index, item in enumerate(items)]
    leaks: list[Leak] = []
    for index, (item, kept) in enumerate(zip(items, checked, strict=True)):
        request, response = item["request"], item["response"]
        clean = scrub_message(kept.uri, _headers(request), kept.request_body, config)
        _put(request, clean, kept.request_body)
        if clean.uri != kept.uri:
            request["uri"] = clean.uri
        leaks.extend(Leak(name, index, f"request {where}") for where in clean.found)
        clean = scrub_message(
            None, _headers(response), kept.response_body, config,
            status=kept.status, message=kept.reason,
        )  # fmt: skip
        _put(response, clean, kept.response_body)
        status = response.get("status")
        if isinstance(status, dict) and clean.message != kept.reason:
            status["message"] = clean.message
        leaks.extend(Leak(name, index, f"response {where}") for where in clean.found)
    if leaks:
        real = Path(os.path.realpath(name))
        mode = stat.S_IMODE(real.stat().st_mode)
        atomic_write(real, dump_yaml(data))
        os.chmod(real, mode)
    return leaks


def _headers(side: dict[str, Any]) -> dict[str, Any]:
    headers = side.get("headers")
    return dict(headers) if isinstance(headers, dict) else {}


def _put(side: dict[str, Any], clean: Scrubbed, body: bytes) -> None:
    """What scrubbing replaced, written into one side's own mapping, in the form it was in.
    A body in vcrpy's ``!!python/object/new:_io.BytesIO`` (or chunks) form becomes plain text
    or ``!!binary``: the one YAML writer writes no Python tags, and vcrpy reads both alike."""
    if isinstance(side.get("headers"), dict) and clean.headers != side["headers"]:
        side["headers"] = clean.headers
    raw = side.get("body")
    inner = raw.get("string") if isinstance(raw, dict) else raw
    python_form = isinstance(raw, dict) and "string" not in raw
    if (clean.body is body or clean.body == body) and not python_form:
        return
    new: str | bytes = clean.body
    if not isinstance(inner, bytes):
        try:
            new = clean.body.decode("utf-8")
        except UnicodeDecodeError:
            new = clean.body
    if isinstance(raw, dict) and not python_form:
        raw["string"] = new
    else:
        side["body"] = {"string": new} if "status" in side else new


def scan_secrets_main(paths: list[str], config: ScrubConfig = _DEFAULT) -> int:
    """``contracttest scan-secrets PATH...``: 0 no secrets, 1 secrets, 2 unreadable input."""
    return _each(paths, config, scan_cassette_file, scrubbing=False)


def scrub_main(paths: list[str], config: ScrubConfig = _DEFAULT) -> int:
    """``contracttest scrub PATH...``: 0 every file clean now, 2 unreadable input."""
    return _each(paths, config, scrub_cassette_file, scrubbing=True)


def _each(paths: list[str], config: ScrubConfig, work: Any, *, scrubbing: bool) -> int:
    files = list(find_cassettes(paths))
    if not files:
        _error(f"{', '.join(paths)}: no cassettes (*.yaml, *.yml) found")
        return 2
    leaks = failed = holding = 0
    for path in files:
        try:
            found: list[Leak] = work(path, config)
        except CassetteError as exc:
            _error(str(exc))
            failed += 1
            continue
        except OSError as exc:  # writing the scrubbed file
            _error(f"{path}: cannot be written: {exc.strerror or exc}")
            failed += 1
            continue
        for leak in found:
            print(str(leak).replace(" holds a credential", " scrubbed") if scrubbing else leak)
        leaks += len(found)
        holding += bool(found)
    verb = "scrubbed in" if scrubbing else "in"
    if leaks:
        print(f"{leaks} credential(s) {verb} {holding} cassette(s)")
    else:
        print(f"no credentials in {len(files) - failed} cassette(s)")
    if failed:
        return 2
    return 1 if leaks and not scrubbing else 0


def _error(message: str) -> None:
    print(f"contracttest: error: {message}", file=sys.stderr)

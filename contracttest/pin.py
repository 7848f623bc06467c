"""The contract pinned beside recordings: the RSDL and XSD an engine served when it was
recorded, with the engine's version and a hash, in ``<cassette dir>/contract/``.

Replay checks against the pinned contract, so a suite's verdicts do not change when the
engine it was recorded against is gone or upgraded. Files are written atomically.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import stat
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from contracttest.errors import ContractError
from contracttest.files import read_regular

PIN_FOLDER = "contract"
RSDL_FILE, XSD_FILE, INFO_FILE = "rsdl.xml", "api.xsd", "pin.json"


def contract_hash(rsdl: bytes, xsd: bytes) -> str:
    digest = hashlib.sha256()
    digest.update(hashlib.sha256(rsdl).digest())
    digest.update(hashlib.sha256(xsd).digest())
    return f"sha256:{digest.hexdigest()}"


@dataclass(frozen=True)
class Pin:
    folder: Path
    info: dict[str, str]

    @property
    def rsdl_path(self) -> Path:
        return self.folder / RSDL_FILE

    @property
    def xsd_path(self) -> Path:
        return self.folder / XSD_FILE

    @property
    def hash(self) -> str:
        return self.info.get("contract_hash", "")

    def describe(self) -> str:
        version = self.info.get("product_version") or "unknown version"
        return f"{self.info.get('product_name') or 'engine'} {version} ({self.hash[:19]})"


def read_pin(cassette_dir: Path) -> Pin | None:
    folder = cassette_dir / PIN_FOLDER
    info_path = folder / INFO_FILE
    if not info_path.is_file():
        return None
    try:
        info = json.loads(read_regular(str(info_path), 1 << 20, ContractError, "a pin"))
    except ValueError as exc:
        raise ContractError(str(info_path), f"not a readable pin: {exc}") from None
    if not isinstance(info, dict):
        raise ContractError(str(info_path), "not a readable pin: not a JSON object")
    return Pin(folder, {str(k): str(v) for k, v in info.items()})


def write_pin(cassette_dir: Path, rsdl: bytes, xsd: bytes, info: dict[str, str]) -> Pin:
    """Pin ``rsdl`` and ``xsd``; ``info`` gets the hash and the time added."""
    folder = cassette_dir / PIN_FOLDER
    full = {
        **info,
        "contract_hash": contract_hash(rsdl, xsd),
        "pinned_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    atomic_write(folder / RSDL_FILE, rsdl)
    atomic_write(folder / XSD_FILE, xsd)
    atomic_write(folder / INFO_FILE, (json.dumps(full, indent=2, sort_keys=True) + "\n").encode())
    return Pin(folder, full)


def _remove_stale_temporaries(path: Path) -> None:
    """The temporaries of ``path`` that writers killed mid-write left (their process is
    gone: its id is in the name); a live writer's, this process's included, are left."""
    prefix = f".{path.name}."
    with contextlib.suppress(OSError):
        for entry in os.scandir(path.parent):
            name = entry.name
            if not (name.startswith(prefix) and name.endswith(".tmp")):
                continue
            pid = name[len(prefix) :].partition(".")[0]
            if pid.isdigit() and not _alive(int(pid)):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: alive
        return True
    return True


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a reader (or a crash) sees the old file or the new
    one, never part of one: a temporary file in the same folder, flushed, then renamed. Its
    name carries the writer's process id, so the next write removes what a killed one left.

    A symlink is followed (its target is replaced, the link stays); the new file keeps the
    old one's permissions (a new one gets what the umask allows); a file that no one may
    write (``chmod a-w``) is refused with ``PermissionError``, never replaced."""
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    else:
        if not mode & 0o222:
            raise PermissionError(errno.EACCES, "the file is read-only", str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(path)
    handle, temporary = tempfile.mkstemp(
        prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent
    )
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fchmod(stream.fileno(), mode)
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    try:
        directory = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(directory)
    except OSError:
        pass
    finally:
        os.close(directory)


def _umask() -> int:
    """The process's umask, read without changing it where Linux tells it."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask

"""The one way contracttest reads a file it is given (a cassette, an RSDL, an XSD, a pin):
only a regular file, opened without blocking (a FIFO or a device is refused, never waited on
or read forever), and at most ``limit`` bytes of it, even while it grows. Whatever goes wrong
is the caller's ``InputError`` subclass naming the file, in one line."""

from __future__ import annotations

import errno
import os
import stat

from contracttest.errors import InputError


def read_regular(
    path: str,
    limit: int,
    error: type[InputError],
    what: str,
    name: str | None = None,
) -> bytes:
    """The bytes of the regular file ``path`` (named ``name`` in messages, by default its
    path); ``error`` when it is not one, cannot be read, or holds more than ``limit`` bytes."""
    name = path if name is None else name
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        handle = os.open(path, flags)
    except OSError as exc:
        raise error(name, _os_problem(exc, what)) from None
    try:
        info = os.fstat(handle)
        if stat.S_ISDIR(info.st_mode):
            raise error(name, f"is a directory, not {what}")
        if not stat.S_ISREG(info.st_mode):
            raise error(name, f"is {_kind(info.st_mode)}, not {what}")
        if info.st_size > limit:
            raise error(name, _too_large(info.st_size, limit, what))
        chunks, size, want = [], 0, info.st_size + 1
        while size <= limit:  # a file that grows while it is read is still bounded
            chunk = os.read(handle, min(want, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            want = 1 << 20
    except OSError as exc:
        raise error(name, _os_problem(exc, what)) from None
    finally:
        os.close(handle)
    if size > limit:
        raise error(name, _too_large(size, limit, what))
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _os_problem(exc: OSError, what: str) -> str:
    if exc.errno == errno.ENOENT:
        return "no such file"
    if exc.errno == errno.EISDIR:
        return f"is a directory, not {what}"
    if exc.errno == errno.ELOOP:
        return "cannot read: a symlink loop (too many levels of symbolic links)"
    return f"cannot read: {exc.strerror or exc}"


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _too_large(size: int, limit: int, what: str) -> str:
    return f"too large for {what} ({size >> 20} MiB; at most {limit >> 20} MiB)"

"""Message bodies as a cassette stores them: the one decoder of content encodings.

``decode_body`` undoes ``Content-Encoding: gzip`` (or ``x-gzip``) and ``deflate`` (zlib-wrapped,
or raw as some servers send it). A body that is not compressed after all (a recorder kept the
header beside the decoded text) stays as it is, and so does one in a coding it does not know.
Decoding is bounded: a body that would expand beyond its limit raises ``BodyTooLarge`` instead
of being inflated (a decompression bomb costs ``limit`` bytes, never more). Loading cassettes
and scrubbing them both decode through here.
"""

from __future__ import annotations

import zlib

from contracttest.errors import ContractTestError

#: The most one body may expand to when it is decoded.
MAX_BODY = 64 << 20

_GZIP = 16 + zlib.MAX_WBITS
_WBITS = {  # zlib window bits to try, per content coding
    "gzip": (_GZIP,),
    "x-gzip": (_GZIP,),
    "deflate": (zlib.MAX_WBITS, -zlib.MAX_WBITS),  # zlib-wrapped, or raw
}


class BodyTooLarge(ContractTestError, ValueError):
    """A compressed body that expands beyond the limit it was decoded with."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"a compressed body expands beyond {_size(limit)}")
        self.limit = limit


def decode_body(data: bytes, content_encoding: str, limit: int = MAX_BODY) -> bytes:
    """``data`` without the codings ``content_encoding`` names (the header's value, values
    joined with commas), undone last first; ``data`` itself when it is not encoded."""
    if not data or not content_encoding:
        return data
    codings = [c.strip() for c in content_encoding.lower().split(",")]
    for coding in reversed(codings):
        wbits = _WBITS.get(coding)
        if wbits is None:  # identity, or a coding this cannot undo: left as it is
            if coding in ("", "identity"):
                continue
            return data
        data = _inflate(data, wbits, limit)
    return data


def _inflate(data: bytes, choices: tuple[int, ...], limit: int) -> bytes:
    for wbits in choices:
        inflater = zlib.decompressobj(wbits)
        try:
            out = inflater.decompress(data, limit)
            more = bool(inflater.unconsumed_tail) or (
                len(out) >= limit and not inflater.eof and bool(inflater.decompress(b"", 1))
            )
        except zlib.error:
            continue  # not this wrapping; maybe not compressed at all
        if more:
            raise BodyTooLarge(limit)
        if wbits < 0 and not (inflater.eof and not inflater.unused_data):
            continue  # raw deflate has no header to tell: only a whole stream counts
        return out
    return data  # not compressed after all


def _size(limit: int) -> str:
    return f"{limit >> 20} MiB" if limit >= 1 << 20 and not limit % (1 << 20) else f"{limit} bytes"

"""Secrets in message bodies, whatever the body says it is.

``scrub_body`` sniffs what a body is, never trusting its declared type: gzip or zlib data
(inflated within ``bodies``' limit, scrubbed, compressed again), UTF-16 or UTF-32 text (with or
without a byte-order mark, or named by the charset: scrubbed as UTF-8, written back as it
came), XML (elements and attributes alike, comments, processing instructions and CDATA, a
``<name>password</name><value>`` pair), JSON (keys as the parser decoded them, a
``{"name": "password", "value": ...}`` pair, strings that hold JSON, XML or a query), a
form, multipart (part names, RFC 2231 names, base64 and quoted-printable parts, nested
parts, file names), or text (``scrubtext``). Bytes that cannot be read as what they look like
(XML that does not parse or carries a DOCTYPE, broken JSON or multipart, binary data) are
replaced whole by a placeholder that says so when any text view of them (raw, NULs dropped,
XML references, JSON escapes and percent-encoding undone) names a secret, unless its bytes
prove it holds none (``scrubproof``: then it is kept as it is); a compressed body
that expands beyond the limit is replaced whole, uninspected. Last, the configured values are
searched for in what is left (``scrubvalues``). Pure: no I/O.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import html
import quopri
import re
import zlib
from urllib.parse import unquote

from contracttest.bodies import BodyTooLarge, decode_body
from contracttest.scrubconfig import (
    BODY_PLACEHOLDERS,
    canonical_name,
    is_body_placeholder,
    placeholder,
)
from contracttest.scrubdocs import scrub_json, scrub_xml
from contracttest.scrubtext import Scope, carries, scrub_pairs, scrub_text

#: How many compressions and multipart levels inside one another are looked into.
MAX_NESTING = 4


def scrub_body(
    body: bytes, content_type: str, scope: Scope, where: str = "body", depth: int = 0
) -> bytes:
    """``body`` with every secret replaced; the same object when nothing was."""
    if not body or is_body_placeholder(body):
        return body
    if body.startswith(b"\xef\xbb\xbf"):
        rest = scrub_body(body[3:], content_type, scope, where, depth)
        return body if rest is body[3:] or rest == body[3:] else b"\xef\xbb\xbf" + rest
    if depth < MAX_NESTING:
        inflated = _undeclared_compression(body, content_type, scope, where, depth)
        if inflated is not None:
            return inflated
    codec = _codec(body, content_type)
    if codec is None:
        return _scrub_view(body, content_type, scope, where, depth)
    name, bom = codec
    try:
        view = body[len(bom) :].decode(name).encode("utf-8")
    except UnicodeError:
        return _opaque(body, "binary data", scope, where)
    view, declared = _declared_as_utf8(view)
    new = _scrub_view(view, content_type, scope, where, depth)
    if new is view:
        return body
    if is_body_placeholder(new):
        return new
    try:
        return bom + _declared_back(new, declared).decode("utf-8").encode(name)
    except UnicodeError:
        return new


# ---------------------------------------------------------------- what a body is


_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*(utf-?(?:16|32))\s*-?(le|be)?", re.IGNORECASE)
_DECLARED = re.compile(rb"""\A(\s*<\?xml[^>]{0,200}?encoding\s*=\s*["'])([^"']{1,40})(["'])""")


def _codec(body: bytes, content_type: str) -> tuple[str, bytes] | None:
    """The codec of a body in UTF-16 or UTF-32, and its byte-order mark; None for a body an
    ASCII byte means itself in (UTF-8, Latin-1, binary)."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name, bom
    head = body[:4].ljust(4, b"\x01")
    if head[:3] == b"\0\0\0" and head[3]:
        return "utf-32-be", b""
    if head[0] and head[1:4] == b"\0\0\0":
        return "utf-32-le", b""
    if head[0] == 0 and head[1] and len(body) % 2 == 0:
        return "utf-16-be", b""
    if head[0] and head[1] == 0 and len(body) % 2 == 0:
        return "utf-16-le", b""
    charset = _CHARSET.search(content_type)
    if charset and b"\0" in body[:64]:
        size = charset[1].lower().replace("-", "")[3:]
        return f"utf-{size}-{(charset[2] or 'be').lower()}", b""
    return None


def _declared_as_utf8(view: bytes) -> tuple[bytes, bytes | None]:
    """An XML declaration's encoding said as UTF-8 (the text is UTF-8 now), and what it was."""
    match = _DECLARED.match(view)
    if match is None:
        return view, None
    return match[1] + b"UTF-8" + match[3] + view[match.end() :], match[2]


def _declared_back(view: bytes, declared: bytes | None) -> bytes:
    match = _DECLARED.match(view) if declared is not None else None
    if match is None or declared is None:
        return view
    return match[1] + declared + match[3] + view[match.end() :]


_MULTIPART_START = re.compile(rb"\A(?:\r?\n)*--([^\s]{1,200})\r?\n")
_BOUNDARY = re.compile(r"boundary\s*=\s*(?:\"([^\"]{1,200})\"|([^;\s]{1,200}))", re.IGNORECASE)
_SPACE = re.compile(rb"\s")
_INI_SECTION = re.compile(rb"\[[\w .:-]{1,64}\][ \t]*\r?\n")


def _scrub_view(data: bytes, content_type: str, scope: Scope, where: str, depth: int) -> bytes:
    """A body an ASCII byte means itself in, sniffed and scrubbed, then its values."""
    if is_body_placeholder(data):
        return data
    new = data
    first = data.lstrip()[:1]
    boundary = _boundary_of(data, content_type)
    form = first not in (b"<", b"{", b"[") and b"=" in data and not _SPACE.search(data.strip())
    if boundary is not None and depth < MAX_NESTING:
        parts = _multipart(data, boundary, scope, where, depth)
        if parts is None:
            return _opaque(data, "text", scope, where)
        new = parts
    elif first == b"<":  # proved clean from its bytes, or parsed (``scrubproof``)
        document = scrub_xml(data, scope, where)
        if document is None:
            return _opaque(data, "XML that does not parse", scope, where)
        new = document
    elif first == b"{" or (first == b"[" and not _INI_SECTION.match(data.lstrip())):
        document = scrub_json(data, scope, where)
        if document is None:
            return _opaque(data, "JSON that does not parse", scope, where)
        new = document
    elif not scope.plan.might_hold(data) and not scope.escapes_values(data):
        pass  # no secret name, no escape, no URL, no base64: only the values may be there
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return _opaque(data, "binary data", scope, where)
        if form:
            new = _form(data, scope, where)
        else:
            cleaned = scrub_text(text, scope, where)
            new = data if cleaned is text else cleaned.encode("utf-8")
    return scope.values_in(new, where, form=form)


def _boundary_of(data: bytes, content_type: str) -> bytes | None:
    declared = _BOUNDARY.search(content_type) if "multipart" in content_type.lower() else None
    if declared:
        return (declared[1] or declared[2]).encode("latin-1", "replace")
    sniffed = _MULTIPART_START.match(data[:512])
    if sniffed and b"\n--" + sniffed[1] in data:
        return sniffed[1]
    return None


def _opaque(data: bytes, what: str, scope: Scope, where: str) -> bytes:
    """Bytes that cannot be read as what they look like: replaced whole when any text view of
    them names a secret; text that does not is still scrubbed as text, then its values."""
    text = data.decode("latin-1")
    decoded = text.replace("\0", "")
    if "&" in decoded:
        decoded = html.unescape(decoded)
    if "\\" in decoded:
        decoded = _JSON_ESCAPE.sub(lambda m: chr(int(m[1], 16)), decoded)
    if "%" in decoded:
        decoded = unquote(decoded, encoding="latin-1")
    for view in (text, decoded):
        named = scope.plan.named_in(view)
        if named:
            scope.found.append(f"{where} ({what}, naming {named!r})")
            return BODY_PLACEHOLDERS[what].encode()
    if what != "binary data":
        cleaned = scrub_text(text, scope, where)
        data = data if cleaned is text else cleaned.encode("latin-1", "replace")
    return scope.values_in(data, where)


_JSON_ESCAPE = re.compile(r"\\{1,8}u([0-9a-fA-F]{4})")


def _undeclared_compression(
    body: bytes, content_type: str, scope: Scope, where: str, depth: int
) -> bytes | None:
    """A gzip or zlib body its headers do not declare (or declared twice): scrubbed inside and
    compressed again; None when the body is not compressed."""
    if body[:2] == b"\x1f\x8b":
        coding = "gzip"
    elif len(body) > 2 and body[0] == 0x78 and (body[0] << 8 | body[1]) % 31 == 0:
        coding = "deflate"
    else:
        return None
    try:
        inner = decode_body(body, coding)
    except BodyTooLarge:
        scope.found.append(f"{where} (compressed beyond the inflate limit: not inspected)")
        return BODY_PLACEHOLDERS["compressed"].encode()
    if inner is body:
        return None
    new = scrub_body(inner, content_type, scope, where, depth + 1)
    if new is inner:
        return body
    return gzip.compress(new, mtime=0) if coding == "gzip" else zlib.compress(new)


# ---------------------------------------------------------------- forms and multipart


def _form(data: bytes, scope: Scope, where: str) -> bytes:
    text = data.decode("latin-1")  # byte for byte, whatever the charset
    new = scrub_pairs(text, scope, f"{where} field")
    return data if new is text else new.encode("latin-1", "replace")


_PARAM = re.compile(r"""\b(name|filename)(\*?)\s*=\s*(?:"([^"]*)"|([^;\s]+))""", re.IGNORECASE)


def _multipart(data: bytes, boundary: bytes, scope: Scope, where: str, depth: int) -> bytes | None:
    """Each part scrubbed by its name and its content; None when it is not well formed."""
    chunks = data.split(b"--" + boundary)
    if len(chunks) < 3 or not chunks[-1].startswith(b"--"):
        return None
    out = [_plain(chunks[0], scope, f"{where} preamble")]
    for chunk in chunks[1:-1]:
        part = _part(chunk, scope, where, depth)
        if part is None:
            return None
        out.append(part)
    out.append(b"--" + _plain(chunks[-1][2:], scope, f"{where} epilogue"))
    new = (b"--" + boundary).join(out)
    return data if new == data else new


def _part(chunk: bytes, scope: Scope, where: str, depth: int) -> bytes | None:
    eol = b"\r\n" if chunk.startswith(b"\r\n") else b"\n" if chunk.startswith(b"\n") else b""
    if not eol:
        return None
    end = chunk.find(eol * 2, 0)
    if end < 0:
        return None
    head = chunk[len(eol) : end] if end >= len(eol) else b""
    start = end + 2 * len(eol)
    stop = len(chunk) - len(eol) if chunk.endswith(eol) else len(chunk)
    stop = max(stop, start)
    content = chunk[start:stop]
    lines = head.decode("latin-1").split(eol.decode()) if head else []
    name, coding, content_type, new_lines = "", "", "", []
    for line in lines:
        key, colon, value = line.partition(":")
        header_name = canonical_name(key)
        if colon and scope.plan.secret_header(header_name) and carries(value):
            scope.found.append(f"{where} part header {key.strip()}")
            line = f"{key}: {placeholder(key.strip())}"
        elif colon:
            for param in _PARAM.finditer(value):
                raw = param[3] if param[3] is not None else param[4]
                if param[2]:  # RFC 2231: charset'language'percent-encoded
                    raw = unquote(raw.split("'", 2)[-1])
                if param[1].lower() == "name":
                    name = raw
            shown = f"{where} part {name or key.strip()}"
            line = f"{key}:{scrub_text(value, scope, shown)}"
            if header_name == "content_transfer_encoding":
                coding = value.strip().lower()
            elif header_name == "content_type":
                content_type = value
        new_lines.append(line)
    shown = f"{where} part {name}" if name else f"{where} part"
    canonical = canonical_name(name)
    if canonical and scope.plan.secret_field(canonical) and carries(content.decode("latin-1")):
        scope.found.append(shown)
        new_content = placeholder(canonical).encode()
    else:
        new_content = _part_content(content, coding, content_type, scope, shown, depth)
    new_head = eol.decode().join(new_lines).encode("latin-1", "replace")
    if new_head == head and new_content is content:
        return chunk
    return eol + new_head + eol * 2 + new_content + chunk[stop:]


def _part_content(
    content: bytes, coding: str, content_type: str, scope: Scope, where: str, depth: int
) -> bytes:
    if coding == "base64":
        try:
            inner = base64.b64decode(content, validate=False)
        except (binascii.Error, ValueError):
            return scrub_body(content, content_type, scope, where, depth + 1)
        new = scrub_body(inner, content_type, scope, where, depth + 1)
        return content if new is inner else base64.encodebytes(new).replace(b"\n", b"\r\n")
    if coding == "quoted-printable":
        inner = quopri.decodestring(content)
        new = scrub_body(inner, content_type, scope, where, depth + 1)
        return content if new is inner else quopri.encodestring(new)
    return scrub_body(content, content_type, scope, where, depth + 1)


def _plain(data: bytes, scope: Scope, where: str) -> bytes:
    if not data.strip():
        return data
    text = data.decode("latin-1")
    new = scrub_text(text, scope, where)
    return data if new is text else new.encode("latin-1", "replace")

"""The last line of defence: known secret values (the configured password, ``--scrub-value``,
and in error answers the user name) searched for in bytes, whatever encodes them.

``Values.compile`` turns values into one bytes pattern. Each character of a value may stand
as itself or in any of the escapes a client or server writes: percent-encoding (also twice,
``%2541``, and ``+`` for a space), quoted-printable (``=41``), JSON (``\\u0041``, ``\\/``,
any number of backslashes), XML character references (``&#65;``, ``&#x41;``, leading zeros,
``&amp;``), independently of its neighbours. The whole value may also stand in UTF-16 or
UTF-32 (either byte order), in hexadecimal, or inside base64 at any alignment (as ``user:pw``
in a Basic header): the three alignments' fragments are searched for, and the whole base64
run that holds one is replaced. The pattern is a sequence of small alternations per value, so
a search is linear in the bytes searched. Pure: no I/O.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

from contracttest.scrubconfig import placeholder

_WIDE = ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")
_B64_BODY = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-")
_SHORT_JSON = {'"': '"', "\\": "\\\\", "/": "/", "\b": "b", "\f": "f", "\n": "n", "\r": "r"}
_NAMED = {"&": b"amp", "<": b"lt", ">": b"gt", '"': b"quot", "'": b"apos"}


@dataclass(frozen=True)
class Values:
    """Secret values compiled: ``sub`` replaces every occurrence with ``kind``'s placeholder."""

    pattern: re.Pattern[bytes]
    literals: tuple[bytes, ...]  # spellings without an escape: one is in any match without one
    introducers: tuple[bytes, ...]  # what starts an escape: one is in any match with one
    ignore_case: bool

    @classmethod
    def compile(cls, values: tuple[str, ...], *, ignore_case: bool = False) -> Values | None:
        if not values:
            return None
        spelled: list[bytes] = []
        fragments: set[bytes] = set()
        literals: set[bytes] = set()
        for value in sorted(values, key=len, reverse=True):
            spelled.append(b"".join(_char(c, ignore_case) for c in value))
            raw = value.encode("utf-8")
            forms = {value.encode(codec) for codec in _WIDE} | {raw.hex().encode()}
            forms.add(raw.hex().upper().encode())
            spelled.extend(re.escape(form) for form in _longest_first(forms))
            literals.update({raw, *forms})
            fragments.update(_base64_fragments(raw))
        alternatives = [b"(?P<v>%s)" % b"|".join(spelled)]
        if fragments:
            ordered = _longest_first(fragments)
            alternatives.append(b"(?P<b>%s)" % b"|".join(re.escape(f) for f in ordered))
        flags = re.IGNORECASE if ignore_case else 0
        literals.update(fragments)
        if ignore_case:
            literals = {literal.lower() for literal in literals}
        introducers = (b"%", b"\\", b"&", *((b"+",) if any(" " in v for v in values) else ()))
        pattern = re.compile(b"|".join(alternatives), flags)
        return cls(pattern, tuple(sorted(literals)), introducers, ignore_case)

    def might_hold(self, data: bytes) -> bool:
        """False when no value can be in ``data`` (a cheap test before the pattern's search)."""
        if any(introducer in data for introducer in self.introducers):
            return True
        haystack = data.lower() if self.ignore_case else data
        return any(literal in haystack for literal in self.literals)

    def sub(self, data: bytes, kind: str) -> bytes:
        """``data`` with every occurrence replaced; the same object when there was none."""
        if not data or not self.might_hold(data):
            return data
        out: list[bytes] = []
        pos = 0
        for match in self.pattern.finditer(data):
            start, end = match.span()
            if start < pos:
                continue  # inside a base64 run replaced already
            if match.lastgroup == "b":
                while start > pos and data[start - 1] in _B64_BODY:
                    start -= 1
                while end < len(data) and data[end] in _B64_BODY:
                    end += 1
                while end < len(data) and data[end] == 0x3D:  # "=" pads the end only
                    end += 1
            out.append(data[pos:start])
            out.append(placeholder(kind).encode())
            pos = end
        if not out:
            return data
        out.append(data[pos:])
        return b"".join(out)

    def sub_text(self, text: str, kind: str) -> str:
        data = text.encode("utf-8", "surrogateescape")
        new = self.sub(data, kind)
        return text if new is data else new.decode("utf-8", "surrogateescape")


def _char(c: str, ignore_case: bool) -> bytes:
    """The alternation of every spelling of one character."""
    variants = {c, c.lower(), c.upper()} if ignore_case else {c}
    spellings: set[bytes] = set()
    for v in variants:
        raw = v.encode("utf-8")
        spellings.add(re.escape(raw))
        hexes = [_hex(b) for b in raw]
        spellings.add(b"".join(b"%" + h for h in hexes))  # percent-encoded
        spellings.add(b"".join(b"%25" + h for h in hexes))  # percent-encoded twice
        spellings.add(_json(v))
        point = ord(v)
        spellings.add(b"&#0{0,8}%d;" % point)
        spellings.add(b"&#[xX]0{0,8}" + _hex(point, 1) + b";")
        if v in _NAMED:
            spellings.add(b"&" + _NAMED[v] + b";")
        if v == " ":
            spellings.add(rb"\+")
    return b"(?:%s)" % b"|".join(_longest_first(spellings))


def _longest_first(items: set[bytes]) -> list[bytes]:
    """Alternatives longest first, so the longest spelling wins where several match."""
    return sorted(items, key=lambda item: (-len(item), item))


def _json(c: str) -> bytes:
    point = ord(c)
    if point > 0xFFFF:  # a surrogate pair
        point -= 0x10000
        high, low = 0xD800 + (point >> 10), 0xDC00 + (point & 0x3FF)
        return rb"\\{1,8}u" + _hex(high, 4) + rb"\\{1,8}u" + _hex(low, 4)
    escapes = [rb"\\{1,8}u" + _hex(point, 4)]
    if c in _SHORT_JSON:
        escapes.append(rb"\\{1,8}" + re.escape(_SHORT_JSON[c].encode()))
    return b"(?:%s)" % b"|".join(escapes)


def _hex(number: int, width: int = 2) -> bytes:
    """``number`` in hexadecimal, each letter digit in either case: ``4[aA]``."""
    digits = f"{number:0{width}x}"
    return "".join(f"[{d}{d.upper()}]" if d.isalpha() else d for d in digits).encode()


def _base64_fragments(raw: bytes) -> set[bytes]:
    """The base64 characters ``raw`` determines on its own at each alignment (standard and
    URL-safe alphabets): whatever bytes surround it, its base64 holds one of these."""
    fragments: set[bytes] = set()
    for shift, skip in ((0, 0), (1, 2), (2, 3)):
        encoded = base64.b64encode(b"\0" * shift + raw).rstrip(b"=")
        drop = 1 if (shift + len(raw)) % 3 else 0
        core = encoded[skip : len(encoded) - drop]
        if len(core) >= 6:
            fragments.add(core)
            fragments.add(core.translate(bytes.maketrans(b"+/", b"-_")))
    return fragments

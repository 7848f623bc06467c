"""Cassette files on disk: the one way they are read, parsed and written.

``read_cassette_file`` reads a regular file only (opened without blocking, so a FIFO or a
device is refused, never waited on or read forever) of at most ``MAX_FILE`` bytes.

``load_yaml`` turns its YAML into plain data in one pass over libyaml's events (a safe
loader: no tag ever constructs an object). vcrpy's ``!!python/...`` tags are read as the plain
data they hold: a ``!!python/tuple`` as a list, ``!!python/object/new:_io.BytesIO`` as its
mapping. What it builds is bounded while it builds it: at most ``MAX_NODES`` nodes counting
every alias as the nodes it stands for (a billion-laughs file is refused after a million, and
its aliases are never copied), at most ``MAX_DEPTH`` levels of nesting, a single document.
Whatever goes wrong is a ``CassetteError`` naming the file.

``dump_yaml`` is the one writer (libyaml's safe dumper), so what is written loads back alike.
``dump_item`` writes one interaction as an item of the ``interactions`` list, in the block
layout ``dump_yaml`` gives it, with strings that need quotes in double quotes (JSON's escapes,
and ``\\u`` for what YAML may not hold raw): the same data, some ten times faster, so that a
cassette keeps each interaction's text once made and ``dump_cassette`` joins them, instead of
writing every interaction again at every write. What it does not write (a type other than
text, bytes, numbers, booleans, null, lists and string-keyed mappings, or a key too long for a
simple key) is None: ``dump_yaml`` writes that cassette whole.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import yaml
from yaml import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    ScalarNode,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from contracttest.errors import CassetteError, ContractTestError
from contracttest.files import read_regular
from contracttest.memo import Memo

#: The largest cassette file read: four times the corpus's largest recording is 3 MiB; a
#: cassette holding a 64 MiB body (the most one body may decode to) still fits.
MAX_FILE = 96 << 20
#: The most nodes (mappings, lists, scalars) a file may stand for, each alias counted as the
#: nodes it repeats: 45 times the corpus's largest recording (5,600), about 10,000 exchanges;
#: some 100 MB and a few seconds at most to build.
MAX_NODES = 250_000
#: The deepest nesting: a vcrpy cassette nests 6 levels (root, interactions, interaction,
#: request, headers, values).
MAX_DEPTH = 64

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

_STR = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_MERGE = object()  # the key ``<<`` of a merge, while its value is read
_PYTHON = "tag:yaml.org,2002:python/"
#: Collection tags read as plain lists and mappings (besides ``!!python/...``).
_COLLECTION_KINDS = ("map", "seq", "omap", "pairs", "set")
_PLAIN_COLLECTIONS = frozenset({None, "!", *(f"tag:yaml.org,2002:{t}" for t in _COLLECTION_KINDS)})


class _Loader(_BaseLoader):  # type: ignore[misc]  # PyYAML's C classes are untyped
    """libyaml's parser with PyYAML's safe resolver and scalar constructors; nothing else of
    PyYAML's loading (no composer, no object construction) is used."""


_SCALARS: dict[str, Any] = {
    tag: constructor
    for tag, constructor in _Loader.yaml_constructors.items()
    if tag is not None and tag != _STR and tag.rpartition(":")[2] not in _COLLECTION_KINDS
}


def read_cassette_file(path: str, name: str | None = None) -> bytes:
    """The bytes of the regular file ``path``; ``CassetteError`` (naming it ``name``, by
    default its path) when it is not one, cannot be read, or is larger than ``MAX_FILE``."""
    return read_regular(path, MAX_FILE, CassetteError, "a cassette file", name)


def load_yaml(data: bytes | str, name: str) -> object:
    """A cassette file's YAML as plain data (None for an empty file), or ``CassetteError``
    saying what is wrong and where."""
    loader = _Loader(data)
    try:
        return _document(loader, name)
    except yaml.reader.ReaderError as exc:
        problem = f"position {exc.position}: {exc.reason}"
        raise CassetteError(name, f"corrupt YAML: {problem} (not UTF-8 or UTF-16 text)") from None
    except yaml.YAMLError as exc:
        raise CassetteError(name, f"corrupt YAML: {yaml_problem(exc)}") from None
    finally:
        loader.dispose()


def dump_yaml(document: object) -> bytes:
    """``document`` as cassette YAML (UTF-8; bytes as ``!!binary``)."""
    text: str = yaml.dump(document, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000)
    return text.encode("utf-8")


class Item(Protocol):
    """An interaction as a cassette keeps it: its data, and its text once made (None before;
    ``b""`` when only ``dump_yaml`` writes it)."""

    raw: object
    text: bytes | None


def dump_cassette(head: Mapping[str, Any], items: Sequence[Item], tail: Mapping[str, Any]) -> bytes:
    """The document ``{**head, "interactions": [raw, ...], **tail}``: each item's text made
    once (``dump_item``), kept on it and joined; ``dump_yaml`` writes the document whole
    when an item is not one ``dump_item`` writes."""
    texts = []
    for item in items:
        if item.text is None:
            item.text = dump_item(item.raw) or b""
        if not item.text:
            raws = [each.raw for each in items]
            return dump_yaml({**head, "interactions": raws, **tail})
        texts.append(item.text)
    parts = [dump_yaml(dict(head)) if head else b"", b"interactions:\n" if texts else b""]
    if not texts:
        parts[1] = b"interactions: []\n"
    return b"".join([*parts, *texts, dump_yaml(dict(tail)) if tail else b""])


def dump_item(item: object) -> bytes | None:
    """One interaction (any plain data) as an item of a block list at the left margin, or
    None for what only ``dump_yaml`` writes."""
    lines: list[str] = []
    try:
        _sequence([item], 0, "", lines, 0)
    except _Unwritten:
        return None
    lines.append("")
    return "\n".join(lines).encode("utf-8")


class _Unwritten(ContractTestError):
    """What ``dump_item`` leaves to ``dump_yaml``."""


def _mapping(value: dict[Any, Any], indent: int, lead: str, lines: list[str], depth: int) -> None:
    inner = " " * indent
    for key, item in value.items():
        if type(key) is not str:
            raise _Unwritten
        prefix = f"{lead}{_written(key, key=True)}:"
        lead = inner
        kind = type(item)
        if kind is dict and item:
            lines.append(prefix)
            _mapping(item, indent + 2, inner + "  ", lines, _deeper(depth))
        elif kind is list and item:
            lines.append(prefix)
            _sequence(item, indent, inner, lines, _deeper(depth))
        else:
            lines.append(f"{prefix} {_written(item)}")


def _sequence(value: list[Any], indent: int, lead: str, lines: list[str], depth: int) -> None:
    inner = " " * indent
    for item in value:
        prefix = f"{lead}- "
        lead = inner
        kind = type(item)
        if kind is dict and item:
            _mapping(item, indent + 2, prefix, lines, _deeper(depth))
        elif kind is list and item:
            _sequence(item, indent + 2, prefix, lines, _deeper(depth))
        else:
            lines.append(prefix + _written(item))


def _deeper(depth: int) -> int:
    if depth >= MAX_DEPTH:
        raise _Unwritten
    return depth + 1


def _written(value: object, *, key: bool = False) -> str:
    """A scalar (or an empty list or mapping) as its text; ``_Unwritten`` for another."""
    kind = type(value)
    if kind is str:
        assert isinstance(value, str)
        plain = _PLAIN_SEEN.get(value) if len(value) <= 256 else False  # not hashed: long
        if plain is None:
            plain = _PLAIN_SEEN.put(value, _plain(value), len(value))
        if plain:
            return value
        text = _quoted(value)
        if not text.isascii() or "\x7f" in text:  # DEL is ASCII, and no raw YAML
            text = _NOT_RAW.sub(_escaped, text)
        if key and len(text) > 1000:
            raise _Unwritten  # past a simple key's 1024 characters
        return text
    if key:
        raise _Unwritten
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    if kind is bytes:
        assert isinstance(value, bytes)
        return f'!!binary "{base64.b64encode(value).decode("ascii")}"'
    if (kind is dict or kind is list) and not value:
        return "{}" if kind is dict else "[]"
    raise _Unwritten


#: Text written as it is (a plain scalar): a conservative subset of what YAML allows plain,
#: and only when the resolver reads it back as text (not ``'4'``, ``yes``, ``null``, ``~``).
_PLAIN_CHARS = r"[A-Za-z0-9_/.;=?&%+@()~,:-]"
_PLAIN_TEXT = re.compile(rf"[A-Za-z0-9_/]{_PLAIN_CHARS}*(?: {_PLAIN_CHARS}+)*")
_STR_TAG = "tag:yaml.org,2002:str"
_PLAIN_SEEN: Memo[str, bool] = Memo(1 << 18, 256)
#: A string in double quotes with JSON's escapes (``\\"``, ``\\n``, ``\\u001b``...), which
#: YAML's double quotes read alike; what else YAML needs escaped is ``_NOT_RAW``.
_quoted = json.encoder.encode_basestring


def _plain(value: str) -> bool:
    if len(value) > 256 or not _PLAIN_TEXT.fullmatch(value) or ": " in value or value.endswith(":"):
        return False
    return bool(_Loader.resolve(_Loader, ScalarNode, value, (True, False)) == _STR_TAG)


#: What JSON leaves raw that YAML may not hold raw (DEL, C1 controls, line and paragraph
#: separators, byte-order marks, noncharacters) or cannot hold at all (a lone surrogate).
_NOT_RAW = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match[0])
    if 0xD800 <= code <= 0xDFFF:
        raise _Unwritten  # dump_yaml fails on it alike, as UTF-8 does
    return f"\\u{code:04x}"


def yaml_problem(exc: yaml.YAMLError) -> str:
    """A YAML error in one line: where, then what."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or (str(exc).splitlines() or ["unreadable"])[0]
    if mark is not None:
        return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"
    return str(problem)


class _Refused(ContractTestError):
    """Built data past a bound, or YAML a safe loader does not take."""

    def __init__(self, event: Any, problem: str) -> None:
        mark = getattr(event, "start_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        super().__init__(f"{where}{problem}")


def _document(loader: Any, name: str) -> object:
    get = loader.get_event
    get()  # the stream's start
    if isinstance(loader.peek_event(), StreamEndEvent):
        return None  # no document at all: an empty file
    get()  # the document's start
    try:
        data = _build(loader)
    except _Refused as exc:
        raise CassetteError(name, f"refused YAML: {exc}") from None
    get()  # the document's end
    if not isinstance(loader.peek_event(), StreamEndEvent):
        raise CassetteError(name, "more than one YAML document (a cassette is one)")
    return data


def _build(loader: Any) -> object:
    """The document's root node as plain data, one event at a time.

    A collection is a frame on ``stack`` until its end event; an anchor is kept with the
    value it names, the nodes it stands for and how deep it nests, so an alias reuses the
    value (never copies it) and still counts as all it stands for.
    """
    get, resolve = loader.get_event, loader.resolve
    plain: dict[str, object] = {}  # short untagged plain scalars (keys, codes) as built
    anchors: dict[str, tuple[object, int, int]] = {}  # name -> (value, nodes, height)
    open_anchors: set[str] = set()
    stack: list[list[Any]] = []  # [value, is_map, key, has_key, nodes at start, height, event]
    frame: list[Any] | None = None
    nodes = 0
    while True:
        event = get()
        kind = type(event)
        height = 0
        if kind is ScalarEvent:
            nodes += 1
            tag = event.tag
            if tag is None and not event.implicit[0]:  # quoted or block text, untagged
                value: object = event.value
            elif tag is None and (value := plain.get(event.value, plain)) is not plain:
                pass  # a plain scalar seen before: its value is immutable, reused
            else:
                value = _scalar(loader, resolve, event, tag)
                if tag is None and len(event.value) <= 64 and len(plain) < 4096:
                    plain[event.value] = value
                if value is _MERGE and (frame is None or not frame[1] or frame[3]):
                    raise _Refused(event, "a merge key '<<' outside a mapping key")
            if event.anchor is not None:
                anchors[event.anchor] = (value, 1, 0)
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            nodes += 1
            if len(stack) + 2 > MAX_DEPTH:  # the open frames, and this one
                raise _Refused(event, f"nested deeper than {MAX_DEPTH} levels")
            if event.tag not in _PLAIN_COLLECTIONS and not event.tag.startswith(_PYTHON):
                raise _Refused(event, f"unknown tag {event.tag!r}")
            if event.anchor is not None:
                open_anchors.add(event.anchor)
            if frame is not None:
                stack.append(frame)
            is_map = kind is MappingStartEvent
            frame = [{} if is_map else [], is_map, None, False, nodes, 1, event]
            continue
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            assert frame is not None
            value, height = frame[0], frame[5]
            start = frame[6]
            if start.anchor is not None:
                open_anchors.discard(start.anchor)
                anchors[start.anchor] = (value, nodes - frame[4] + 1, height)
            if not stack:
                return value
            frame = stack.pop()
        elif kind is AliasEvent:
            if event.anchor in open_anchors:
                raise _Refused(event, f"alias *{event.anchor} inside the node it names")
            found = anchors.get(event.anchor)
            if found is None:
                raise _Refused(event, f"alias *{event.anchor} names no anchor before it")
            value, count, height = found
            nodes += count
            if len(stack) + 1 + height > MAX_DEPTH:
                raise _Refused(event, f"alias *{event.anchor} nests deeper than {MAX_DEPTH}")
        else:  # the root is a scalar: the document ends here
            raise _Refused(event, f"unexpected {kind.__name__}")
        if nodes > MAX_NODES:
            raise _Refused(event, f"more than {MAX_NODES} nodes (aliases expanded)")
        if frame is None:
            return value  # a scalar (or alias) root
        if height >= frame[5]:  # a scalar is 0 high, a list of scalars 1
            frame[5] = height + 1
        if not frame[1]:
            frame[0].append(value)
        elif not frame[3]:
            frame[2], frame[3] = value, True
        else:
            _put(frame, value, event)


def _put(frame: list[Any], value: object, event: Any) -> None:
    mapping, key = frame[0], frame[2]
    frame[2], frame[3] = None, False
    if key is _MERGE:  # ``<<: *base``: the keys of ``base`` that are not there yet
        merged: list[Any] = value if isinstance(value, list) else [value]
        if not all(isinstance(m, dict) for m in merged):
            raise _Refused(event, "a merge key '<<' with a value that is not a mapping")
        for other in merged:
            for name, item in other.items():
                mapping.setdefault(name, item)
        return
    try:
        mapping[key] = value
    except TypeError:  # a list or mapping as a key
        raise _Refused(event, f"a mapping key that is a {type(key).__name__}") from None


def _scalar(loader: Any, resolve: Any, event: Any, tag: str | None) -> object:
    if tag is None or tag == "!":
        tag = resolve(ScalarNode, event.value, event.implicit)
    if tag == _STR:
        return event.value
    if tag == _MERGE_TAG:
        return _MERGE
    if tag.startswith(_PYTHON):  # vcrpy's !!python/str, !!python/unicode...: the text
        return event.value
    constructor = _SCALARS.get(tag)
    if constructor is None:
        raise _Refused(event, f"unknown tag {tag!r}")
    try:
        return constructor(loader, ScalarNode(tag, event.value, style=event.style))
    except (yaml.YAMLError, ValueError, OverflowError, TypeError) as exc:
        problem = (getattr(exc, "problem", None) or str(exc)).splitlines()[0].split(": ")[0]
        raise _Refused(event, f"{tag.rpartition(':')[2]} {event.value[:40]!r}: {problem}") from None

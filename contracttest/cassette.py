"""Reading vcrpy cassettes (YAML) into exchanges.

Bodies come back as bytes whatever vcrpy stored: text, ``!!binary``, the old
``{"string": ...}`` mapping, and gzip or deflate content encodings are undone. A file that is
not a readable cassette raises ``CassetteError`` naming the file and the problem.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from contracttest.errors import CassetteError
from contracttest.exchange import Cassette, Exchange, Headers, Request, Response, header_map
from contracttest.loading import read_file

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

CASSETTE_SUFFIXES = (".yaml", ".yml")


def load_cassette(path: str | Path) -> Cassette:
    """Read one vcrpy cassette file."""
    name = str(path)
    return cassette_from_yaml(read_file(name, CassetteError, "a cassette"), name)


def cassette_from_yaml(text: bytes | str, name: str = "<cassette>") -> Cassette:
    return cassette_from_data(read_yaml(text, name), name)


def read_yaml(text: bytes | str, name: str = "<cassette>") -> object:
    """A cassette file's YAML (safe loader), or ``CassetteError`` saying where it breaks."""
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise CassetteError(name, f"corrupt YAML: {_yaml_problem(exc)}") from None


def cassette_from_data(data: object, name: str = "<cassette>") -> Cassette:
    if not isinstance(data, dict) or not isinstance(data.get("interactions"), list):
        raise CassetteError(name, "not a vcrpy cassette (no 'interactions' list)")
    exchanges = tuple(_exchange(item, i, name) for i, item in enumerate(data["interactions"]))
    provenance = data.get("contracttest")
    skipped = provenance.get("skipped_rules") if isinstance(provenance, dict) else None
    return Cassette(name, exchanges, frozenset(str(skipped or "").split()))


def find_cassettes(paths: list[str]) -> Iterator[str]:
    """Cassette files named, or found recursively in the folders named, sorted per folder.

    A file named twice (itself and through its folder, say) comes once.
    """
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        found = (
            [f for f in sorted(path.rglob("*")) if f.suffix in CASSETTE_SUFFIXES and f.is_file()]
            if path.is_dir()
            else [path]
        )
        for file in found:
            key = file.resolve()
            if key not in seen:
                seen.add(key)
                yield str(file) if file is not path else raw


def _exchange(item: object, index: int, name: str) -> Exchange:
    if not isinstance(item, dict):
        raise CassetteError(name, f"interaction {index} is not a mapping")
    request, response = item.get("request"), item.get("response")
    if not isinstance(request, dict) or not isinstance(response, dict):
        raise CassetteError(name, f"interaction {index} lacks a request or a response")
    status = response.get("status")
    code = status.get("code") if isinstance(status, dict) else status
    try:
        code = int(code)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise CassetteError(name, f"interaction {index} has no numeric response status") from None
    if "method" not in request or "uri" not in request:
        raise CassetteError(name, f"interaction {index} request lacks method or uri")
    uri = str(request["uri"])
    try:
        urlsplit(uri)
    except ValueError as exc:
        raise CassetteError(
            name, f"interaction {index} has a malformed uri {uri!r}: {exc}"
        ) from None
    req_headers = header_map(request.get("headers"))
    resp_headers = header_map(response.get("headers"))
    try:
        req_body = _body(request.get("body"), req_headers)
        resp_body = _body(response.get("body"), resp_headers)
    except BodyTooLarge as exc:
        raise CassetteError(name, f"interaction {index}: {exc}") from None
    return Exchange(
        request=Request(str(request["method"]).upper(), uri, req_headers, req_body),
        response=Response(
            code,
            str(status.get("message", "") if isinstance(status, dict) else ""),
            resp_headers,
            resp_body,
        ),
        index=index,
        cassette=name,
    )


def _body(raw: object, headers: Headers) -> bytes:
    if isinstance(raw, dict):
        raw = raw.get("string")
    if raw is None:
        return b""
    data = raw if isinstance(raw, bytes) else str(raw).encode("utf-8")
    encoding = ",".join(headers.get("content-encoding", ())).lower()
    if data and ("gzip" in encoding or "deflate" in encoding):
        wbits = _GZIP if "gzip" in encoding else zlib.MAX_WBITS
        decoded = _inflate(data, wbits)
        return data if decoded is None else decoded  # None: recorded already decoded
    return data


_GZIP = 16 + zlib.MAX_WBITS
#: The most a compressed body may expand to: a bigger one is refused, not inflated.
MAX_BODY = 64 << 20


class BodyTooLarge(ValueError):
    """A compressed body that expands beyond ``MAX_BODY`` (a decompression bomb)."""


def _inflate(data: bytes, wbits: int) -> bytes | None:
    inflater = zlib.decompressobj(wbits)
    try:
        out = inflater.decompress(data, MAX_BODY)
    except zlib.error:
        return None
    if inflater.unconsumed_tail:
        raise BodyTooLarge(f"a compressed body expands beyond {MAX_BODY >> 20} MiB")
    return out


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if mark is not None:
        return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"
    return str(problem)

"""Hostile cassette contents, through the real commands: each class of file sits beside a
good cassette in a folder, and ``contracttest check`` and ``scan-secrets`` both give exit
status 2 and one error line naming it, in bounded memory and time, and still check and scan
the good one. Nothing in a file is ever executed."""

from __future__ import annotations

import gzip
import random
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from contracttest.bodies import MAX_BODY
from contracttest.interactions import MAX_INFLATED
from contracttest.yamlfile import MAX_DEPTH, MAX_FILE, MAX_NODES
from tests.hostile import assert_refused, both, workspace

PWNED = "pwned"  # a file a constructed object would create in the folder's parent


def interaction(request: Any = None, response: Any = None, **fields: Any) -> dict[str, Any]:
    req = {"method": "GET", "uri": "https://engine.example.com/ovirt-engine/api", "headers": {}}
    resp = {"status": {"code": 200, "message": "OK"}, "headers": {}, "body": {"string": ""}}
    for key, value in fields.items():
        side, _, name = key.partition("_")
        (req if side == "request" else resp)[name] = value
    return {"request": request if request is not None else req, "response": response or resp}


def dumped(*items: dict[str, Any]) -> str:
    return yaml.safe_dump({"interactions": list(items), "version": 1})


def laughs() -> str:
    """568 bytes that stand for 10**9 strings: nine levels of ten aliases each."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in "bcdefghi":
        previous = chr(ord(level) - 1)
        lines.append(f"{level}: &{level} [{','.join([f'*{previous}'] * 10)}]")
    return "\n".join(lines) + "\ninteractions: [*i]\n"


def compressed(size: int, wbits: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    chunk = b"<a>" + b" " * (1 << 20)
    out = [packer.compress(chunk) for _ in range(size >> 20)]
    return b"".join([*out, packer.flush()])


def garbage() -> bytes:
    return b"interactions:\n" + random.Random(7).randbytes(8192)


def huge(path: Path) -> None:
    with path.open("wb") as stream:  # sparse: no disk is spent on it
        stream.write(b"interactions: []\n")
        stream.truncate(MAX_FILE + 1)


@dataclass(frozen=True)
class Case:
    id: str
    content: Callable[[], str | bytes] | None  # None: ``make`` writes the file
    problem: str  # a regex the one error line must match after the file's name
    make: Callable[[Path], None] | None = None


def _status(code: str) -> str:
    request = "{method: GET, uri: /x}"
    return f"interactions:\n- request: {request}\n  response: {{status: {{code: {code}}}}}\n"


def _request(field: str) -> str:
    fields = {"method": "GET", "uri": "/x", "body": "null", "headers": "{}"}
    name, _, value = field.partition(": ")
    fields[name] = value
    inner = ", ".join(f"{k}: {v}" for k, v in fields.items())
    return f"interactions:\n- request: {{{inner}}}\n  response: {{status: {{code: 200}}}}\n"


CASES = [
    # -- the size of what the YAML stands for
    Case("billion-laughs", laughs, rf"refused YAML: .*more than {MAX_NODES} nodes"),
    Case("many-nodes", lambda: "interactions: [" + "1," * MAX_NODES + "1]\n", "more than"),
    Case("deep-flow", lambda: "interactions: " + "[" * 100_000 + "]" * 100_000, "nested deeper"),
    Case("deep-block", lambda: "interactions:\n" + "- " * 50_000 + "x\n", "nested deeper"),
    Case(
        "deep-mapping",
        lambda: "interactions:\n" + "".join("  " * i + "a:\n" for i in range(1, 2 * MAX_DEPTH)),
        f"nested deeper than {MAX_DEPTH}",
    ),
    Case("recursive-alias", lambda: "interactions: &a [*a]\n", r"alias \*a inside"),
    Case("undefined-alias", lambda: "interactions: [*nowhere]\n", r"alias \*nowhere names no"),
    Case("huge-file", None, rf"too large.*at most {MAX_FILE >> 20} MiB", make=huge),
    Case("two-documents", lambda: "interactions: []\n---\ninteractions: []\n", "one YAML doc"),
    # -- tags that would construct objects: read as plain data, never called
    Case(
        "python-apply",
        lambda: f"interactions:\n- !!python/object/apply:os.system ['touch ../{PWNED}']\n",
        "interaction 0 is not a mapping",
    ),
    Case(
        "python-new",
        lambda: (
            "interactions:\n- request: !!python/object/new:subprocess.Popen "
            f"[[touch, ../{PWNED}]]\n  response: {{status: 200}}\n"
        ),
        "lacks a request or a response",
    ),
    Case("ruby-tag", lambda: "interactions: !ruby/object:VCR::Cassette {}\n", "unknown tag"),
    # -- bytes that are not YAML text
    Case("binary-garbage", garbage, "corrupt YAML"),
    Case("invalid-utf8", lambda: b"interactions:\n- request: {uri: '\xff\xfe'}\n", "corrupt YAML"),
    Case("nul-byte", lambda: b"interactions: [\x00]\n", "corrupt YAML: position 15"),
    Case("corrupt", lambda: "interactions:\n  - request: {method: GET\n", "corrupt YAML: line"),
    Case("unhashable-key", lambda: "interactions:\n- ? [a]\n  : b\n", "a mapping key that is"),
    Case("bad-timestamp", lambda: "when: 2001-13-45\ninteractions: []\n", "timestamp"),
    Case("huge-integer", lambda: _status("9" * 5000), "int '9999"),
    Case("bad-merge", lambda: "interactions:\n- <<: 5\n", "merge key"),
    # -- YAML that is not a vcrpy cassette
    Case("interactions-mapping", lambda: "interactions: {a: 1}\n", "no 'interactions' list"),
    Case("interactions-scalar", lambda: "interactions: 5\n", "no 'interactions' list"),
    Case("interaction-scalar", lambda: "interactions: [5]\n", "interaction 0 is not a mapping"),
    Case("no-response", lambda: "interactions:\n- request: {}\n", "lacks a request or a resp"),
    Case("status-inf", lambda: _status(".inf"), "no numeric response status"),
    Case("status-true", lambda: _status("true"), "no numeric response status"),
    Case("status-text", lambda: _status("OK"), "no numeric response status"),
    Case("status-42", lambda: _status("42"), "no numeric response status"),
    Case("status-list", lambda: _status("[200]"), "no numeric response status"),
    Case("method-list", lambda: _request("method: [GET]"), r"method \(a list\) is not an HTTP"),
    Case("method-space", lambda: _request("method: 'GET /x'"), "is not an HTTP method"),
    Case("no-method", lambda: _request("method: null"), "lacks method or uri"),
    Case("uri-mapping", lambda: _request("uri: {a: b}"), "uri is a mapping, not a URI"),
    Case("uri-newline", lambda: _request('uri: "/x\\r\\nX: y"'), "holds control characters"),
    Case("uri-bad-ipv6", lambda: _request("uri: 'https://[::1/x'"), "malformed uri"),
    Case("headers-list", lambda: _request("headers: [a, b]"), "headers are a list, not a map"),
    Case("header-nested", lambda: _request("headers: {A: [[x]]}"), "'A' has a value that is a l"),
    Case("header-mapping", lambda: _request("headers: {A: {b: c}}"), "value that is a mapping"),
    Case("header-name", lambda: _request("headers: {7: [x]}"), r"name \(a number\) is not"),
    Case("body-no-string", lambda: _request("body: {encoding: utf-8}"), "without 'string'"),
    Case("body-list", lambda: _request("body: [1, 2]"), "request body is a list, not text"),
    Case("body-number", lambda: _request("body: 5"), "request body is a number, not text"),
    # -- bodies that expand
    Case(
        "gzip-bomb",
        lambda: dumped(
            interaction(
                response_headers={"Content-Encoding": ["gzip"]},
                response_body={"string": compressed(MAX_BODY + (1 << 20), 16 + zlib.MAX_WBITS)},
            )
        ),
        rf"interaction 0: a compressed body expands beyond {MAX_BODY >> 20} MiB",
    ),
    Case(
        "raw-deflate-bomb",
        lambda: dumped(
            interaction(
                request_method="POST",
                request_headers={"Content-Encoding": ["deflate"]},
                request_body=compressed(MAX_BODY + (1 << 20), -zlib.MAX_WBITS),
            )
        ),
        "a compressed body expands beyond",
    ),
    Case(
        "gzip-bodies-in-all",
        lambda: dumped(
            *[
                interaction(
                    response_headers={"Content-Encoding": ["gzip"]},
                    response_body={"string": gzip.compress(b" " * (60 << 20), 9)},
                )
            ]
            * (MAX_INFLATED // (60 << 20) + 1)
        ),
        rf"interaction 4: the bodies expand beyond {MAX_INFLATED >> 20} MiB in all",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_hostile_cassette_is_one_error_and_the_good_one_is_still_checked(
    tmp_path: Path, case: Case
) -> None:
    folder = workspace(tmp_path)
    bad = folder / f"{case.id}.yaml"
    if case.make is not None:
        case.make(bad)
    else:
        assert case.content is not None
        content = case.content()
        bad.write_bytes(content.encode() if isinstance(content, str) else content)

    check, scan = both(tmp_path, "cassettes")

    assert_refused(check, scan, Path("cassettes") / bad.name, case.problem)
    assert not (tmp_path / PWNED).exists()


def test_the_laughs_are_the_reported_568_bytes() -> None:
    assert len(laughs().encode()) <= 600


@pytest.mark.parametrize("case", [c for c in CASES if c.id in {"billion-laughs", "status-inf"}])
def test_named_on_the_command_line_it_is_the_same_error(tmp_path: Path, case: Case) -> None:
    folder = workspace(tmp_path)
    bad = folder / "named.yaml"
    assert case.content is not None
    content = case.content()
    bad.write_bytes(content.encode() if isinstance(content, str) else content)

    check, scan = both(folder, "named.yaml", "good.yaml")

    assert_refused(check, scan, Path("named.yaml"), case.problem)
    assert re.search(case.problem, check.stderr)

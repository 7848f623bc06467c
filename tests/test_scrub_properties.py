"""Properties of scrubbing, whatever the secret, its encoding and the shape that carries it:

* a configured value (the engine password) is in no byte of the cassette the writer makes
  from the scrubbed exchange, in any encoding, whatever shape and encoding carried it;
* a secret under a secret name is gone however the name is spelled (case, ``-``/``_``/``.``,
  percent-encoding, JSON escapes) and wherever the name stands;
* scanning flags a message exactly when scrubbing changes it, and scrubbing twice changes
  nothing more.

The encodings and the check for the value on disk are written here, independently of the
scrubber (``tests/secret_shapes.holds``).
"""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, quote_plus

from hypothesis import given, settings
from hypothesis import strategies as st
from vcr.request import Request  # type: ignore[import-untyped]

from contracttest.interactions import request_dict, response_dict
from contracttest.scrub import ScrubConfig, scrub_request, scrub_response, secrets_in
from contracttest.scrubplan import plan
from contracttest.yamlfile import dump_yaml
from tests.secret_shapes import holds

URL = "https://engine.example.com/ovirt-engine/api"

secret_values = (
    st.text(
        st.characters(exclude_categories=("Cs", "Cc", "Co", "Zl", "Zp")), min_size=2, max_size=14
    )
    .map(lambda s: f"S3cr{s}")
    .filter(lambda s: len(s.strip()) >= 6)
)


def _json_escaped(text: str) -> str:
    return json.dumps(text, ensure_ascii=True)[1:-1].replace("S", "\\u0053")


def _references(text: str) -> str:
    return "".join(f"&#{ord(c)};" if i % 2 else f"&#x{ord(c):x};" for i, c in enumerate(text))


ENCODINGS: dict[str, Callable[[str], str]] = {
    "raw": lambda s: s,
    "percent": lambda s: quote(s, safe=""),
    "plus": quote_plus,
    "percent-twice": lambda s: quote(quote(s, safe=""), safe=""),
    "json": _json_escaped,
    "xml": _references,
    "basic": lambda s: base64.b64encode(f"admin@internal:{s}".encode()).decode(),
    "urlsafe-base64": lambda s: base64.urlsafe_b64encode(f"x{s}".encode()).decode(),
    "hex": lambda s: s.encode().hex(),
}

Message = tuple[str, dict[str, str], bytes]  # uri, headers, body


def _xml_text(encoded: str) -> str:
    return encoded.replace("&", "&amp;").replace("<", "&lt;") if "&#" not in encoded else encoded


SHAPES: dict[str, Callable[[str], Message]] = {
    "header": lambda e: (URL, {"X-Anything": e}, b""),
    "query": lambda e: (f"{URL}/vms?q={quote(e, safe='%')}&max=1", {}, b""),
    "path": lambda e: (f"{URL}/vms/{quote(e, safe='%')}", {}, b""),
    "form": lambda e: (URL, {"Content-Type": "text/plain"}, f"a=1&note={quote(e)}".encode()),
    "xml": lambda e: (
        f"{URL}/vms",
        {"Content-Type": "application/xml"},
        f"<vm><description>{_xml_text(e)}</description></vm>".encode(),
    ),
    "xml-utf16": lambda e: (
        f"{URL}/vms",
        {"Content-Type": "application/xml"},
        f"<vm><comment>{_xml_text(e)}</comment></vm>".encode("utf-16"),
    ),
    "json": lambda e: (URL, {"Content-Type": "application/json"}, json.dumps({"n": e}).encode()),
    "json-gzip": lambda e: (
        URL,
        {"Content-Type": "application/json", "Content-Encoding": "gzip"},
        gzip.compress(json.dumps({"n": e}).encode()),
    ),
    "multipart": lambda e: (
        URL,
        {"Content-Type": "multipart/form-data; boundary=b0"},
        f'--b0\r\nContent-Disposition: form-data; name="f"\r\n\r\n{e}\r\n--b0--\r\n'.encode(),
    ),
    "binary": lambda e: (URL, {}, b"\x00\xff\x10" + e.encode("utf-16-le") + b"\x80\x00"),
}


def _on_disk(request: Request, response: dict[str, Any]) -> bytes:
    """What the cassette writer makes of one exchange."""
    return dump_yaml(
        {"interactions": [{"request": request_dict(request), "response": response_dict(response)}]}
    )


@settings(max_examples=300)
@given(
    secret_values,
    st.sampled_from(sorted(ENCODINGS)),
    st.sampled_from(sorted(SHAPES)),
    st.booleans(),
)
def test_a_configured_value_never_reaches_disk(
    secret: str, encoding: str, shape: str, answer: bool
) -> None:
    config = ScrubConfig().extended(values=[secret])
    assert plan(config).values == (secret,)
    uri, headers, body = SHAPES[shape](ENCODINGS[encoding](secret))
    request = Request("POST", uri if not answer else URL, body if not answer else b"", headers)
    response = {
        "status": {"code": 200, "message": "OK"},
        "headers": headers if answer else {},
        "body": {"string": body if answer else b"ok"},
    }
    clean_request = scrub_request(request, config)
    clean_response = scrub_response(response, config)
    data = _on_disk(clean_request, clean_response)
    assert not holds(data, secret), data[:2000]
    assert scrub_request(clean_request, config).uri == clean_request.uri
    assert (
        _on_disk(scrub_request(clean_request, config), scrub_response(clean_response, config))
        == data
    )


NAMES = ["password", "passwd", "root_password", "access_token", "api_key", "client_secret"]


@st.composite
def spelled_names(draw: st.DrawFn) -> tuple[str, str]:
    """A secret name spelled any way a client may: (spelling, where it goes)."""
    name = draw(st.sampled_from(NAMES))
    where = draw(st.sampled_from(["form", "query", "json", "xml", "xml-attribute", "header"]))
    chars = []
    for c in name:
        if c == "_":
            c = draw(st.sampled_from(["_", "-", "."] if where != "xml-attribute" else ["_", "-"]))
        c = c.upper() if draw(st.booleans()) else c
        if where in ("form", "query") and draw(st.integers(0, 3)) == 0:
            c = f"%{ord(c):02x}"
        elif where == "json" and draw(st.integers(0, 3)) == 0:
            c = f"\\u{ord(c):04x}"
        chars.append(c)
    return "".join(chars), where


SECRET = "Xy9-not-configured-anywhere"


@settings(max_examples=300)
@given(spelled_names())
def test_a_secret_name_is_found_however_it_is_spelled(spelled: tuple[str, str]) -> None:
    name, where = spelled
    uri, headers, body = URL, {"Content-Type": "text/plain"}, b""
    if where == "form":
        body = f"a=1&{name}={SECRET}".encode()
    elif where == "query":
        uri = f"{URL}/vms?{name}={SECRET}"
    elif where == "json":
        body = ('{"a": {"' + name + '": "' + SECRET + '"}}').encode()
    elif where == "xml":
        body = f"<vm><{name}>{SECRET}</{name}></vm>".encode()
    elif where == "xml-attribute":
        body = f'<vm {name}="{SECRET}"/>'.encode()
    else:
        headers[name] = SECRET
    request = Request("POST", uri, body, headers)
    config = ScrubConfig()
    clean = scrub_request(request, config)
    data = _on_disk(clean, {"status": {"code": 200, "message": "OK"}, "headers": {}, "body": {}})
    assert not holds(data, SECRET), data
    assert secrets_in(uri, headers, body, config) != []


messages = st.builds(
    lambda uri, headers, body: (uri, headers, body),
    st.sampled_from(
        [URL, f"{URL}/vms?search=name%3Dx", f"{URL}/vms?token=abc", "https://u:p@e/api"]
    ),
    st.dictionaries(
        st.sampled_from(["Accept", "X-Token", "Cookie", "Content-Type", "X-Note"]),
        st.sampled_from(["application/xml", "abc", "Bearer Zz9-abcdefgh", "s=1", ""]),
        max_size=3,
    ),
    st.one_of(
        st.sampled_from(
            [
                b"",
                b"<vm><name>x</name></vm>",
                b"<vm><root_password>pw</root_password></vm>",
                b'{"a": 1}',
                b'{"secret": "s"}',
                b"a=1&b=2",
                b"a=1&pwd=2",
                b"<broken><password>",
                b"\x00\x01binary",
            ]
        ),
        st.binary(max_size=40),
        st.text(max_size=40).map(str.encode),
    ),
)


@settings(max_examples=300)
@given(messages)
def test_scanning_flags_a_message_exactly_when_scrubbing_changes_it(message: Message) -> None:
    uri, headers, body = message
    config = ScrubConfig().extended(values=["Zz9-abcdefgh"])
    request = Request("POST", uri, body or None, dict(headers))
    clean = scrub_request(request, config)
    changed = (clean.uri, dict(clean.headers), clean.body or b"") != (
        request.uri,
        dict(request.headers),
        request.body or b"",
    )
    assert bool(secrets_in(uri, headers, body, config)) == changed
    again = scrub_request(clean, config)
    assert (again.uri, dict(again.headers), again.body) == (
        clean.uri,
        dict(clean.headers),
        clean.body,
    )
    assert secrets_in(clean.uri, dict(clean.headers), clean.body or b"", config) == []


# ---------------------------------------------------------------- bounded


PATHOLOGICAL = {
    "backslashes": b"password" + b"\\" * 400_000,
    "spaces": (b"a" + b" " * 50 + b"b") * 20_000 + b"password",
    "angles": b"x<" + b"a" * 64 + b">" + b"<" * 400_000 + b"password",
    "one base64 run": b'{"a":"' + b"A" * 1_000_000 + b'==="} key',
    "one long word": b"text " + b"key" * 300_000 + b"=",
    "many attributes": b"<a " + b" ".join(b'k%d="pass"' % i for i in range(20_000)) + b"/>",
    "many pairs": b"&".join(b"a%d=%%70" % i for i in range(100_000)),
    "percent": b"%25" * 300_000 + b" pass",
    "references": b"&#" * 300_000 + b" pass",
    "escapes": b'{"a":"' + b"\\u0041" * 200_000 + b'"}',
    "pem": b"-----BEGIN PRIVATE KEY-----" * 50_000,
}


def test_scrubbing_is_linear_on_inputs_that_break_backtracking_patterns() -> None:
    """About a megabyte each, built to make a backtracking pattern quadratic: each takes well
    under a second when scrubbing is linear (one took 65 s for 200 kB before its pattern was
    bounded); 20 s for all is a bound no machine should reach, not a benchmark."""
    import time

    config = ScrubConfig().extended(values=["Zz9-abcdefgh"])
    started = time.monotonic()
    for body in PATHOLOGICAL.values():
        scrub_request(Request("POST", URL, body, {}), config)
    assert time.monotonic() - started < 20

"""A corpus of the shapes in which clients and servers carry secrets, as data both the plugin
run (a suite sends each shape to a loopback server through the plugin's cassette) and the
scanner tests (each shape planted by hand in a cassette) read.

Three markers: ``PASSWORD`` is the engine password the run is configured with (found by
value, in any encoding); ``SECRET`` is configured nowhere (found only by the name or the shape
that carries it); ``EXTRA`` is given as ``CONTRACTTEST_SCRUB_VALUES``. The user is the
plugin's default, ``admin@internal``, echoed by error answers. ``absent`` looks for a marker
in bytes in every encoding, decoding what the cassette writer may have encoded (YAML escapes,
``!!binary``, compression) on its own, without the scrubber's code.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import html
import json
import random
import re
import zlib
from dataclasses import dataclass
from urllib.parse import quote, quote_plus, unquote, unquote_plus

PASSWORD = "Zq7-Kn0wn-engine-passw0rd"
SECRET = "Xv4-other-s3cret-marker"
EXTRA = "Yw2-extra-value-marker"
USER = "admin@internal"
SCRUB_HEADER = "X-Custom-Thing"
SCRUB_FIELD = "unusual_field"
MARKERS = (PASSWORD, SECRET, EXTRA)

XML = "application/xml"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
TEXT = "text/plain"
OCTETS = "application/octet-stream"
SSO = "/ovirt-engine/sso/oauth/token"


@dataclass(frozen=True)
class Shape:
    """One exchange: the request a client sends and the answer the loopback server gives;
    ``where`` is what ``scan-secrets`` names for it (a part of its line)."""

    id: str
    where: str
    method: str = "POST"
    target: str = ""  # path and query, or an absolute URL; default /shape/<id>
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    status: int = 200
    reason: str = "OK"
    answer_headers: tuple[tuple[str, str], ...] = ()
    answer: bytes = b"ok"
    markers: tuple[str, ...] = (SECRET,)

    def path(self) -> str:
        return self.target or f"/shape/{self.id}"


def _form(**pairs: str) -> bytes:
    return "&".join(f"{k}={quote_plus(v)}" for k, v in pairs.items()).encode()


def _utf16(text: str, codec: str = "utf-16") -> bytes:
    return text.encode(codec)


def _multipart(boundary: str, *parts: tuple[str, bytes]) -> bytes:
    out = b""
    for head, content in parts:
        out += f"--{boundary}\r\n{head}\r\n\r\n".encode() + content + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


def _escaped_json(text: str) -> str:
    return "".join(f"\\u{ord(c):04x}" for c in text)


def _references(text: str) -> str:
    return "".join(f"&#{ord(c)};" if i % 2 else f"&#x{ord(c):X};" for i, c in enumerate(text))


def _binary(payload: bytes) -> bytes:
    noise = random.Random(11)
    return noise.randbytes(300) + b"\xff\xfe\x00" + payload + noise.randbytes(300)


def _bomb() -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    head = packer.compress(f"<vm><password>{SECRET}</password><name>".encode())
    pad = b"".join(packer.compress(b" " * (1 << 20)) for _ in range(65))
    return head + pad + packer.compress(b"</name></vm>") + packer.flush()


PEM_BEGIN = "-----BEGIN OPENSSH PRIVATE KEY-----"
PEM_END = "-----END OPENSSH PRIVATE KEY-----"
ROOT = f"<vm><initialization><root_password>{SECRET}</root_password></initialization></vm>"
FORM_HEAD = (("Content-Type", FORM), ("Accept", JSON))
B = "XyZ-boundary-42"

REQUESTS = [
    # -- the SSO form, as ovirtsdk4, Ansible and curl send it, and the ways it goes wrong
    Shape(
        "sso-form-percent-name",
        "request body field password",
        target=SSO,
        headers=FORM_HEAD,
        body=b"grant_type=password&scope=ovirt-app-api&username=admin%40internal&%70assword="
        + quote_plus(SECRET).encode(),
    ),
    Shape(
        "sso-form-twice-encoded-name",
        "request body field pass%77ord",
        target=SSO,
        headers=FORM_HEAD,
        body=b"grant_type=password&pass%2577ord=" + SECRET.encode(),
    ),
    Shape(
        "sso-form-text-plain",
        "request body field Password",
        target=SSO,
        headers=(("Content-Type", TEXT),),
        body=_form(grant_type="password", username=USER, Password=SECRET),
    ),
    Shape(
        "sso-form-octet-stream",
        "request body field passwd",
        target=SSO,
        headers=(("Content-Type", OCTETS),),
        body=_form(username=USER, passwd=SECRET),
    ),
    Shape(
        "sso-user-field-holds-the-password",
        "(a configured secret value)",
        target=SSO,
        headers=FORM_HEAD,
        body=_form(grant_type="password", username=PASSWORD, password="typo"),
        status=400,
        reason="Bad Request",
        answer_headers=(("Content-Type", JSON),),
        answer=json.dumps(
            {"error_code": "access_denied", "error": f"Cannot authenticate user '{PASSWORD}'"}
        ).encode(),
        markers=(PASSWORD,),
    ),
    # -- XML in other encodings and other places
    Shape(
        "xml-utf16-bom",
        "request body /vm/initialization/root_password",
        headers=(("Content-Type", XML),),
        body=_utf16(f'<?xml version="1.0" encoding="UTF-16"?>{ROOT}'),
    ),
    Shape(
        "xml-utf16-le-no-bom",
        "request body /vm/initialization/root_password",
        headers=(("Content-Type", "application/xml; charset=utf-16le"),),
        body=_utf16(ROOT, "utf-16-le"),
    ),
    Shape(
        "xml-utf32-bom",
        "request body /vm/initialization/root_password",
        headers=(("Content-Type", XML),),
        body=_utf16(ROOT, "utf-32"),
    ),
    Shape(
        "xml-attribute",
        "request body /vm/initialization/@root_password",
        headers=(("Content-Type", XML),),
        body=f'<vm><initialization root_password="{SECRET}"/></vm>'.encode(),
    ),
    Shape(
        "xml-namespaced",
        "request body /vm/password",
        headers=(("Content-Type", XML),),
        body=f'<o:vm xmlns:o="urn:x"><o:password>{SECRET}</o:password></o:vm>'.encode(),
    ),
    Shape(
        "xml-cdata-in-free-text",
        "request body /vm/description (password=)",
        headers=(("Content-Type", XML),),
        body=f"<vm><description><![CDATA[password={SECRET}]]></description></vm>".encode(),
    ),
    Shape(
        "xml-comment",
        "request body /vm/comment() (token:)",
        headers=(("Content-Type", XML),),
        body=f"<vm><!-- token: {SECRET} --><name>x</name></vm>".encode(),
    ),
    Shape(
        "xml-commented-out-element",
        "request body /vm/comment() (<password>)",
        headers=(("Content-Type", XML),),
        body=f"<vm><!-- <password>{SECRET}</password> --></vm>".encode(),
    ),
    Shape(
        "xml-processing-instruction",
        "request body /processing-instruction() (secret=)",
        headers=(("Content-Type", XML),),
        body=f'<?xml version="1.0"?><?note secret="{SECRET}"?><vm/>'.encode(),
    ),
    Shape(
        "xml-name-value-pair",
        "request body /options/option/value (password)",
        headers=(("Content-Type", XML),),
        body=f"<options><option><name>password</name><value>{SECRET}</value></option>"
        "</options>".encode(),
    ),
    Shape(
        "xml-option-attributes",
        "request body /options/option/@value",
        headers=(("Content-Type", XML),),
        body=f'<options><option name="passwd" value="{SECRET}"/></options>'.encode(),
    ),
    Shape(
        "xml-malformed",
        "request body (XML that does not parse, naming 'password')",
        headers=(("Content-Type", XML),),
        body=f"<host><password>{SECRET}</password>".encode(),
    ),
    Shape(
        "xml-doctype",
        "request body (XML that does not parse, naming 'password')",
        headers=(("Content-Type", XML),),
        body=f"<!DOCTYPE host><host><password>{SECRET}</password></host>".encode(),
    ),
    Shape(
        "xml-entities",
        "request body (XML that does not parse, naming 'password')",
        headers=(("Content-Type", XML),),
        body=b'<!DOCTYPE h [<!ENTITY e "x">]><h><pass&#x77;ord>'
        + SECRET.encode()
        + b"&e;</pass&#x77;ord></h>",
    ),
    Shape(
        "xml-passwd-authentication-key-certificate",
        "request body /provider/authentication_key",
        headers=(("Content-Type", XML),),
        body=f"<provider><passwd>{SECRET}</passwd><authentication_key>{SECRET}"
        f"</authentication_key><certificate><content>{SECRET}</content></certificate>"
        "</provider>".encode(),
    ),
    Shape(
        "xml-scrub-field-option",
        "request body /vm/unusual_field",
        headers=(("Content-Type", XML),),
        body=f"<vm><unusual_field>{SECRET}</unusual_field></vm>".encode(),
    ),
    Shape(
        "xml-password-as-character-references",
        "(a configured secret value)",
        headers=(("Content-Type", XML),),
        body=f"<vm><description>{_references(PASSWORD)}</description></vm>".encode(),
        markers=(PASSWORD,),
    ),
    # -- JSON
    Shape(
        "json-escaped-key",
        "request body /password",
        headers=(("Content-Type", JSON),),
        body=b'{"pass\\u0077ord": "' + SECRET.encode() + b'"}',
    ),
    Shape(
        "json-as-text-plain",
        "request body /user/password",
        headers=(("Content-Type", TEXT),),
        body=json.dumps({"user": {"password": SECRET}}).encode(),
    ),
    Shape(
        "json-inside-a-json-string",
        "request body /payload (token:)",
        headers=(("Content-Type", JSON),),
        body=json.dumps({"payload": json.dumps({"token": SECRET})}).encode(),
    ),
    Shape(
        "json-name-value-pair",
        "request body /properties/0/value",
        headers=(("Content-Type", JSON),),
        body=json.dumps({"properties": [{"name": "Password", "value": SECRET}]}).encode(),
    ),
    Shape(
        "json-malformed",
        "request body (JSON that does not parse, naming 'password')",
        headers=(("Content-Type", JSON),),
        body=b'{"password": "' + SECRET.encode() + b'", ',
    ),
    Shape(
        "json-utf16-no-bom",
        "request body /client_secret",
        headers=(("Content-Type", JSON),),
        body=json.dumps({"client_secret": SECRET}).encode("utf-16-le"),
    ),
    Shape(
        "json-password-escaped-in-a-value",
        "(a configured secret value)",
        headers=(("Content-Type", JSON),),
        body=b'{"note": "' + _escaped_json(PASSWORD).encode() + b'"}',
        markers=(PASSWORD,),
    ),
    Shape(
        "json-private-key",
        "request body /ssh (a private key)",
        headers=(("Content-Type", JSON),),
        body=json.dumps({"ssh": f"{PEM_BEGIN}\n{SECRET}\n{PEM_END}"}).encode(),
    ),
    # -- multipart
    Shape(
        "multipart-field",
        "request body part password",
        headers=(("Content-Type", f"multipart/form-data; boundary={B}"),),
        body=_multipart(
            B,
            ('Content-Disposition: form-data; name="user"', USER.encode()),
            ('Content-Disposition: form-data; name="password"', SECRET.encode()),
        ),
    ),
    Shape(
        "multipart-rfc2231-name-as-octet-stream",
        "request body part password",
        headers=(("Content-Type", OCTETS),),
        body=_multipart(
            B, ("Content-Disposition: form-data; name*=utf-8''pass%77ord", SECRET.encode())
        ),
    ),
    Shape(
        "multipart-base64-part",
        "request body part config (password=)",
        headers=(("Content-Type", f'multipart/mixed; boundary="{B}"'),),
        body=_multipart(
            B,
            (
                'Content-Disposition: form-data; name="config"\r\n'
                "Content-Transfer-Encoding: base64",
                base64.encodebytes(f"[db]\npassword={SECRET}\n".encode()),
            ),
        ),
    ),
    Shape(
        "multipart-filename-holds-the-password",
        "(a configured secret value)",
        headers=(("Content-Type", f"multipart/form-data; boundary={B}"),),
        body=_multipart(
            B,
            (
                f'Content-Disposition: form-data; name="upload"; filename="{PASSWORD}.txt"',
                b"data",
            ),
        ),
        markers=(PASSWORD,),
    ),
    # -- compression, binary
    Shape(
        "gzip-declared",
        "request body /vm/initialization/root_password",
        headers=(("Content-Type", XML), ("Content-Encoding", "gzip")),
        body=gzip.compress(ROOT.encode()),
    ),
    Shape(
        "gzip-undeclared-in-gzip",
        "request body field token",
        headers=(("Content-Type", OCTETS), ("Content-Encoding", "gzip")),
        body=gzip.compress(gzip.compress(_form(token=SECRET))),
    ),
    Shape(
        "deflate-raw",
        "request body /vm/initialization/root_password",
        headers=(("Content-Type", XML), ("Content-Encoding", "deflate")),
        body=zlib.compress(ROOT.encode())[2:-4],
    ),
    Shape(
        "gzip-beyond-the-inflate-limit",
        "a compressed body expands beyond 64 MiB",
        headers=(("Content-Type", XML), ("Content-Encoding", "gzip")),
        body=_bomb(),
    ),
    Shape(
        "binary-naming-a-secret",
        "request body (binary data, naming 'password')",
        headers=(("Content-Type", OCTETS),),
        body=_binary(f"password={SECRET}".encode()),
    ),
    Shape(
        "binary-utf16-name",
        "request body (binary data, naming 'token')",
        headers=(("Content-Type", OCTETS),),
        body=_binary(f"token={SECRET}".encode("utf-16-le")),
    ),
    Shape(
        "binary-password-in-utf16",
        "(a configured secret value)",
        headers=(("Content-Type", OCTETS),),
        body=_binary(PASSWORD.encode("utf-16-be")),
        markers=(PASSWORD,),
    ),
    Shape(
        "text-ini-file",
        "request body (pwd=)",
        headers=(("Content-Type", TEXT),),
        body=f"[engine]\nuser = admin\npwd = {SECRET}\n".encode(),
    ),
    # -- URIs
    Shape(
        "query-percent-encoded-name",
        "request uri query password",
        method="GET",
        target=f"/shape/query-percent-encoded-name?pass%77ord={SECRET}&max=1",
    ),
    Shape(
        "query-search-language",
        "request uri query search (password=)",
        method="GET",
        target="/shape/query-search-language?search="
        + quote(f"name=vm1 and password={SECRET}", safe=""),
    ),
    Shape(
        "query-url-in-a-value",
        "request uri query next (URL userinfo)",
        method="GET",
        target="/shape/query-url-in-a-value?next=" + quote(f"https://u:{SECRET}@h/", safe=""),
    ),
    Shape(
        "query-password-percent-encoded-twice",
        "request uri query q (a configured secret value)",
        method="GET",
        target="/shape/query-password-percent-encoded-twice?q="
        + quote(quote(PASSWORD, safe=""), safe=""),
        markers=(PASSWORD,),
    ),
    Shape(
        "uri-userinfo",
        "request uri userinfo",
        method="GET",
        target=f"http://admin:{SECRET}@HOST/shape/uri-userinfo",
    ),
    Shape(
        "fragment-token",
        "request uri fragment access_token",
        method="GET",
        target=f"/shape/fragment-token#access_token={SECRET}",
    ),
    Shape(
        "matrix-session",
        "request uri matrix jsessionid",
        method="GET",
        target=f"/shape/matrix-session;jsessionid={SECRET}",
    ),
    Shape(
        "path-segment-password",
        "request uri (a configured secret value)",
        method="GET",
        target=f"/shape/path-segment-password/{PASSWORD}/x",
        markers=(PASSWORD,),
    ),
    # -- headers
    Shape("x-password", "request header X-Password", headers=(("X-Password", SECRET),)),
    Shape("api-key", "request header Api-Key", headers=(("Api-Key", SECRET),)),
    Shape(
        "bearer-under-an-unknown-name",
        "request header X-Upstream",
        headers=(("X-Upstream", f"Bearer {SECRET}"),),
    ),
    Shape(
        "basic-base64-in-an-unknown-header",
        "request header X-Trace (a configured secret value)",
        headers=(("X-Trace", base64.b64encode(f"admin:{PASSWORD}".encode()).decode()),),
        markers=(PASSWORD,),
    ),
    Shape(
        "cookie-of-any-name",
        "request header Cookie",
        headers=(("Cookie", f"theme=dark; sid={SECRET}"),),
    ),
    Shape(
        "scrub-header-option",
        f"request header {SCRUB_HEADER}",
        headers=((SCRUB_HEADER, SECRET),),
    ),
    Shape(
        "extra-value-in-a-header",
        "request header X-Note (a configured secret value)",
        headers=(("X-Note", f"see {EXTRA}"),),
        markers=(EXTRA,),
    ),
]

RESPONSES = [
    Shape(
        "set-cookie-of-any-name",
        "response header Set-Cookie",
        method="GET",
        answer_headers=(("Set-Cookie", f"sid={SECRET}; Path=/; HttpOnly"),),
    ),
    Shape(
        "x-auth-token-answer",
        "response header X-Auth-Token",
        method="GET",
        answer_headers=(("X-Auth-Token", SECRET),),
    ),
    Shape(
        "redirect-location",
        "response header Location (access_token=)",
        method="GET",
        status=302,
        reason="Found",
        answer_headers=(("Location", f"https://h/cb?x=1&access_token={SECRET}"),),
    ),
    Shape(
        "fault-401-echoing-the-user",
        "response body /fault/detail (the user)",
        method="GET",
        status=401,
        reason="Unauthorized",
        answer_headers=(("Content-Type", XML),),
        answer=f"<fault><reason>Operation Failed</reason><detail>Cannot authenticate user "
        f"'{USER}': the password {PASSWORD} is incorrect</detail></fault>".encode(),
        markers=(PASSWORD, USER),
    ),
    Shape(
        "html-401-page",
        "response body (XML that does not parse, naming 'password')",
        method="GET",
        status=401,
        reason="Unauthorized",
        answer_headers=(("Content-Type", "text/html"),),
        answer=f"<!DOCTYPE html><html><body>Password: {SECRET}<br></body></html>".encode(),
    ),
    Shape(
        "utf16-answer",
        "response body /vm/initialization/root_password",
        method="GET",
        answer_headers=(("Content-Type", "application/xml; charset=UTF-16"),),
        answer=_utf16(ROOT),
    ),
    Shape(
        "gzip-token-answer",
        "response body /access_token",
        method="GET",
        answer_headers=(("Content-Type", JSON), ("Content-Encoding", "gzip")),
        answer=gzip.compress(json.dumps({"access_token": SECRET}).encode()),
    ),
    Shape(
        "console-file-answer",
        "response body (password=)",
        method="GET",
        answer_headers=(("Content-Type", "application/x-virt-viewer"),),
        answer=f"[virt-viewer]\ntype=spice\npassword={SECRET}\n".encode(),
    ),
    Shape(
        "reason-phrase-holds-the-password",
        "response status message (a configured secret value)",
        method="GET",
        reason=f"OK {PASSWORD}",
        markers=(PASSWORD,),
    ),
]

SHAPES = {shape.id: shape for shape in (*REQUESTS, *RESPONSES)}


# ---------------------------------------------------------------- looking for a marker


def spellings(marker: str) -> list[bytes]:
    """``marker`` in each encoding a client, a server or the cassette writer may use."""
    raw = marker.encode()
    forms = {
        raw,
        quote(marker, safe="").encode(),
        quote_plus(marker).encode(),
        "".join(f"%{b:02X}" for b in raw).encode(),
        "".join(f"%{b:02x}" for b in raw).encode(),
        _escaped_json(marker).encode(),
        "".join(f"&#{ord(c)};" for c in marker).encode(),
        raw.hex().encode(),
        raw.hex().upper().encode(),
        *(marker.encode(c) for c in ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")),
    }
    for shift in range(3):  # inside base64 at any alignment, as after "user:"
        encoded = base64.b64encode(b"\0" * shift + raw).rstrip(b"=")
        core = encoded[(0, 2, 3)[shift] : len(encoded) - (1 if (shift + len(raw)) % 3 else 0)]
        forms.add(core)
        forms.add(core.translate(bytes.maketrans(b"+/", b"-_")))
    return sorted(forms)


def views(data: bytes) -> list[str]:
    """Texts ``data`` holds, decoded as far as it goes: compression undone, UTF-16/32 read,
    YAML's and JSON's escapes, XML references and percent-encoding undone."""
    found: list[bytes] = [data]
    for start in [m.start() for m in re.finditer(rb"\x1f\x8b", data)][:50]:
        with contextlib.suppress(zlib.error):
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            found.append(inflater.decompress(data[start:], 1 << 27))
    texts: list[str] = []
    for chunk in found:
        texts.append(chunk.decode("latin-1"))
        texts.append(chunk.replace(b"\0", b"").decode("latin-1"))
        for codec in ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"):
            texts.append(chunk.decode(codec, "ignore"))
    out = []
    for text in texts:
        out.append(text)
        decoded = text
        for _ in range(3):
            decoded = html.unescape(unquote_plus(unquote(decoded)))
            decoded = re.sub(r"\\{1,8}u([0-9a-fA-F]{4})", lambda m: chr(int(m[1], 16)), decoded)
            decoded = re.sub(r"\\x([0-9a-fA-F]{2})", lambda m: chr(int(m[1], 16)), decoded)
        out.append(decoded)
    return out


def holds(data: bytes, marker: str) -> bool:
    """Whether ``marker`` is in ``data`` in any encoding (or behind one that decodes)."""
    if any(form in data for form in spellings(marker)):
        return True
    return any(marker in text for text in views(data))

"""Scrubbing credentials out of vcrpy requests and responses, and scanning cassettes for them."""

from __future__ import annotations

import copy
import gzip
import io
import json
import urllib.request
import zlib
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import vcr  # type: ignore[import-untyped]
from hypothesis import given
from hypothesis import strategies as st
from vcr import matchers
from vcr.request import Request  # type: ignore[import-untyped]
from vcr.serialize import deserialize, serialize  # type: ignore[import-untyped]
from vcr.serializers import yamlserializer  # type: ignore[import-untyped]

from contracttest import xmlsafe
from contracttest.errors import UsageError
from contracttest.scan import Leak, scan_cassette_file, scan_secrets_main
from contracttest.scrub import (
    DEFAULT_FIELDS,
    DEFAULT_HEADERS,
    PLACEHOLDER_PREFIX,
    ScrubConfig,
    placeholder,
    scrub_body,
    scrub_headers,
    scrub_request,
    scrub_response,
    scrub_uri,
)
from tests.loopback import serving

CONFIG = ScrubConfig()
API = "https://engine.example.com/ovirt-engine/api"
XML = "application/xml"
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

# ---------------------------------------------------------------- realistic oVirt bodies

VM_ADD = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<vm>
  <name>web1</name>
  <cluster><name>Default</name></cluster>
  <template><name>rhel8</name></template>
  <initialization>
    <host_name>web1.example.com</host_name>
    <user_name>root</user_name>
    <root_password>R00t-Pa55</root_password>
    <custom_script><![CDATA[#cloud-config
chpasswd: {list: "admin:Adm1n-Pa55", expire: false}
]]></custom_script>
    <authorized_ssh_keys>ssh-ed25519 AAAAC3Nza public@key</authorized_ssh_keys>
  </initialization>
</vm>
"""

HOST_ADD = b"""<host>
  <name>host1</name>
  <address>host1.example.com</address>
  <root_password>H0st-Pa55</root_password>
  <ssh><authentication_method>password</authentication_method>
    <user><user_name>root</user_name><password>Ssh-Pa55</password></user></ssh>
  <power_management><agents><agent><type>ipmilan</type><username>ipmi</username>
    <password>Ipmi-Pa55</password></agent></agents></power_management>
</host>"""

V3_CLOUD_INIT = b"""<vm>
  <initialization>
    <cloud_init>
      <host><address>vm1.example.com</address></host>
      <users><user><user_name>root</user_name><password>Cloud-Pa55</password></user></users>
      <files><file><name>/etc/motd</name><content>Cloud-File</content>
        <type>plaintext</type></file></files>
    </cloud_init>
  </initialization>
</vm>"""

SYSPREP = b"""<vm>
  <initialization>
    <configuration>
      <type>sysprep</type>
      <data>&lt;unattend&gt;&lt;AdministratorPassword&gt;&lt;Value&gt;Win-Pa55&lt;/Value&gt;\
&lt;/AdministratorPassword&gt;&lt;/unattend&gt;</data>
    </configuration>
  </initialization>
</vm>"""

V3_PAYLOAD = b"""<vm><payloads><payload type="floppy"><files><file>
  <name>sysprep.inf</name><content>[GuiUnattended]
AdminPassword=Floppy-Pa55</content></file></files></payload></payloads></vm>"""

STORAGE_CONNECTION = (
    b"<storage_connection><type>iscsi</type><address>10.0.0.9</address><port>3260</port>"
    b"<target>iqn.2020-01.com.example:t1</target><username>chap</username>"
    b"<password>Chap-Pa55</password></storage_connection>"
)

CONSOLE_TICKET = b"<action><ticket><value>Spice-Pa55</value><expiry>120</expiry></ticket></action>"

VMS = (
    b'<vms><vm href="/ovirt-engine/api/vms/1" id="1"><name>web1</name>'
    b"<status>up</status></vm></vms>"
)
STATISTICS = (
    b"<statistics><statistic><name>memory.used</name><kind>gauge</kind><type>integer</type>"
    b"<unit>bytes</unit><values><value><datum>1024</datum></value></values></statistic>"
    b"</statistics>"
)

SSO_FORM = b"grant_type=password&scope=ovirt-app-api&username=admin%40internal&password=Sso%26Pa55"
SSO_REPLY = (
    b'{"access_token": "eyJhbGciOiJSUzI1NiJ9.payload.sig", "scope": "ovirt-app-api", '
    b'"exp": "1735689600000", "token_type": "bearer"}'
)
LOGOUT_FORM = b"scope=ovirt-app-api&token=eyJhbGciOiJSUzI1NiJ9.payload.sig"

SECRETS = [
    b"R00t-Pa55",
    b"Adm1n-Pa55",
    b"H0st-Pa55",
    b"Ssh-Pa55",
    b"Ipmi-Pa55",
    b"Cloud-Pa55",
    b"Cloud-File",
    b"Win-Pa55",
    b"Floppy-Pa55",
    b"Chap-Pa55",
    b"Spice-Pa55",
]


def xml_texts(body: bytes) -> dict[str, str]:
    """Local name -> text of every leaf element (the last one wins)."""
    root = xmlsafe.parse(body)
    return {xmlsafe.local_name(e.tag): (e.text or "") for e in root.iter() if len(e) == 0}


# ---------------------------------------------------------------- configuration


def test_placeholder_is_stable_and_lower_case() -> None:
    assert PLACEHOLDER_PREFIX == "scrubbed"
    assert placeholder("Password") == "scrubbed-password" == placeholder("password")


def test_defaults_name_what_the_brief_and_the_engine_need() -> None:
    assert {
        "password",
        "root_password",
        "user_password",
        "custom_script",
        "configuration/data",
        "file/content",
        "access_token",
        "refresh_token",
        "id_token",
        "token",
        "client_secret",
        "secret",
    } <= DEFAULT_FIELDS
    assert {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-auth-token",
        "x-api-key",
    } <= DEFAULT_HEADERS
    assert CONFIG.fields == DEFAULT_FIELDS and CONFIG.headers == DEFAULT_HEADERS


def test_extended_adds_lower_cased_names_and_keeps_the_rest() -> None:
    config = CONFIG.extended(fields=["Vnc_Password", "vm/description"], headers=["X-Engine-Key"])
    assert {"vnc_password", "vm/description"} <= config.fields
    assert "x-engine-key" in config.headers
    assert config.fields >= DEFAULT_FIELDS and config.headers >= DEFAULT_HEADERS
    assert CONFIG.fields == DEFAULT_FIELDS  # frozen: the original is untouched
    body = b"<vm><description>private</description><vnc_password>v</vnc_password></vm>"
    assert xml_texts(scrub_body(body, XML, config)) == {
        "description": "scrubbed-description",
        "vnc_password": "scrubbed-vnc_password",
    }


@pytest.mark.parametrize("name", ["", "a/b/c", "/data", "data/", " password"])
def test_a_malformed_field_name_is_refused_naming_it(name: str) -> None:
    with pytest.raises(UsageError, match="bad secret field"):
        CONFIG.extended(fields=[name])


def test_a_header_name_with_a_slash_is_refused() -> None:
    with pytest.raises(
        UsageError, match=r"bad secret header 'a/b': expected a header name \(an HTTP token\)"
    ):
        ScrubConfig(headers=frozenset({"a/b"}))


def test_disabled_returns_everything_unchanged() -> None:
    off = ScrubConfig(enabled=False)
    assert scrub_body(VM_ADD, XML, off) is VM_ADD
    assert scrub_uri("https://u:p@e/api?access_token=t", off) == "https://u:p@e/api?access_token=t"
    assert scrub_headers({"Authorization": "Basic x"}, off) == {"Authorization": "Basic x"}
    request = Request("POST", f"{API}/vms", VM_ADD, {"Authorization": "Bearer t"})
    same = scrub_request(request, off)
    assert same is not request
    assert (same.method, same.uri, same.body, dict(same.headers)) == (
        request.method,
        request.uri,
        request.body,
        dict(request.headers),
    )
    response = {"status": {"code": 200, "message": "OK"}, "headers": {}, "body": {"string": b"x"}}
    assert scrub_response(response, off) == response


# ---------------------------------------------------------------- XML bodies


def test_vm_add_loses_root_password_and_cloud_init_script() -> None:
    scrubbed = scrub_body(VM_ADD, XML, CONFIG)
    texts = xml_texts(scrubbed)
    assert texts["root_password"] == "scrubbed-root_password"
    assert texts["custom_script"] == "scrubbed-custom_script"
    assert texts["user_name"] == "root" and texts["host_name"] == "web1.example.com"
    assert texts["authorized_ssh_keys"] == "ssh-ed25519 AAAAC3Nza public@key"  # public
    assert b"R00t-Pa55" not in scrubbed and b"Adm1n-Pa55" not in scrubbed


def test_the_xml_declaration_is_kept_byte_for_byte() -> None:
    """The v3 SDK reads faults only after this exact declaration (double quotes)."""
    scrubbed = scrub_body(VM_ADD, XML, CONFIG)
    assert scrubbed.startswith(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<vm>')
    assert scrubbed.endswith(b"</vm>\n")
    assert not scrub_body(HOST_ADD, XML, CONFIG).startswith(b"<?xml")


def test_host_add_loses_root_ssh_and_fence_agent_passwords() -> None:
    scrubbed = scrub_body(HOST_ADD, XML, CONFIG)
    root = xmlsafe.parse(scrubbed)
    assert root.findtext("root_password") == "scrubbed-root_password"
    assert root.findtext("ssh/user/password") == "scrubbed-password"
    assert root.findtext("ssh/user/user_name") == "root"
    assert root.findtext("power_management/agents/agent/password") == "scrubbed-password"
    assert root.findtext("power_management/agents/agent/username") == "ipmi"


def test_v3_cloud_init_user_password_and_file_content() -> None:
    root = xmlsafe.parse(scrub_body(V3_CLOUD_INIT, XML, CONFIG))
    cloud_init = root.find("initialization/cloud_init")
    assert cloud_init is not None
    assert cloud_init.findtext("users/user/password") == "scrubbed-password"
    assert cloud_init.findtext("files/file/content") == "scrubbed-content"
    assert cloud_init.findtext("files/file/name") == "/etc/motd"
    assert cloud_init.findtext("host/address") == "vm1.example.com"


def test_sysprep_data_and_v3_payload_files() -> None:
    sysprep = xmlsafe.parse(scrub_body(SYSPREP, XML, CONFIG))
    assert sysprep.findtext("initialization/configuration/data") == "scrubbed-data"
    assert sysprep.findtext("initialization/configuration/type") == "sysprep"
    payload = scrub_body(V3_PAYLOAD, XML, CONFIG)
    assert xmlsafe.parse(payload).findtext("payloads/payload/files/file/content") == (
        "scrubbed-content"
    )
    assert b"Floppy-Pa55" not in payload and b"sysprep.inf" in payload


@pytest.mark.parametrize(
    ("body", "path", "expected"),
    [
        (STORAGE_CONNECTION, "password", "scrubbed-password"),
        (CONSOLE_TICKET, "ticket/value", "scrubbed-value"),
        (
            b"<action><remote_viewer_connection_file>[virt-viewer]\ntype=spice\npassword=x\n"
            b"</remote_viewer_connection_file></action>",
            "remote_viewer_connection_file",
            "scrubbed-remote_viewer_connection_file",
        ),
        (
            b"<vm><initialization><windows_license_key>AAAAA-BBBBB</windows_license_key>"
            b"</initialization></vm>",
            "initialization/windows_license_key",
            "scrubbed-windows_license_key",
        ),
    ],
)
def test_other_engine_secrets(body: bytes, path: str, expected: str) -> None:
    assert xmlsafe.parse(scrub_body(body, XML, CONFIG)).findtext(path) == expected


def test_a_child_name_alone_is_no_secret() -> None:
    """``value``, ``data`` and ``content`` are secrets only under their parents."""
    assert scrub_body(STATISTICS, XML, CONFIG) is STATISTICS
    other = b"<x><data>keep</data><content>keep</content><value>keep</value></x>"
    assert scrub_body(other, XML, CONFIG) is other


def test_namespaced_elements_compare_by_local_name() -> None:
    body = b'<ns:vm xmlns:ns="urn:x"><ns:root_password>pw</ns:root_password></ns:vm>'
    scrubbed = scrub_body(body, XML, CONFIG)
    assert scrubbed == (
        b'<ns:vm xmlns:ns="urn:x"><ns:root_password>scrubbed-root_password'
        b"</ns:root_password></ns:vm>"
    )


def test_an_element_with_children_loses_them_all() -> None:
    body = b"<a><secret><k>1</k>tail<k>2</k></secret><b>keep</b></a>"
    assert scrub_body(body, XML, CONFIG) == b"<a><secret>scrubbed-secret</secret><b>keep</b></a>"


def test_nested_secrets_report_only_the_outer_one() -> None:
    body = b"<a><secret><password>p</password></secret></a>"
    cassette_leaks = scan_body_leaks(body, XML)
    assert cassette_leaks == ["response body /a/secret"]


@pytest.mark.parametrize(
    "body",
    [
        VMS,
        b"<vms/>",
        b"<vm><password/></vm>",  # empty: nothing to hide
        b"<vm><password>scrubbed-password</password></vm>",
        b"<html><body>Unauthorized</body></html>",
    ],
)
def test_xml_without_secrets_is_the_same_object(body: bytes) -> None:
    assert scrub_body(body, XML, CONFIG) is body


@pytest.mark.parametrize(
    "body",
    [
        b"<vm><password>oops</vm>",
        b'<!DOCTYPE vm [<!ENTITY e "x">]><vm><password>p&e;</password></vm>',
        b"<!DOCTYPE html><html><body>Pass&#x77;ord: oops</body></html>",
    ],
)
def test_xml_that_does_not_parse_safely_and_names_a_secret_is_replaced_whole(body: bytes) -> None:
    once = scrub_body(body, XML, CONFIG)
    assert (
        once
        == b"scrubbed-body: XML that does not parse replaced whole, unread, as it may hold a secret"
    )
    assert scrub_body(once, XML, CONFIG) is once


@pytest.mark.parametrize("body", [b"<vm><name>oops</vm>", b"<!DOCTYPE html><html>Not found</html>"])
def test_xml_that_does_not_parse_and_names_no_secret_is_left_alone(body: bytes) -> None:
    assert scrub_body(body, XML, CONFIG) is body


def test_xml_is_sniffed_without_a_content_type() -> None:
    assert b"H0st-Pa55" not in scrub_body(b"\n  " + HOST_ADD, "", CONFIG)
    assert b"H0st-Pa55" not in scrub_body(HOST_ADD, "text/plain", CONFIG)


# ---------------------------------------------------------------- form and JSON bodies


def test_sso_token_form_keeps_every_other_pair_in_order() -> None:
    assert scrub_body(SSO_FORM, FORM, CONFIG) == (
        b"grant_type=password&scope=ovirt-app-api&username=admin%40internal"
        b"&password=scrubbed-password"
    )
    assert scrub_body(SSO_FORM, f"{FORM}; charset=UTF-8", CONFIG) == scrub_body(
        SSO_FORM, "", CONFIG
    )


def test_sso_logout_form() -> None:
    assert scrub_body(LOGOUT_FORM, FORM, CONFIG) == b"scope=ovirt-app-api&token=scrubbed-token"


def test_a_form_without_secrets_is_the_same_object() -> None:
    body = b"grant_type=password&scope=ovirt-app-api&username=admin%40internal&password="
    assert scrub_body(body, FORM, CONFIG) is body


def test_sso_json_reply_loses_the_token_and_keeps_the_rest() -> None:
    scrubbed = scrub_body(SSO_REPLY, f"{JSON};charset=UTF-8", CONFIG)
    assert json.loads(scrubbed) == {
        "access_token": "scrubbed-token",
        "scope": "ovirt-app-api",
        "exp": "1735689600000",
        "token_type": "bearer",
    }
    assert b" " not in scrubbed  # compact once changed


def test_json_secrets_at_any_depth_and_under_parents() -> None:
    body = json.dumps(
        {
            "refresh_token": "r",
            "id_token": "i",
            "client_secret": 12345,
            "vm": {
                "initialization": {
                    "root_password": "p",
                    "configuration": {"type": "sysprep", "data": "<unattend/>"},
                },
                "files": {"file": [{"name": "a", "content": "c1"}, {"name": "b", "content": "c2"}]},
            },
            "data": "not under configuration",
            "secret": None,
            "password": False,
        }
    ).encode()
    scrubbed = json.loads(scrub_body(body, JSON, CONFIG))
    assert scrubbed["refresh_token"] == "scrubbed-token"
    assert scrubbed["id_token"] == "scrubbed-token"
    assert scrubbed["client_secret"] == "scrubbed-client_secret"
    vm = scrubbed["vm"]
    assert vm["initialization"]["root_password"] == "scrubbed-root_password"
    assert vm["initialization"]["configuration"] == {"type": "sysprep", "data": "scrubbed-data"}
    assert [f["content"] for f in vm["files"]["file"]] == ["scrubbed-content"] * 2
    assert scrubbed["data"] == "not under configuration"
    assert scrubbed["secret"] is None and scrubbed["password"] is False


@pytest.mark.parametrize(
    "body",
    [
        b'{"scope": "ovirt-app-api", "token_type": "bearer"}',
        b'{"error_code": "access_denied", "error": "Cannot authenticate user"}',
        b'{"access_token": "scrubbed-token"}',
        b'{"access_tok": "unterminated',
    ],
)
def test_json_without_secrets_is_the_same_object(body: bytes) -> None:
    assert scrub_body(body, JSON, CONFIG) is body


# ---------------------------------------------------------------- headers


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("Authorization", "Basic YWRtaW5AaW50ZXJuYWw6c2VjcmV0", "Basic scrubbed-authorization"),
        ("authorization", "Bearer eyJ.x.y", "Bearer scrubbed-authorization"),
        ("AUTHORIZATION", "raw-token-without-scheme", "scrubbed-authorization"),
        ("Proxy-Authorization", "Basic cHJveHk6cA==", "Basic scrubbed-proxy-authorization"),
        (
            "Cookie",
            "JSESSIONID=VlxUPb99qJPwMA; other=b",
            "JSESSIONID=scrubbed-cookie; other=scrubbed-cookie",
        ),
        (
            "Set-Cookie",
            "JSESSIONID=nhv0ruDHz5x; Path=/ovirt-engine/api; Secure; HttpOnly",
            "JSESSIONID=scrubbed-cookie; Path=/ovirt-engine/api; Secure; HttpOnly",
        ),
        ("X-Auth-Token", "t0k3n", "scrubbed-x-auth-token"),
        ("x-api-key", "k3y", "scrubbed-x-api-key"),
        ("Jsessionid", "VlxUPb99qJPwMA", "scrubbed-jsessionid"),
    ],
)
def test_credential_headers(name: str, value: str, expected: str) -> None:
    assert scrub_headers({name: value, "Accept": XML}, CONFIG) == {name: expected, "Accept": XML}
    assert scrub_headers({name: [expected]}, CONFIG) == {name: [expected]}  # idempotent


@pytest.mark.parametrize(
    "value",
    ["Bearer", "Basic ", "JSESSIONID=; Path=/; Max-Age=0", 'JSESSIONID=""; Path=/'],
)
def test_empty_credentials_are_left_as_they_are(value: str) -> None:
    name = "Set-Cookie" if "=" in value else "Authorization"
    assert scrub_headers({name: value}, CONFIG) == {name: value}


def test_header_lists_keep_their_shape_and_the_argument_is_untouched() -> None:
    headers: dict[str, str | list[str]] = {
        "Set-Cookie": ["JSESSIONID=abc; Path=/ovirt-engine/api", "b=2"],
        "Content-Type": [XML],
        "Authorization": "Basic eA==",
    }
    before = copy.deepcopy(headers)
    scrubbed = scrub_headers(headers, CONFIG)
    assert scrubbed == {
        "Set-Cookie": ["JSESSIONID=scrubbed-cookie; Path=/ovirt-engine/api", "b=scrubbed-cookie"],
        "Content-Type": [XML],
        "Authorization": "Basic scrubbed-authorization",
    }
    assert headers == before
    assert scrubbed["Content-Type"] is not headers["Content-Type"]


# ---------------------------------------------------------------- URIs


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        (
            "https://admin%40internal:secret@engine/ovirt-engine/api",
            "https://engine/ovirt-engine/api",
        ),
        ("https://admin%40internal@engine:8443/api/vms", "https://engine:8443/api/vms"),
        (
            "https://engine/ovirt-engine/api;jsessionid=ABC123/vms;max=10;case_sensitive=true"
            "?search=name%3Dweb*",
            "https://engine/ovirt-engine/api;jsessionid=scrubbed-jsessionid/vms;max=10;"
            "case_sensitive=true?search=name%3Dweb*",
        ),
        (
            f"{API}/vms?follow=nics&access_token=abc&max=2&Password=p+q#frag",
            f"{API}/vms?follow=nics&access_token=scrubbed-token&max=2"
            "&Password=scrubbed-password#frag",
        ),
        (
            f"{API}/vms?search=password%3Dx&access_token=",
            f"{API}/vms?search=password%3Dscrubbed-password&access_token=",
        ),
        ("/ovirt-engine/api/vms?token=t", "/ovirt-engine/api/vms?token=scrubbed-token"),
    ],
)
def test_uris(uri: str, expected: str) -> None:
    assert scrub_uri(uri, CONFIG) == expected
    assert scrub_uri(expected, CONFIG) == expected


# ---------------------------------------------------------------- vcrpy requests


def test_a_scrubbed_request_is_new_and_keeps_method_path_and_query_order() -> None:
    uri = "https://admin%40internal:pw@engine.example.com/ovirt-engine/api/vms?search=a&max=1"
    headers = {"Authorization": "Basic YTpi", "Content-Type": XML, "Content-Length": "999"}
    request = Request("POST", uri, VM_ADD, headers)
    scrubbed = scrub_request(request, CONFIG)
    assert scrubbed is not request and isinstance(scrubbed, Request)
    assert request.uri == uri and request.body == VM_ADD  # vcrpy sends the original
    assert request.headers["Authorization"] == "Basic YTpi"
    assert scrubbed.uri == "https://engine.example.com/ovirt-engine/api/vms?search=a&max=1"
    assert scrubbed.method == "POST"
    assert urlsplit(scrubbed.uri).query == "search=a&max=1"
    assert scrubbed.headers["Authorization"] == "Basic scrubbed-authorization"
    assert scrubbed.headers["Content-Length"] == str(len(scrubbed.body))
    assert b"R00t-Pa55" not in scrubbed.body
    assert list(scrubbed.headers) == ["Authorization", "Content-Type", "Content-Length"]


def test_record_and_replay_scrub_to_the_same_request() -> None:
    """The live request at replay time is scrubbed too: every default matcher agrees."""
    uri = f"{API}/vms;jsessionid=S1?access_token=T1&search=name%3Dweb"
    recorded = scrub_request(Request("GET", uri, None, {"Authorization": "Bearer T1"}), CONFIG)
    replayed = scrub_request(
        Request("GET", uri.replace("T1", "T2").replace("S1", "S2"), None, {}), CONFIG
    )
    for matcher in (matchers.method, matchers.scheme, matchers.host, matchers.port):
        matcher(recorded, replayed)
    matchers.path(recorded, replayed)
    matchers.query(recorded, replayed)
    assert scrub_request(recorded, CONFIG).uri == recorded.uri  # idempotent


def test_file_and_iterator_bodies_keep_their_form() -> None:
    request = Request("POST", f"{API}/sso", io.BytesIO(SSO_FORM), {"Content-Type": FORM})
    scrubbed = scrub_request(request, CONFIG)
    assert isinstance(scrubbed.body, io.BytesIO)
    assert scrubbed.body.read().endswith(b"&password=scrubbed-password")
    assert request.body.read() == SSO_FORM
    chunks = Request("POST", f"{API}/sso", iter([SSO_FORM[:10], SSO_FORM[10:]]), {})
    assert b"".join(scrub_request(chunks, CONFIG).body).endswith(b"password=scrubbed-password")


def test_a_request_without_secrets_keeps_its_body_object() -> None:
    request = Request("GET", f"{API}/vms", b"", {"Accept": XML})
    scrubbed = scrub_request(request, CONFIG)
    assert (scrubbed.uri, scrubbed.body, dict(scrubbed.headers)) == (
        f"{API}/vms",
        b"",
        {"Accept": XML},
    )


# ---------------------------------------------------------------- vcrpy responses


def response_dict(body: bytes | str, **headers: list[str]) -> dict[str, Any]:
    return {
        "status": {"code": 200, "message": "OK"},
        "headers": {k.replace("_", "-"): v for k, v in headers.items()},
        "body": {"string": body},
    }


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw deflate, as some servers send
    ],
)
def test_a_compressed_response_is_stored_decoded_when_scrubbed(
    encoding: str, compress: Any
) -> None:
    packed = compress(SSO_REPLY)
    response = response_dict(
        packed,
        Content_Type=[JSON],
        Content_Encoding=[encoding],
        Content_Length=[str(len(packed))],
        Set_Cookie=["locale=en; Path=/"],
    )
    before = copy.deepcopy(response)
    scrubbed = scrub_response(response, CONFIG)
    assert response == before
    body = scrubbed["body"]["string"]
    assert json.loads(body)["access_token"] == "scrubbed-token"
    assert scrubbed["headers"] == {
        "Content-Type": [JSON],
        "Content-Length": [str(len(body))],
        "Set-Cookie": ["locale=scrubbed-cookie; Path=/"],
    }
    assert scrubbed["status"] == {"code": 200, "message": "OK"}


def test_a_compressed_response_without_secrets_stays_compressed() -> None:
    packed = gzip.compress(VMS)
    response = response_dict(packed, Content_Type=[XML], Content_Encoding=["gzip"])
    scrubbed = scrub_response(response, CONFIG)
    assert scrubbed == response and scrubbed is not response
    assert scrubbed["body"]["string"] is packed


def test_a_text_body_stays_text() -> None:
    scrubbed = scrub_response(response_dict(HOST_ADD.decode(), Content_Type=[XML]), CONFIG)
    assert isinstance(scrubbed["body"]["string"], str)
    assert "H0st-Pa55" not in scrubbed["body"]["string"]


def test_a_response_marked_gzip_but_recorded_decoded() -> None:
    """The corpus's response-only v4 cassettes: content-encoding gzip, plain bodies."""
    response = response_dict(HOST_ADD, content_type=[XML], content_encoding=["gzip"])
    scrubbed = scrub_response(response, CONFIG)
    assert b"H0st-Pa55" not in scrubbed["body"]["string"]
    assert scrubbed["headers"]["content-encoding"] == ["gzip"]  # as it was: the body still is


# ---------------------------------------------------------------- properties

SECRET_MARK = "S3cr3t"
secrets_ = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Co")), max_size=20
).map(lambda s: f"{SECRET_MARK}{s}")
XML_SECRET_PATHS = [
    ("vm", "initialization", "root_password"),
    ("vm", "initialization", "custom_script"),
    ("vm", "initialization", "configuration", "data"),
    ("host", "ssh", "user", "password"),
    ("storage_connection", "password"),
    ("vm", "payloads", "payload", "files", "file", "content"),
    ("action", "ticket", "value"),
]


def xml_with(path: tuple[str, ...], secret: str, declaration: bool) -> bytes:
    from lxml import etree

    root = etree.Element(path[0])
    etree.SubElement(root, "name").text = "keep-me"
    node = root
    for name in path[1:]:
        node = etree.SubElement(node, name)
    node.text = secret
    return etree.tostring(root, encoding="UTF-8", xml_declaration=declaration)


@given(st.sampled_from(XML_SECRET_PATHS), secrets_, st.booleans())
def test_xml_secrets_never_survive_and_scrubbing_is_idempotent(
    path: tuple[str, ...], secret: str, declaration: bool
) -> None:
    body = xml_with(path, secret, declaration)
    once = scrub_body(body, XML, CONFIG)
    assert SECRET_MARK.encode() not in once
    assert b"keep-me" in once
    assert once.startswith(b"<?xml") == declaration
    assert scrub_body(once, XML, CONFIG) is once


names_ = st.from_regex(r"[a-z_]{1,10}", fullmatch=True)
values_ = st.text(st.characters(codec="ascii", exclude_categories=["Cc"]), max_size=12).filter(
    lambda v: SECRET_MARK not in v
)


@given(st.lists(st.tuples(names_, values_), max_size=6), st.sampled_from(["password", "token"]))
def test_forms_keep_other_pairs_byte_for_byte_and_in_order(
    pairs: list[tuple[str, str]], secret_name: str
) -> None:
    from urllib.parse import quote_plus

    pairs = [(n, v) for n, v in pairs if n not in CONFIG.fields] + [(secret_name, SECRET_MARK)]
    body = "&".join(f"{n}={quote_plus(v)}" for n, v in pairs).encode()
    once = scrub_body(body, FORM, CONFIG)
    assert SECRET_MARK.encode() not in once
    assert once.split(b"&")[:-1] == body.split(b"&")[:-1]
    assert scrub_body(once, FORM, CONFIG) is once


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | values_,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["a", "b", "password", "access_token", "data"]), inner)
    ),
    max_leaves=10,
)


@given(json_values, secrets_)
def test_json_secrets_never_survive_and_scrubbing_is_idempotent(value: Any, secret: str) -> None:
    body = json.dumps({"wrapper": value, "configuration": {"data": secret}}).encode()
    once = scrub_body(body, JSON, CONFIG)
    assert SECRET_MARK.encode() not in once
    assert json.loads(once)["configuration"] == {"data": "scrubbed-data"}
    assert scrub_body(once, JSON, CONFIG) is once


@given(st.lists(st.tuples(names_, values_), max_size=5), secrets_)
def test_uris_keep_order_and_lose_secrets(pairs: list[tuple[str, str]], secret: str) -> None:
    from urllib.parse import quote, quote_plus

    query = "&".join(f"{n}={quote_plus(v)}" for n, v in pairs)
    encoded = quote(secret, safe="")
    uri = f"https://admin:{encoded}@engine/ovirt-engine/api/vms?{query}&access_token={encoded}"
    once = scrub_uri(uri, CONFIG)
    assert SECRET_MARK not in once and once.startswith("https://engine/")
    kept = [p for p in query.split("&") if p.partition("=")[0] not in CONFIG.fields]
    assert [p for p in once.partition("?")[2].split("&") if p in kept] == kept
    assert scrub_uri(once, CONFIG) == once


@given(st.lists(st.tuples(st.from_regex(r"[A-Za-z]{1,8}", fullmatch=True), secrets_), min_size=1))
def test_cookies_keep_names_and_lose_values(cookies: list[tuple[str, str]]) -> None:
    value = "; ".join(f"{n}={v.replace(';', '')}" for n, v in cookies)
    once = scrub_headers({"Cookie": value}, CONFIG)
    assert once == {"Cookie": "; ".join(f"{n}=scrubbed-cookie" for n, _ in cookies)}
    assert scrub_headers(once, CONFIG) == once


@given(st.sampled_from([VM_ADD, HOST_ADD, V3_CLOUD_INIT, SYSPREP, V3_PAYLOAD, CONSOLE_TICKET]))
def test_every_realistic_body_loses_every_secret(body: bytes) -> None:
    once = scrub_body(body, XML, CONFIG)
    assert not [s for s in SECRETS if s in once]
    assert scrub_body(once, XML, CONFIG) is once


# ---------------------------------------------------------------- scanning cassettes


def leaky_cassette() -> tuple[list[Any], list[dict[str, Any]]]:
    """Requests and responses as vcrpy holds them, each with credentials a test recorded."""
    requests = [
        Request(
            "POST",
            "https://engine.example.com/ovirt-engine/sso/oauth/token",
            SSO_FORM,
            {"Content-Type": FORM, "Accept": JSON},
        ),
        Request(
            "GET",
            "https://admin%40internal:Pa55@engine.example.com/ovirt-engine/api;jsessionid=ABC"
            "/vms?search=name%3Dweb&access_token=T0k",
            None,
            {"Authorization": "Basic YWRtaW46UGE1NQ==", "Cookie": "JSESSIONID=ABC"},
        ),
        Request("POST", f"{API}/vms", VM_ADD, {"Authorization": "Bearer T0k", "Content-Type": XML}),
        Request(
            "POST",
            "https://engine.example.com/ovirt-engine/services/sso-logout",
            io.BytesIO(LOGOUT_FORM),
            {"Content-Type": FORM},
        ),
        Request("GET", f"{API}/hosts/1", None, {}),
    ]
    responses = [
        response_dict(SSO_REPLY, Content_Type=[JSON]),
        response_dict(
            VMS, Content_Type=[XML], Set_Cookie=["JSESSIONID=ABC; Path=/ovirt-engine/api"]
        ),
        response_dict(VM_ADD, Content_Type=[XML]),
        response_dict(
            gzip.compress(b'{"refresh_token": "R3fr"}'),
            Content_Type=[JSON],
            Content_Encoding=["gzip"],
        ),
        response_dict(b"<host><name>h</name><password>Pa55</password>", Content_Type=[XML]),
    ]
    return requests, responses


LEAKS = [
    "interaction 0: request body field password",
    "interaction 0: response body /access_token",
    "interaction 1: request uri userinfo",
    "interaction 1: request uri matrix jsessionid",
    "interaction 1: request uri query access_token",
    "interaction 1: request header Authorization",
    "interaction 1: request header Cookie",
    "interaction 1: response header Set-Cookie",
    "interaction 2: request header Authorization",
    "interaction 2: request body /vm/initialization/root_password",
    "interaction 2: request body /vm/initialization/custom_script",
    "interaction 2: response body /vm/initialization/root_password",
    "interaction 2: response body /vm/initialization/custom_script",
    "interaction 3: request body field token",
    "interaction 3: response body /refresh_token",
    "interaction 4: response body (XML that does not parse, naming 'password')",
]


def write_cassette(path: Path, requests: list[Any], responses: list[dict[str, Any]]) -> Path:
    cassette = {"requests": requests, "responses": responses}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(serialize(cassette, yamlserializer))
    return path


def test_a_leaky_cassette_names_every_leak(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_cassette(tmp_path / "leaky.yaml", *leaky_cassette())
    assert scan_secrets_main([str(path)]) == 1
    out, err = capsys.readouterr()
    assert err == ""
    assert out.splitlines() == [
        *(f"{path}: {leak} holds a credential" for leak in LEAKS),
        f"{len(LEAKS)} credential(s) in 1 cassette(s)",
    ]


def test_a_scrubbed_cassette_is_clean_and_still_replays(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    requests, responses = leaky_cassette()
    requests, responses = requests[:-1], responses[:-1]  # the last one is not well-formed XML
    scrubbed = write_cassette(
        tmp_path / "clean.yaml",
        [scrub_request(r, CONFIG) for r in requests],
        [scrub_response(r, CONFIG) for r in responses],
    )
    assert scan_secrets_main([str(tmp_path)]) == 0
    assert capsys.readouterr() == ("no credentials in 1 cassette(s)\n", "")
    text = scrubbed.read_text()
    assert not [s for s in ("Pa55", "T0k", "R3fr", "ABC") if s in text]
    loaded, _ = deserialize(text, yamlserializer)
    assert [r.method for r in loaded] == [r.method for r in requests]


def test_xml_that_does_not_parse_is_replaced_whole_and_flagged() -> None:
    body = b"<host><name>h</name><password>Pa55</password>"
    assert scrub_body(body, XML, CONFIG).startswith(b"scrubbed-body: XML that does not parse")
    assert scan_body_leaks(body, XML) == [
        "response body (XML that does not parse, naming 'password')"
    ]
    # Unreadable, it cannot tell a placeholder from a password: what scrubbing leaves is clean.
    assert scan_body_leaks(b"<vm><password>scrubbed-password</password>", XML) != []
    assert scan_body_leaks(scrub_body(body, XML, CONFIG), XML) == []


def test_scan_cassette_file_returns_leak_values(tmp_path: Path) -> None:
    path = write_cassette(tmp_path / "leaky.yaml", *leaky_cassette())
    leaks = scan_cassette_file(path)
    assert leaks[0] == Leak(str(path), 0, "request body field password")
    assert str(leaks[0]) == f"{path}: interaction 0: request body field password holds a credential"
    assert str(Leak("c.yaml", -1, "metadata")) == "c.yaml: metadata holds a credential"
    # Names whose last word says "secret" (token, cookie, authorization, jsessionid) are secret
    # whatever the configuration; it names more (custom_script), never fewer.
    narrow = ScrubConfig(fields=frozenset({"password"}), headers=frozenset())
    found = [leak.where for leak in scan_cassette_file(path, narrow)]
    assert "request body /vm/initialization/custom_script" not in found
    assert "request body /vm/initialization/custom_script (chpasswd:)" in found
    assert [w for w in found if "custom_script" not in w] == [
        w for w in (leak.where for leak in leaks) if "custom_script" not in w
    ]


def test_a_corrupt_file_is_one_error_line_and_the_rest_is_still_scanned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    requests, responses = leaky_cassette()
    write_cassette(tmp_path / "a" / "leaky.yml", requests[:1], responses[:1])
    corrupt = tmp_path / "b" / "corrupt.yaml"
    corrupt.parent.mkdir()
    corrupt.write_text("interactions: [\n  - {request: \n")
    not_vcr = tmp_path / "c.yaml"
    not_vcr.write_text("- just\n- a list\n")
    assert scan_secrets_main([str(tmp_path)]) == 2
    out, err = capsys.readouterr()
    assert err.splitlines() == [
        # Found in a folder and plainly not a cassette: skipped, and said so.
        "contracttest: note: 1 file(s) found in the folders named are not vcrpy cassettes "
        "(no 'interactions' key), skipped",
        f"contracttest: error: {corrupt}: corrupt YAML: line 2, column 3: "
        "did not find expected node content",
    ]
    # Named, the same file is a cassette that cannot be read.
    assert scan_secrets_main([str(not_vcr)]) == 2
    assert capsys.readouterr().err == (
        f"contracttest: error: {not_vcr}: not a vcrpy cassette (no 'interactions' list)\n"
    )
    assert out.splitlines()[-1] == "2 credential(s) in 1 cassette(s)"
    assert "Traceback" not in out + err


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "no such file"),
        (b"\xff\xfe\x00garbage: [", "corrupt YAML"),
        (b"interactions: 3\n", "not a vcrpy cassette"),
        (b"interactions: [3]\n", "interaction 0 is not a mapping"),
    ],
)
def test_unreadable_input_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None, problem: str
) -> None:
    path = tmp_path / "bad.yaml"
    if content is not None:
        path.write_bytes(content)
    assert scan_secrets_main([str(path)]) == 2
    out, err = capsys.readouterr()
    assert err.startswith(f"contracttest: error: {path}: ") and problem in err
    assert err.count("\n") == 1
    assert out == "no credentials in 0 cassette(s)\n"


def test_a_folder_without_cassettes_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert scan_secrets_main([str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        f"contracttest: error: {tmp_path}: no cassettes (*.yaml, *.yml) found\n"
    )


def scan_body_leaks(body: bytes, content_type: str) -> list[str]:
    """Where the scanner finds secrets in one response body."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = write_cassette(
            Path(folder) / "c.yaml",
            [Request("GET", f"{API}/x", None, {})],
            [response_dict(body, Content_Type=[content_type])],
        )
        return [leak.where for leak in scan_cassette_file(path)]


def test_every_real_corpus_cassette_scans_and_scrubs_clean(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The real recordings hold userinfo passwords, Basic headers and JSESSIONIDs: all found,
    and none left once every interaction is scrubbed."""
    folder = corpus / "cassettes" / "vcrpy"
    assert scan_secrets_main([str(folder)]) == 1
    out = capsys.readouterr().out
    assert "request uri userinfo holds a credential" in out
    assert "response header Set-Cookie holds a credential" in out
    assert "response header Jsessionid holds a credential" in out
    for source in sorted(folder.glob("*.y*ml")):
        requests, responses = deserialize(source.read_text(), yamlserializer)[:2]
        write_cassette(
            tmp_path / source.name,
            [scrub_request(r, CONFIG) for r in requests],
            [scrub_response(r, CONFIG) for r in responses],
        )
    assert scan_secrets_main([str(tmp_path)]) == 0, capsys.readouterr().out


# ---------------------------------------------------------------- with vcrpy itself


class _Engine(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<vm><name>web1</name><initialization><root_password>Srv-Pa55</root_password>"
        body += b"</initialization></vm>"
        self.send_response(200)
        self.send_header("Content-Type", XML)
        self.send_header("Set-Cookie", "JSESSIONID=Srv-Session; Path=/ovirt-engine/api")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_vcrpy_records_scrubbed_and_replays_with_other_credentials(tmp_path: Path) -> None:
    recorder = vcr.VCR(
        before_record_request=lambda r: scrub_request(r, CONFIG),
        before_record_response=lambda r: scrub_response(r, CONFIG),
        cassette_library_dir=str(tmp_path),
    )

    def get(base: str, token: str) -> bytes:
        request = urllib.request.Request(
            f"{base}/ovirt-engine/api/vms/1?access_token={token}",
            headers={"Authorization": f"Bearer {token}"},
        )
        with urllib.request.urlopen(request) as reply:
            data: bytes = reply.read()
            return data

    with serving(_Engine) as base:
        with recorder.use_cassette("vm.yaml", record_mode="once"):
            live = get(base, "Live-T0k")
        assert b"Srv-Pa55" in live  # the client got the real answer
        with recorder.use_cassette("vm.yaml", record_mode="none"):
            replayed = get(base, "Other-T0k")
    text = (tmp_path / "vm.yaml").read_text()
    for secret in ("Live-T0k", "Srv-Pa55", "Srv-Session"):
        assert secret not in text
    assert b"scrubbed-root_password" in replayed
    assert scan_secrets_main([str(tmp_path)]) == 0


def test_what_headers_and_uris_scrubbed_to_is_remembered_with_its_findings() -> None:
    """The second time a header or a URI is seen it comes from the memo: the same text, the
    same findings; and a memo is one configuration's (a value configured in one is not
    scrubbed under another that lacks it)."""
    from vcr.request import Request as VcrRequest

    from contracttest.scrub import _scope
    from contracttest.scrubheaders import scrub_headers_in

    value = "Zq7-remembered-s3cret"
    uri = f"https://e/ovirt-engine/api/vms?search=password%3D{value}&max=1"
    headers = {"Authorization": "Bearer abcdefgh12345678", "X-Note": f"is {value}"}
    plain, valued = ScrubConfig(), ScrubConfig().extended(values=[value])
    for config in (plain, valued, plain, valued):
        first = scrub_request(VcrRequest("GET", uri, None, dict(headers)), config)
        again = scrub_request(VcrRequest("GET", uri, None, dict(headers)), config)
        assert (first.uri, dict(first.headers)) == (again.uri, dict(again.headers))
        assert value not in first.uri and "abcdefgh" not in first.headers["Authorization"]
        assert (value in first.headers["X-Note"]) is (config is plain)
        found = [_scope(config, [], None) for _ in range(2)]
        for scope in found:
            scrub_headers_in(headers, scope)
        assert (
            found[0].found
            == found[1].found
            == ["header Authorization"]
            + (["header X-Note (a configured secret value)"] if config is valued else [])
        )

"""The cassette edge's pieces, in-process: the one body decoder, the one header lookup and
request target, the YAML loader's bounds and plain data, and finding cassettes in folders."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import pytest

from contracttest import CassetteError, load_cassette
from contracttest.bodies import BodyTooLarge, decode_body
from contracttest.cassette import find_cassettes
from contracttest.exchange import header, request_target
from contracttest.yamlfile import MAX_DEPTH, MAX_NODES, dump_yaml, load_yaml
from tests.test_cassette import XML, interaction, write

# --- one body decoder ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("coding", "wbits"),
    [("gzip", 31), ("x-gzip", 31), ("GZIP", 31), ("deflate", 15), ("deflate", -15)],
    ids=["gzip", "x-gzip", "upper-case", "deflate-zlib", "deflate-raw"],
)
def test_decode_body_undoes_each_coding(coding: str, wbits: int) -> None:
    packer = zlib.compressobj(6, zlib.DEFLATED, wbits)
    data = packer.compress(XML) + packer.flush()
    assert decode_body(data, coding) == XML


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br", "identity", ""])
def test_a_body_not_compressed_after_all_stays_as_it_is(coding: str) -> None:
    assert decode_body(XML, coding) is XML


def test_stacked_codings_are_undone_last_first() -> None:
    assert decode_body(gzip.compress(zlib.compress(XML)), "deflate, gzip") == XML


def test_decoding_stops_at_the_limit() -> None:
    bomb = gzip.compress(b" " * 4096)
    assert decode_body(bomb, "gzip", 4096) == b" " * 4096
    with pytest.raises(BodyTooLarge, match="expands beyond 4095 bytes"):
        decode_body(bomb, "gzip", 4095)


def test_a_raw_deflate_body_is_checked_decoded(tmp_path: Path) -> None:
    """Loading and scrubbing decode alike: raw deflate (no zlib header) included."""
    packer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    raw = packer.compress(XML) + packer.flush()
    path = write(
        tmp_path, interaction(body={"string": raw}, headers={"Content-Encoding": "deflate"})
    )
    assert load_cassette(path).exchanges[0].response.body == XML


# --- one header lookup, one request target ------------------------------------------------------


def test_one_header_lookup_for_every_form_of_headers() -> None:
    assert header({"content-type": ("a/b", "c/d")}, "Content-Type", lowered=True) == "a/b"
    assert header({"Content-Type": ["a/b"]}, "content-type") == "a/b"
    assert header({"Content-Length": 97}, "content-length") == "97"
    assert header({"X-Empty": [], "Other": None}, "x-empty") is None
    assert header({"Other": None}, "other") is None
    assert header(None, "x") is None


def test_request_target() -> None:
    assert (
        request_target("https://u:p@h:8443/api/vms;max=1?search=a#f") == "/api/vms;max=1?search=a"
    )
    assert request_target("https://h") == "/"
    assert request_target("https://[::1/x") == "https://[::1/x"  # malformed: as it is


# --- the YAML loader's bounds, in-process ------------------------------------------------------


def test_aliases_are_shared_not_copied_and_counted_as_what_they_stand_for() -> None:
    data = load_yaml(b"a: &x [1, 2]\nb: *x\n", "f")
    assert isinstance(data, dict) and data["a"] is data["b"]
    nested = "a: &a [x, x]\n" + "".join(f"{c}: &{c} [*{p}, *{p}]\n" for p, c in ("ab", "bc"))
    assert load_yaml(nested.encode(), "f") is not None  # 2 + 4 + 8 strings: far below the limit
    with pytest.raises(CassetteError, match=rf"more than {MAX_NODES} nodes"):
        load_yaml(("a: &a [" + "x," * 999 + "x]\nb: [" + "*a," * 300 + "*a]\n").encode(), "f")


def test_nesting_is_bounded_by_depth_not_by_the_stack() -> None:
    ok = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert load_yaml(ok.encode(), "f") is not None
    with pytest.raises(CassetteError, match=f"nested deeper than {MAX_DEPTH}"):
        load_yaml(("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)).encode(), "f")
    deep_alias = "a: &a " + "[" * 40 + "]" * 40 + "\nb: " + "[" * 30 + "*a" + "]" * 30
    with pytest.raises(CassetteError, match=r"alias \*a nests deeper"):
        load_yaml(deep_alias.encode(), "f")


def test_merge_keys_and_vcrpy_python_tags_are_plain_data() -> None:
    text = (
        "base: &h {Accept: [a/b], Version: ['4']}\n"
        "headers: {<<: *h, Version: ['3']}\n"
        "tuple: !!python/tuple [1, 2]\n"
        "text: !!python/unicode caf\u00e9\n"
        "call: !!python/object/apply:os.system [echo never]\n"
    )
    assert load_yaml(text.encode(), "f") == {
        "base": {"Accept": ["a/b"], "Version": ["4"]},
        "headers": {"Accept": ["a/b"], "Version": ["3"]},
        "tuple": [1, 2],
        "text": "caf\u00e9",
        "call": ["echo never"],
    }


def test_what_is_written_loads_back_alike() -> None:
    document = {"interactions": [interaction(body={"string": bytes(range(256))})], "version": 1}
    assert load_yaml(dump_yaml(document), "f") == document


def test_find_cassettes_skips_found_files_that_are_not_cassettes(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("interactions: []\n")
    (tmp_path / "docker-compose.yml").write_text("services: {}\n")
    (tmp_path / "named.yml").write_text("services: {}\n")
    counts: list[int] = []
    found = list(
        find_cassettes([str(tmp_path), str(tmp_path / "named.yml")], on_skipped=counts.append)
    )
    assert found == [str(tmp_path / "a.yaml"), str(tmp_path / "named.yml")]
    assert counts == [2]  # named.yml is named too, but found first in the folder

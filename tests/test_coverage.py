"""Contract coverage (``contracttest report``, ``contracttest.coverage``): the figures on the
real 3.6 recordings against an independent count, how requests resolve to links (query-
carrying hrefs, parameter sets), tallies summed across workers, and the command's errors."""

from __future__ import annotations

import functools
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from contracttest import load_contract
from contracttest.coverage import Resolver, Tally, build, catalogue_of, hit_of
from contracttest.coverage.resolve import key_of
from contracttest.exchange import Exchange, Request, Response
from contracttest.rsdl import contract_from_bytes
from tests.corpus_contracts import RSDL, XSD
from tests.plugin_suite import contracttest
from tests.test_layers import FORBIDDEN, PACKAGE, _imports

#: The real recordings of 3.6 engines (the corpus README: 3.6.8, and 3.6.7/4.x in v3).
RECORDINGS_3_6 = (
    "refresher_before_migration",
    "refresher_after_migration",
    "refresher_target_vm",
    "vm_fetch_disks",
    "vm_fetch_no_disks",
    "event_parser_parse_event",
    "event_parser_parse_new_target",
)
PREFIXES = ("/ovirt-engine/api/v4", "/ovirt-engine/api", "/api")


def _recordings(corpus: Path) -> list[Path]:
    folder = corpus / "cassettes" / "vcrpy"
    return [folder / f"manageiq-providers-ovirt__{name}.yml" for name in RECORDINGS_3_6]


# -- an independent count: stdlib XML, plain YAML, regular expressions --------------------------


@functools.lru_cache(maxsize=2)
def _templates(rsdl: Path) -> dict[tuple[str, str, str], tuple[re.Pattern[str], int]]:
    """Every (method, href, rel) of the RSDL, each with a regex of its href and the number of
    parameter sets of its body."""
    found: dict[tuple[str, str, str], tuple[re.Pattern[str], int]] = {}
    for link in ET.parse(rsdl).getroot().iter("link"):
        method = (link.findtext("request/http_method") or "GET").strip().upper()
        href = link.get("href", "").strip("/")
        key = (method, href, link.get("rel", ""))
        pattern = "/".join("[^/]+" if s.startswith("{") else re.escape(s) for s in href.split("/"))
        sets = len(link.findall("request/body/parameters_set"))
        found.setdefault(key, (re.compile(f"^{pattern}$"), sets))
    return found


Templates = dict[tuple[str, str, str], tuple[re.Pattern[str], int]]


def _choose(templates: Templates, method: str, rest: str) -> tuple[str, str, str] | None:
    """The most specific href matching ``rest`` (a literal segment before a variable, from
    the left), then the request's method at that href."""
    matching = [key for key, (regex, _) in templates.items() if regex.match(rest)]
    best = min((_shape(key[1]) for key in matching), default=None)
    chosen = [key for key in matching if key[0] == method and _shape(key[1]) == best]
    return chosen[0] if chosen else None


def _shape(href: str) -> tuple[bool, ...]:
    return tuple(s.startswith("{") for s in href.split("/"))


def _independent(rsdl: Path, files: list[Path]) -> dict[str, object]:
    templates = _templates(rsdl)
    counts: Counter[tuple[str, str, str]] = Counter()
    statuses: dict[tuple[str, str, str], Counter[str]] = {}
    unmatched = outside = exchanges = bodies = 0
    for file in files:
        for interaction in yaml.safe_load(file.read_text())["interactions"]:
            exchanges += 1
            bodies += bool(interaction["request"].get("body"))
            method = interaction["request"]["method"].upper()
            path = urlsplit(interaction["request"]["uri"]).path
            prefix = next((p for p in PREFIXES if path == p or path.startswith(p + "/")), None)
            if prefix is None:
                outside += 1
                continue
            rest = "/".join(unquote(s.split(";")[0]) for s in path[len(prefix) :].split("/") if s)
            key = _choose(templates, method, rest)
            if key is None:
                unmatched += 1
                continue
            counts[key] += 1
            statuses.setdefault(key, Counter())[str(interaction["response"]["status"]["code"])] += 1
    return {
        "templates": templates,
        "counts": counts,
        "statuses": statuses,
        "unmatched": unmatched,
        "outside": outside,
        "exchanges": exchanges,
        "bodies": bodies,
    }


def test_the_3_6_figures_equal_an_independent_count(corpus: Path, tmp_path: Path) -> None:
    rsdl, xsd = corpus / RSDL["3.6"], corpus / XSD["3.6"]
    files = _recordings(corpus)
    out = tmp_path / "coverage.json"
    done = contracttest(
        "report", *map(str, files), "--contract", str(rsdl), "--schema", str(xsd),
        "--json", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    document = json.loads(out.read_text())
    expected = _independent(rsdl, files)
    templates, counts = expected["templates"], expected["counts"]
    assert isinstance(templates, dict) and isinstance(counts, Counter)
    assert document["links"] == len(templates) == 772  # 775 links, 3 listed twice
    assert document["exchanges"] == expected["exchanges"] == 61
    assert document["cassettes"] == len(files)
    assert document["exercised"] == len(counts) == 20
    assert document["percent"] == round(100 * len(counts) / len(templates), 1) == 2.6
    assert document["unmatched_exchanges"] == expected["unmatched"]
    # parameter sets: every one of the RSDL's, none satisfied (these clients only read)
    assert document["parameter_sets"] == sum(sets for _, sets in templates.values()) > 200
    assert expected["bodies"] == 0 and document["parameter_sets_exercised"] == 0
    assert document["outside_api_exchanges"] == expected["outside"]
    per_link = {(e["method"], e["href"], e["rel"]): e for e in document["per_link"]}
    assert per_link.keys() == templates.keys()
    for key, entry in per_link.items():
        assert entry["count"] == counts[key], key
        assert entry["exercised"] is (counts[key] > 0), key
        assert len(entry["parameter_sets"]) == templates[key][1], key
        assert entry["statuses"] == dict(expected["statuses"].get(key, {})), key  # type: ignore[attr-defined]
        assert set(entry["cassettes"]) <= {str(f) for f in files}
        assert entry["violations"] == 0 or entry["exercised"]
    by_collection = Counter(key[1].split("/")[0] for key in counts)
    for collection in document["collections"]:
        assert collection["exercised"] == by_collection[collection["name"]], collection
    # every violation the checker finds is on the map, at a link or a path without one
    checked = contracttest("check", *map(str, files), "--contract", str(rsdl), "--format", "json")
    total = sum(json.loads(checked.stdout)["counts"].values())
    on_links = sum(e["violations"] for e in document["per_link"])
    assert on_links + sum(u["violations"] for u in document["unmatched"]) == total
    assert document["violations"] == total > 0
    text = contracttest("report", *map(str, files), "--contract", str(rsdl), "--schema", str(xsd))
    assert "coverage: 20 of 772 links exercised (2.6%)" in text.stdout


@functools.lru_cache(maxsize=2)
def _resolver(rsdl: Path) -> Resolver:
    return Resolver(load_contract(rsdl))


#: What a variable segment is filled with: ids, and names that are literal segments elsewhere.
_FILLERS = st.sampled_from(["1", "nics", "disks", "start", "a b", "00000002-0002-0002"])


@settings(max_examples=300)
@given(data=st.data())
def test_any_path_of_the_3_6_contract_resolves_as_the_regexes_say(
    corpus: Path, data: st.DataObject
) -> None:
    rsdl = corpus / RSDL["3.6"]
    templates = _templates(rsdl)
    key = data.draw(st.sampled_from(sorted(templates)))
    segments = [data.draw(_FILLERS) if s.startswith("{") else s for s in key[1].split("/")]
    method = data.draw(st.sampled_from(["GET", "POST", "PUT", "DELETE"]))
    uri = f"{API}/{'/'.join(quote(s) for s in segments)}"
    link = _resolver(rsdl).resolve(method, uri).link
    expected = _choose(templates, method, "/".join(segments))
    assert (None if link is None else key_of(link)) == expected


# -- resolving requests: query-carrying hrefs, parameter sets, the root, outside the API -----

RSDL_WITH_SEARCH = b"""<rsdl href="/ovirt-engine/api?rsdl"><links>
<link href="/ovirt-engine/api/vms" rel="get">
  <request><http_method>GET</http_method></request></link>
<link href="/ovirt-engine/api/vms?search={query}" rel="get">
  <request><http_method>GET</http_method></request></link>
<link href="/ovirt-engine/api/hosts?search={query}" rel="get">
  <request><http_method>GET</http_method></request></link>
<link href="/ovirt-engine/api/vms/{vm:id}" rel="get">
  <request><http_method>GET</http_method></request></link>
<link href="/ovirt-engine/api/vms/{vm:id}/start" rel="start">
  <request><http_method>POST</http_method><body><type>Action</type></body></request></link>
<link href="/ovirt-engine/api/vms" rel="add"><request><http_method>POST</http_method>
  <body><type>VM</type>
    <parameters_set><parameter required="true" type="xs:string"><name>vm.name</name></parameter>
      <parameter required="true" type="xs:string"><name>vm.template.id|name</name></parameter>
    </parameters_set>
    <parameters_set><parameter required="true" type="xs:string"><name>vm.name</name></parameter>
      <parameter required="true" type="xs:string"><name>vm.initialization.configuration.data</name>
      </parameter></parameters_set>
  </body></request></link>
</links></rsdl>"""
API = "https://engine.example.com/ovirt-engine/api"
SEARCHING = contract_from_bytes(RSDL_WITH_SEARCH)


def _where(resolver: Resolver, method: str, uri: str) -> tuple[str, str] | None:
    link = resolver.resolve(method, uri).link
    return None if link is None else (link.href, link.rel)


def test_a_search_counts_for_the_search_link_where_the_contract_has_one() -> None:
    resolver = Resolver(contract_from_bytes(RSDL_WITH_SEARCH))
    assert _where(resolver, "GET", f"{API}/vms?search=name%3Dweb") == ("vms?search={query}", "get")
    assert _where(resolver, "GET", f"{API}/vms;max=2?search=x&case_sensitive=false") == (
        "vms?search={query}",
        "get",
    )
    assert _where(resolver, "GET", f"{API}/vms") == ("vms", "get")
    assert _where(resolver, "GET", f"{API}/vms?max=1") == ("vms", "get")
    # a path whose only GET carries the query: reached with it, not without it
    assert _where(resolver, "GET", f"{API}/hosts?search=a") == ("hosts?search={query}", "get")
    assert _where(resolver, "GET", f"{API}/hosts") is None
    assert _where(resolver, "GET", f"{API}/vms/1?search=x") == ("vms/{vm:id}", "get")
    assert _where(resolver, "post", f"{API}/vms/1/start") == ("vms/{vm:id}/start", "start")
    root = resolver.resolve("GET", API)
    assert root.link is None and root.in_api and root.path == "/ovirt-engine/api"
    sso = resolver.resolve("POST", "https://engine.example.com/ovirt-engine/sso/oauth/token")
    assert sso.link is None and not sso.in_api


def _exchange(method: str, uri: str, status: int = 200, body: bytes = b"", i: int = 0) -> Exchange:
    return Exchange(Request(method, uri, {}, body), Response(status), i, "c.yaml")


def test_each_parameter_set_a_body_satisfies_is_counted() -> None:
    contract = contract_from_bytes(RSDL_WITH_SEARCH)
    resolver = Resolver(contract)
    template = b"<vm><name>a</name><template><name>Blank</name></template></vm>"
    both = (
        b"<vm><name>a</name><template id='1'/>"
        b"<initialization><configuration><data>x</data></configuration></initialization></vm>"
    )
    tally = Tally()
    for i, body in enumerate((template, both, b"<vm><name>a</name></vm>", b"<host/>", b"junk")):
        tally.add(hit_of(resolver, _exchange("POST", f"{API}/vms", 201, body, i)))
    tally.add(hit_of(resolver, _exchange("GET", API, i=9)))
    tally.add(hit_of(resolver, _exchange("POST", "https://engine.example.com/sso/x", i=10)))
    coverage = build(catalogue_of(contract), tally, "test")
    add = next(link for link in coverage.links if link.info.rel == "add")
    assert [(s.index, s.count) for s in add.sets] == [(1, 2), (2, 1)]
    assert add.count == 5 and add.statuses == (("201", 5),)
    assert coverage.sets == 2 and coverage.sets_exercised == 2
    document = coverage.as_json()
    assert document["exercised"] == 1 and document["links"] == 6
    assert document["unmatched_exchanges"] == 1 and document["outside_api_exchanges"] == 1
    assert document["exchanges"] == 7
    entry = next(e for e in document["per_link"] if e["rel"] == "add")
    assert {k: entry[k] for k in ("method", "href", "exercised", "count", "statuses")} == {
        "method": "POST",
        "href": "vms",
        "exercised": True,
        "count": 5,
        "statuses": {"201": 5},
    }
    assert entry["cassettes"] == ["c.yaml"] and entry["violations"] == 0


def test_a_json_body_satisfies_the_sets_its_xml_twin_does() -> None:
    resolver = Resolver(contract_from_bytes(RSDL_WITH_SEARCH))
    add = next(link for link in resolver.contract.links if link.rel == "add")
    twins = [
        (b"<vm><name>a</name><template><name>Blank</name></template></vm>",
         b'{"name": "a", "template": {"name": "Blank"}}'),
        (b"<vm><name>a</name><template id='1'/><initialization><configuration><data>x</data>"
         b"</configuration></initialization></vm>",
         b'{"name": "a", "template": {"id": "1"}, "initialization": {"configuration": '
         b'{"data": "x"}}}'),
        (b"<vm><name>a</name></vm>", b'{"name": "a"}'),
    ]  # fmt: skip
    for xml, json_body in twins:
        assert resolver.satisfied_sets(add, json_body) == resolver.satisfied_sets(add, xml)
    assert resolver.satisfied_sets(add, twins[1][1])  # some set, not none


# -- what workers send: the sum of their compact forms is the whole run's tally ---------------

_URIS = st.sampled_from(
    [f"{API}/vms", f"{API}/vms?search=x", f"{API}/vms/1", f"{API}/vms/1/start", API, f"{API}/no"]
)
_HITS = st.lists(
    st.tuples(st.sampled_from(["GET", "POST"]), _URIS, st.sampled_from([200, 201, 404])),
    max_size=30,
)


@given(hits=_HITS, workers=st.integers(1, 4), seed=st.randoms(use_true_random=False))
def test_tallies_summed_from_workers_equal_one_tally(
    hits: list[tuple[str, str, int]], workers: int, seed: object
) -> None:
    contract = SEARCHING
    resolver = Resolver(contract)
    whole = Tally(details=False)
    parts = [Tally(details=False) for _ in range(workers)]
    for i, (method, uri, status) in enumerate(hits):
        hit = hit_of(resolver, _exchange(method, uri, status, i=i))
        whole.add(hit)
        parts[seed.randrange(workers)].add(hit)  # type: ignore[attr-defined]
    summed = Tally(details=False)
    for part in parts:
        summed.merge(json.loads(json.dumps(part.compact())), "c.yaml")
    catalogue = catalogue_of(contract)
    assert build(catalogue, summed).as_json() == build(catalogue, whole).as_json()


# -- the command: its errors, and the page escapes what cassettes hold -----------------------


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    sample = "cassettes/sample"
    cases = [
        ("report", str(tmp_path / "missing"), "--contract", f"{sample}/rsdl.xml"),
        ("report", sample, "--contract", str(tmp_path / "nothing.xml")),
        ("report", sample, "--contract", f"{sample}/session.yaml"),
        ("report", str(tmp_path), "--contract", f"{sample}/rsdl.xml"),
        ("report", sample, "--contract", f"{sample}/rsdl.xml", "--html", str(tmp_path)),
        ("report", sample, "--contract", f"{sample}/rsdl.xml", "--format", "yaml"),
    ]
    for args in cases:
        done = contracttest(*args)
        assert done.returncode == 2, (args, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1, (args, done.stderr)
        assert "Traceback" not in done.stderr and done.stderr.startswith("contracttest: error:")
    broken = tmp_path / "broken.yaml"
    broken.write_text("interactions: [")
    done = contracttest("report", sample, str(broken), "--contract", f"{sample}/rsdl.xml")
    assert done.returncode == 2 and "broken.yaml" in done.stderr
    assert "coverage: 9 of 12 links exercised" in done.stdout  # the others still counted


def test_json_on_stdout_and_in_the_file_agree_and_the_page_escapes(tmp_path: Path) -> None:
    hostile = tmp_path / "hostile.yaml"
    uri = f"{API}/vms/<script>alert(1)</script>?search=%3Cimg%20src=x%3E"
    hostile.write_text(
        yaml.safe_dump(
            {
                "interactions": [
                    {
                        "request": {"method": "GET", "uri": uri, "headers": {}, "body": None},
                        "response": {
                            "status": {"code": 200, "message": "OK"},
                            "headers": {},
                            "body": {"string": ""},
                        },
                    }
                ],
                "version": 1,
            }
        )
    )
    page, data = tmp_path / "out" / "c.html", tmp_path / "out" / "c.json"
    args = ("report", "cassettes/sample", str(hostile), "--contract", "cassettes/sample/rsdl.xml")
    done = contracttest(*args, "--html", str(page), "--json", str(data), "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == json.loads(data.read_text())
    html = page.read_text()
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.count("<script>") == 1  # the page's own
    assert not re.search(r"""(src|href)=['"]?(https?:)?//""", html)  # nothing fetched


def test_the_pure_part_imports_no_edge() -> None:
    for module in ("resolve.py", "tally.py", "model.py", "html.py", "__init__.py"):
        imported = _imports(PACKAGE / "coverage" / module)
        bad = [
            name for name in imported for f in FORBIDDEN if name == f or name.startswith(f + ".")
        ]
        assert not bad, (module, bad)

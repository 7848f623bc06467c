"""The coverage map as one self-contained HTML page: no network fetch, no external file.

The page is drawn here, in Python, from the frozen ``Coverage`` (every text escaped: hrefs,
messages and URIs come from cassettes); its inline script only filters what is drawn (by
text and by state) and counts what is shown, so the page reads without it too. Everything is
reachable with the keyboard: the collection tiles are links to their sections, the filters
are form controls, and each link's details are a ``<details>`` element (Enter or Space).
"""

from __future__ import annotations

from html import escape

from contracttest.coverage.model import Coverage, LinkCoverage, Unmatched

_STATE_WORDS = {
    "violations": "exercised, with violations",
    "exercised": "exercised",
    "untouched": "not exercised",
}


def render(coverage: Coverage) -> str:
    """The whole page."""
    parts = [
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>Contract coverage: {_e(coverage.contract or 'contract')}</title>",
        f"<style>{_CSS}</style></head><body>",
        "<a class='skip' href='#map'>Skip to the links</a>",
        _header(coverage),
        _controls(len(coverage.links)),
        "<main id='map'>",
    ]
    groups: dict[str, list[LinkCoverage]] = {}
    for link in coverage.links:
        groups.setdefault(link.info.collection, []).append(link)
    for collection in coverage.collections:
        parts.append(_section(collection.name, collection.percent, groups[collection.name]))
    parts.append("<p id='nothing' hidden>No link matches the filters.</p></main>")
    if coverage.unmatched:
        parts.append(_unmatched(coverage.unmatched))
    parts.append(f"<script>{_JS}</script></body></html>\n")
    return "".join(parts)


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _anchor(name: str) -> str:
    """A section's id: ``c-vms``; a name of other characters by its bytes (unique either way)."""
    plain = name.isascii() and name.replace("_", "").isalnum() and name.islower()
    return f"c-{name}" if plain else f"x-{name.encode().hex()}"


def _header(cov: Coverage) -> str:
    figures = (
        ("links", "Links exercised", f"{cov.exercised} / {len(cov.links)}"),
        ("percent", "Coverage", f"{cov.percent}%"),
        ("sets", "Parameter sets", f"{cov.sets_exercised} / {cov.sets}"),
        ("violations", "Violations", str(cov.violations)),
        ("exchanges", "Exchanges", f"{cov.exchanges} in {cov.cassettes} cassette(s)"),
        ("unmatched", "No RSDL link", str(sum(u.count for u in cov.unmatched))),
    )
    cells = "".join(
        f"<div><dt>{label}</dt><dd id='fig-{name}'>{_e(value)}</dd></div>"
        for name, label, value in figures
    )
    tiles = "".join(
        f"<li><a class='tile {_bucket(c.percent, c.exercised)}{' bad' if c.violations else ''}'"
        f" href='#{_anchor(c.name)}' data-collection='{_e(c.name)}'"
        f" title='{_e(c.name)}: {c.exercised} of {c.links} links exercised'>"
        f"<span class='tname'>{_e(c.name)}</span>"
        f"<span class='tfig'>{c.exercised}/{c.links}</span></a></li>"
        for c in cov.collections
    )
    return (
        "<header><h1>Contract coverage</h1>"
        f"<p class='source'>contract: <code>{_e(cov.contract)}</code></p>"
        f"<dl class='figures'>{cells}</dl>"
        f"<div class='bar' aria-hidden='true'><span style='width:{cov.percent}%'></span></div>"
        "<h2 class='sr'>Collections</h2>"
        f"<ul class='tiles' aria-label='Collections, by coverage'>{tiles}</ul>"
        "<p class='legend'><span class='sw exercised'></span>exercised"
        "<span class='sw violations'></span>exercised, with violations"
        "<span class='sw untouched'></span>not exercised</p></header>"
    )


def _bucket(percent: float, exercised: int) -> str:
    if not exercised:
        return "p0"
    return "p1" if percent < 25 else "p2" if percent < 50 else "p3" if percent < 75 else "p4"


def _controls(total: int) -> str:
    options = "".join(
        f"<option value='{value}'>{label}</option>"
        for value, label in (
            ("all", "all links"),
            ("exercised", "exercised (with or without violations)"),
            ("violations", "exercised, with violations"),
            ("clean", "exercised, without violations"),
            ("untouched", "not exercised"),
        )
    )
    return (
        "<nav class='controls' aria-label='Filters'>"
        "<label for='filter-text'>Filter <kbd>/</kbd></label>"
        "<input id='filter-text' type='search' autocomplete='off'"
        " placeholder='href, rel, method or collection'>"
        f"<label for='filter-state'>State</label><select id='filter-state'>{options}</select>"
        f"<span id='shown' role='status' aria-live='polite'>{total} of {total} links shown</span>"
        "</nav>"
    )


def _section(name: str, percent: float, links: list[LinkCoverage]) -> str:
    exercised = sum(1 for link in links if link.exercised)
    items = "".join(_link(link) for link in links)
    return (
        f"<section class='collection' id='{_anchor(name)}' data-collection='{_e(name)}'>"
        f"<h2><span class='cname'>{_e(name)}</span> <span class='cfig'>{exercised} of "
        f"{len(links)} links, {percent}%</span></h2>"
        f"<div class='bar small' aria-hidden='true'><span style='width:{percent}%'></span></div>"
        f"<ul class='links'>{items}</ul></section>"
    )


def _link(link: LinkCoverage) -> str:
    info = link.info
    words = f"{info.method} {info.href} {info.rel} {info.collection}".lower()
    statuses = _statuses(link.statuses)
    count = f"{link.count} exchange(s)" if link.count else "not exercised"
    problems = f" · {link.violations} violation(s)" if link.violations else ""
    summary = (
        f"<summary><span class='method m-{_e(info.method.lower())}'>{_e(info.method)}</span>"
        f" <code class='href'>{_e(info.href or '/')}</code> <span class='rel'>{_e(info.rel)}</span>"
        f" <span class='count'>{count}{problems}</span>"
        f"{f' <span class=statuses>{_e(statuses)}</span>' if statuses else ''}"
        f"<span class='sr'> ({_STATE_WORDS[link.state]})</span></summary>"
    )
    return (
        f"<li class='link {link.state}' data-state='{link.state}' data-text='{_e(words)}'>"
        f"<details>{summary}<div class='detail'>{_detail(link)}</div></details></li>"
    )


def _detail(link: LinkCoverage) -> str:
    parts = []
    if link.sets:
        rows = "".join(
            f"<li class='{'hit' if s.count else 'miss'}'>set {s.index}: {_e(s.label)} — "
            f"{f'{s.count} body(ies)' if s.count else 'never satisfied'}</li>"
            for s in link.sets
        )
        parts.append(f"<h3>Parameter sets</h3><ul class='sets'>{rows}</ul>")
    if not link.count:
        parts.append("<p>No exchange reached this link.</p>")
        return "".join(parts)
    if link.tests:
        tests = "".join(f"<li><code>{_e(t)}</code></li>" for t in link.tests)
        parts.append(f"<h3>Tests</h3><ul>{tests}</ul>")
    sources = "".join(f"<li><code>{_e(c)}</code></li>" for c in link.cassettes)
    parts.append(f"<h3>Cassettes</h3><ul>{sources}</ul>")
    if link.exchanges:
        rows = "".join(
            f"<tr><td><code>{_e(e['cassette'])}#{_e(e['index'])}</code></td>"
            f"<td>{_e(e['status'])}</td><td><code>{_e(e['uri'])}</code></td></tr>"
            for e in link.exchanges
        )
        more = _more(link.count, len(link.exchanges), "exchange")
        parts.append(
            "<h3>Exchanges</h3><table><thead><tr><th>where</th><th>status</th><th>URI</th>"
            f"</tr></thead><tbody>{rows}</tbody></table>{more}"
        )
    if link.findings:
        rows = "".join(
            f"<li class='{_e(f['severity'])}'><b>[{_e(f['severity'])}] {_e(f['rule'])}</b>: "
            f"{_e(f['message'])} <span class='where'>{_e(f['cassette'])}#{_e(f['index'])}"
            f"{' at ' + _e(f['xpath']) if f['xpath'] else ''}</span></li>"
            for f in link.findings
        )
        more = _more(link.violations, len(link.findings), "violation")
        parts.append(f"<h3>Violations</h3><ul class='findings'>{rows}</ul>{more}")
    return "".join(parts)


def _statuses(pairs: tuple[tuple[str, int], ...]) -> str:
    """Each status seen and how often: 200 times 3, 404 once."""
    return " ".join(f"{status}\N{MULTIPLICATION SIGN}{n}" for status, n in pairs)


def _more(total: int, shown: int, what: str) -> str:
    return f"<p class='more'>… and {total - shown} more {what}(s)</p>" if total > shown else ""


def _unmatched(unmatched: tuple[Unmatched, ...]) -> str:
    rows = "".join(
        f"<tr><td>{_e(u.method)}</td><td><code>{_e(u.path)}</code></td><td>{u.count}</td>"
        f"<td>{_e(_statuses(u.statuses))}</td><td>{u.violations}</td></tr>"
        for u in unmatched
    )
    return (
        "<section id='unmatched'><h2>Requests that reached no RSDL link</h2>"
        "<table><thead><tr><th>method</th><th>path</th><th>exchanges</th><th>statuses</th>"
        f"<th>violations</th></tr></thead><tbody>{rows}</tbody></table></section>"
    )


_CSS = """
:root{--ok:#2e7d32;--bad:#c62828;--none:#9aa3ad;--ink:#1d2329;--soft:#5b6570;--line:#d8dde3}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1200px;padding:0 1.25rem 3rem;font:15px/1.45 system-ui,
-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--ink);
background:#fafbfc}
code{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace;font-size:.92em}
h1{font-size:1.5rem;margin:1rem 0 .2rem}
h2{font-size:1.1rem;margin:0}
h3{font-size:.95rem;margin:.8rem 0 .3rem}
.source{color:var(--soft);margin:0 0 .8rem;overflow-wrap:anywhere}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
.skip{position:absolute;left:-999px}
.skip:focus{left:1rem;top:1rem;background:#fff;padding:.4rem;z-index:2}
:focus-visible{outline:3px solid #1565c0;outline-offset:2px}
.figures{display:flex;flex-wrap:wrap;gap:.6rem;margin:0 0 .6rem}
.figures div{background:#fff;border:1px solid var(--line);border-radius:6px;padding:.4rem .8rem}
.figures dt{font-size:.78rem;color:var(--soft);text-transform:uppercase;letter-spacing:.03em}
.figures dd{margin:0;font-size:1.25rem;font-weight:600}
.bar{height:10px;background:#e6e9ed;border-radius:5px;overflow:hidden;margin:.3rem 0 .8rem}
.bar span{display:block;height:100%;background:var(--ok)}
.bar.small{height:6px;margin:.35rem 0 .5rem}
.tiles{list-style:none;padding:0;margin:0;display:grid;gap:.35rem;
grid-template-columns:repeat(auto-fill,minmax(150px,1fr))}
.tile{display:flex;justify-content:space-between;gap:.4rem;padding:.3rem .5rem;border-radius:4px;
text-decoration:none;color:var(--ink);border:2px solid transparent;font-size:.85rem}
.tile .tname{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.tile.p0{background:#eceff2;color:var(--soft)}.tile.p1{background:#dcefdc}
.tile.p2{background:#b9e0ba}.tile.p3{background:#8ccc8f}.tile.p4{background:#5cb660}
.tile.bad{border-color:var(--bad)}
.legend{font-size:.85rem;color:var(--soft)}
.sw{display:inline-block;width:.8rem;height:.8rem;border-radius:2px;margin:0 .3rem 0 .9rem;
vertical-align:-1px}
.sw.exercised{background:var(--ok)}.sw.violations{background:var(--bad)}
.sw.untouched{background:var(--none)}
.controls{position:sticky;top:0;z-index:1;display:flex;flex-wrap:wrap;align-items:center;
gap:.5rem;padding:.6rem 0;background:#fafbfc;border-bottom:1px solid var(--line)}
.controls input{flex:1 1 16rem;padding:.35rem .5rem;font:inherit}
.controls select{padding:.3rem;font:inherit}
#shown{color:var(--soft);font-size:.9rem}
.collection{margin:1.2rem 0}
.cfig{color:var(--soft);font-weight:400;font-size:.9rem}
.links{list-style:none;margin:0;padding:0}
.link{border-left:5px solid var(--none);background:#fff;margin:2px 0;border-radius:0 4px 4px 0}
.link.exercised{border-left-color:var(--ok)}.link.violations{border-left-color:var(--bad)}
.link summary{cursor:pointer;padding:.25rem .5rem;overflow-wrap:anywhere}
.link.untouched summary{color:var(--soft)}
.method{display:inline-block;min-width:4.2rem;font-weight:600;font-size:.8rem}
.rel{color:var(--soft);font-size:.85rem}
.count{font-size:.85rem;margin-left:.4rem}
.violations .count{color:var(--bad);font-weight:600}
.statuses{font-size:.8rem;color:var(--soft);margin-left:.4rem}
.detail{padding:.2rem .9rem .8rem;border-top:1px solid var(--line);font-size:.9rem}
.detail ul{margin:.2rem 0;padding-left:1.2rem}
.detail table,#unmatched table{border-collapse:collapse;width:100%;font-size:.85rem}
td,th{border-bottom:1px solid var(--line);padding:.2rem .4rem;text-align:left;
vertical-align:top;overflow-wrap:anywhere}
th{white-space:nowrap}
.sets .miss{color:var(--soft)}.findings .error b{color:var(--bad)}
.findings .warning b{color:#a15c00}.where,.more{color:var(--soft);font-size:.85rem}
#unmatched{margin-top:2rem}
"""

_JS = """
(function(){
  var text=document.getElementById('filter-text'),state=document.getElementById('filter-state');
  var links=[].slice.call(document.querySelectorAll('li.link'));
  var sections=[].slice.call(document.querySelectorAll('section.collection'));
  var shown=document.getElementById('shown'),nothing=document.getElementById('nothing');
  function wanted(li,words,s){
    var st=li.getAttribute('data-state');
    if(s==='exercised'&&st==='untouched')return false;
    if(s==='clean'&&st!=='exercised')return false;
    if((s==='violations'||s==='untouched')&&st!==s)return false;
    var hay=li.getAttribute('data-text');
    for(var i=0;i<words.length;i++){if(hay.indexOf(words[i])<0)return false;}
    return true;
  }
  function apply(){
    var words=text.value.toLowerCase().split(/\\s+/).filter(Boolean),s=state.value,n=0;
    links.forEach(function(li){var ok=wanted(li,words,s);li.hidden=!ok;if(ok)n++;});
    sections.forEach(function(sec){
      var any=sec.querySelector('li.link:not([hidden])')!==null;sec.hidden=!any;
      var tile=document.querySelector('.tile[href="#'+sec.id+'"]');
      if(tile)tile.parentNode.hidden=!any;
    });
    shown.textContent=n+' of '+links.length+' links shown';
    nothing.hidden=n>0;
  }
  text.addEventListener('input',apply);state.addEventListener('change',apply);
  document.addEventListener('keydown',function(ev){
    if(ev.key==='/'&&document.activeElement!==text&&!ev.ctrlKey&&!ev.metaKey){
      ev.preventDefault();text.focus();}
  });
  apply();
})();
"""

"""The whole command, as a user runs it: ``python3 -m contracttest check`` per contract group.

    python benchmarks/bench_check_process.py [--rounds 7] [--profile]

For each group of corpus cassettes that share their nearest contract (the corpus README's
table), the wall time of::

    python3 -m contracttest check FILES... --contract RSDL --schema XSD --format json

against the wall time of a tiny script that does the least any checker must: start Python,
read the same YAML files (libyaml's safe loader, as ``contracttest.cassette`` does; gzip
bodies inflated) and parse every XML body with lxml. Rounds are interleaved (each round runs
every command once) and the figures are medians, so a slow phase of a shared machine hits all
alike. The budget is 2.0, for the corpus as a whole (the groups' commands against the
groups' baselines). A group's own ratio is shown too: a group of a few small cassettes pays
mostly for loading its contract (the 3.6 RSDL: about 30 ms to read, which no baseline pays),
so its ratio says what a fixed cost weighs on a tiny input, not how fast checking is.

``--profile`` also breaks one run of each group down in-process (import of the command line,
YAML loading, contract loading, checking, reporting) and lists the slowest imports
(``-X importtime``), to tell the core's share from the rest.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from conftest import corpus_path  # noqa: E402
from tests.corpus_contracts import RSDL, XSD, nearest, vcrpy_cassettes  # noqa: E402

BUDGET = 2.0

#: The least a checker must do: start, read the YAML, parse the XML bodies.
BASELINE = r"""
import sys, zlib
import yaml
from lxml import etree
loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
bodies = 0
for name in sys.argv[1:]:
    with open(name, "rb") as handle:
        data = yaml.load(handle.read(), Loader=loader)
    for item in data["interactions"]:
        for part in (item["request"], item["response"]):
            body = part.get("body")
            if isinstance(body, dict):
                body = body.get("string")
            if isinstance(body, str):
                body = body.encode()
            if not body:
                continue
            if body[:2] == b"\x1f\x8b":
                body = zlib.decompress(body, 47)
            if body.lstrip()[:1] == b"<":
                try:
                    etree.fromstring(body, parser)
                    bodies += 1
                except etree.XMLSyntaxError:
                    pass
"""


def groups(corpus: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in vcrpy_cassettes(corpus):
        found.setdefault(nearest(path)[0], []).append(str(path))
    return found


def check_command(corpus: Path, key: str, files: list[str]) -> list[str]:
    command = [sys.executable, "-m", "contracttest", "check", *files]
    command += ["--contract", str(corpus / RSDL[key]), "--format", "json"]
    if key in XSD:
        command += ["--schema", str(corpus / XSD[key])]
    return command


def _env() -> dict[str, str]:
    """The package as installed: importable, with its bytecode compiled (``compile_package``)
    and used, whatever ``PYTHONDONTWRITEBYTECODE`` says."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def compile_package() -> None:
    """An installed package has its ``.pyc`` files: compile them, or every run compiles."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(ROOT / "contracttest")],
        env=_env(),
        check=True,
    )


def wall(command: list[str]) -> float:
    env = _env()
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, env=env, check=False)
    took = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"{command[:4]}... failed: {done.stderr.decode()[-500:]}")
    return took


def profile(corpus: Path, key: str, files: list[str]) -> None:
    """One run of the command in a fresh interpreter, timed phase by phase."""
    script = r"""
import sys, time, io, contextlib
t0 = time.perf_counter()
from contracttest.cli import main
t1 = time.perf_counter()
from contracttest.cassette import load_cassette
from contracttest.loading import load_contract, load_schema
from contracttest import Checker
files, rsdl, xsd = sys.argv[1:-2], sys.argv[-2], sys.argv[-1]
cassettes = [load_cassette(f) for f in files]
t2 = time.perf_counter()
contract = load_contract(rsdl)
schema = load_schema(xsd) if xsd != "-" else None
checker = Checker(contract, schema)
t3 = time.perf_counter()
found = [v for c in cassettes for v in checker.check_cassette(c)]
t4 = time.perf_counter()
from contracttest.report import Result, as_json
result = Result()
result.violations.extend(found)
result.cassettes, result.exchanges = len(cassettes), sum(len(c.exchanges) for c in cassettes)
rendered = as_json(result)
t5 = time.perf_counter()
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    main(["check", *files, "--contract", rsdl, "--format", "json"]
         + (["--schema", xsd] if xsd != "-" else []))
t6 = time.perf_counter()
print(f"{(t1-t0)*1000:.0f} {(t2-t1)*1000:.0f} {(t3-t2)*1000:.0f} {(t4-t3)*1000:.0f} "
      f"{(t5-t4)*1000:.0f} {(t6-t5)*1000:.0f} {len(found)}")
"""
    xsd = str(corpus / XSD[key]) if key in XSD else "-"
    env = _env()
    out = subprocess.run(
        [sys.executable, "-c", script, *files, str(corpus / RSDL[key]), xsd],
        capture_output=True,
        env=env,
        check=True,
        text=True,
    ).stdout.split()
    imports, yaml_ms, contract_ms, check_ms, report_ms, whole_ms, violations = out
    print(
        f"  {key}: import cli {imports} ms, YAML {yaml_ms} ms, contract+compile "
        f"{contract_ms} ms, check {check_ms} ms ({violations} violations), JSON report "
        f"{report_ms} ms; the whole command again in-process (warm imports): {whole_ms} ms"
    )


def importtime() -> None:
    env = _env()
    err = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import contracttest.cli"],
        capture_output=True,
        env=env,
        check=True,
        text=True,
    ).stderr
    rows = []
    for line in err.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1]), parts[2].rstrip()))
    total = max(cumulative for cumulative, _ in rows)
    print(f"  import contracttest.cli: {total / 1000:.0f} ms cumulative; the slowest:")
    for cumulative, name in sorted(rows, reverse=True)[1:9]:
        print(f"    {cumulative / 1000:6.1f} ms  {name.strip()}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    corpus = corpus_path()
    if not (corpus / "rsdl").is_dir():
        print(f"corpus not found at {corpus}", file=sys.stderr)
        return 2
    plan = groups(corpus)
    compile_package()
    checks: dict[str, list[float]] = {key: [] for key in plan}
    bases: dict[str, list[float]] = {key: [] for key in plan}
    for _ in range(args.rounds):
        for key, files in plan.items():
            bases[key].append(wall([sys.executable, "-c", BASELINE, *files]))
            checks[key].append(wall(check_command(corpus, key, files)))
    print(f"whole process, median of {args.rounds} interleaved rounds (wall time):")
    worst = 0.0
    for key, files in plan.items():
        check, base = statistics.median(checks[key]), statistics.median(bases[key])
        ratio = statistics.median(c / b for c, b in zip(checks[key], bases[key], strict=True))
        worst = max(worst, ratio)
        print(
            f"  {key:10s} {len(files):2d} cassettes: check {check * 1000:6.0f} ms, "
            f"YAML + lxml only {base * 1000:6.0f} ms, ratio {ratio:.2f}"
        )
    total = statistics.median(
        sum(checks[key][i] for key in plan) / sum(bases[key][i] for key in plan)
        for i in range(args.rounds)
    )
    verdict = "within" if total <= BUDGET else "OVER"
    print(
        f"ratio, the whole corpus: {total:.2f} ({verdict} budget {BUDGET}); worst group {worst:.2f}"
    )
    if args.profile:
        print("one run of each group, phase by phase (in-process):")
        for key, files in plan.items():
            profile(corpus, key, files)
        importtime()
    return 0 if total <= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())

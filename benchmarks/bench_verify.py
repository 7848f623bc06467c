"""``contracttest verify``, per exchange, against the embedded engine.

    python benchmarks/bench_verify.py [--vms 20] [--repeat 5]

Records a suite through contracttest's recording (the bundled v4 contract, SSO login as
ovirtsdk4 does): for each of ``--vms`` VMs, an add, reads, an update, a NIC, statistics,
start, a search, stop, a refused add, a delete and the reads after it. Then replays it
``--repeat`` times, each against a fresh engine, as ``verify`` does (the served contract
checks every new answer), and reports milliseconds per replayed exchange and where they go:

* engine: from sending a request to holding the whole answer (the engine runs in this
  process, on its own worker threads: its work is in this share);
* comparison: the answers compared by meaning (``compare``);
* contract checks: the new answer checked against the new contract (``Checker``).

Figures: the median and least of the repetitions. Exit status 0; 2 if a replay differs (a
benchmark of a run that finds differences would measure something else).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from contracttest.api import Engine as Api  # noqa: E402
from contracttest.cassette import load_cassette  # noqa: E402
from contracttest.checker import Checker, resolve_rules  # noqa: E402
from contracttest.client import Client  # noqa: E402
from contracttest.engine import DEFAULT_PASSWORD, EngineServer, open_engine  # noqa: E402
from contracttest.exchange import Cassette  # noqa: E402
from contracttest.recording import RecordingCassette  # noqa: E402
from contracttest.verify import RULES  # noqa: E402
from contracttest.verify.replay import Verification, verify  # noqa: E402

USER = "admin@internal"


def suite(api: Api, vms: int) -> None:
    api.get("")
    for number in range(vms):
        name = f"bench-{number}"
        vm = api.add("vms", f"<vm><name>{name}</name><cluster><name>Default</name></cluster>"
                     "<template><name>Blank</name></template><description>a</description>"
                     "</vm>").get("id")  # fmt: skip
        api.get(f"vms/{vm}")
        api.update(f"vms/{vm}", "<vm><description>b</description></vm>")
        nic = api.add(f"vms/{vm}/nics", "<nic><name>nic1</name></nic>").get("id")
        api.request("GET", f"vms/{vm}/nics/{nic}/statistics")
        api.request("GET", f"vms/{vm}/statistics")
        api.action(f"vms/{vm}", "start")
        api.get(f"vms/{vm}")
        api.request("GET", "vms", search=f"name={name}")
        api.action(f"vms/{vm}", "stop")
        api.request("POST", "vms", "<vm><name>nocluster</name></vm>")
        api.request("DELETE", f"vms/{vm}")
        api.request("GET", f"vms/{vm}")
    api.request("GET", "vms")


def record(folder: Path, vms: int) -> Cassette:
    path = folder / "bench.yaml"
    engine = open_engine()
    try:
        with EngineServer(engine.handle) as server:
            url = f"{server.base_url}{engine.prefix}"
            with RecordingCassette.use(path=str(path), mode="all", display=path.name):
                api = Api(Client(url, USER, DEFAULT_PASSWORD, keep=False), live=True)
                suite(api, vms)
                api.close()
    finally:
        engine.close()
    return load_cassette(path)


def replay(cassette: Cassette) -> Verification:
    engine = open_engine()
    try:
        with EngineServer(engine.handle) as server:
            url = f"{server.base_url}{engine.prefix}"
            client = Client(url, USER, DEFAULT_PASSWORD, keep=False)
            model = engine.model
            checker = Checker(model.contract, model.schema, resolve_rules(RULES))
            result = verify([cassette], client, checker=checker, against=url)
            client.close()
    finally:
        engine.close()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vms", type=int, default=20, help="VMs the recorded suite makes")
    parser.add_argument("--repeat", type=int, default=5, help="replays timed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        cassette = record(Path(folder), args.vms)
    replay(cassette)  # untimed: imports, first compilations, caches
    runs = [replay(cassette) for _ in range(args.repeat)]
    differing = [found for run in runs for found in run.differences]
    if differing:
        print(f"a replay differs: {differing[0]}", file=sys.stderr)
        return 2
    count = runs[0].exchanges
    print(
        f"recorded suite: {args.vms} VM(s), {count} exchange(s) replayed "
        f"({runs[0].skipped} login(s) not replayed); {args.repeat} replay(s)"
    )

    def ms(seconds: list[float]) -> str:
        per = [1000 * s / count for s in seconds]
        return f"median {statistics.median(per):6.3f}  least {min(per):6.3f}"

    total = [r.engine_seconds + r.compare_seconds + r.check_seconds for r in runs]
    print(f"ms per exchange        {ms(total)}")
    for label, part in (
        ("engine (waiting)", [r.engine_seconds for r in runs]),
        ("comparison", [r.compare_seconds for r in runs]),
        ("contract checks", [r.check_seconds for r in runs]),
    ):
        share = 100 * statistics.median(p / t for p, t in zip(part, total, strict=True))
        print(f"  {label:<20} {ms(part)}  ({share:4.1f} % of the time)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

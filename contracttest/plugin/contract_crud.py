"""``--contract-crud=vms,tags``: generated CRUD round trips as items of any run.

When the option is given the plugin registers ``CrudItems``, which adds one item per
collection, ``test_crud[vms]``, ..., at the start of ``pytest_collection_modifyitems``: each
is a ``pytest.Function`` of this module's ``test_crud`` (so it takes fixtures, ``-k``
selects it, and every pytest-xdist worker collects the same items in the same order: the
names come from the settings and the contract, never from chance). The body runs
``properties.run_crud`` with the item's ``ovirt_engine``: recorded into and replayed from
its own cassette (``<cassette dir>/contract_crud/test_crud[vms].yaml``) and checked by the
contract rules as it goes; the machine's ``refuse`` rule makes the negative calls.

The seed: ``--hypothesis-seed`` when given, else a fresh one, drawn once on the controller
(handed to the workers through ``workerinput``) and printed in the run header. A recording
keeps it and the settings in its cassette's provenance (``crud_seed``, ``crud_settings``);
a replay reads them back and runs with ``replay_settings`` of them, so it makes exactly the
recorded calls, with no engine.
"""

from __future__ import annotations

import json
import random
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from contracttest.plugin.settings import Settings

if TYPE_CHECKING:
    from hypothesis import settings as HypothesisSettings

    from contracttest.api import Engine
    from contracttest.plugin.contracts import Contracts

SEED_KEY = "contracttest_crud_seed"
#: The request rules the machine's ``refuse`` rule breaks on purpose (a body without a
#: required parameter, a value outside its type): skipped for these items, and so recorded
#: in their cassettes for ``contracttest check``. Every answer is still checked.
NEGATIVE_RULES = ("request.parameters.required",)
ALL = "all"


def crud_seed(config: pytest.Config) -> int:
    """``--hypothesis-seed`` (a number, or any text hashed to one), else a fresh seed."""
    given = config.getoption("hypothesis_seed", None)
    if given is None or str(given).strip() == "":
        return random.SystemRandom().randrange(2**32)
    text = str(given).strip()
    return int(text) if text.isdigit() else zlib.crc32(text.encode())


def profile_for(examples: str | None) -> HypothesisSettings:
    """The settings a recording runs with: ``FAST``, with ``examples`` examples, or a
    registered Hypothesis profile (made quiet and database-free like ``FAST``)."""
    from hypothesis import settings

    from contracttest.errors import UsageError
    from contracttest.properties import FAST

    if examples is None or examples.strip() in ("", "fast"):
        return FAST
    text = examples.strip()
    if text.isdigit() and int(text) > 0:
        return settings(FAST, max_examples=int(text))
    try:
        named = settings.get_profile(text)
    except Exception:  # InvalidArgument: no such profile
        raise UsageError(
            f"--contract-crud-examples {text!r}: expected a number of examples, 'fast', or a "
            "registered Hypothesis profile"
        ) from None
    return settings(
        named, deadline=None, database=None, suppress_health_check=FAST.suppress_health_check
    )


def crud_names(settings: Settings, contracts: Contracts) -> list[str]:
    """The collections ``--contract-crud`` names (``all``: every one the contract can
    drive), in order; a name it cannot drive is a ``UsageError`` listing those it can."""
    from contracttest.errors import UsageError
    from contracttest.properties import crud_collections

    in_use = contracts.for_settings(settings)
    if in_use.schema is None:
        raise UsageError(f"--contract-crud: the contract {in_use.source} has no entity schema")
    known = crud_collections(in_use.contract, in_use.schema)
    if ALL in settings.crud:
        return known
    unknown = [name for name in settings.crud if name not in known]
    if unknown:
        raise UsageError(
            f"--contract-crud: cannot drive {', '.join(unknown)}; the contract can drive: "
            f"{', '.join(sorted(known))} (or 'all')"
        )
    return list(dict.fromkeys(settings.crud))


class CrudItems:
    """The plugin of ``--contract-crud`` (registered only when it is given)."""

    def __init__(self, config: pytest.Config, settings: Settings, contracts: Contracts) -> None:
        self.settings = settings
        self.contracts = contracts
        workerinput = getattr(config, "workerinput", None)
        if workerinput is not None and SEED_KEY in workerinput:
            self.seed = int(workerinput[SEED_KEY])
        else:
            self.seed = crud_seed(config)
        self._names: list[str] | None = None

    @property
    def names(self) -> list[str]:
        if self._names is None:
            self._names = crud_names(self.settings, self.contracts)
        return self._names

    def check(self) -> str | None:
        """The one-line usage problem with the options, or None (on the controller)."""
        from contracttest.errors import ContractTestError

        try:
            profile_for(self.settings.crud_examples)
            self.names  # noqa: B018  # resolved here, so a bad name stops the run
        except ContractTestError as exc:
            return f"contracttest: {exc}"
        return None

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:  # pytest-xdist, on the controller
        node.workerinput[SEED_KEY] = self.seed

    def pytest_report_header(self, config: pytest.Config) -> str:
        profile = profile_for(self.settings.crud_examples)
        return (
            f"contracttest crud: {', '.join(self.settings.crud)}; seed {self.seed} "
            f"(--hypothesis-seed={self.seed} repeats it; a replay uses its cassette's); "
            f"{profile.max_examples} examples of {profile.stateful_step_count} steps"
        )

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(
        self, session: pytest.Session, items: list[pytest.Item]
    ) -> None:
        try:
            names = self.names
        except Exception as exc:
            raise pytest.UsageError(f"contracttest: {exc}") from None
        module = pytest.Module.from_parent(session, path=Path(__file__), nodeid="contract-crud")
        for name in names:
            item = pytest.Function.from_parent(
                module, name=f"test_crud[{name}]", callobj=test_crud, originalname="test_crud"
            )
            item.add_marker(pytest.mark.contract(skip=list(NEGATIVE_RULES)))
            item.stash[_COLLECTION] = name
            items.append(item)


_COLLECTION = pytest.StashKey[str]()


def test_crud(request: pytest.FixtureRequest, ovirt_engine: Engine) -> None:
    """The CRUD round trips of one collection (see the module docstring)."""
    problem = run_item(request, ovirt_engine)
    if problem:
        pytest.fail(problem, pytrace=False)


def run_item(request: pytest.FixtureRequest, engine: Engine) -> str | None:
    """Run the item's machine: a recording with the run's seed and settings (kept in its
    cassette), a replay with its cassette's. The failure text, or None."""
    import hypothesis
    from hypothesis.errors import HypothesisException

    from contracttest.errors import ContractTestError
    from contracttest.plugin import _CASSETTE, _RECORD
    from contracttest.properties import BrokenPromise, run_crud
    from contracttest.properties.runner import replayed_settings
    from contracttest.recording import ReplayError

    node = request.node
    collection = node.stash[_COLLECTION]
    crud: CrudItems = request.config.pluginmanager.getplugin("contracttest-crud")
    cassette = node.stash[_CASSETTE]
    where = node.stash[_RECORD].cassette
    in_use = node.stash[_RECORD].contract
    replaying = not engine.live or bool(crud.settings.verify_against)
    if not replaying:
        cassette.afresh()  # generated calls never meet another run's answers (new_episodes)
        seed = crud.seed
        profile = profile_for(crud.settings.crud_examples)
        cassette.provenance["crud_seed"] = str(seed)
        cassette.provenance["crud_settings"] = json.dumps(
            replayed_settings(profile), sort_keys=True
        )
        cassette.provenance["crud_hypothesis"] = hypothesis.__version__
    else:
        cassette.in_order = True  # the same seed makes the same calls, in the same order
        if not cassette.existed:
            return (
                f"contracttest: {where}: no cassette to replay: record it with "
                "--engine URL|sandbox --record-mode=once"
            )
        try:
            seed, profile = recorded_run(cassette.loaded_provenance, str(where))
        except ContractTestError as exc:
            return f"contracttest: {exc}: record it again (--record-mode=rewrite)"
    assert in_use.schema is not None  # crud_names refused a contract without one
    try:
        run_crud(engine, in_use.contract, in_use.schema, [collection], seed=seed, profile=profile)
    except (BrokenPromise, ReplayError, HypothesisException) as exc:
        if not replaying:
            if isinstance(exc, BrokenPromise):
                return str(exc)
            raise
        if cassette.diverged is not None:  # whatever Hypothesis made of it after
            return (
                f"contracttest: the replay no longer makes the calls it recorded: "
                f"{cassette.diverged}{diverged_hint(cassette.loaded_provenance)}"
            )
        if isinstance(exc, BrokenPromise):  # a recording of a failure, failing alike
            return str(exc)
        raise
    except ContractTestError as exc:  # SetupError, UsageError: said in one line
        return f"contracttest: {collection}: {exc}"
    return None


def recorded_run(provenance: dict[str, str], where: str) -> tuple[int, HypothesisSettings]:
    """The seed and settings a recording kept, for its replay (``CassetteError`` naming
    what is missing or wrong: the provenance is read from a file)."""
    from hypothesis import settings

    from contracttest.cassette import CassetteError
    from contracttest.properties import FAST, replay_settings

    text = provenance.get("crud_seed", "")
    if not text.isdigit():
        raise CassetteError(where, "no crud_seed (a number) in the cassette's provenance")
    try:
        kept = json.loads(provenance.get("crud_settings") or "{}")
        wanted = {name: kept[name] for name in ("max_examples", "stateful_step_count")}
        if not all(type(value) is int and 0 < value <= 10_000 for value in wanted.values()):
            raise ValueError
    except (ValueError, KeyError, TypeError):
        raise CassetteError(
            where,
            "crud_settings in the cassette's provenance is not "
            '{"max_examples": N, "stateful_step_count": N}',
        ) from None
    return int(text), replay_settings(settings(FAST, **wanted))


def diverged_hint(provenance: dict[str, str]) -> str:
    """What to do when a replay goes another way than its recording: record it again; and,
    when the Hypothesis that generated it is not this one, that is why."""
    import hypothesis

    then = provenance.get("crud_hypothesis")
    why = (
        f"; it was generated by Hypothesis {then}, this run has {hypothesis.__version__}, "
        "whose generation may differ"
        if then and then != hypothesis.__version__
        else ""
    )
    return f"{why}\n(record it again with --record-mode=rewrite against an engine)"

"""How the plugin names things for a test: its cassette's path, what its
``@pytest.mark.contract`` marker says, how a path is shown, and the command that records it."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from contracttest.plugin.settings import Settings


def cassette_path(cassette_dir: Path, item: pytest.Item, name: str | None = None) -> Path:
    """``<cassette dir>/<test module>/<test name>.yaml``, or the marker's name for it."""
    module = Path(str(item.path)).stem if getattr(item, "path", None) else "tests"
    if name is None:
        cls = getattr(item, "cls", None)
        name = f"{cls.__name__}.{item.name}" if cls is not None else item.name
    safe = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", name)
    return cassette_dir / module / (safe if safe.endswith((".yaml", ".yml")) else f"{safe}.yaml")


def marker(item: pytest.Item) -> tuple[frozenset[str], str | None]:
    skip: set[str] = set()
    name = None
    for mark in item.iter_markers("contract"):
        unknown = set(mark.kwargs) - {"skip", "cassette"}
        if unknown or mark.args:
            pytest.fail(
                "contracttest: @pytest.mark.contract takes skip=[rule, ...] and cassette=name, "
                f"not {', '.join(sorted(unknown)) or repr(mark.args)}",
                pytrace=False,
            )
        rules = mark.kwargs.get("skip", ())
        skip.update([rules] if isinstance(rules, str) else rules)
        if name is None and mark.kwargs.get("cassette"):
            name = str(mark.kwargs["cassette"])
    return frozenset(skip), name


def skipped_rules(skip: frozenset[str]) -> list[str]:
    """The rule ids a marker's names (ids or prefixes such as ``response``) stand for."""
    from contracttest.checker import resolve_rules
    from contracttest.rules import RULES

    kept = set(resolve_rules((), sorted(skip)))
    return [rule for rule in RULES if rule not in kept]


def display(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def command(request: pytest.FixtureRequest, settings: Settings, mode: str) -> str:
    parts = ["pytest", request.node.nodeid, "--record-mode", mode]
    engine = settings.engine if settings.engine and "--engine" in settings.given else None
    parts += ["--engine", engine or "URL|sandbox"]
    if "--cassette-dir" in settings.given:
        parts += ["--cassette-dir", str(settings.cassette_dir)]
    return shlex.join(parts)

"""The layers read in one direction: the pure core imports no I/O, no pytest, no CLI."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import contracttest

PACKAGE = Path(contracttest.__file__).parent
CORE = [
    "xmlsafe.py",
    "errors.py",
    "rsdl.py",
    "router.py",
    "schema.py",
    "exchange.py",
    "rules.py",
    "checker.py",
    "matching.py",
    *(f"checks/{p.name}" for p in sorted((PACKAGE / "checks").glob("*.py"))),
    *(f"compare/{p.name}" for p in sorted((PACKAGE / "compare").glob("*.py"))),
    *(
        f"diff/{p.name}"
        for p in sorted((PACKAGE / "diff").glob("*.py"))
        if p.name != "command.py"  # the diff's one front door: it loads and fetches
    ),
]
#: What the core must not import: file and network I/O, YAML, pytest, vcrpy, the edges.
FORBIDDEN = (
    "yaml",
    "vcr",
    "pytest",
    "argparse",
    "urllib.request",
    "http",
    "socket",
    "pathlib",
    "contracttest.cli",
    "contracttest.client",
    "contracttest.reach",
    "contracttest.files",
    "contracttest.yamlfile",
    "contracttest.interactions",
    "contracttest.scan",
    "contracttest.options",
    "contracttest.cassette",
    "contracttest.loading",
    "contracttest.report",
    "contracttest.recording",
    "contracttest.scrubplan",
    "contracttest.offline",
    "contracttest.plugin",
)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("module", CORE)
def test_core_module_imports_no_edge(module: str) -> None:
    imported = _imports(PACKAGE / module)
    bad = sorted(
        name for name in imported for f in FORBIDDEN if name == f or name.startswith(f + ".")
    )
    assert not bad, f"{module} imports {bad}: the core must stay free of I/O and edges"


def test_public_names_are_exported() -> None:
    for name in contracttest.__all__:
        assert hasattr(contracttest, name), name


def test_only_the_plugin_and_the_commands_know_pytest() -> None:
    """pytest stays at the edge: the plugin, and the command that runs it."""
    allowed = {"plugin", "run.py", "example"}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] in allowed:
            continue
        assert "pytest" not in {n.split(".")[0] for n in _imports(path)}, relative


#: The one module allowed over the size limit, and why (ARCHITECTURE.md): a connection's
#: life is one state machine whose invariants must be read together.
LONG = {"engine/server.py"}


def test_no_module_is_over_400_lines_but_the_server() -> None:
    long = {
        str(path.relative_to(PACKAGE)): n
        for path in PACKAGE.rglob("*.py")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > 400
    }
    assert set(long) == LONG, long

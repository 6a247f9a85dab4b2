"""The connectors package imports without a cycle: every module can be read (and changed) knowing only
the modules below it. Imports are read with `ast`, so ones inside functions or `TYPE_CHECKING`
blocks count too."""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

import connectors

PACKAGE = Path(connectors.__file__).parent


def module_name(path: Path) -> str:
    """`connectors.systems.hubspot` for connectors/systems/hubspot.py."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(tree: ast.AST, known: set[str]) -> set[str]:
    """The modules of `known` a module's source imports (`from connectors import x` names module x)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found & known


def import_graph() -> dict[str, set[str]]:
    """Each connectors module and the connectors modules it imports (a package's own modules aside)."""
    paths = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    known = set(paths)
    graph = {}
    for name, path in paths.items():
        imports = imported_modules(ast.parse(path.read_text(), str(path)), known)
        graph[name] = {m for m in imports if m != name and not name.startswith(m + ".") and not m.startswith(name + ".")}
    return graph


def test_the_connectors_modules_import_without_a_cycle():
    graph = import_graph()
    assert {"connectors.spec", "connectors.fetching", "connectors.batches", "connectors.loading"} <= set(graph)
    try:
        order = list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as cycle:
        pytest.fail(f"connectors modules import each other in a cycle: {' -> '.join(cycle.args[1])}")
    assert order.index("connectors.spec") < order.index("connectors.fetching")
    assert order.index("connectors.batches") < order.index("connectors.loading")


def test_the_check_sees_a_cycle_made_of_a_type_checking_import():
    source = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from connectors.fetching import StreamFetch\n"
    graph = {"connectors.spec": imported_modules(ast.parse(source), {"connectors.fetching"}),
             "connectors.fetching": {"connectors.spec"}}
    with pytest.raises(graphlib.CycleError):
        list(graphlib.TopologicalSorter(graph).static_order())

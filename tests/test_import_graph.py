"""The import graph of our packages: no cycles between modules, no import upward across layers.

Read with `ast`, function-level imports included: a lazy import (kept out of a module's load for speed) is
still a dependency, and still closes a cycle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# Lowest layer first; a package may import its own layer's and lower layers' packages, never a higher one.
LAYERS = [
    {"sdc_settings"},
    {"connectors", "data_contracts", "warehouse", "entity_resolution"},
    {"pipelines", "dashboard"},
    {"sdc", "bench"},
]
OURS = {p for layer in LAYERS for p in layer} | {"simulator"}
# The simulator is a stand-in for the departments: only the CLI's demo and simulate commands and the bench use it.
MAY_IMPORT_SIMULATOR = {"sdc", "bench", "simulator"}
# Lowest-layer packages that must stay apart from each other (a reader knows no warehouse, and so on).
INDEPENDENT = {"sdc_settings": set(), "data_contracts": {"sdc_settings"}}


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {_module_name(p): p for pkg in OURS for p in (REPO / pkg).rglob("*.py")}


def imports_of(name: str, path: Path, known: set[str]) -> Iterator[str]:
    """Our modules that `name` imports anywhere in its body; `from pkg import mod` counts as pkg.mod,
    a relative import as its absolute name."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, *([base] if base else [])])
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and "." in node.value:
            targets = [node.value] if node.value in known else []  # importlib.import_module("pkg.mod")
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target.split(".")[0] in OURS and target != name:
                yield target


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {name: set(imports_of(name, path, known)) for name, path in mods.items()}


def _layer(module: str) -> int:
    top = module.split(".")[0]
    return next(i for i, layer in enumerate(LAYERS) if top in layer)


def _cycles(deps: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in deps.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(deps):
        if v not in index:
            visit(v)
    return found


def test_the_graph_sees_lazy_submodule_and_by_name_imports():
    deps = graph()
    assert "data_contracts.gx_suite" in deps["data_contracts.validation"]  # imported inside validate_batch
    assert "data_contracts.checks" in deps["data_contracts.validation"]  # `from data_contracts import checks`
    assert "sdc.review" in deps["sdc.cli"]  # a subcommand group, imported by name when it runs


def test_no_import_cycles():
    assert _cycles(graph()) == []


def test_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_upward_imports():
    upward = [
        f"{m} -> {t}"
        for m, targets in graph().items()
        if m.split(".")[0] != "simulator"
        for t in targets
        if t.split(".")[0] != "simulator" and _layer(t) > _layer(m)
    ]
    assert upward == []


def test_simulator_only_where_allowed():
    offenders = [
        f"{m} -> {t}"
        for m, targets in graph().items()
        for t in targets
        if t.split(".")[0] == "simulator" and m.split(".")[0] not in MAY_IMPORT_SIMULATOR
    ]
    assert offenders == []


def test_settings_and_contracts_stand_alone():
    offenders = [
        f"{m} -> {t}"
        for m, targets in graph().items()
        if m.split(".")[0] in INDEPENDENT
        for t in targets
        if t.split(".")[0] not in INDEPENDENT[m.split(".")[0]] | {m.split(".")[0]}
    ]
    assert offenders == []


def test_below_the_code_location_nothing_knows_dagster():
    """Readers, contracts, the warehouse and entity resolution know no Dagster: `pipelines` wires them."""
    offenders = []
    for name, path in modules().items():
        if name.split(".")[0] == "simulator" or _layer(name) > 1:
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                found = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                found = [node.module or ""]
            else:
                continue
            offenders += [f"{name}: {m}" for m in found if m.split(".")[0] in ("dagster", "dagster_dbt")]
    assert offenders == []

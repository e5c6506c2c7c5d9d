"""The simulator never imports product code (CONTRIBUTING.md): it is one reading of the departments'
documents, not a mirror of the pipeline."""

from __future__ import annotations

import ast
from pathlib import Path

import simulator

PRODUCT = {"connectors", "data_contracts", "pipelines", "warehouse", "entity_resolution", "sdc", "dbt_project"}


def test_simulator_imports_no_product_code():
    offenders = []
    for path in Path(simulator.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in PRODUCT]
    assert not offenders, offenders

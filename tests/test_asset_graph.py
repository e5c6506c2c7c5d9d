"""The code location loads, and its asset graph matches the committed snapshot.

After an intended change: `SDC_UPDATE_SNAPSHOTS=1 uv run pytest tests/test_asset_graph.py` and commit
tests/snapshots/asset_graph.json.
"""

import json
import os
from pathlib import Path

import pytest

SNAPSHOT = Path(__file__).parent / "snapshots" / "asset_graph.json"


@pytest.fixture(scope="module")
def defs():
    from sdc.runner import prepare_workspace
    from sdc_settings import load_settings

    settings = load_settings(os.environ)
    prepare_workspace(settings)
    from pipelines.definitions import build_definitions

    return build_definitions(settings)


def graph_of(defs) -> dict:
    graph = defs.resolve_asset_graph()
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "deps": sorted(p.to_user_string() for p in node.parent_keys),
            "checks": sorted(c.name for c in node.check_keys),
            **table_of(node),
        }
    return {
        "assets": assets,
        "jobs": sorted(j.name for j in defs.jobs or []),
        "schedules": sorted(s.name for s in defs.schedules or []),
        "sensors": sorted(s.name for s in defs.sensors or []),
    }


def table_of(node) -> dict:
    """What the UI shows of an asset's table before any run: its name, columns (name and type; `?` where dbt
    declares none) and freshness policy."""
    out = {}
    name = node.metadata.get("dagster/table_name")
    if name is not None:
        out["table"] = getattr(name, "value", name)
    schema = node.metadata.get("dagster/column_schema")
    if schema is not None:
        out["columns"] = [f"{c.name} {c.type}" for c in getattr(schema, "schema", schema).columns]
    policy = node.freshness_policy
    if policy is not None:
        out["freshness_fail_hours"] = policy.fail_window.to_timedelta().total_seconds() / 3600
    return out


def test_definitions_load(defs):
    defs.validate_loadable(defs)
    assert defs.resolve_implicit_global_asset_job_def() is not None


def test_asset_graph_matches_snapshot(defs):
    current = graph_of(defs)
    if os.environ.get("SDC_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(json.dumps(current, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    assert SNAPSHOT.exists(), "no snapshot yet: run once with SDC_UPDATE_SNAPSHOTS=1"
    assert current == json.loads(SNAPSHOT.read_text(encoding="utf-8"))


def test_code_location_does_not_import_great_expectations():
    import subprocess
    import sys

    code = "import sys; from pipelines.definitions import defs; defs(); print('great_expectations' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_each_dbt_part_runs_as_one_step(defs):
    """A model of the first dbt part that reads a mart (or the resolution) closes a cycle through the
    resolution assets, and Dagster then splits each part into several steps: a dbt process each (≈ 4 s
    apiece on every run). The daily job's plan has exactly one step per part."""
    from dagster._core.execution.api import create_execution_plan

    plan = create_execution_plan(defs.resolve_job_def("daily_load"))
    dbt_steps = sorted(s.key for s in plan.get_all_steps_in_topo_order() if s.key.startswith("sdc_dbt_"))
    assert dbt_steps == ["sdc_dbt_models", "sdc_dbt_upstream"]

"""dbt's own unit tests (`unit_tests:` in the model YAMLs) on an empty-built project: typed, empty validated
and resolution tables in a fresh lake, every model built with `--empty`, then only the unit tests. No
pipeline run: the rules of the models (alerts, survivorship, resolution) checked on rows written in the YAML."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from empty_lake import typed_empty_lake

from pipelines.defs.dbt.project import DBT_PROJECT_DIR, dbt_environment

DBT = str(Path(sys.executable).with_name("dbt"))
UNIT_TESTS = sorted(
    (t["model"], t["name"])
    for path in (DBT_PROJECT_DIR / "models").rglob("*.yml")
    for t in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("unit_tests", [])
)


def dbt(settings, target: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**dbt_environment(settings), "DBT_TARGET_PATH": str(target), "DBT_LOG_PATH": str(target)}
    return subprocess.run([DBT, *args], cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True)


@pytest.fixture(scope="module")
def empty_project(tmp_path_factory):
    home = tmp_path_factory.mktemp("dbt_unit") / "sdc_home"
    settings = typed_empty_lake(home)
    target = home / "dbt_target"
    built = dbt(settings, target, "build", "--empty", "--exclude", "resource_type:unit_test", "resource_type:test")
    assert built.returncode == 0, built.stdout[-4000:]
    return settings, target


@pytest.fixture(scope="module")
def unit_results(empty_project) -> dict[str, dict]:
    """One `dbt test --select test_type:unit` for the module; each unit test's result by name."""
    settings, target = empty_project
    ran = dbt(settings, target, "test", "--select", "test_type:unit")
    results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))["results"]
    by_name = {r["unique_id"].rsplit(".", 1)[-1]: {**r, "log": ran.stdout} for r in results}
    assert by_name, ran.stdout[-4000:]
    return by_name


def test_models_are_rebuilt_over_their_previous_tables(empty_project):
    """The second build of a model replaces a table in the lake (a DuckLake: dbt must know it, see dbt_plugin)."""
    settings, target = empty_project
    log = target / "dbt.log"
    log.unlink(missing_ok=True)
    again = dbt(settings, target, "run", "--empty", "--select", "stg_hazchem__enterprises dishonest_entry_history")
    assert again.returncode == 0, again.stdout[-4000:]
    # dbt knew the tables from DuckLake's catalog (macros/ducklake_catalog.sql), not from `information_schema`
    assert "__ducklake_metadata_lake" in log.read_text("utf-8")
    assert "information_schema" not in log.read_text("utf-8")


def test_the_alert_rules_and_survivorship_have_unit_tests():
    names = {name for _, name in UNIT_TESTS}
    assert {n for n in names if n.startswith("test_alert_")} == {
        "test_alert_blacklisted_party_on_waybill",
        "test_alert_unregistered_waybill_vehicle",
        "test_alert_alarm_during_active_waybill",
        "test_alert_crane_alarm_while_overdue",
        "test_alert_blacklisted_contractor_on_active_project",
    }
    assert "test_golden_record_survivorship" in names


@pytest.mark.parametrize(("model", "name"), UNIT_TESTS, ids=[name for _, name in UNIT_TESTS])
def test_unit_test_passes(unit_results, model, name):
    result = unit_results.get(name)
    assert result is not None, f"{model}:{name} did not run"
    assert result["status"] == "pass", f"{model}:{name}: {result['message']}\n{result['log'][-3000:]}"

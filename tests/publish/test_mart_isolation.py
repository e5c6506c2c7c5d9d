"""A failing dbt test holds back only the marts downstream of the failing model, through the real pipeline:
publish 1 on one day's deliveries; then a construction alarm without its key reaches the validated layer
with the next day's deliveries, the staging test on the key fails, and publish 2 has every other mart fresh
while the marts downstream of stg_construction__alarms stay exactly as publish 1 had them."""

import json

import pytest
from reader_loop import read_state
from typer.testing import CliRunner
from workspace import copy_workspace, days_ago, deliver, run_sdc, sdc_env

from pipelines.defs.dbt.project import dbt_project
from sdc.cli import app
from sdc_settings import load_settings
from warehouse.lake import lake_connection
from warehouse.publish import publish_history
from warehouse.reader import open_published

pytestmark = pytest.mark.integration

FAILING_MODEL = "stg_construction__alarms"


def marts_downstream_of(model: str) -> set[str]:
    """From the dbt manifest: the marts that depend, directly or not, on `model`."""
    manifest = json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))
    start = f"model.taicang_sdc.{model}"
    seen, todo = set(), [start]
    while todo:
        for child in manifest["child_map"].get(todo.pop(), []):
            if child.startswith("model.") and child not in seen:
                seen.add(child)
                todo.append(child)
    marts = {m["name"] for m in manifest["nodes"].values() if m["resource_type"] == "model" and m["fqn"][1] == "marts"}
    # (the enterprise resolution, between dbt's two parts, reads int_enterprise_mentions: not downstream here)
    return {uid.rsplit(".", 1)[-1] for uid in seen} & marts


@pytest.fixture(scope="module")
def isolated(tmp_path_factory, publish_template):
    home = copy_workspace(publish_template, tmp_path_factory.mktemp("isolation") / "home")
    env = sdc_env(home)
    settings = load_settings(env)
    deliver(home, days_ago(1), scale=0.04)
    with lake_connection(settings) as con:
        # an alarm that lost its key after validation (no contract would accept it; row counts still
        # reconcile): the staging test on the alarm's key (not_null) must catch it
        con.execute(
            "UPDATE lake.validated.construction__alarm SET alarm_id = NULL "
            "WHERE _row_id = (SELECT min(_row_id) FROM lake.validated.construction__alarm)"
        )
    second = run_sdc(env, "run", check=False)
    return env, settings, second


def test_the_run_reports_the_failed_test_and_still_publishes(isolated):
    _, settings, second = isolated
    out = second.stdout + second.stderr
    assert second.returncode == 1 and f"staging/construction/{FAILING_MODEL}:not_null" in out, out
    assert [e.publish_id for e in publish_history(settings)] == [1, 2]


def test_only_the_marts_downstream_of_the_failing_model_are_held_back(isolated):
    _, settings, _ = isolated
    first, second = publish_history(settings)
    expected = marts_downstream_of(FAILING_MODEL)
    assert {"daily_construction_alarms", "equipment_inspection_status"} <= expected
    assert set(second.held_back) == expected
    assert all(FAILING_MODEL in why and "alarm_id" in why for why in second.held_back.values())
    assert second.marts == first.marts  # every mart is published: fresh, or at its last good publish
    for mart in second.marts:
        assert second.mart_snapshots[mart] == (first.snapshot_id if mart in expected else second.snapshot_id)
    with open_published(settings, 1) as then, open_published(settings, 2) as now:
        before, after = read_state(then), read_state(now)
    for mart in expected:
        assert after[mart] == before[mart], mart  # exactly as publish 1 had it
    # the others have the new day's data
    assert after["hazchem_enterprises"][0] > before["hazchem_enterprises"][0]


def test_data_freshness_names_the_failing_test_for_the_held_back_marts(isolated):
    _, settings, _ = isolated
    with open_published(settings) as masked:
        rows = masked.execute(
            "SELECT mart, dataset, mart_held_back_by, newer_delivery_held_back, held_back_reason, loaded_at "
            "FROM data_freshness"
        ).fetchall()
    by_key = {(r[0], r[1]): r for r in rows}
    alarms = by_key[("daily_construction_alarms", "construction.alarm")]
    assert "not_null" in alarms[2] and FAILING_MODEL in alarms[2]
    assert alarms[3] is True and "not in this mart" in alarms[4]
    fresh = by_key[("hazchem_enterprises", "hazchem.enterprise")]
    assert fresh[2] is None and fresh[3] is False
    with open_published(settings, 1) as then:
        earlier = then.execute(
            "SELECT loaded_at FROM data_freshness WHERE mart = 'hazchem_enterprises' AND dataset = 'hazchem.enterprise'"
        ).fetchone()[0]
    assert fresh[5] > earlier  # the new day's delivery


def test_a_publish_only_run_keeps_the_held_back_marts_at_their_last_good_publish(isolated):
    env, settings, _ = isolated
    run_sdc(env, "run", "--select", "key:published/marts")
    first, second, third = publish_history(settings)
    assert third.held_back == second.held_back
    assert all(third.mart_snapshots[m] == first.snapshot_id for m in third.held_back)
    history = CliRunner().invoke(app, ["publish", "history"], env=env)
    assert history.exit_code == 0 and "held back: daily_construction_alarms" in history.output, history.output

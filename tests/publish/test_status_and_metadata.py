"""What the engineer on duty sees, on a copy of the first-publish workspace: the metadata its run left in the
Dagster event log (row counts, column schemas, rejects by rule, the run's tags and target), `sdc status`, and a
partial `sdc run` showing its progress with the full log in a file."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import dagster as dg
import pytest
from workspace import copy_of_first_publish, days_ago, deliver, run_sdc

from data_contracts.contract import all_contracts, load_contract
from data_contracts.typed_schema import typed_columns
from warehouse.lake import lake_connection
from warehouse.masking import ID_CANDIDATE, id_number_valid
from warehouse.publish import publish_history
from warehouse.status import lake_status, status_lines

pytestmark = pytest.mark.integration  # the first-publish workspace runs the pipeline once per session

ROW_COUNT, COLUMN_SCHEMA = "dagster/row_count", "dagster/column_schema"


@pytest.fixture(scope="module")
def ws(publish_template, tmp_path_factory):
    return copy_of_first_publish(publish_template, tmp_path_factory, "status")


@pytest.fixture(scope="module")
def first_run(ws):
    """The template's `sdc run` as its Dagster instance recorded it: the run and its materializations by asset."""
    _, settings = ws
    with dg.DagsterInstance.from_config(str(settings.dagster_home)) as instance:
        (run,) = instance.get_runs(filters=dg.RunsFilter(tags={"sdc/selection": "*"}))
        events = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)
        materialized = {e.asset_materialization.asset_key.to_user_string(): e.asset_materialization for e in events}
    return run, materialized


def _value(materialization, key):
    return materialization.metadata[key].value


def test_a_cli_run_is_tagged_and_targets_its_selection(first_run):
    run, materialized = first_run
    assert run.tags["sdc/trigger"] == "cli"
    assert {k.to_user_string() for k in run.asset_selection} >= set(materialized) >= {"published/marts"}


def test_every_table_asset_reports_its_row_count(ws, first_run):
    _, settings = ws
    _, materialized = first_run
    (publish,) = [p for p in publish_history(settings) if p.publish_id == 1]
    marts = {k.split("/", 1)[1]: m for k, m in materialized.items() if k.startswith("marts/")}
    assert marts and {m: _value(x, ROW_COUNT) for m, x in marts.items()} == publish.row_counts
    with lake_connection(settings, read_only=True) as con:
        loaded = dict(con.execute("SELECT dataset, sum(rows_loaded) FROM lake.meta.load_log GROUP BY 1").fetchall())
        accepted = dict(
            con.execute("SELECT dataset, sum(rows_accepted) FROM lake.meta.validation_log GROUP BY 1").fetchall()
        )
    for contract in all_contracts():
        system, entity = contract.dataset.split(".")
        assert _value(materialized[f"raw/{system}/{entity}"], ROW_COUNT) == loaded.get(contract.dataset, 0)
        assert _value(materialized[f"validated/{system}/{entity}"], ROW_COUNT) == accepted.get(contract.dataset, 0)
    # the per-mart table on the publish, not one blob
    records = _value(materialized["published/marts"], "marts").records
    assert {r.data["mart"]: r.data["rows"] for r in records} == publish.row_counts


def test_dbt_models_report_their_columns_with_the_lake_types(ws, first_run):
    _, settings = ws
    _, materialized = first_run
    schema = _value(materialized["marts/enterprise_profile"], COLUMN_SCHEMA)
    with lake_connection(settings, read_only=True) as con:
        lake = [tuple(r[:2]) for r in con.execute("DESCRIBE lake.marts.enterprise_profile").fetchall()]
    assert [(c.name, c.type) for c in schema.columns] == lake
    assert next(c for c in schema.columns if c.name == "enterprise_id").description  # the meaning from the YAML


def test_validated_assets_carry_their_contract_schema_and_rejects_by_rule(ws, first_run):
    from pipelines.definitions import build_definitions

    _, materialized = first_run
    contract = load_contract("hazchem.waybill")
    node = build_definitions(ws[1]).resolve_asset_graph().get(dg.AssetKey(["validated", "hazchem", "waybill"]))
    assert node.metadata["dagster/table_name"] == "lake.validated.hazchem__waybill"
    assert [(c.name, c.type) for c in node.metadata[COLUMN_SCHEMA].columns] == typed_columns(contract)

    quarantined = {
        k: _value(m, "rows_quarantined") for k, m in materialized.items() if "rows_quarantined" in m.metadata
    }
    with_rejects = {k: materialized[k] for k, n in quarantined.items() if k.startswith("validated/") and n}
    assert with_rejects, "the day-2 deliveries quarantine rows in some dataset"
    for key, m in with_rejects.items():
        by_rule = _value(m, "quarantined_by_rule").records
        assert sum(r.data["rows"] for r in by_rule) >= _value(m, "rows_quarantined")  # a row may fail two rules
        preview = _value(m, "quarantined_preview").records
        assert 0 < len(preview) <= 5
        for record in preview:
            for value in record.data.values():
                found = re.findall(ID_CANDIDATE, str(value)) if isinstance(value, str) else []
                assert not [v for v in found if id_number_valid(v)], (key, record)


def test_status_after_a_publish_needs_no_attention(ws):
    env, _ = ws
    done = run_sdc(env, "status")
    assert "today = " in done.stdout and "(Beijing)" in done.stdout
    assert "last publish: 1 at" in done.stdout and "waiting for nothing" in done.stdout
    assert re.search(r"hazchem\.enterprise .* \d+h/36h ", done.stdout), done.stdout
    assert done.stdout.rstrip().endswith("nothing needs attention")


def test_a_partial_run_shows_its_progress_and_the_status_what_the_publish_waits_for(ws):
    env, settings = ws
    deliver(settings.home, days_ago(1), scale=0.02)
    done = run_sdc(env, "run", "--select", "group:hazchem")
    steps = re.findall(r"^\[(\d+)/(\d+)\] (.+)$", done.stdout, re.MULTILINE)
    assert [int(n) for n, _, _ in steps] == list(range(1, len(steps) + 1)) and steps[-1][0] == steps[-1][1]
    assert {"raw/hazchem/waybill", "validated/hazchem/waybill"} <= {what for _, _, what in steps}
    assert "START sql table model" not in done.stdout  # dbt's log is in the file, not on the terminal
    log = re.search(r"full log: (\S+)", done.stdout).group(1)
    assert "START sql table model" in Path(log).read_text(encoding="utf-8")

    with dg.DagsterInstance.from_config(str(settings.dagster_home)) as instance:
        run = instance.get_run_by_id(re.search(r"^run (\S+): succeeded$", done.stdout, re.MULTILINE).group(1))
    assert run.tags == {**run.tags, "sdc/trigger": "cli", "sdc/selection": "group:hazchem"}

    status = run_sdc(env, "status", check=False)
    assert status.returncode == 0, status.stdout  # validated just now: waiting, not late yet
    assert re.search(r"validated load\(s\) of hazchem\.enterprise \(\d+ rows", status.stdout), status.stdout
    with lake_connection(settings, read_only=True) as con:
        later = lake_status(con, now=lake_status(con).now + timedelta(hours=2))
        much_later = lake_status(con, now=later.now + timedelta(hours=40))
    assert any("hazchem.enterprise" in a and "waiting for a publish" in a for a in later.attention), later.attention
    assert any(a.startswith("hazchem.enterprise: stale") for a in much_later.attention), much_later.attention
    assert "needs attention:" in status_lines(much_later)

"""The walking skeleton end to end on a temporary workspace: landing file -> raw -> GX -> dbt -> mart -> sdc sql."""

import os

import pytest
from typer.testing import CliRunner

from sdc.cli import app
from sdc.runner import run_assets
from sdc_settings import load_settings
from simulator import simulate
from warehouse.lake import lake_connection
from warehouse.publish import publish_history

pytestmark = pytest.mark.integration  # runs the pipeline (tests/conftest.py: the two tiers)


def test_skeleton_runs_end_to_end_and_publishes(workspace):
    settings = load_settings(os.environ)
    summary = simulate(settings.landing_dir, workspace / "world", days=2, scale=0.02, seed=7, profile="clean")
    delivered = summary.counts["hazchem.enterprise"]

    outcome = run_assets(settings)
    assert outcome.success, outcome
    assert "published/marts" in outcome.materialized

    with lake_connection(settings, read_only=True) as con:
        raw_rows, files = con.execute(
            "SELECT count(*), count(DISTINCT _source_sha256) FROM lake.raw.hazchem__enterprise"
        ).fetchone()
        lineage_nulls = con.execute(
            "SELECT count(*) FROM lake.raw.hazchem__enterprise WHERE _source_file IS NULL OR _record_number IS NULL "
            "OR _loaded_at IS NULL OR length(_source_sha256) <> 64"
        ).fetchone()[0]
        accepted, quarantined = con.execute(
            "SELECT sum(rows_accepted), sum(rows_quarantined) FROM lake.meta.validation_log "
            "WHERE dataset = 'hazchem.enterprise'"
        ).fetchone()
        enterprises = con.execute("SELECT count(DISTINCT 企业编号) FROM lake.raw.hazchem__enterprise").fetchone()[0]
    assert (raw_rows, files, lineage_nulls) == (delivered, 2, 0)
    assert accepted + quarantined == delivered

    result = CliRunner().invoke(app, ["sql", "select count(*) as n from hazchem_enterprises"])
    assert result.exit_code == 0, result.output
    assert str(enterprises) in result.output

    # A second run with nothing new loads nothing and publishes the same marts again.
    again = run_assets(settings)
    assert again.success
    with lake_connection(settings, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM lake.raw.hazchem__enterprise").fetchone()[0] == delivered
    assert len(publish_history(settings)) == 2


def test_sql_before_any_publish_is_a_clear_error(workspace):
    with lake_connection(load_settings(os.environ)):
        pass  # a workspace whose lake exists, nothing published yet (an empty path is "no workspace": test_cli)
    result = CliRunner().invoke(app, ["sql", "select 1"])
    assert result.exit_code == 1
    assert "nothing has been published yet" in result.output

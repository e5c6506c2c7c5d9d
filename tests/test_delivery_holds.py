"""A breaker that trips on one department's delivery holds back that delivery only: on four days of simulated
deliveries of all five systems, the last day's waybill file arrives with a tenth of its rows. The run succeeds,
every mart is published, the other datasets are validated up to the last day, the waybills stay at their
previous state, `sdc status` names the held file; after an operator's release its rows flow on at the next run.
One workspace and two full runs for the module."""

import os
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from typer.testing import CliRunner
from workspace_env import point_at

from data_contracts.contract import load_contract
from sdc.cli import app
from sdc.demo import simulated_apis
from sdc.runner import RunOutcome, run_assets
from sdc_settings import Settings, load_settings
from simulator import simulate
from warehouse import validated as layer
from warehouse.holds import open_holds
from warehouse.lake import lake_connection

pytestmark = pytest.mark.integration  # runs the pipeline (tests/conftest.py: the two tiers)

WAYBILLS = "validated/hazchem/waybill"


@dataclass
class Workspace:
    settings: Settings
    first: RunOutcome
    short_file: str


def _sdc(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def _unvalidated_loads(settings: Settings) -> list[tuple[str, str]]:
    with lake_connection(settings) as con:
        return con.execute(
            "SELECT dataset, load_id FROM lake.meta.load_log WHERE rows_loaded > 0 AND load_id NOT IN "
            "(SELECT load_id FROM lake.meta.validation_log) ORDER BY dataset"
        ).fetchall()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Workspace:
    home = tmp_path_factory.mktemp("holds") / "sdc_home"
    with pytest.MonkeyPatch.context() as mp:
        point_at(mp, home)
        settings = load_settings(os.environ)
        start = date.today() - timedelta(days=4)
        world = home.parent / "world"
        simulate(settings.landing_dir, world, days=4, scale=0.05, seed=5, profile="clean", start=start)
        last = start + timedelta(days=3)
        short = settings.landing_dir / "hazchem" / f"{last:%Y%m%d}" / f"DZYD_{last:%Y%m%d}.csv"
        lines = short.read_bytes().splitlines(keepends=True)
        short.write_bytes(b"".join(lines[: 1 + (len(lines) - 1) // 10]))  # the header and a tenth of the rows
        with simulated_apis(settings, world, faults=False) as api_settings:
            yield Workspace(api_settings, run_assets(api_settings), short.relative_to(settings.landing_dir).as_posix())


def test_a_short_waybill_file_is_held_back_and_everything_else_publishes(workspace):
    settings, first = workspace.settings, workspace.first
    assert first.success and not first.failed_checks, first
    assert f"{WAYBILLS}:row_count" in first.warned_checks
    from pipelines.definitions import build_definitions

    marts = [k.to_user_string() for k in build_definitions(settings).resolve_asset_graph().get_all_asset_keys()]
    marts = [k for k in marts if k.startswith("marts/")]
    assert marts and set(marts) <= set(first.materialized) and "published/marts" in first.materialized

    with lake_connection(settings) as con:
        holds = open_holds(con)
        held_id = holds[0]["load_id"]
        waybill_files = {
            r[0] for r in con.execute("SELECT DISTINCT _source_file FROM lake.validated.hazchem__waybill").fetchall()
        }
        counts = layer.reconciliation(con, load_contract("hazchem.waybill"))
        rows_held = con.execute("SELECT rows_loaded FROM lake.meta.load_log WHERE load_id = ?", [held_id]).fetchone()
    assert [(h["dataset"], h["source"], h["check_name"]) for h in holds] == [
        ("hazchem.waybill", workspace.short_file, "row_count")
    ]
    assert "median of" in holds[0]["reason"]
    # every other delivery flowed on; the waybills are at their previous state (three days, not the fourth)
    assert _unvalidated_loads(settings) == [("hazchem.waybill", held_id)]
    assert len(waybill_files) == 3 and workspace.short_file not in waybill_files
    assert layer.reconciles(counts) and counts["held"] == rows_held[0] > 0

    code, out = _sdc("status")
    assert code == 1 and f"{workspace.short_file} (load {held_id}) held back by row_count" in out
    code, out = _sdc("hold", "list")
    assert code == 0 and held_id in out


def test_a_released_delivery_flows_on_at_the_next_run(workspace):
    settings = workspace.settings
    with lake_connection(settings) as con:
        (held_id,) = {h["load_id"] for h in open_holds(con)}
    code, out = _sdc("hold", "release", held_id, "--by", "duty officer")
    assert code == 0, out

    again = run_assets(settings)
    assert again.success and "published/marts" in again.materialized, again
    assert f"{WAYBILLS}:row_count" not in again.warned_checks
    with lake_connection(settings) as con:
        assert open_holds(con) == []
        loaded = con.execute("SELECT rows_loaded FROM lake.meta.load_log WHERE load_id = ?", [held_id]).fetchone()[0]
        accepted = con.execute(
            "SELECT count(*) FROM lake.validated.hazchem__waybill WHERE _load_id = ?", [held_id]
        ).fetchone()[0]
        quarantined = con.execute("SELECT count(*) FROM lake.quarantine.rows WHERE _load_id = ?", [held_id]).fetchone()
        counts = layer.reconciliation(con, load_contract("hazchem.waybill"))
    assert accepted + quarantined[0] == loaded and accepted > 0
    assert layer.reconciles(counts) and counts["held"] == 0
    assert _unvalidated_loads(settings) == []
    code, out = _sdc("status")
    assert "held back" not in out and code == 0, out

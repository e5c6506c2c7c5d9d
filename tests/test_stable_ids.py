"""Ids survive unrelated data: a small workspace is run on its first day of file deliveries, every enterprise,
vehicle and equipment id is recorded, the second day's deliveries arrive and the pipeline runs again. No
mention resolved on the first run changes id, and no id change is recorded. Two full runs for the module."""

import os
import shutil
from datetime import date, timedelta

import pytest
from workspace_env import point_at

from sdc.demo import simulated_apis
from sdc.runner import run_assets
from sdc_settings import load_settings
from simulator import simulate
from warehouse.lake import lake_connection

pytestmark = pytest.mark.integration  # runs the pipeline (tests/conftest.py: the two tiers)

ENTITIES = {"enterprise": "enterprise_xref", "vehicle": "vehicle_xref", "equipment": "equipment_xref"}


def _ids(settings) -> dict[str, dict[str, str]]:
    with lake_connection(settings, read_only=True) as con:
        return {
            entity: dict(con.execute(f"SELECT mention_id, {entity}_id FROM lake.marts.{mart}").fetchall())
            for entity, mart in ENTITIES.items()
        }


def _deliver(delivered, landing, day: date) -> None:
    """Move the files of one day (its date is in every landing path) into the landing zone."""
    for path in sorted(p for p in delivered.rglob("*") if p.is_file() and f"{day:%Y%m%d}" in p.name):
        target = landing / path.relative_to(delivered)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    home = tmp_path_factory.mktemp("stable_ids") / "sdc_home"
    with pytest.MonkeyPatch.context() as mp:
        point_at(mp, home)
        settings = load_settings(os.environ)
        start = date.today() - timedelta(days=2)
        delivered, world = home.parent / "delivered", home.parent / "world"
        simulate(delivered, world, days=2, scale=0.05, seed=7, profile="clean", start=start)
        with simulated_apis(settings, world, faults=False) as api_settings:
            _deliver(delivered, settings.landing_dir, start)
            first = run_assets(api_settings, log_level="WARNING")
            assert first.success, first
            before = _ids(api_settings)
            _deliver(delivered, settings.landing_dir, start + timedelta(days=1))
            second = run_assets(api_settings, log_level="WARNING")
            assert second.success, second
            after = _ids(api_settings)
            with lake_connection(api_settings, read_only=True) as con:
                changes = con.execute("SELECT * FROM lake.resolution.id_changes").fetchall()
        yield before, after, changes


@pytest.mark.parametrize("entity", ENTITIES)
def test_no_id_changes_when_a_day_of_unrelated_deliveries_arrives(two_runs, entity):
    before, after, changes = two_runs
    assert before[entity], f"no {entity} resolved on the first run"
    assert set(after[entity]) > set(before[entity]), f"the second day brought no new {entity} mention"
    moved = {m: (old, after[entity][m]) for m, old in before[entity].items() if after[entity].get(m, old) != old}
    assert moved == {}
    assert [c for c in changes if c[0] == entity] == []

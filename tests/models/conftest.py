"""One built workspace for all model tests: simulate realistic deliveries, serve B/E, run every asset."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

# The target: scale 1, realistic profile (3 days, as `sdc simulate`); about 3 minutes on 2 cores.
SCALE = float(os.environ.get("SDC_MODEL_TEST_SCALE", "1"))
DAYS = 3
SEED = 1


@dataclass
class BuiltWorkspace:
    home: Path
    world: Path
    truth: Path
    outcome: object

    def lake(self):
        from sdc.config import load_settings
        from warehouse.lake import lake_connection

        return lake_connection(load_settings(), read_only=True)

    def truth_table(self, con: duckdb.DuckDBPyConnection, name: str) -> str:
        return f"read_parquet('{self.truth / (name + '.parquet')}')"


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuiltWorkspace:
    from simulator import simulate

    reuse = os.environ.get("SDC_MODEL_TEST_WORKSPACE")  # "<SDC_HOME>:<world dir>" of a workspace built before
    if reuse:
        home, world = (Path(p) for p in reuse.split(":"))
        yield BuiltWorkspace(home, world, world / "truth", None)
        return
    home = tmp_path_factory.mktemp("model_ws") / "sdc_home"
    world = home.parent / "world"
    saved = dict(os.environ)
    os.environ.update(SDC_HOME=str(home), SDC_ENV="ci", SDC_LANDING_QUIET_SECONDS="0")
    for var in ("SDC_LANDING_DIR", "SDC_LAKE_CATALOG", "SDC_LAKE_DATA_PATH"):
        os.environ.pop(var, None)
    try:
        from sdc.config import load_settings
        from sdc.demo import simulated_apis
        from sdc.runner import run_assets

        simulate(load_settings().landing_dir, world, days=DAYS, scale=SCALE, seed=SEED, profile="realistic")
        with simulated_apis(load_settings(), world, faults=False) as settings:
            outcome = run_assets(settings, log_level="WARNING")
    finally:  # other tests must not see this workspace or the (stopped) API server
        os.environ.clear()
        os.environ.update(saved)
    assert outcome.success, outcome
    yield BuiltWorkspace(home, world, world / "truth", outcome)


@pytest.fixture
def on_workspace(built: BuiltWorkspace, monkeypatch: pytest.MonkeyPatch) -> BuiltWorkspace:
    """Point the environment at the built workspace (other tests may have left lake variables behind)."""
    monkeypatch.setenv("SDC_HOME", str(built.home))
    monkeypatch.setenv("SDC_ENV", "ci")
    for var in ("SDC_LANDING_DIR", "SDC_LAKE_CATALOG", "SDC_LAKE_DATA_PATH"):
        monkeypatch.delenv(var, raising=False)
    return built


@pytest.fixture
def lake(on_workspace: BuiltWorkspace):
    """Read-only connection to the built workspace's lake."""
    with on_workspace.lake() as con:
        yield con

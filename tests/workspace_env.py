"""The process environment of a throw-away workspace, written once for every tier's fixtures: its home, the
CI environment, no landing quiet period (simulated deliveries are complete when written), and nothing of
the developer's shell (a landing dir, a catalog, API endpoints) leaking in."""

import os
from pathlib import Path

import pytest

LEAKING = (
    "SDC_LANDING_DIR",
    "SDC_LAKE_CATALOG",
    "SDC_LAKE_DATA_PATH",
    "SDC_TRANSPORT_API_URL",
    "SDC_TRANSPORT_API_TOKEN",
    "SDC_CREDIT_API_URL",
    "SDC_CREDIT_API_KEY",
    "SDC_NOTIFY_WEBHOOK",
)


def point_at(mp: pytest.MonkeyPatch, home: Path) -> None:
    mp.setenv("SDC_HOME", str(home))
    mp.setenv("SDC_ENV", "ci")
    mp.setenv("SDC_LANDING_QUIET_SECONDS", "0")
    for name in LEAKING:
        mp.delenv(name, raising=False)


def build(home: Path, world: Path, *, days: int, scale: float, seed: int, profile: str):
    """Simulated deliveries of `days` days into a fresh workspace at `home` and one full run over them; the
    process environment is restored after (other tests must not see this workspace or its stopped APIs)."""
    from sdc.demo import simulated_apis
    from sdc.runner import run_assets
    from sdc_settings import load_settings
    from simulator import simulate

    with pytest.MonkeyPatch.context() as mp:
        point_at(mp, home)
        simulate(load_settings(os.environ).landing_dir, world, days=days, scale=scale, seed=seed, profile=profile)
        with simulated_apis(load_settings(os.environ), world, faults=False) as settings:
            return run_assets(settings, log_level="WARNING")

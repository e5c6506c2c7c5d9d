"""`sdc demo`: simulated departmental deliveries into a fresh workspace, the whole pipeline, a summary."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from sdc.runner import WORKSPACE_MARKER, ensure_workspace
from sdc_settings import ConfigError, Environment, Settings


class WorkspaceInUse(RuntimeError):
    pass


def reset_workspace(settings: Settings) -> None:
    """Start from an empty workspace — only one that sdc created (it carries a marker file)."""
    if settings.env is Environment.PROD:
        raise ConfigError("sdc demo never runs with SDC_ENV=prod: it wipes the workspace")
    home = settings.home
    if home.exists() and any(home.iterdir()) and not (home / WORKSPACE_MARKER).exists():
        raise WorkspaceInUse(f"{home} is not empty and was not created by sdc; set SDC_HOME to another folder")
    if home.exists():
        shutil.rmtree(home)
    ensure_workspace(settings)
    if not settings.landing_dir.is_relative_to(home) and settings.landing_dir.exists():
        shutil.rmtree(settings.landing_dir)


@dataclass(frozen=True)
class DatasetCounts:
    dataset: str
    delivered: int
    accepted: int
    quarantined: int
    reader_rejected: int


def dataset_counts(settings: Settings) -> list[DatasetCounts]:
    from warehouse.lake import lake_connection

    with lake_connection(settings, read_only=True) as con:
        rows = con.execute(
            """
            with files as (
                select dataset, sum(rows_read) as delivered, sum(rows_rejected) as rejected
                from lake.meta.load_log group by dataset),
            checks as (
                select dataset, sum(rows_accepted) as accepted, sum(rows_quarantined) as quarantined
                from lake.meta.validation_log group by dataset)
            select f.dataset, f.delivered, coalesce(c.accepted, 0), coalesce(c.quarantined, 0), f.rejected
            from files f left join checks c using (dataset) order by f.dataset
            """
        ).fetchall()
    return [DatasetCounts(*[r[0], *map(int, r[1:])]) for r in rows]


def simulate_into(settings: Settings, days: int, seed: int, scale: float) -> Path:
    from simulator import simulate

    world = settings.home / "simulator_world"
    simulate(settings.landing_dir, world, days=days, scale=scale, seed=seed)
    return world


@contextmanager
def simulated_apis(settings: Settings, world: Path, *, faults: bool = True) -> Iterator[Settings]:
    """Serve systems B and E from the simulator on loopback, unless real ones are configured; the settings
    yielded point at them while the block runs. `faults=False` for measurements (no 429/5xx/slow)."""
    if settings.transport_api_url or settings.credit_api_url:
        yield settings
        return
    from simulator import serve

    with serve(world, faults=faults, slow_delay_s=0.3) as server:
        yield replace(
            settings,
            transport_api_url=server.base_url,
            transport_api_token=server.transport_token,
            credit_api_url=server.base_url,
            credit_api_key=server.credit_api_key,
            # The platform's history: from its first simulated day (not 30 days of empty windows, at ten requests
            # a second) to its clock (the simulated days end before today's now).
            transport_alarms_since=settings.transport_alarms_since or f"{server.window_start:%Y-%m-%d %H:%M:%S}",
            transport_alarms_until=f"{server.now:%Y-%m-%d %H:%M:%S}",
        )

"""Workspaces of the publishing tests, driven through the real `sdc` CLI in subprocesses, and simulated
deliveries into them. (A module of its own: `from conftest import` would find whichever conftest.py pytest
imported first.)"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pytest

    from sdc_settings import Settings

SDC = str(Path(sys.executable).with_name("sdc"))


def sdc_env(home: Path, catalog: str | None = None, **extra: str) -> dict[str, str]:
    """Environment of an `sdc` subprocess on workspace `home` (SQLite catalog unless `catalog`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SDC_", "DAGSTER_"))}
    env.update({"SDC_HOME": str(home), "SDC_ENV": "ci", "DO_NOT_TRACK": "1", "GX_ANALYTICS_ENABLED": "false"})
    env["SDC_LANDING_QUIET_SECONDS"] = "0"  # deliveries are copied in whole before each run
    if catalog:
        env["SDC_LAKE_CATALOG"] = catalog
    env.update(extra)
    return env


def run_sdc(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([SDC, *args], env=env, capture_output=True, text=True, timeout=900)
    if check and done.returncode != 0:
        raise AssertionError(f"sdc {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


def deliver(home: Path, day: date, scale: float, seed: int = 11) -> None:
    """One day of simulated departmental deliveries into the workspace's landing zone."""
    from simulator import simulate

    stage = home.parent / f"stage-{day:%Y%m%d}-{scale}"
    simulate(stage / "landing", stage / "world", days=1, scale=scale, seed=seed, start=day)
    shutil.copytree(stage / "landing", home / "landing", dirs_exist_ok=True)


def days_ago(n: int) -> date:
    return date.today() - timedelta(days=n)


# Per workspace path, not relocatable: the Iceberg export's catalog (absolute metadata locations) and dbt's logs.
NOT_COPIED = ("iceberg", "dbt_target")


def first_publish_template(shared_tmp: Path) -> Path:
    """The workspace (SQLite catalog) after one run over the day-2 deliveries, where most publishing tests
    start: built once per test session in `shared_tmp` (the folder pytest-xdist's workers share), whichever
    worker asks first, and copied by each test (`copy_workspace`)."""
    from filelock import FileLock

    home = shared_tmp / "first-publish" / "home"
    with FileLock(str(shared_tmp / "first-publish.lock")):
        if not (home.parent / "built").exists():
            shutil.rmtree(home.parent, ignore_errors=True)
            deliver(home, days_ago(2), scale=0.02)
            run_sdc(sdc_env(home), "run")
            (home.parent / "built").touch()
    return home


def copy_workspace(template: Path, home: Path) -> Path:
    """A workspace of its own for one test: the template's lake, ledger, landing zone and Dagster history.
    (The Iceberg export of the template's publish is not carried over: `export_iceberg` rebuilds it.)"""
    shutil.copytree(template, home, ignore=shutil.ignore_patterns(*NOT_COPIED))
    return home


def copy_of_first_publish(
    publish_template: Path, tmp_path_factory: pytest.TempPathFactory, name: str, **extra: str
) -> tuple[dict[str, str], Settings]:
    """A test module's own copy of the first-publish workspace, in a new folder `name`: the `sdc` environment on it
    (`extra` added) and its settings."""
    from sdc_settings import load_settings

    home = copy_workspace(publish_template, tmp_path_factory.mktemp(name) / "home")
    env = sdc_env(home, **extra)
    return env, load_settings(env)

"""Running the code location's assets from the command line (sdc run / sdc demo), in this process."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from sdc_settings import REPO_ROOT, Settings

DAGSTER_YAML = REPO_ROOT / "pipelines" / "dagster.yaml"
WORKSPACE_MARKER = ".sdc-workspace"


def ensure_workspace(settings: Settings) -> None:
    """Create SDC_HOME if needed; a folder sdc created carries a marker (`sdc demo` only ever wipes those)."""
    home = settings.home
    if not home.exists() or not any(home.iterdir()):
        home.mkdir(parents=True, exist_ok=True)
        (home / WORKSPACE_MARKER).write_text("created by sdc; `sdc demo` may wipe this folder\n", encoding="utf-8")


# Telemetry off in the processes `sdc` starts (dbt gets its own from dbt_environment, GX sets its own default;
# Dagster's instance has it off in dagster.yaml).
TELEMETRY_OFF = {"DO_NOT_TRACK": "1", "GX_ANALYTICS_ENABLED": "false", "DAGSTER_DISABLE_TELEMETRY": "1"}


def prepare_workspace(settings: Settings) -> None:
    """Everything a run needs before the code location loads: the workspace, the Dagster instance's home and
    configuration, the DuckDB extensions and the dbt manifest."""
    ensure_workspace(settings)
    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    target = settings.dagster_home / "dagster.yaml"
    if not target.exists() or target.read_bytes() != DAGSTER_YAML.read_bytes():
        shutil.copyfile(DAGSTER_YAML, target)
    from pipelines.defs.dbt.project import ensure_manifest
    from warehouse.extensions import ensure_extensions

    ensure_extensions(settings.extension_dir)
    ensure_manifest(settings)


@dataclass
class RunOutcome:
    success: bool
    run_id: str
    materialized: list[str] = field(default_factory=list)
    failed_steps: list[str] = field(default_factory=list)
    failed_checks: list[str] = field(default_factory=list)
    warned_checks: list[str] = field(default_factory=list)
    """Failed WARN checks (a held delivery, a stale source): reported, they fail nothing."""
    log_file: Path | None = None
    """Dagster's and dbt's full log of the run."""


def run_assets(
    settings: Settings,
    selection: str | None = None,
    log_level: str = "INFO",
    *,
    progress: TextIO | None = None,
    trigger: str = "cli",
) -> RunOutcome:
    """Materialize `selection` (every asset by default) on `settings`' workspace: the code location is built
    from these settings and the run recorded in its Dagster instance, tagged with `trigger` and the selection.
    Dagster's and dbt's log go to the run's log file (`outcome.log_file`); `progress` (a terminal) gets step n
    of m and the asset being built."""
    prepare_workspace(settings)
    import dagster as dg

    from pipelines.definitions import build_definitions
    from sdc.progress import RunProgress, progress_logger, run_log_path, step_labels

    defs = build_definitions(settings)

    asset_graph = defs.resolve_asset_graph()
    keys = asset_graph.get_all_asset_keys()
    if selection:
        with warnings.catch_warnings():  # `group:` selections warn of a beta parameter on every run
            warnings.simplefilter("ignore", dg.BetaWarning)
            keys = dg.AssetSelection.from_string(selection).resolve(asset_graph)
        if not keys:
            raise ValueError(f"selection {selection!r} matches no asset")
    loggers: dict = {}
    watcher = None
    if progress is not None:
        watcher = RunProgress(progress, step_labels(list(asset_graph.assets_defs), set(keys)))
        loggers["progress"] = progress_logger(watcher)
    loggers["console"] = dg.colored_console_logger
    job = defs.resolve_implicit_global_asset_job_def().with_logger_defs(loggers)
    run_id = str(uuid.uuid4())
    log_file = run_log_path(settings, run_id)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with (
        dg.DagsterInstance.from_config(str(settings.dagster_home)) as instance,
        log_file.open("w", encoding="utf-8") as log,
        contextlib.redirect_stdout(log),  # dbt's log, re-emitted by dagster-dbt
        contextlib.redirect_stderr(log),  # Dagster's console logger
    ):
        result = job.execute_in_process(
            instance=instance,
            run_id=run_id,
            asset_selection=sorted(keys, key=lambda k: k.to_user_string()),  # the run's target, shown in the UI
            tags={"sdc/trigger": trigger, "sdc/selection": selection or "*"},
            raise_on_error=False,
            run_config={"loggers": {**{k: {} for k in loggers}, "console": {"config": {"log_level": log_level}}}},
        )
    if watcher is not None:
        watcher.finish()
    outcome = RunOutcome(success=result.success, run_id=result.run_id, log_file=log_file)
    for event in result.all_events:
        if event.event_type_value == "ASSET_MATERIALIZATION":
            outcome.materialized.append(event.asset_key.to_user_string())
        elif event.event_type_value == "STEP_FAILURE":
            outcome.failed_steps.append(event.step_key or "?")
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            if not data.passed:
                error = data.severity == dg.AssetCheckSeverity.ERROR
                (outcome.failed_checks if error else outcome.warned_checks).append(
                    f"{data.asset_key.to_user_string()}:{data.check_name}"
                )
    outcome.success = outcome.success and not outcome.failed_checks
    return outcome


def dagster_ui_command(port: int) -> list[str]:
    dagster = Path(sys.executable).with_name("dagster")
    return [str(dagster), "dev", "-m", "pipelines.definitions", "-p", str(port)]


def dagster_ui_environment(settings: Settings) -> dict[str, str]:
    """`dagster dev` runs in its own processes: they read the settings from this environment, and the
    instance from DAGSTER_HOME."""
    return {**os.environ, **TELEMETRY_OFF, "DAGSTER_HOME": str(settings.dagster_home)}

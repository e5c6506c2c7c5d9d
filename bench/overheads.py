"""Fixed costs alone, each in a fresh process: what every run (or every `sdc` command) pays before any data."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PY = sys.executable
DBT = str(Path(sys.executable).with_name("dbt"))
SDC = str(Path(sys.executable).with_name("sdc"))


def _timed(cmd: list[str], env: dict[str, str], cwd: Path | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def commands(env: dict[str, str]) -> dict[str, tuple[list[str], Path | None]]:
    from pipelines.defs.dbt.project import DBT_PROJECT_DIR, dbt_parse_args

    return {
        "python start": ([PY, "-c", "pass"], None),
        "sdc --help": ([SDC, "--help"], None),
        "Dagster definitions load": (
            [PY, "-c", "from pipelines.definitions import defs; defs().resolve_implicit_global_asset_job_def()"],
            None,
        ),
        "GX import": ([PY, "-c", "import great_expectations"], None),
        "dbt parse (full)": ([DBT, *dbt_parse_args(), "--no-partial-parse"], DBT_PROJECT_DIR),
        "dbt parse (partial, manifest from setup)": ([DBT, *dbt_parse_args()], DBT_PROJECT_DIR),
    }


def measure(env: dict[str, str], repeat: int) -> dict[str, list[float]]:
    """Seconds per repetition of each fixed cost. dbt writes into a throw-away target folder (the partial
    parse starts from the manifest `sdc setup` prepared, as a run's dbt invocation does)."""
    from pipelines.defs.dbt.project import dbt_environment, dbt_project
    from sdc_settings import load_settings

    out: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="sdc-overheads-") as tmp:
        dbt_env = {**dbt_environment(load_settings(env)), **env, "DBT_TARGET_PATH": tmp}
        prepared = Path(dbt_project.project_dir) / dbt_project.target_path / "partial_parse.msgpack"
        for name, (cmd, cwd) in commands(env).items():
            runs = []
            for _ in range(repeat):
                if name.startswith("dbt parse (partial") and prepared.exists():
                    shutil.copy(prepared, Path(tmp) / "partial_parse.msgpack")
                runs.append(_timed(cmd, dbt_env if name.startswith("dbt") else env, cwd))
            out[name] = runs
    return out


def sql_select_1(env: dict[str, str], repeat: int) -> list[float]:
    """Seconds of a trivial masked query, `sdc sql "select 1"`, on the published workspace `env` names: the
    session's open (attach pinned to the publish, the masked views) and the CLI's start. One warm-up first."""
    command = [SDC, "sql", "select 1"]
    _timed(command, env)
    return [_timed(command, env) for _ in range(repeat)]


if __name__ == "__main__":  # pragma: no cover
    for k, v in measure(dict(os.environ), 3).items():
        print(f"{k:<45} {min(v):6.2f} {sorted(v)[len(v) // 2]:6.2f} {max(v):6.2f}")

"""The dbt project as Dagster sees it, and the small pure functions that build dbt command lines."""

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from dagster_dbt import DbtProject

from sdc_settings import REPO_ROOT, Settings

DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)

# The dbt project runs in two parts around the enterprise resolution (pipelines/defs/resolution): everything
# that reads the resolution's tables (dbt source `resolution`), wherever its folder, belongs to the second part.
# A model of the first part downstream of the resolution would make Dagster split each part into several steps
# (one dbt process each, ≈ 4 s apiece) to break the cycle.
AFTER_RESOLUTION = "source:resolution+"
UPSTREAM_SELECT = "staging intermediate history resource_type:seed"
UPSTREAM_EXCLUDE = AFTER_RESOLUTION
MARTS_SELECT = f"marts {AFTER_RESOLUTION}"


def dbt_build_args(*, exclude: Sequence[str] = (), threads: int = 1, full_refresh: bool = False) -> list[str]:
    """`dbt build` for the assets Dagster selected (dagster-dbt adds the --select), leaving out `exclude`.

    No `--target`: the profile picks it from the environment (dbt_profile_environment), and a target on the
    command line would be hashed into dbt's parse state, so a manifest parsed for another one would not be
    reused. Unit tests check model logic on fixed inputs: they belong in the test suite, not in every production
    build (they would also hold back a mart for a reason that is not in its data). `full_refresh`: the
    incremental models rebuild every row (their definition changed, pipelines/defs/dbt/incremental.py)."""
    args = ["build", "--threads", str(threads), "--exclude-resource-type", "unit_test"]
    if full_refresh:
        args.append("--full-refresh")
    if exclude:
        args += ["--exclude", " ".join(exclude)]
    return args


def dbt_threads(cpus: int | None) -> int:
    """dbt threads for a machine with `cpus` cores. DuckDB already spreads each model's query over every
    core, so more threads only overlap small models; a thread per two cores, at most four (one lake
    catalog takes every commit)."""
    return max(1, min(4, (cpus or 1) // 2))


def invocation_target(target_dir: Path, part: str, run_id: str, keep: int = 20) -> Path:
    """dbt's target folder for one invocation, in the workspace (not the checkout); the `keep` newest
    invocations' artefacts and logs stay, older ones are removed."""
    import shutil

    if target_dir.is_dir():
        older = sorted((p for p in target_dir.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)
        for stale in older[: max(0, len(older) - keep + 1)]:
            shutil.rmtree(stale, ignore_errors=True)
    return target_dir / f"{part}-{run_id[:8]}"


NOT_BUILT = ("error", "skipped")


def _name(unique_id: str) -> str:
    return unique_id.rsplit(".", 1)[-1]


def _failures_of(manifest: Mapping[str, Any], statuses: Mapping[str, str], node: str) -> set[str]:
    """What failed on one model: its error-severity tests that failed (or errored), or its own build."""
    found = set()
    for test in manifest["child_map"].get(node, []):
        if test.startswith("test.") and statuses.get(test) in ("fail", "error"):
            found.add(f"dbt test {manifest['nodes'][test]['name']} failed on {_name(node)}")
    if statuses.get(node) == "error":
        found.add(f"dbt model {_name(node)} failed")
    return found


def held_back_reasons(manifest: Mapping[str, Any], statuses: Mapping[str, str]) -> dict[str, str]:
    """{unique_id: why} for every model of a `dbt build` (its run_results statuses) that was not built:
    its own error, or the failed tests and errored models upstream of it that made dbt skip it."""
    reasons = {}
    for uid, status in statuses.items():
        if uid.startswith("test.") or status not in NOT_BUILT:
            continue
        if status == "error":
            reasons[uid] = f"dbt model {_name(uid)} failed"
            continue
        found: set[str] = set()
        seen: set[str] = set()
        todo = list(manifest["parent_map"].get(uid, []))
        while todo:
            node = todo.pop()
            if node in seen or node.startswith("test."):
                continue
            seen.add(node)
            found |= _failures_of(manifest, statuses, node)
            todo += manifest["parent_map"].get(node, [])
        reasons[uid] = "; ".join(sorted(found)) or "dbt skipped"
    return reasons


def dbt_docs_args() -> list[str]:
    """`dbt docs generate` (offline: the catalog comes from the lake, the site is static)."""
    return ["docs", "generate"]


def dbt_parse_args() -> list[str]:
    return ["parse", "--quiet"]


def dbt_profile_environment(settings: Settings) -> dict[str, str]:
    """What the dbt profile (dbt_project/profiles.yml) and its plugin read, for a dbt run on `settings`' lake:
    the same ATTACH as every other writer's connection, the extension directory and the target."""
    from entity_resolution.dbt_plugin import EXTENSION_DIR, LAKE_ATTACH, LAKE_SECRET
    from warehouse.lake import attach_sql, secret_sql

    return {
        **({LAKE_SECRET: secret_sql(settings)} if settings.lake_data_uri else {}),
        LAKE_ATTACH: attach_sql(settings),
        EXTENSION_DIR: str(settings.extension_dir),
        "SDC_DBT_TARGET": settings.env.value,
        "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    }


def dbt_environment(settings: Settings) -> dict[str, str]:
    """The whole environment of a dbt subprocess: this process's (PATH, HOME, locale) and the profile's."""
    return {**os.environ, **dbt_profile_environment(settings)}


def _sources_newer_than(manifest: Path) -> bool:
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    watched = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    for sub in ("models", "macros", "tests", "snapshots", "seeds"):
        watched.extend((DBT_PROJECT_DIR / sub).rglob("*"))
    return any(p.is_file() and p.stat().st_mtime > built for p in watched)


def ensure_manifest(settings: Settings) -> Path:
    """Parse the dbt project when its manifest is missing or older than the project files."""
    manifest = dbt_project.manifest_path
    if _sources_newer_than(manifest):
        dbt = Path(sys.executable).with_name("dbt")
        subprocess.run(
            [str(dbt), *dbt_parse_args()],
            cwd=DBT_PROJECT_DIR,
            env=dbt_environment(settings),
            check=True,
        )
    return manifest

"""The dbt project as Dagster sees it, and the small pure functions that build dbt command lines."""

import os
import subprocess
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from sdc.config import REPO_ROOT, Settings

DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)

# The dbt project runs in two parts around the enterprise resolution (pipelines/defs/resolution).
UPSTREAM_SELECT = "staging intermediate history resource_type:seed"
MARTS_SELECT = "marts"


def dbt_build_args(env: str, *, full_refresh: bool = False) -> list[str]:
    """`dbt build` for the assets Dagster selected (dagster-dbt adds the --select)."""
    args = ["build", "--target", env]
    if full_refresh:
        args.append("--full-refresh")
    return args


def dbt_docs_args(env: str) -> list[str]:
    """`dbt docs generate` (offline: the catalog comes from the lake, the site is static)."""
    return ["docs", "generate", "--target", env]


def dbt_parse_args(env: str) -> list[str]:
    return ["parse", "--quiet", "--target", env]


def dbt_profile_environment(settings: Settings) -> dict[str, str]:
    """What the dbt profile (dbt_project/profiles.yml) reads, for a dbt run on `settings`' lake."""
    return {**settings.dbt_env(), "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR)}


def dbt_environment(settings: Settings) -> dict[str, str]:
    """The whole environment of a dbt subprocess."""
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
            [str(dbt), *dbt_parse_args(settings.env.value)],
            cwd=DBT_PROJECT_DIR,
            env=dbt_environment(settings),
            check=True,
        )
    return manifest

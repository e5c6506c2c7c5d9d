"""The dbt CLI resource: dbt-core from this environment, and the dbt process's environment given by the caller."""

import os
import sys
from collections.abc import Mapping, Sequence
from functools import cached_property
from importlib.metadata import version as package_version
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource
from dagster_dbt.asset_utils import (
    DBT_INDIRECT_SELECTION_ENV,
    extract_runtime_selection_from_args,
    get_updated_cli_invocation_params_for_context,
)
from dagster_dbt.core.dbt_cli_invocation import DbtCliInvocation
from packaging import version


class SdcDbtCliResource(DbtCliResource):
    """dagster-dbt's resource, with dbt-core from this environment and an explicit environment for dbt.

    Its stock version asks the executable (`dbt --version`, a 4 s process that also looks up the newest
    release) on every run; dbt-core is a locked dependency of this environment, so its version is known.

    Its stock `cli` starts dbt with this process's environment and takes no other: the profile would find the
    lake only if the settings were written into `os.environ`. `cli` here takes the environment of the dbt
    process (`dbt_environment(settings)`) and adds what dagster-dbt's own `cli` adds. It loads no adapter in
    this process (the stock `cli` does, for column metadata no asset here asks for)."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(package_version("dbt-core"))

    def cli(  # type: ignore[override]
        self,
        args: Sequence[str],
        *,
        env: Mapping[str, str],
        context: dg.AssetExecutionContext,
        target_path: Path,
        raise_on_error: bool = True,
    ) -> DbtCliInvocation:
        cleaned_args, selects, excludes = extract_runtime_selection_from_args(args)
        params = get_updated_cli_invocation_params_for_context(
            context=context,
            manifest=None,
            dagster_dbt_translator=None,
            runtime_selects=selects,
            runtime_excludes=excludes,
        )
        project_dir = Path(params.dbt_project.project_dir if params.dbt_project else self.project_dir)
        dbt_env = {
            **env,
            "DAGSTER_DBT_CLI": "true",
            "PYTHONUNBUFFERED": "1",
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DBT_LOG_FORMAT": "json",  # dagster-dbt reads dbt's structured logs
            "DBT_TARGET_PATH": os.fspath(target_path),
            "DBT_LOG_PATH": os.fspath(target_path),
            **({"DBT_PROFILES_DIR": self.profiles_dir} if self.profiles_dir else {}),
            "DBT_PROJECT_DIR": str(project_dir),
        }
        if params.indirect_selection:
            dbt_env[DBT_INDIRECT_SELECTION_ENV] = params.indirect_selection
        return DbtCliInvocation.run(
            args=[self.dbt_executable, *self.global_config_flags, *cleaned_args, *params.selection_args],
            env=dbt_env,
            manifest=params.manifest,
            dagster_dbt_translator=params.dagster_dbt_translator,
            project_dir=project_dir,
            target_path=target_path,
            raise_on_error=raise_on_error,
            context=context,
            adapter=None,
            cli_version=self._cli_version,
            dbt_project=params.dbt_project,
        )


def dbt_executable() -> str:
    """The dbt of this environment, whether or not its bin folder is on PATH (`sdc` run without `uv run`)."""
    return str(Path(sys.executable).with_name("dbt"))

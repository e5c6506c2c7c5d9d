"""The dbt CLI resource, without the per-invocation costs this project does not use."""

import sys
from functools import cached_property
from importlib.metadata import version as package_version
from pathlib import Path

from dagster_dbt import DbtCliResource
from packaging import version


class SdcDbtCliResource(DbtCliResource):
    """dagster-dbt's resource, with dbt-core from this environment.

    Its stock version asks the executable (`dbt --version`, a 4 s process that also looks up the newest
    release) and loads the profile in-process to fetch column metadata, which no asset here asks for; both are
    paid on every run. dbt-core is a locked dependency of this environment, so its version is known."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(package_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):
        return None


def dbt_executable() -> str:
    """The dbt of this environment, whether or not its bin folder is on PATH (`sdc` run without `uv run`)."""
    return str(Path(sys.executable).with_name("dbt"))

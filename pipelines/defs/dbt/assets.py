"""dbt models as Dagster assets, in two parts around the enterprise resolution (a Python step):
staging, intermediate mentions and history first; then the marts, which read the resolution's tables
as the dbt source `resolution`."""

import os

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from pipelines.defs.dbt.project import (
    MARTS_SELECT,
    UPSTREAM_SELECT,
    dbt_build_args,
    dbt_profile_environment,
    dbt_project,
)
from pipelines.defs.dbt.translator import SdcDbtTranslator
from pipelines.resources import LakeResource


def _dbt_part(name: str, select: str) -> dg.AssetsDefinition:
    @dbt_assets(
        manifest=dbt_project.manifest_path,
        project=dbt_project,
        dagster_dbt_translator=SdcDbtTranslator(),
        select=select,
        name=name,
    )
    def _models(context: dg.AssetExecutionContext, dbt: DbtCliResource, lake: LakeResource):
        settings = lake.settings()
        # dagster-dbt starts dbt with this process's environment, where the profile finds the lake.
        os.environ.update(dbt_profile_environment(settings))
        yield from dbt.cli(dbt_build_args(settings.env.value), context=context).stream()

    return _models


sdc_dbt_upstream = _dbt_part("sdc_dbt_upstream", UPSTREAM_SELECT)
sdc_dbt_models = _dbt_part("sdc_dbt_models", MARTS_SELECT)

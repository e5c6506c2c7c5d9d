"""dbt models as Dagster assets, in two parts around the enterprise resolution (a Python step):
staging, intermediate mentions and history first; then the marts, which read the resolution's tables
as the dbt source `resolution`."""

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from pipelines.defs.dbt.project import MARTS_SELECT, UPSTREAM_SELECT, dbt_build_args, dbt_environment, dbt_project
from pipelines.defs.dbt.translator import SdcDbtTranslator
from pipelines.resources import LakeResource


def _build(context: dg.AssetExecutionContext, dbt: DbtCliResource, lake: LakeResource):
    import os

    settings = lake.settings()
    # The profile (dbt_project/profiles.yml) reads the lake location from the environment.
    os.environ.update({k: v for k, v in dbt_environment(settings).items() if k.startswith(("SDC_", "DBT_", "DO_"))})
    yield from dbt.cli(dbt_build_args(settings.env.value), context=context).stream()


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=SdcDbtTranslator(),
    select=UPSTREAM_SELECT,
    name="sdc_dbt_upstream",
)
def sdc_dbt_upstream(context: dg.AssetExecutionContext, dbt: DbtCliResource, lake: LakeResource):
    yield from _build(context, dbt, lake)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=SdcDbtTranslator(),
    select=MARTS_SELECT,
    name="sdc_dbt_models",
)
def sdc_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, lake: LakeResource):
    yield from _build(context, dbt, lake)

"""dbt models (staging per source system, marts) as Dagster assets."""

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from pipelines.defs.dbt.project import dbt_build_args, dbt_environment, dbt_project
from pipelines.defs.dbt.translator import SdcDbtTranslator
from pipelines.resources import LakeResource


@dbt_assets(manifest=dbt_project.manifest_path, dagster_dbt_translator=SdcDbtTranslator())
def sdc_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, lake: LakeResource):
    import os

    settings = lake.settings()
    # The profile (dbt_project/profiles.yml) reads the lake location from the environment.
    os.environ.update({k: v for k, v in dbt_environment(settings).items() if k.startswith(("SDC_", "DBT_", "DO_"))})
    yield from dbt.cli(dbt_build_args(settings.env.value), context=context).stream()

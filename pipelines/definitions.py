"""The Dagster code location of the Taicang safety data centre."""

import dagster as dg
from dagster_dbt import DbtCliResource

from pipelines.defs.dbt.assets import sdc_dbt_models
from pipelines.defs.dbt.project import dbt_project
from pipelines.defs.hazchem.assets import hazchem_assets, hazchem_checks
from pipelines.defs.publish.assets import publish_assets
from pipelines.resources import LakeResource

all_assets_job = dg.define_asset_job(
    "daily_load", selection=dg.AssetSelection.all(), description="Every feed end to end, then publish."
)

defs = dg.Definitions(
    assets=[*hazchem_assets, sdc_dbt_models, *publish_assets],
    asset_checks=[*hazchem_checks],
    jobs=[all_assets_job],
    schedules=[
        dg.ScheduleDefinition(job=all_assets_job, cron_schedule="30 2 * * *", execution_timezone="Asia/Shanghai")
    ],
    resources={"lake": LakeResource(), "dbt": DbtCliResource(project_dir=dbt_project)},
    # One process writes the lake: steps run in-process, one after another.
    executor=dg.in_process_executor,
)

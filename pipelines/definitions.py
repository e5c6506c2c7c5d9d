"""The Dagster code location of the Taicang safety data centre."""

import dagster as dg

from pipelines.defs.construction.assets import construction_assets, construction_checks
from pipelines.defs.credit.assets import credit_assets, credit_checks
from pipelines.defs.dbt.assets import sdc_dbt_models, sdc_dbt_upstream
from pipelines.defs.dbt.project import dbt_project
from pipelines.defs.dbt.resource import SdcDbtCliResource, dbt_executable
from pipelines.defs.hazchem.assets import hazchem_assets, hazchem_checks
from pipelines.defs.publish.assets import publish_assets
from pipelines.defs.resolution.assets import RESOLUTION_ASSETS
from pipelines.defs.schedules import api_pull_job, api_pull_schedule
from pipelines.defs.sensors import landing_sensors
from pipelines.defs.special_equipment.assets import special_equipment_assets, special_equipment_checks
from pipelines.defs.transport.assets import transport_assets, transport_checks
from pipelines.resources import LakeResource

all_assets_job = dg.define_asset_job(
    "daily_load", selection=dg.AssetSelection.all(), description="Every feed end to end, then publish."
)

defs = dg.Definitions(
    assets=[
        *hazchem_assets,
        *transport_assets,
        *construction_assets,
        *special_equipment_assets,
        *credit_assets,
        sdc_dbt_upstream,
        *RESOLUTION_ASSETS,
        sdc_dbt_models,
        *publish_assets,
    ],
    asset_checks=[*hazchem_checks, *transport_checks, *construction_checks, *special_equipment_checks, *credit_checks],
    jobs=[all_assets_job, api_pull_job],
    schedules=[
        dg.ScheduleDefinition(job=all_assets_job, cron_schedule="30 2 * * *", execution_timezone="Asia/Shanghai"),
        api_pull_schedule,
    ],
    sensors=landing_sensors,
    resources={
        "lake": LakeResource(),
        "dbt": SdcDbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable()),
    },
    # One process writes the lake: steps run in-process, one after another.
    executor=dg.in_process_executor,
)

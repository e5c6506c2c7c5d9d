"""The Dagster code location of the Taicang safety data centre: every department's definitions (each folder of
`pipelines/defs/` exports its own), dbt, the enterprise resolution and publishing, on resources configured
from one `Settings` object."""

import os

import dagster as dg

from pipelines.defs.api_pull import api_pull_defs
from pipelines.defs.automation import automation_defs
from pipelines.defs.construction.definitions import defs as construction
from pipelines.defs.credit.definitions import defs as credit
from pipelines.defs.dbt.assets import sdc_dbt_models, sdc_dbt_upstream
from pipelines.defs.dbt.project import dbt_project
from pipelines.defs.dbt.resource import SdcDbtCliResource, dbt_executable
from pipelines.defs.hazchem.definitions import defs as hazchem
from pipelines.defs.notifications import notification_defs
from pipelines.defs.publish.assets import publish_assets
from pipelines.defs.publish.maintenance import maintenance_defs
from pipelines.defs.resolution.assets import RESOLUTION_ASSETS
from pipelines.defs.special_equipment.definitions import defs as special_equipment
from pipelines.defs.transport.definitions import defs as transport
from pipelines.resources import LakeResource
from sdc_settings import Settings, load_settings

# A new department: its folder under pipelines/defs/ exporting `defs`, and one entry here.
DEPARTMENTS = [hazchem, transport, construction, special_equipment, credit]

all_assets_job = dg.define_asset_job(
    "daily_load", selection=dg.AssetSelection.all(), description="Every feed end to end, then publish."
)

_models_and_publishing = dg.Definitions(
    assets=[sdc_dbt_upstream, *RESOLUTION_ASSETS, sdc_dbt_models, *publish_assets],
    jobs=[all_assets_job],
    schedules=[
        dg.ScheduleDefinition(job=all_assets_job, cron_schedule="30 2 * * *", execution_timezone="Asia/Shanghai")
    ],
)


def build_definitions(settings: Settings, *, secrets_from_environment: bool = False) -> dg.Definitions:
    """The code location on `settings`' workspace. `secrets_from_environment`: the API credentials are read
    from the environment at run time (`EnvVar`) rather than carried as values (see LakeResource)."""
    return dg.Definitions.merge(
        *DEPARTMENTS,
        _models_and_publishing,
        notification_defs,
        automation_defs,
        api_pull_defs(settings),
        maintenance_defs,
        dg.Definitions(
            resources={
                "lake": LakeResource.from_settings(settings, secrets_from_environment=secrets_from_environment),
                "dbt": SdcDbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable()),
            },
            # One process writes the lake: steps run in-process, one after another.
            executor=dg.in_process_executor,
        ),
    )


@dg.definitions
def defs() -> dg.Definitions:
    """For `dagster dev` (`sdc ui`): the settings of the environment the code location was started in."""
    return build_definitions(load_settings(os.environ), secrets_from_environment=True)

"""The API pulls run on a schedule: the platforms are pulled, they never push. The job takes every asset an
API department tags as pulled (`API_PULL_TAG`, set by `api_raw_asset`) and the validated asset below it.

Every 5 minutes: an alarm on the platform is in the lake within minutes, and the rebuild that follows
(pipelines/defs/automation.py) publishes its alerts within the 10 minutes the regulator expects. An incremental
pull that finds nothing new writes nothing and starts no rebuild. The schedule runs from the start only where an
API is configured; elsewhere it is off (an operator may still start it in the UI)."""

import dagster as dg

from pipelines.defs.ingestion import API_PULL_TAG
from sdc_settings import Settings

_pulled = dg.AssetSelection.tag(*API_PULL_TAG)

api_pull_job = dg.define_asset_job(
    "api_pull",
    selection=_pulled | _pulled.downstream(depth=1),
    description="Pull systems B (vehicles, alarms) and E (dishonest-subject list) and validate what arrived.",
)


def api_configured(settings: Settings) -> bool:
    return bool(settings.transport_api_url or settings.credit_api_url)


def api_pull_defs(settings: Settings) -> dg.Definitions:
    status = dg.DefaultScheduleStatus.RUNNING if api_configured(settings) else dg.DefaultScheduleStatus.STOPPED
    return dg.Definitions(
        jobs=[api_pull_job],
        schedules=[
            dg.ScheduleDefinition(
                name="api_pull_every_5_minutes",
                job=api_pull_job,
                cron_schedule="*/5 * * * *",
                execution_timezone="Asia/Shanghai",
                default_status=status,
            )
        ],
    )

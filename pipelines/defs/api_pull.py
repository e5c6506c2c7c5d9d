"""The API pulls run on a schedule: the platforms are pulled, they never push. The job takes every asset an
API department tags as pulled (`API_PULL_TAG`, set by `api_raw_asset`) and the validated asset below it."""

import dagster as dg

from pipelines.defs.ingestion import API_PULL_TAG

_pulled = dg.AssetSelection.tag(*API_PULL_TAG)

api_pull_job = dg.define_asset_job(
    "api_pull",
    selection=_pulled | _pulled.downstream(depth=1),
    description="Pull systems B (vehicles, alarms) and E (dishonest-subject list) and validate what arrived.",
)

api_pull_defs = dg.Definitions(
    jobs=[api_pull_job],
    schedules=[
        dg.ScheduleDefinition(
            name="api_pull_every_30_minutes",
            job=api_pull_job,
            cron_schedule="*/30 * * * *",
            execution_timezone="Asia/Shanghai",
            default_status=dg.DefaultScheduleStatus.RUNNING,
        )
    ],
)

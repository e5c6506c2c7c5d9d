"""The API pulls (systems B and E) run on a schedule: the platforms are pulled, they never push."""

import dagster as dg

from connectors import credit, transport
from pipelines.defs.ingestion import run_keys

API_DATASETS = [e.dataset for e in (*transport.ENDPOINTS, *credit.ENDPOINTS)]

api_pull_job = dg.define_asset_job(
    "api_pull",
    selection=dg.AssetSelection.assets(*[k for d in API_DATASETS for k in run_keys(d)]),
    description="Pull systems B (vehicles, alarms) and E (dishonest-subject list) and validate what arrived.",
)

api_pull_schedule = dg.ScheduleDefinition(
    name="api_pull_every_30_minutes",
    job=api_pull_job,
    cron_schedule="*/30 * * * *",
    execution_timezone="Asia/Shanghai",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)

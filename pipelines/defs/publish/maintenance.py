"""The nightly lake maintenance job: merge small files, expire snapshots no retained publish reads, delete files
unused for an hour (warehouse/maintenance.py). A job of its own, after the daily load: it writes the lake, so it
waits in the same one-run-at-a-time queue as every load and never runs beside one."""

import dagster as dg

from pipelines.resources import LakeResource


@dg.op(description="ducklake_merge_adjacent_files, then expiry beyond SDC_PUBLISH_KEEP, then file cleanup.")
def maintain_lake(context: dg.OpExecutionContext, lake: LakeResource) -> None:
    from warehouse.maintenance import maintain

    with lake.connect() as con:
        report = maintain(con, lake.settings().publish_keep)
    context.log.info(
        f"data files {report.files_before} -> {report.files_after}; merged {report.files_merged} into "
        f"{report.files_created}; expired {len(report.snapshots_expired)} snapshot(s); "
        f"deleted {report.files_deleted} file(s)"
    )


@dg.job(description="Lake maintenance: merge small files, expire snapshots beyond retention, delete unused files.")
def lake_maintenance():
    maintain_lake()


maintenance_defs = dg.Definitions(
    jobs=[lake_maintenance],
    # after the 02:30 daily load (pipelines/definitions.py); queued behind it if that is still running
    schedules=[
        dg.ScheduleDefinition(job=lake_maintenance, cron_schedule="30 4 * * *", execution_timezone="Asia/Shanghai")
    ],
)

"""Write–audit–publish: once every mart is built and its blocking checks passed, publish them at once;
then copy the publish for engines that cannot read DuckLake (Parquet for BI tools, Iceberg for Spark/Trino/Flink)."""

import json

import dagster as dg

from pipelines.defs.dbt.assets import sdc_dbt_models
from pipelines.defs.dbt.project import dbt_project
from pipelines.resources import LakeResource

PUBLISHED = dg.AssetKey(["published", "marts"])


def _mart_keys() -> list[dg.AssetKey]:
    return [k for k in sdc_dbt_models.keys if k.path[0] == "marts"]


def _blocking_mart_checks() -> list[dg.AssetCheckKey]:
    return [s.key for s in sdc_dbt_models.check_specs if s.asset_key.path[0] == "marts" and s.blocking]


def unaudited_marts(instance: dg.DagsterInstance) -> list[str]:
    """Blocking mart checks whose latest evaluation did not pass. Dagster already skips this asset when a
    check fails in the same run; this also covers a run that selects `published/marts` on its own."""
    from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

    keys = _blocking_mart_checks()
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(keys)
    return [
        f"{k.asset_key.to_user_string()}:{k.name}"
        for k in keys
        if k not in latest or latest[k].status is not AssetCheckExecutionRecordStatus.SUCCEEDED
    ]


@dg.asset(
    key=PUBLISHED,
    deps=_mart_keys(),
    group_name="publish",
    description="Audits the marts (blocking checks passed, every column classified, nothing unmasked in the masked "
    "view) and makes them visible to readers (sdc sql, dashboards) in one atomic step; applies retention.",
    kinds={"duckdb"},
)
def published_marts(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    from warehouse.masking import ManifestClassifier
    from warehouse.publish import PUBLISHED_SCHEMA, expire_publishes, publish

    failed = unaudited_marts(context.instance)
    if failed:
        raise dg.Failure(f"not publishing: blocking checks did not pass: {', '.join(failed)}")
    classifier = ManifestClassifier(json.loads(dbt_project.manifest_path.read_text(encoding="utf-8")))
    settings = lake.settings()
    with lake.connect() as con:
        entry = publish(con, lambda tables: classifier.plan(PUBLISHED_SCHEMA, tables), run_id=context.run.run_id)
        expiry = expire_publishes(con, settings.publish_keep)
    return dg.MaterializeResult(
        metadata={
            "publish_id": entry.publish_id,
            "snapshot_id": entry.snapshot_id,
            "marts": ", ".join(entry.marts),
            "row_counts": entry.row_counts,
            "publishes_expired": len(expiry.publishes),
            "snapshots_expired": len(expiry.snapshots),
        }
    )


@dg.asset(
    key=dg.AssetKey(["published", "parquet_export"]),
    deps=[PUBLISHED],
    group_name="publish",
    description="The masked view of every published mart as Parquet, one folder per mart with a manifest naming "
    "the publish and lake snapshot (for BI tools that cannot speak DuckDB).",
    kinds={"parquet"},
)
def parquet_export(lake: LakeResource) -> dg.MaterializeResult:
    from warehouse.exports import export_parquet

    report = export_parquet(lake.settings())
    return dg.MaterializeResult(
        metadata={"publish_id": report.publish_id, "location": report.location, "rows": report.tables}
    )


@dg.asset(
    key=dg.AssetKey(["published", "iceberg_export"]),
    deps=[PUBLISHED],
    group_name="publish",
    description="Every published mart as Apache Iceberg tables (full and masked namespaces) for Spark, Trino and "
    "Flink, which do not read DuckLake.",
    kinds={"iceberg"},
)
def iceberg_export(lake: LakeResource) -> dg.MaterializeResult:
    from warehouse.exports import export_iceberg

    reports = export_iceberg(lake.settings())
    return dg.MaterializeResult(
        metadata={f"{audience}_location": r.location for audience, r in reports.items()}
        | {"publish_id": next(iter(reports.values())).publish_id}
    )


publish_assets = [published_marts, parquet_export, iceberg_export]

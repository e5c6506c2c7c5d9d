"""Write–audit–publish: once the marts are built, publish every sound one at once — a mart downstream of a
failed dbt test stays at its last good publish —; then copy the publish for engines that cannot read
DuckLake (Parquet for BI tools, Iceberg for Spark/Trino/Flink) and serve it in PostgreSQL (BI tools, psql)."""

import json

import dagster as dg

from pipelines.defs.dbt.assets import ancestors_and_self, held_back_marts, sdc_dbt_models, upstream_map
from pipelines.defs.dbt.project import dbt_project
from pipelines.failures import failure_policy
from pipelines.resources import LakeResource

PUBLISHED = dg.AssetKey(["published", "marts"])


def _mart_keys() -> list[dg.AssetKey]:
    return [k for k in sdc_dbt_models.keys if k.path[0] == "marts"]


def mart_sources(marts: list[dg.AssetKey]) -> dict[str, list[str]]:
    """{mart: [dataset, ...]}: the validated datasets upstream of each mart (dbt lineage mart → staging →
    source, and through the enterprise resolution)."""
    deps = upstream_map()
    return {
        mart.path[-1]: sorted(".".join(k.path[1:]) for k in ancestors_and_self(deps, mart) if k.path[0] == "validated")
        for mart in marts
    }


@dg.asset(
    key=PUBLISHED,
    deps=_mart_keys(),
    group_name="publish",
    description="Audits the marts (every column classified, nothing unmasked in the masked view) and makes them "
    "visible to readers (sdc sql, dashboards) in one atomic step; a mart downstream of a failed dbt test stays at "
    "its last good publish; records each mart's freshness per source dataset (data_freshness); applies retention.",
    kinds={"duckdb"},
)
def published_marts(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    from warehouse.mart_docs import mart_docs
    from warehouse.masking import ManifestClassifier
    from warehouse.publish import PUBLISHED_SCHEMA, expire_publishes, publish

    marts = _mart_keys()
    # the latest dbt outcome of every mart and its upstream (covers a run that selects only this asset)
    held = {k.path[-1]: why for k, why in held_back_marts(context.instance).items() if k in marts}
    for mart, why in sorted(held.items()):
        context.log.warning(f"holding back {mart} at its last good publish: {why}")
    manifest = json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))
    classifier = ManifestClassifier(manifest)
    settings = lake.settings()
    with failure_policy(context, settings.retry_delay_seconds), lake.connect() as con:
        entry = publish(
            con,
            lambda tables: classifier.plan(PUBLISHED_SCHEMA, tables),
            run_id=context.run.run_id,
            held_back=held,
            sources=mart_sources(marts),
            descriptions=mart_docs(manifest, PUBLISHED_SCHEMA),
        )
        expiry = expire_publishes(con, settings.publish_keep)
    return dg.MaterializeResult(
        metadata={
            "publish_id": entry.publish_id,
            "snapshot_id": entry.snapshot_id,
            "marts": _marts_table(entry),
            "held_back": dg.MetadataValue.json(entry.held_back),
            "publishes_expired": len(expiry.publishes),
            "snapshots_expired": len(expiry.snapshots),
        }
    )


def _marts_table(entry) -> dg.TableMetadataValue:
    """One row per published mart: its rows as readers see them, the snapshot it is read at and why it is held back
    (each mart's own `dagster/row_count` is on its dbt asset)."""
    names = sorted(set(entry.marts) | set(entry.held_back))
    records = [
        dg.TableRecord({"mart": m, "rows": entry.row_counts.get(m), "snapshot": entry.mart_snapshots.get(m),
                        "held_back_by": entry.held_back.get(m)})
        for m in names
    ]  # fmt: skip
    columns = [("mart", "string"), ("rows", "int"), ("snapshot", "int"), ("held_back_by", "string")]
    return dg.MetadataValue.table(records, schema=dg.TableSchema([dg.TableColumn(n, t) for n, t in columns]))


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


@dg.asset(
    key=dg.AssetKey(["published", "postgres"]),
    deps=[PUBLISHED],
    group_name="publish",
    description="The publish served in PostgreSQL (SDC_SERVE_DSN) for BI tools and psql: masked marts in "
    "`marts_masked` (analyst role), full marts in `marts_full` (restricted role), column comments from the dbt docs, "
    "both switched in one transaction. Its own step: a failure here leaves the DuckLake publish and the other "
    "exports in place. Skips when SDC_SERVE_DSN is not set.",
    kinds={"postgres"},
)
def postgres_serving(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    settings = lake.settings()
    if not settings.serve_dsn:
        context.log.info("not served to PostgreSQL: SDC_SERVE_DSN is not set")
        return dg.MaterializeResult(metadata={"skipped": "SDC_SERVE_DSN is not set"})
    from warehouse.serving import serve

    report = serve(settings)
    return dg.MaterializeResult(
        metadata={
            "publish_id": report.publish_id,
            "snapshot_id": report.snapshot_id,
            "schemas": ", ".join(report.schemas.values()),
            "row_counts": report.rows,
            "seconds": round(report.seconds, 2),
        }
    )


publish_assets = [published_marts, parquet_export, iceberg_export, postgres_serving]

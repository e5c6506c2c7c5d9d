"""Asset factory for landing-zone feeds: complete files -> the raw layer (text as delivered + lineage)."""

import dagster as dg

from connectors.feeds import LandingFeed
from connectors.landing import ingest_feed
from pipelines.resources import LakeResource


def raw_key(dataset: str) -> dg.AssetKey:
    system, entity = dataset.split(".", 1)
    return dg.AssetKey(["raw", system, entity])


def landing_raw_asset(feed: LandingFeed, description: str) -> dg.AssetsDefinition:
    @dg.asset(
        key=raw_key(feed.dataset),
        group_name=feed.source_system,
        description=f"{description}: files from landing zone `{feed.folder}/`, as delivered (text) + lineage.",
        kinds={"duckdb"},
    )
    def raw_asset(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
        settings = lake.settings()
        with lake.connect() as con:
            report = ingest_feed(con, feed, settings.landing_dir)
        context.log.info(f"{feed.dataset}: loaded {report.files_loaded}, duplicates {report.files_duplicate}")
        return dg.MaterializeResult(
            metadata={
                "files_loaded": len(report.files_loaded),
                "files_duplicate": len(report.files_duplicate),
                "files_rejected": len(report.files_rejected),
                "rows_read": report.rows_read,
                "rows_loaded": report.rows_loaded,
                "rows_rejected": report.rows_rejected,
            }
        )

    return raw_asset

"""Asset factory for landing-zone datasets: raw load -> contract validation, with their checks.

One parametrised pair of assets per feed; the per-department parts live in connectors/ as data.
"""

import dagster as dg

from connectors.feeds import LandingFeed
from connectors.landing import ingest_feed
from data_contracts.contract import load_contract
from pipelines.resources import LakeResource
from warehouse import validated as validated_layer


def raw_key(dataset: str) -> dg.AssetKey:
    system, entity = dataset.split(".", 1)
    return dg.AssetKey(["raw", system, entity])


def validated_key(dataset: str) -> dg.AssetKey:
    system, entity = dataset.split(".", 1)
    return dg.AssetKey(["validated", system, entity])


def landing_assets(feed: LandingFeed) -> tuple[list[dg.AssetsDefinition], list[dg.AssetChecksDefinition]]:
    contract = load_contract(feed.dataset)
    group = feed.source_system

    @dg.asset(
        key=raw_key(feed.dataset),
        group_name=group,
        description=f"{contract.title}: files from landing zone `{feed.folder}/`, as delivered (text) + lineage.",
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

    @dg.asset(
        key=validated_key(feed.dataset),
        deps=[raw_asset],
        group_name=group,
        description=f"{contract.title}: rows that pass contract {contract.dataset} (typed); failures quarantined.",
        kinds={"duckdb"},
    )
    def validated_asset(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
        from data_contracts.validation import validate_batch  # pulls in Great Expectations: run time only

        with lake.connect() as con:
            validated_layer.ensure_tables(con, contract)
            load_ids = validated_layer.pending_load_ids(con, contract)
            if not load_ids:
                return dg.MaterializeResult(metadata={"rows_in": 0, "loads_validated": 0})
            raw = validated_layer.raw_rows(con, contract, load_ids)
            outcome = validated_layer.write_outcome(con, contract, load_ids, validate_batch(raw, contract))
        return dg.MaterializeResult(
            metadata={
                "loads_validated": len(load_ids),
                "rows_in": outcome.rows_in,
                "rows_accepted": outcome.rows_accepted,
                "rows_quarantined": outcome.rows_quarantined,
                "rows_warned": outcome.rows_warned,
                "contract_version": contract.version,
            }
        )

    @dg.asset_check(
        asset=validated_asset,
        blocking=True,
        description="Rows received = accepted + quarantined + rejected by the reader.",
    )
    def reconciliation(lake: LakeResource) -> dg.AssetCheckResult:
        with lake.connect() as con:
            received, loaded, rejected = con.execute(
                "SELECT coalesce(sum(rows_read), 0), coalesce(sum(rows_loaded), 0), coalesce(sum(rows_rejected), 0) "
                "FROM lake.meta.file_ledger WHERE dataset = ? AND status = 'loaded'",
                [feed.dataset],
            ).fetchone()
            accepted, quarantined = con.execute(
                "SELECT coalesce(sum(rows_accepted), 0), coalesce(sum(rows_quarantined), 0) "
                "FROM lake.meta.validation_log WHERE dataset = ?",
                [feed.dataset],
            ).fetchone()
        ok = received == accepted + quarantined + rejected and loaded == accepted + quarantined
        return dg.AssetCheckResult(
            passed=bool(ok),
            metadata={
                "received": received,
                "accepted": accepted,
                "quarantined": quarantined,
                "reader_rejected": rejected,
            },
        )

    @dg.asset_check(
        asset=validated_asset,
        blocking=True,
        description="Share of quarantined rows in the newest validated load is within the contract's threshold.",
    )
    def reject_ratio(lake: LakeResource) -> dg.AssetCheckResult:
        with lake.connect() as con:
            row = con.execute(
                "SELECT rows_in, rows_quarantined FROM lake.meta.validation_log WHERE dataset = ? "
                "ORDER BY validated_at DESC LIMIT 1",
                [feed.dataset],
            ).fetchone()
        rows_in, quarantined = row if row else (0, 0)
        ratio = quarantined / rows_in if rows_in else 0.0
        return dg.AssetCheckResult(
            passed=ratio <= contract.reject_ratio_threshold,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={"ratio": ratio, "threshold": contract.reject_ratio_threshold},
        )

    return [raw_asset, validated_asset], [reconciliation, reject_ratio]

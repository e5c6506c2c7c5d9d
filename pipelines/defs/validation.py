"""Asset factory for contract validation: raw loads -> validated rows + quarantine, with their checks.

The same for every dataset, file or API: it reads the raw loads recorded in `lake.meta.load_log`.
"""

import dagster as dg

from data_contracts.contract import load_contract
from pipelines.resources import LakeResource
from warehouse import validated as validated_layer


def validated_key(dataset: str) -> dg.AssetKey:
    system, entity = dataset.split(".", 1)
    return dg.AssetKey(["validated", system, entity])


def validated_assets(
    dataset: str, raw: dg.AssetKey, group: str
) -> tuple[list[dg.AssetsDefinition], list[dg.AssetChecksDefinition]]:
    contract = load_contract(dataset)

    @dg.asset(
        key=validated_key(dataset),
        deps=[raw],
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
            raw_rows = validated_layer.raw_rows(con, contract, load_ids)
            outcome = validated_layer.write_outcome(con, contract, load_ids, validate_batch(raw_rows, contract))
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
            validated_layer.ensure_tables(con, contract)
            received, loaded, rejected = con.execute(
                "SELECT coalesce(sum(rows_read), 0), coalesce(sum(rows_loaded), 0), coalesce(sum(rows_rejected), 0) "
                "FROM lake.meta.load_log WHERE dataset = ?",
                [dataset],
            ).fetchone()
            accepted, quarantined = con.execute(
                "SELECT coalesce(sum(rows_accepted), 0), coalesce(sum(rows_quarantined), 0) "
                "FROM lake.meta.validation_log WHERE dataset = ?",
                [dataset],
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
            validated_layer.ensure_tables(con, contract)
            row = con.execute(
                "SELECT rows_in, rows_quarantined FROM lake.meta.validation_log WHERE dataset = ? "
                "ORDER BY validated_at DESC LIMIT 1",
                [dataset],
            ).fetchone()
        rows_in, quarantined = row if row else (0, 0)
        ratio = quarantined / rows_in if rows_in else 0.0
        return dg.AssetCheckResult(
            passed=ratio <= contract.reject_ratio_threshold,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={"ratio": ratio, "threshold": contract.reject_ratio_threshold},
        )

    return [validated_asset], [reconciliation, reject_ratio]

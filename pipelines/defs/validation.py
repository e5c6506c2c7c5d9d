"""Asset factory for contract validation: raw loads -> validated rows + quarantine, with their circuit breakers.

The same for every dataset, file or API: it reads the raw loads recorded in `lake.meta.load_log`. The
breakers are blocking asset checks with ERROR severity: when one trips, nothing downstream of the
validated asset runs in that run (staging, marts, publish), so the published marts keep their last good
snapshot. They judge the newest validation run of the dataset and stay tripped until it is fixed (a new
delivery, a contract fix and `sdc quarantine replay`).
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

    def check(name: str, description: str):
        return dg.asset_check(asset=validated_asset, name=name, blocking=True, description=description)

    @check("reconciliation", "Rows received = accepted + quarantined + rejected by the reader.")
    def reconciliation(lake: LakeResource) -> dg.AssetCheckResult:
        with lake.connect() as con:
            validated_layer.ensure_tables(con, contract)
            n = validated_layer.reconciliation(con, contract)
        ok = n["received"] == n["accepted"] + n["quarantined"] + n["reader_rejected"] + n["not_yet_validated"]
        ok = ok and n["loaded"] == n["accepted"] + n["quarantined"] + n["not_yet_validated"]
        return dg.AssetCheckResult(passed=bool(ok), severity=dg.AssetCheckSeverity.ERROR, metadata=n)

    @check("reject_ratio", "Share of rows quarantined in the newest validation run is within the contract's threshold.")
    def reject_ratio(lake: LakeResource) -> dg.AssetCheckResult:
        with lake.connect() as con:
            validated_layer.ensure_tables(con, contract)
            rows_in, quarantined = validated_layer.reject_ratio(con, contract)
        ratio = quarantined / rows_in if rows_in else 0.0
        return dg.AssetCheckResult(
            passed=ratio <= contract.reject_ratio_threshold,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={"rows_in": rows_in, "quarantined": quarantined, "ratio": ratio,
                      "threshold": contract.reject_ratio_threshold},
        )  # fmt: skip

    @check("row_count", "Row count of each newly validated load within the contract's band around recent history.")
    def row_count(lake: LakeResource) -> dg.AssetCheckResult:
        with lake.connect() as con:
            validated_layer.ensure_tables(con, contract)
            outliers = validated_layer.row_count_outliers(con, contract)
        band = contract.row_count
        return dg.AssetCheckResult(
            passed=not outliers,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={"outliers": dg.MetadataValue.json(outliers), "min_ratio": band.min_ratio,
                      "max_ratio": band.max_ratio, "history_loads": band.history},
        )  # fmt: skip

    @check("schema_drift", "The newest loads carry every contract column and no column the contract does not know.")
    def schema_drift(lake: LakeResource) -> dg.AssetCheckResult:
        with lake.connect() as con:
            validated_layer.ensure_tables(con, contract)
            drift = validated_layer.schema_drift(con, contract)
        return dg.AssetCheckResult(
            passed=not drift["missing"] and not drift["unknown"],
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={"missing_columns": drift["missing"], "unknown_columns": drift["unknown"]},
        )

    @check("freshness", "The newest delivery is within the contract's freshness SLA.")
    def freshness(lake: LakeResource) -> dg.AssetCheckResult:
        with lake.connect() as con:
            validated_layer.ensure_tables(con, contract)
            age = validated_layer.hours_since_last_delivery(con, contract)
        sla = contract.freshness_hours
        if age is None:
            # Nothing delivered yet (a source not connected yet, a weekly file not due): flag it, but only
            # data that was delivered and then went stale blocks the marts.
            return dg.AssetCheckResult(
                passed=False,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={"note": f"no delivery of {dataset} yet", "sla_hours": sla or 0.0},
            )
        return dg.AssetCheckResult(
            passed=sla is None or (age is not None and age <= sla),
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={"hours_since_last_delivery": age if age is not None else -1.0, "sla_hours": sla or 0.0},
        )

    return [validated_asset], [reconciliation, reject_ratio, row_count, schema_drift, freshness]

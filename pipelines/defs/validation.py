"""Asset factory for contract validation: raw loads -> validated rows + quarantine, with their circuit breakers.

The same for every dataset, file or API: it reads the raw loads recorded in `lake.meta.load_log`. The
breakers judge each new load (delivery) before its rows flow on. A load that trips one is held back
(`lake.meta.delivery_holds`): its rows stay out of the validated table, the asset still succeeds and
everything downstream is built with the dataset at its last good state; the check reports the hold as a
warning naming the load, the file and the reason, until an operator releases it (`sdc hold release`).
Only reconciliation blocks: a row unaccounted for is a defect of the pipeline, not of a delivery.

The checks are evaluated inside the asset's own step, over its connection: one step and one lake attach
per dataset, not one per check.
"""

import dagster as dg

from data_contracts.contract import load_contract
from pipelines.defs.metadata import (
    freshness_policy,
    rejects_metadata,
    row_count,
    validated_table_metadata,
    validated_table_name,
)
from pipelines.failures import failure_policy
from pipelines.resources import LakeResource
from warehouse import holds as delivery_holds
from warehouse import validated as validated_layer
from warehouse.lake import transaction

CHECKS = {
    "reconciliation": "Rows received = accepted + quarantined + rejected by the reader + not yet validated + held.",
    "reject_ratio": "Share of rows quarantined in each new load within the contract's threshold (beyond counting "
    "noise); a load over it is held back.",
    "row_count": "Row count of each new load within the contract's band around the previous comparable loads; "
    "a load outside it is held back.",
    "schema_drift": "Each new load carries every contract column and no column the contract does not know; "
    "a load that does not is held back.",
    "freshness": "The newest delivery is within the contract's freshness SLA (a warning: a stale source stops "
    "nothing).",
}
BREAKERS = ("reject_ratio", "row_count", "schema_drift")


def validated_key(dataset: str) -> dg.AssetKey:
    system, entity = dataset.split(".", 1)
    return dg.AssetKey(["validated", system, entity])


def validated_assets(
    dataset: str, raw: dg.AssetKey, group: str
) -> tuple[list[dg.AssetsDefinition], list[dg.AssetChecksDefinition]]:
    """The validated asset of one dataset; its checks are part of it (the second list stays empty)."""
    contract = load_contract(dataset)
    key = validated_key(dataset)

    @dg.asset(
        key=key,
        deps=[raw],
        group_name=group,
        description=f"{contract.title}: rows that pass contract {contract.dataset} (typed); failures quarantined; "
        "a delivery a breaker trips on is held back.",
        kinds={"duckdb"},
        metadata=validated_table_metadata(contract),
        freshness_policy=freshness_policy(contract),
        check_specs=[
            dg.AssetCheckSpec(name, asset=key, description=text, blocking=name == "reconciliation")
            for name, text in CHECKS.items()
        ],
    )
    def validated_asset(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
        with failure_policy(context, lake.retry_delay_seconds), lake.connect() as con:
            with transaction(con):  # the reads before validation at one snapshot, the catalog read once
                validated_layer.ensure_tables(con, contract)
                delivery_holds.end_superseded(con, dataset)
                load_ids = validated_layer.pending_load_ids(con, contract)
                raw = validated_layer.raw_rows(con, contract, load_ids) if load_ids else None
            metadata: dict = {"loads_validated": 0, "loads_held": 0, "rows_in": 0, "contract_version": contract.version}
            if load_ids:
                from data_contracts.validation import validate_batch  # Great Expectations (≈ 3 s): only with new loads

                result = validate_batch(raw, contract)
                with transaction(con):
                    holds = validated_layer.judge_loads(con, contract, load_ids, result)
                held = {h.load_id for h in holds}
                for h in holds:
                    context.log.warning(f"{h.source} (load {h.load_id}) held back by {h.check_name}: {h.reason}")
                kept = validated_layer.without_loads(result, held)
                outcome = validated_layer.write_outcome(con, contract, load_ids, kept, holds)
                metadata.update(
                    loads_validated=len(load_ids) - len(held),
                    loads_held=len(held),
                    rows_in=outcome.rows_in,
                    rows_accepted=outcome.rows_accepted,
                    rows_quarantined=outcome.rows_quarantined,
                    rows_warned=outcome.rows_warned,
                    **rejects_metadata(con, contract, kept.quarantined),
                )
            with transaction(con):  # the checks' reads, likewise
                metadata.update(row_count(con, validated_table_name(contract)))
                checks = _check_results(con, contract, key)
        return dg.MaterializeResult(metadata=metadata, check_results=checks)

    return [validated_asset], []


def _check_results(con, contract, key: dg.AssetKey) -> list[dg.AssetCheckResult]:
    counts = validated_layer.reconciliation(con, contract)
    results = [
        dg.AssetCheckResult(
            asset_key=key, check_name="reconciliation", passed=validated_layer.reconciles(counts),
            severity=dg.AssetCheckSeverity.ERROR, metadata=counts,
        )
    ]  # fmt: skip
    open_holds = delivery_holds.open_holds(con, contract.dataset)
    for check in BREAKERS:
        mine = [h for h in open_holds if h["check_name"] == check]
        held = [{"load_id": h["load_id"], "file": h["source"], "reason": h["reason"],
                 "held_at": h["held_at"].isoformat()} for h in mine]  # fmt: skip
        results.append(
            dg.AssetCheckResult(
                asset_key=key,
                check_name=check,
                passed=not mine,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={"held_loads": dg.MetadataValue.json(held), "open_holds": len(mine)},
                description="; ".join(f"{h['file']} (load {h['load_id']}): {h['reason']}" for h in held) or None,
            )
        )
    age = validated_layer.hours_since_last_delivery(con, contract)
    sla = contract.freshness_hours
    results.append(
        dg.AssetCheckResult(
            asset_key=key,
            check_name="freshness",
            passed=age is not None and (sla is None or age <= sla),
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"hours_since_last_delivery": age if age is not None else -1.0, "sla_hours": sla or 0.0},
            description=None if age is not None else f"no delivery of {contract.dataset} yet",
        )
    )
    return results

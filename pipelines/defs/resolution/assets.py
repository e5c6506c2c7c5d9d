"""Enterprise resolution between the dbt mention models and the marts (entity_resolution package)."""

import time

import dagster as dg

from pipelines.resources import LakeResource

ENTERPRISE_RESOLUTION_KEY = dg.AssetKey(["intermediate", "enterprise_resolution"])


@dg.asset(
    key=ENTERPRISE_RESOLUTION_KEY,
    deps=[dg.AssetKey(["intermediate", "int_enterprise_mentions"])],
    group_name="resolution",
    description=(
        "One enterprise per legal entity across the five departments: deterministic identifier edges, "
        "name key + town, Splink for the rest, clustering with cannot-link on different USCCs; uncertain "
        "pairs to lake.resolution.enterprise_review_queue, reviewer decisions applied from "
        "lake.resolution.enterprise_review_decisions."
    ),
    kinds={"python", "duckdb"},
)
def enterprise_resolution(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    from entity_resolution.lake import resolve_in_lake  # Splink is imported only when resolving

    started = time.perf_counter()
    with lake.connect() as con:
        result = resolve_in_lake(con)
    stats = {**result.stats, "seconds": round(time.perf_counter() - started, 1)}
    context.log.info(f"enterprise resolution: {stats}")
    return dg.MaterializeResult(metadata=stats)

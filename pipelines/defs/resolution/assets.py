"""Entity resolution between the dbt mention models and the marts (entity_resolution package): enterprises
in Python, vehicles and equipment keyed in SQL and given ids carried over from the previous run here."""

import time

import dagster as dg

from pipelines.failures import failure_policy
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
    with failure_policy(context, lake.retry_delay_seconds), lake.connect() as con:
        result = resolve_in_lake(con)
    stats = {**result.stats, "seconds": round(time.perf_counter() - started, 1)}
    context.log.info(f"enterprise resolution: {stats}")
    return dg.MaterializeResult(metadata=stats)


def _keyed_resolution(entity_type: str, keyed_by: str, description: str) -> dg.AssetsDefinition:
    @dg.asset(
        key=dg.AssetKey(["intermediate", f"{entity_type}_resolution"]),
        deps=[dg.AssetKey(["intermediate", keyed_by])],
        group_name="resolution",
        description=description,
        kinds={"python", "duckdb"},
    )
    def _asset(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
        from entity_resolution.lake import resolve_keyed_in_lake

        with failure_policy(context, lake.retry_delay_seconds), lake.connect() as con:
            stats = resolve_keyed_in_lake(con, entity_type)
        context.log.info(f"{entity_type} resolution: {stats}")
        return dg.MaterializeResult(metadata=stats)

    return _asset


vehicle_resolution = _keyed_resolution(
    "vehicle",
    "int_vehicle_mentions",
    "One id per vehicle (plate + colour, int_vehicle_mentions), carried over from the previous run: it moves "
    "only when vehicles merge or split (lake.resolution.id_changes).",
)
equipment_resolution = _keyed_resolution(
    "equipment",
    "int_equipment_resolution",
    "One id per machine (int_equipment_resolution's machine key), carried over from the previous run: it "
    "moves only when machines merge or split (lake.resolution.id_changes).",
)
RESOLUTION_ASSETS = (enterprise_resolution, vehicle_resolution, equipment_resolution)

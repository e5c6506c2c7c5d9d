"""Write–audit–publish: once every mart is built and its blocking checks passed, publish them at once."""

import dagster as dg

from pipelines.defs.dbt.assets import sdc_dbt_models
from pipelines.resources import LakeResource
from warehouse.publish import publish


def _mart_keys() -> list[dg.AssetKey]:
    return [k for k in sdc_dbt_models.keys if k.path[0] == "marts"]


@dg.asset(
    key=dg.AssetKey(["published", "marts"]),
    deps=_mart_keys(),
    group_name="publish",
    description="Makes the audited marts visible to readers (sdc sql, dashboards) in one atomic step.",
    kinds={"duckdb"},
)
def published_marts(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    with lake.connect() as con:
        entry = publish(con, run_id=context.run.run_id)
    return dg.MaterializeResult(
        metadata={"snapshot_id": entry.snapshot_id, "marts": ", ".join(entry.marts), "publish_id": entry.publish_id}
    )

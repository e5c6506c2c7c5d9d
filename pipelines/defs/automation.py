"""Downstream runs by themselves: once new data has been validated, the models, the resolution and the publish
follow — one rebuild per burst of deliveries, not one per file.

The sensor compares the lake's own facts — the newest validation (`lake.meta.validation_log`) against the newest
publish (`lake.meta.publish_log`) — so a load started by a sensor, the API schedule or `sdc run` all count, and a
validated asset that found nothing new asks for nothing. It requests the rebuild once the burst is over: no new
validation for `rebuild_quiet_seconds`, or the oldest unpublished validation `rebuild_max_wait_seconds` old
(deliveries that never pause still publish). It requests nothing while any run is queued or in progress: the
loads of the burst finish first, and with the instance's queue (one run at a time, pipelines/dagster.yaml) no
two runs ever write the lake at once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import dagster as dg
from dagster._time import get_current_timestamp  # the sensor's clock; tests freeze it (simulated time)

from pipelines.resources import LakeResource
from sdc_settings import NoWorkspace

VALIDATED = dg.AssetSelection.key_prefixes(["validated"])

rebuild_job = dg.define_asset_job(
    "rebuild_downstream",
    selection=VALIDATED.downstream(include_self=False),
    description="Models, enterprise resolution and publish on the data validated so far (started by "
    "`rebuild_after_new_data`).",
)

IN_PROGRESS = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]

NEWEST_VALIDATION = "SELECT max(validated_at) FROM lake.meta.validation_log"
NEWEST_PUBLISH = "SELECT max(published_at) FROM lake.meta.publish_log"


def unpublished_validation(con) -> str | None:
    """The time of the newest validation if no publish followed it (a text stamp: only compared for change)."""
    from warehouse.lake import table_exists

    if not table_exists(con, "meta", "validation_log"):
        return None
    newest = con.execute(NEWEST_VALIDATION).fetchone()[0]
    published = con.execute(NEWEST_PUBLISH).fetchone()[0] if table_exists(con, "meta", "publish_log") else None
    return newest.isoformat() if newest is not None and (published is None or newest > published) else None


@dataclass(frozen=True)
class Decision:
    rebuild: bool
    cursor: dict
    reason: str


def decide(
    cursor: dict, pending: str | None, runs_in_progress: int, now: float, *, quiet: float, max_wait: float
) -> Decision:
    """Pure of Dagster and the lake. `cursor`: `seen` (the newest unpublished validation seen), `changed_at` (when
    it last changed), `since` (when the oldest unpublished validation was first seen), `requested` (the validation
    a rebuild was last requested for), times on the sensor's clock."""
    if pending is None:
        return Decision(False, {}, "everything validated is published")
    state = dict(cursor)
    if state.get("seen") != pending:
        state.update(seen=pending, changed_at=now)
        state.setdefault("since", now)
    if state.get("requested") == pending:
        return Decision(False, state, "a rebuild of this data was requested already")
    if runs_in_progress:
        return Decision(False, state, f"waiting: {runs_in_progress} run(s) queued or in progress")
    quiet_for, waited = now - state["changed_at"], now - state["since"]
    if quiet_for < quiet and waited < max_wait:
        return Decision(False, state, f"waiting for the burst to end (quiet {quiet_for:.0f} s of {quiet:.0f} s)")
    return Decision(True, {"seen": pending, "requested": pending}, f"new data validated {waited:.0f} s ago")


@dg.sensor(
    name="rebuild_after_new_data",
    description="New validated data, a burst over and no run in progress -> models, resolution and publish.",
    job=rebuild_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def rebuild_after_new_data(context: dg.SensorEvaluationContext, lake: LakeResource) -> dg.SensorResult:
    try:
        with lake.connect(read_only=True) as con:
            pending = unpublished_validation(con)
    except NoWorkspace:
        return dg.SensorResult(skip_reason="no workspace yet")
    settings = lake.settings()
    in_progress = context.instance.get_runs_count(dg.RunsFilter(statuses=IN_PROGRESS))
    decision = decide(
        json.loads(context.cursor or "{}"),
        pending,
        in_progress,
        get_current_timestamp(),
        quiet=settings.rebuild_quiet_seconds,
        max_wait=settings.rebuild_max_wait_seconds,
    )
    cursor = json.dumps(decision.cursor, sort_keys=True)
    if not decision.rebuild:
        return dg.SensorResult(skip_reason=decision.reason, cursor=cursor)
    request = dg.RunRequest(run_key=f"rebuild|{pending}", tags={"sdc/trigger": "new validated data"})
    return dg.SensorResult(run_requests=[request], cursor=cursor)


automation_defs = dg.Definitions(jobs=[rebuild_job], sensors=[rebuild_after_new_data])

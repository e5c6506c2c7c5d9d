"""Notifications (warehouse/notifications.py) wired into the code location: after each publish, its new alerts
and any freshness breach; a breach while nothing is published (a source gone quiet) by a sensor that starts the
notifications alone; after a failed run, the failure — once, with what to do next."""

from datetime import UTC, datetime

import dagster as dg

from pipelines.defs.publish.assets import PUBLISHED
from pipelines.resources import LakeResource
from sdc_settings import NoWorkspace

NOTIFICATIONS = dg.AssetKey(["published", "notifications"])


@dg.asset(
    key=NOTIFICATIONS,
    deps=[PUBLISHED],
    group_name="publish",
    description="Sends each new cross-department alert of the publish (with its evidence rows and the department "
    "responsible) and each freshness breach to the notification channels (log file; webhook when "
    "SDC_NOTIFY_WEBHOOK is set), once: lake.meta.notifications_sent remembers what went out.",
    kinds={"python"},
)
def notifications(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    from warehouse import notifications as notify

    to = notify.channels(lake.settings())
    with lake.connect() as con:
        # only the alerts some channel has not had (with their evidence): a rebuild republishes every alert
        publish_id, published, due = notify.alerts_due(con, to)
        outgoing = notify.alert_notifications(con, publish_id, [(notify.alert_notification_id(a), a) for a in due])
        outgoing += notify.freshness_notifications(con, datetime.now(UTC))
        report = notify.send_once(con, outgoing, to)
    for problem in report.undelivered:  # sent with the next publish: nothing is lost
        context.log.warning(f"not delivered, will be sent again after the next publish: {problem}")
    return dg.MaterializeResult(
        metadata={
            "sent": len(report.sent),
            "already_sent": report.already_sent + published - len(due),
            "undelivered": len(report.undelivered),
            "channels": ", ".join(c.name for c in to),
        }
    )


@dg.run_failure_sensor(
    name="notify_failed_runs",
    description="A failed run -> one notification naming the failed steps and what to do next.",
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def notify_failed_runs(context: dg.RunFailureSensorContext, lake: LakeResource) -> None:
    from warehouse import notifications as notify

    steps = [
        {
            "step": event.step_key,
            "error": (event.step_failure_data.error.message.strip() if event.step_failure_data.error else ""),
            "next_step": _next_step(event),
        }
        for event in context.get_step_failure_events()
    ]
    run = context.dagster_run
    notification = notify.Notification(
        f"failure:{run.run_id}",
        "failure",
        f"run {run.run_id[:8]} of {run.job_name} failed: {', '.join(s['step'] or '?' for s in steps) or 'no step'}",
        {"run_id": run.run_id, "job": run.job_name, "tags": dict(run.tags), "failed_steps": steps},
    )
    problems = notify.deliver(notification, notify.channels(lake.settings()))
    for problem in problems:
        context.log.warning(f"failure of run {run.run_id} not notified: {problem}")


@dg.sensor(
    name="notify_freshness_breaches",
    description="A source past its contract's freshness SLA and not notified yet -> send the notifications.",
    asset_selection=[NOTIFICATIONS],
    minimum_interval_seconds=900,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def notify_freshness_breaches(context: dg.SensorEvaluationContext, lake: LakeResource) -> dg.SensorResult:
    from warehouse import notifications as notify

    try:
        with lake.connect(read_only=True) as con:
            breaches = notify.freshness_notifications(con, datetime.now(UTC))
            due = notify.not_sent(con, [n.notification_id for n in breaches], notify.channels(lake.settings()))
    except NoWorkspace:
        return dg.SensorResult(skip_reason="no workspace yet")
    if not due:
        return dg.SensorResult(skip_reason="no freshness breach to notify")
    return dg.SensorResult(run_requests=[dg.RunRequest(run_key="|".join(sorted(due)))])


def _next_step(event: dg.DagsterEvent) -> str:
    data = event.step_failure_data
    metadata = data.user_failure_data.metadata if data and data.user_failure_data else {}
    value = metadata.get("next_step")
    return getattr(value, "value", value) or "see the step's log in the run"


notification_defs = dg.Definitions(assets=[notifications], sensors=[notify_failed_runs, notify_freshness_breaches])

"""Notifications are sent once (warehouse/notifications.py): remembered in the lake, and sent again only if a
channel did not take them. A real webhook server on loopback, a real lake."""

import json
import os
from dataclasses import replace

import pytest
from loopback import WebhookReceiver, serving

from sdc_settings import load_settings
from warehouse.lake import lake_connection
from warehouse.notifications import Notification, channels, send_once


@pytest.fixture
def hook():
    with serving(WebhookReceiver()) as server:
        yield server


def test_sent_once_and_again_only_if_a_channel_did_not_take_it(workspace, hook):
    settings = replace(load_settings(os.environ), notify_webhook=hook.url)
    alerts = [
        Notification(f"alert:a{i}", "alert", f"alert {i}", {"department": {"name": "市交通运输局"}}) for i in (1, 2)
    ]
    hook.status = 503  # the receiver is down
    with lake_connection(settings) as con:
        report = send_once(con, alerts, channels(settings))
        assert report.sent == [] and len(report.undelivered) == 2 and "HTTP 503" in report.undelivered[0]
        assert "k3y" not in report.undelivered[0]  # the URL carries the receiver's key
        hook.status = 204
        assert send_once(con, alerts, channels(settings)).sent == ["alert:a1", "alert:a2"]
        again = send_once(con, [*alerts, Notification("alert:a3", "alert", "alert 3")], channels(settings))
        assert again.sent == ["alert:a3"] and again.already_sent == 2
    assert [m["notification_id"] for m in hook.received] == ["alert:a1", "alert:a2", "alert:a3"]
    assert hook.received[0]["department"] == {"name": "市交通运输局"}
    logged = [json.loads(line)["notification_id"] for line in settings.notify_log.read_text("utf-8").splitlines()]
    assert logged == ["alert:a1", "alert:a2", "alert:a3"]  # the log took them at once, and only once


def test_thousands_of_alerts_are_each_recorded_once_in_batches(workspace, hook, monkeypatch):
    """A first publish at Taicang's size has thousands of alerts: what went out is recorded in batches (one lake commit
    per notification took minutes), and each channel that took a notification is recorded exactly once, whichever
    batch it fell in; what a channel refused stays unrecorded for that channel and goes out next time. (Batches of
    100 here, not the pipeline's 1,000: the same boundaries with a tenth of the webhook's requests.)"""
    from warehouse import notifications

    batch = 100
    monkeypatch.setattr(notifications, "RECORD_BATCH", batch)
    settings = replace(load_settings(os.environ), notify_webhook=hook.url)
    alerts = [Notification(f"alert:b{i:04d}", "alert", f"alert {i}") for i in range(batch * 3 + 7)]
    refused = {a.notification_id for a in alerts[batch - 2 : batch + 3]}  # across a batch boundary
    hook.refuse = refused
    with lake_connection(settings) as con:
        first = send_once(con, alerts, channels(settings))
        assert len(first.sent) == len(alerts) - len(refused) and len(first.undelivered) == len(refused)
        recorded = con.execute(
            "SELECT channel, count(*), count(DISTINCT notification_id) FROM lake.meta.notifications_sent GROUP BY 1"
        ).fetchall()
        assert sorted(recorded) == [("log", len(alerts), len(alerts)), ("webhook", len(alerts) - 5, len(alerts) - 5)]
        hook.refuse = set()
        second = send_once(con, alerts, channels(settings))
        assert sorted(second.sent) == sorted(refused) and second.already_sent == len(alerts) - len(refused)
    webhook_ids = [m["notification_id"] for m in hook.received]
    assert sorted(webhook_ids) == sorted(a.notification_id for a in alerts)  # each once
    logged = [json.loads(line)["notification_id"] for line in settings.notify_log.read_text("utf-8").splitlines()]
    assert sorted(logged) == sorted(a.notification_id for a in alerts)


@pytest.mark.integration  # runs the notifications asset
def test_a_source_gone_quiet_is_notified_once_without_a_publish(workspace):
    from datetime import UTC, datetime, timedelta

    import dagster as dg

    from connectors.raw_layer import LOAD_LOG_DDL
    from pipelines.definitions import build_definitions
    from pipelines.defs.notifications import NOTIFICATIONS, notify_freshness_breaches
    from pipelines.resources import LakeResource

    settings = load_settings(os.environ)
    with lake_connection(settings) as con:
        con.execute(LOAD_LOG_DDL)
        con.execute(
            "INSERT INTO lake.meta.load_log VALUES ('transport.alarm', 'L1', 'api:/api/v2/alarms', 'x', 3, 3, 0, ?, "
            "'transport', NULL)",
            [datetime.now(UTC) - timedelta(hours=30)],  # the contract's SLA: 24 h
        )
    resources = {"lake": LakeResource.from_settings(settings)}

    def tick():
        return notify_freshness_breaches(dg.build_sensor_context(resources=resources))

    [request] = tick().run_requests
    assert request.run_key.startswith("freshness:transport.alarm:")
    job = build_definitions(settings).resolve_implicit_global_asset_job_def()
    with dg.DagsterInstance.ephemeral() as instance:
        assert job.execute_in_process(instance=instance, asset_selection=[NOTIFICATIONS]).success
    assert not tick().run_requests  # sent: not again
    [sent] = [json.loads(line) for line in settings.notify_log.read_text("utf-8").splitlines()]
    assert sent["kind"] == "freshness" and sent["dataset"] == "transport.alarm" and "SLA 24 h" in sent["subject"]


def test_the_alerts_due_are_the_published_ones_some_channel_has_not_had(workspace, hook):
    """`alerts_due` picks them in the lake: the same alerts `not_sent` names among all the published ones."""
    from warehouse.notifications import alert_notification_id, alerts_due, not_sent, published_alerts
    from warehouse.publish import publish

    settings = replace(load_settings(os.environ), notify_webhook=hook.url)
    to = channels(settings)
    with lake_connection(settings) as con:
        assert alerts_due(con, to) == (None, 0, [])  # nothing published yet
        con.execute(
            "CREATE TABLE lake.marts.cross_department_alerts AS SELECT 'A' || i AS alert_id, "
            "'alarm_during_active_waybill' AS alert_type, 'vehicle' AS entity_type, 'VEH-' || i AS entity_id, "
            "TIMESTAMPTZ '2026-12-01 08:00:00+08' + i * INTERVAL 1 MINUTE AS occurred_at, 'alarm ' || i AS description,"
            " [] AS evidence FROM range(5) r(i)"
        )
        publish(con, lambda tables: {t: dict.fromkeys(cols, "public") for t, cols in tables.items()})
        publish_id, published, due = alerts_due(con, to)
        assert (publish_id, published, [a["alert_id"] for a in due]) == (1, 5, ["A0", "A1", "A2", "A3", "A4"])
        assert due == published_alerts(con)[1]  # nothing sent yet: the alerts as published, in order
        hook.refuse = {"alert:A1"}  # the webhook takes A0 and refuses A1; the log takes both
        send_once(con, [Notification(f"alert:A{i}", "alert", f"alarm {i}") for i in (0, 1)], to)
        ids = [alert_notification_id(a) for a in published_alerts(con)[1]]
        assert [alert_notification_id(a) for a in alerts_due(con, to)[2]] == not_sent(con, ids, to)
        assert [a["alert_id"] for a in alerts_due(con, to)[2]] == ["A1", "A2", "A3", "A4"]
        log_only = [c for c in to if c.name == "log"]
        assert [a["alert_id"] for a in alerts_due(con, log_only)[2]] == ["A2", "A3", "A4"]
        assert alerts_due(con, [])[2] == []

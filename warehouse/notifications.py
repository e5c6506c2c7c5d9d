"""Notifications to the people who act on them: new cross-department alerts (with their evidence rows and the
department responsible), failed runs and freshness breaches.

Channels are pluggable (`Channel`): a JSON-lines log file in the workspace always, a webhook (JSON POST) when
`SDC_NOTIFY_WEBHOOK` is set. What was sent is remembered in `lake.meta.notifications_sent`, keyed by a stable id
(`alert:<alert_id>`, `freshness:<dataset>:<last load>`), per channel: an alert is sent once, not on every
rebuild that publishes it again; a channel that did not take it (the webhook down) gets it after the next publish.
Evidence rows carry only columns the contracts classify public: personal data never leaves in a notification.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import duckdb

from sdc_settings import Settings
from warehouse.lake import sql_literal, table_exists

SENT_DDL = """CREATE TABLE IF NOT EXISTS lake.meta.notifications_sent (
    notification_id VARCHAR, channel VARCHAR, kind VARCHAR, subject VARCHAR, sent_at TIMESTAMPTZ)"""

# The dataset whose department acts on each alert (its contract's owner is named in the notification).
RESPONSIBLE_DATASET = {
    "blacklisted_party_on_waybill": "hazchem.waybill",
    "unregistered_waybill_vehicle": "transport.vehicle",
    "alarm_during_active_waybill": "transport.alarm",
    "crane_alarm_while_overdue": "special_equipment.equipment",
    "blacklisted_contractor_on_active_project": "construction.project",
}
EVIDENCE_LINEAGE = ("_source_file", "_record_number", "_loaded_at")


@dataclass(frozen=True)
class Notification:
    notification_id: str
    kind: str  # alert | failure | freshness
    subject: str
    body: dict = field(default_factory=dict)

    def payload(self) -> dict:
        return {"notification_id": self.notification_id, "kind": self.kind, "subject": self.subject, **self.body}


class Undelivered(RuntimeError):
    """A channel did not take a notification (the webhook answered an error or not at all)."""


class Channel(Protocol):
    name: str

    def send(self, notification: Notification) -> None: ...


@dataclass(frozen=True)
class LogFile:
    path: Path
    name: str = "log"

    def send(self, notification: Notification) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = {"sent_at": datetime.now(UTC).isoformat(timespec="seconds"), **notification.payload()}
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(line, ensure_ascii=False, default=str) + "\n")


@dataclass(frozen=True)
class Webhook:
    url: str
    timeout_seconds: float = 10.0
    name: str = "webhook"

    def send(self, notification: Notification) -> None:
        import httpx

        body = json.dumps(notification.payload(), ensure_ascii=False, default=str).encode("utf-8")
        try:
            response = httpx.post(
                self.url,
                content=body,
                headers={"Content-Type": "application/json; charset=utf-8"},
                timeout=self.timeout_seconds,
            )
        except httpx.HTTPError as exc:  # the URL carries a key: never in the message
            raise Undelivered(f"webhook: {type(exc).__name__}") from None
        if response.status_code >= 300:
            raise Undelivered(f"webhook: HTTP {response.status_code}")


def channels(settings: Settings) -> list[Channel]:
    found: list[Channel] = [LogFile(settings.notify_log)]
    if settings.notify_webhook:
        found.append(Webhook(settings.notify_webhook))
    return found


def deliver(notification: Notification, to: Sequence[Channel]) -> list[str]:
    """Send to every channel; the problems of those that did not take it."""
    problems = []
    for channel in to:
        try:
            channel.send(notification)
        except Undelivered as exc:
            problems.append(str(exc))
    return problems


@dataclass
class SendReport:
    sent: list[str] = field(default_factory=list)
    """Notifications every channel has now."""
    already_sent: int = 0
    undelivered: list[str] = field(default_factory=list)


def _sent(con: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> set[tuple[str, str]]:
    """(notification id, channel) already sent, of these ids only (the table holds every alert ever sent)."""
    found = con.execute(
        "SELECT notification_id, channel FROM lake.meta.notifications_sent WHERE notification_id IN (SELECT unnest(?))",
        [list(ids)],
    )
    return set(found.fetchall())


def not_sent(con: duckdb.DuckDBPyConnection, ids: Sequence[str], to: Sequence[Channel]) -> list[str]:
    """The ids some channel has not had yet (read only)."""
    sent = _sent(con, ids) if ids and table_exists(con, "meta", "notifications_sent") else set()
    return [i for i in ids if any((i, c.name) not in sent for c in to)]


# Records of what went out are committed in batches: a commit to the lake costs tens of milliseconds, and a first
# publish at Taicang's size has thousands of alerts (one commit each took minutes). A crash re-sends at most the
# batch not yet recorded (at most RECORD_EVERY_SECONDS of sending); each notification carries its id, so a receiver
# can tell a repeat. A day on 90 days of history sends ≈ 6,000 alerts: 64 commits of 100 took 0.6 s.
RECORD_BATCH = 1000
RECORD_EVERY_SECONDS = 2.0


def send_once(
    con: duckdb.DuckDBPyConnection, notifications: Sequence[Notification], to: Sequence[Channel]
) -> SendReport:
    """Send each notification to the channels `lake.meta.notifications_sent` does not name for it yet, and record
    each channel that took it."""
    import pyarrow as pa

    con.execute(SENT_DDL)
    sent = _sent(con, [n.notification_id for n in notifications])
    report = SendReport()
    taken: list[tuple] = []
    last_record = time.monotonic()

    def record() -> None:
        nonlocal last_record
        if taken:
            columns = ("notification_id", "channel", "kind", "subject", "sent_at")
            batch = pa.table(dict(zip(columns, zip(*taken, strict=True), strict=True)))  # noqa: F841 (read by name)
            con.execute("INSERT INTO lake.meta.notifications_sent BY NAME SELECT * FROM batch")
            taken.clear()
        last_record = time.monotonic()

    for n in notifications:
        missing = [c for c in to if (n.notification_id, c.name) not in sent]
        if not missing:
            report.already_sent += 1
            continue
        problems = []
        for channel in missing:
            problem = deliver(n, [channel])
            problems += problem
            if not problem:
                taken.append((n.notification_id, channel.name, n.kind, n.subject, datetime.now(UTC)))
                sent.add((n.notification_id, channel.name))
        if problems:
            report.undelivered.append(f"{n.notification_id}: {'; '.join(problems)}")
        else:
            report.sent.append(n.notification_id)
        if len(taken) >= RECORD_BATCH or time.monotonic() - last_record >= RECORD_EVERY_SECONDS:
            record()
    record()
    return report


ALERTS_MART = "cross_department_alerts"
ALERT_ID_PREFIX = "alert:"  # an alert's notification id: the prefix and its alert_id


def published_alerts(con: duckdb.DuckDBPyConnection) -> tuple[int | None, list[dict]]:
    """The newest publish's id and its cross-department alerts as that publish has them (the mart at its publish
    snapshot), over the caller's lake connection; None and none before the first publish."""
    publish_id, _, alerts = _alerts(con, None)
    return publish_id, alerts


def alerts_due(con: duckdb.DuckDBPyConnection, to: Sequence[Channel]) -> tuple[int | None, int, list[dict]]:
    """The newest publish's id, how many alerts it has, and those alerts some channel of `to` has not had (read
    only). Every run republishes every alert: the ones sent stay in the lake (reading them all into Python, and
    everything ever sent, cost seconds after a few months)."""
    return _alerts(con, to)


def _alerts(con: duckdb.DuckDBPyConnection, unsent_to: Sequence[Channel] | None) -> tuple[int | None, int, list[dict]]:
    from warehouse.publish import mart_sql, read_log

    newest = read_log(con, newest_live_only=True)
    if not newest:
        return None, 0, []
    entry = newest[-1]
    if ALERTS_MART not in entry.marts:
        return entry.publish_id, 0, []
    published = entry.row_counts[ALERTS_MART]
    if unsent_to is not None and not unsent_to:
        return entry.publish_id, published, []
    sent = ""
    if unsent_to and table_exists(con, "meta", "notifications_sent"):
        channels = sorted({c.name for c in unsent_to})
        names = ", ".join(sql_literal(c) for c in channels)
        sent = f"""LEFT JOIN (SELECT notification_id, count(DISTINCT channel) AS channels
                              FROM lake.meta.notifications_sent WHERE channel IN ({names}) GROUP BY ALL) AS s
                     ON s.notification_id = {sql_literal(ALERT_ID_PREFIX)} || a.alert_id
                   WHERE s.channels IS NULL OR s.channels < {len(channels)}"""
    cursor = con.execute(
        "SELECT alert_id, alert_type, entity_type, entity_id, occurred_at, description, evidence "
        f"FROM (SELECT * FROM {mart_sql(ALERTS_MART, entry.snapshot_of(ALERTS_MART))}) AS a {sent} "
        "ORDER BY occurred_at, alert_id"
    )
    names = [d[0] for d in cursor.description]
    return entry.publish_id, published, [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def evidence_rows(con: duckdb.DuckDBPyConnection, refs: list[dict]) -> dict[tuple[str, str], dict]:
    """{(dataset, record_id): the newest validated version of the record, its public columns and lineage}, one
    query per dataset."""
    from data_contracts.contract import contract_exists, load_contract

    wanted: dict[str, set[str]] = {}
    for ref in refs:
        wanted.setdefault(ref["dataset"], set()).add(ref["record_id"])
    found: dict[tuple[str, str], dict] = {}
    for dataset, ids in wanted.items():
        if not contract_exists(dataset):
            continue
        contract = load_contract(dataset)
        key = contract.primary_key[0]
        public = [c.name for c in contract.columns if c.classification == "public"]
        columns = ", ".join(f'"{c}"' for c in (*public, *EVIDENCE_LINEAGE))
        cursor = con.execute(
            f"SELECT {columns} "
            f'FROM lake.validated."{contract.table}" WHERE "{key}" IN (SELECT unnest(?)) '
            f'QUALIFY row_number() OVER (PARTITION BY "{key}" ORDER BY _loaded_at DESC) = 1',
            [sorted(ids)],
        )
        names = [d[0] for d in cursor.description]
        for values in cursor.fetchall():
            row = dict(zip(names, values, strict=True))
            found[(dataset, str(row[key]))] = row
    return found


def alert_notifications(
    con: duckdb.DuckDBPyConnection, publish_id: int | None, alerts: list[tuple[str, dict]]
) -> list[Notification]:
    """A notification per (notification id, alert), with its evidence rows and the department responsible."""
    from data_contracts.contract import load_contract

    rows = evidence_rows(con, [ref for _, a in alerts for ref in a["evidence"]])
    out = []
    for notification_id, a in alerts:
        dataset = RESPONSIBLE_DATASET.get(a["alert_type"])
        department = {"name": load_contract(dataset).owner, "dataset": dataset} if dataset else None
        alert = {k: a[k] for k in ("alert_id", "alert_type", "entity_type", "entity_id", "occurred_at", "description")}
        evidence = [{**ref, "row": rows.get((ref["dataset"], ref["record_id"]))} for ref in a["evidence"]]
        out.append(
            Notification(
                notification_id,
                "alert",
                f"{a['alert_type']}: {a['description']}",
                {"alert": alert, "evidence": evidence, "department": department, "publish_id": publish_id},
            )
        )
    return out


def alert_notification_id(alert: dict) -> str:
    return f"{ALERT_ID_PREFIX}{alert['alert_id']}"


def freshness_notifications(con: duckdb.DuckDBPyConnection, now: datetime) -> list[Notification]:
    """One per source past its contract's freshness SLA, per last load: a breach is sent once, and again only
    if the source delivers and then goes stale again."""
    from warehouse.status import lake_status

    out = []
    for d in lake_status(con).datasets:
        if d.stale(now):
            out.append(
                Notification(
                    f"freshness:{d.dataset}:{d.last_load_at.isoformat()}",
                    "freshness",
                    f"{d.dataset}: nothing loaded for {(now - d.last_load_at).total_seconds() / 3600:.1f} h "
                    f"(SLA {d.freshness_sla_hours:g} h)",
                    {
                        "dataset": d.dataset,
                        "last_load_at": d.last_load_at,
                        "sla_hours": d.freshness_sla_hours,
                        "next_step": "ask the department whether it delivered; `sdc status` shows the last delivery "
                        "and any file rejected whole",
                    },
                )
            )
    return out

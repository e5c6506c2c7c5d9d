"""`sdc status`: per source dataset, what arrived, what flowed on, and what needs an operator; the last
publish and what it waits for.

Read only. Needs attention (non-zero exit of `sdc status`): a delivery held back by a breaker, a file
rejected whole in the last day (one ledger row each, `lake.meta.file_ledger`), a source that delivered
and then went stale beyond its contract's freshness SLA, a mart the last publish held back (a failed dbt test
or model build), validated data waiting for a publish longer than PUBLISH_LAG (also what a failed run leaves:
a failed blocking check such as reconciliation stops the steps downstream of it). A source never delivered
yet is shown, not flagged (an API not connected, a weekly file not due).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

import duckdb

from data_contracts.contract import all_contracts
from warehouse.beijing import BEIJING, beijing, labelled
from warehouse.holds import open_holds
from warehouse.publish import PublishEntry, read_log

WINDOW = timedelta(days=1)
PUBLISH_LAG = timedelta(hours=1)
"""Validated data unpublished longer than this: the downstream runs are not following the loads."""
LAST_FILE = """SELECT dataset, max(received_at), arg_max(source_file, received_at) FROM lake.meta.file_ledger
               GROUP BY dataset"""
LAST_LOAD = "SELECT dataset, max(loaded_at), arg_max(source, loaded_at) FROM lake.meta.load_log GROUP BY dataset"
VALIDATED = """SELECT v.dataset, max(l.loaded_at),
                      coalesce(sum(v.rows_accepted) FILTER (v.validated_at >= ?), 0),
                      coalesce(sum(v.rows_quarantined) FILTER (v.validated_at >= ?), 0)
               FROM lake.meta.validation_log v JOIN lake.meta.load_log l USING (dataset, load_id)
               GROUP BY v.dataset"""
# Loads whose accepted rows are in the validated layer but in no publish yet (since the last one, or ever).
UNPUBLISHED = """SELECT dataset, count(*), sum(rows_accepted), min(validated_at) FROM lake.meta.validation_log
                 WHERE rows_accepted > 0 AND validated_at > ? GROUP BY dataset ORDER BY dataset"""
REJECTED = """SELECT dataset, source_file, received_at, reason FROM lake.meta.file_ledger
              WHERE status = 'rejected' AND received_at >= ? ORDER BY received_at, source_file"""


@dataclass(frozen=True)
class DatasetStatus:
    dataset: str
    last_delivery_at: datetime | None
    """Newest file received (any outcome) or API pull loaded."""
    last_delivery: str | None
    last_load_at: datetime | None
    """Newest load written to the raw layer."""
    last_validated_at: datetime | None
    """Newest load whose rows flowed on: the dataset's state downstream."""
    rows_accepted: int
    rows_quarantined: int
    """In loads validated since `Status.since` (today, Beijing)."""
    freshness_sla_hours: float | None
    holds: list[dict] = field(default_factory=list)

    def age_hours(self, now: datetime) -> float | None:
        return None if self.last_load_at is None else (now - self.last_load_at).total_seconds() / 3600

    def stale(self, now: datetime) -> bool:
        age = self.age_hours(now)
        return age is not None and self.freshness_sla_hours is not None and age > self.freshness_sla_hours


@dataclass(frozen=True)
class RejectedFile:
    dataset: str
    source_file: str
    received_at: datetime
    reason: str


@dataclass(frozen=True)
class Unpublished:
    """Validated loads of one dataset that no publish shows yet."""

    dataset: str
    loads: int
    rows: int
    since: datetime


@dataclass(frozen=True)
class Status:
    now: datetime
    since: datetime
    """Start of today, Beijing: the accepted/quarantined counts are today's."""
    datasets: list[DatasetStatus]
    rejected_files: list[RejectedFile]
    last_publish: PublishEntry | None = None
    unpublished: list[Unpublished] = field(default_factory=list)

    @property
    def attention(self) -> list[str]:
        """One line per thing an operator should look at."""
        out = [f"{h['dataset']}: {h['source']} (load {h['load_id']}) held back by {h['check_name']}: {h['reason']}"
               for d in self.datasets for h in d.holds]  # fmt: skip
        out += [f"{r.dataset}: {r.source_file} rejected: {r.reason}" for r in self.rejected_files]
        out += [f"{d.dataset}: stale, last load {labelled(d.last_load_at)}, SLA {d.freshness_sla_hours:g} h"
                for d in self.datasets if d.stale(self.now)]  # fmt: skip
        if self.last_publish:
            out += [f"mart {mart} held back at its last good publish: {why}"
                    for mart, why in sorted(self.last_publish.held_back.items())]  # fmt: skip
        out += [f"{u.dataset}: {u.loads} validated load(s) waiting for a publish since {labelled(u.since)}"
                for u in self.unpublished if self.now - u.since > PUBLISH_LAG]  # fmt: skip
        return out


def _query(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[tuple]:
    try:
        return con.execute(sql, params).fetchall()
    except duckdb.CatalogException:  # read only: a lake without that table yet (listing the catalog costs more)
        return []


def beijing_day_start(now: datetime) -> datetime:
    return datetime.combine(now.astimezone(BEIJING).date(), time(), BEIJING).astimezone(UTC)


def lake_status(con: duckdb.DuckDBPyConnection, now: datetime | None = None, window: timedelta = WINDOW) -> Status:
    now = now or datetime.now(UTC)
    today = beijing_day_start(now)
    files = {d: (at, f) for d, at, f in _query(con, LAST_FILE, [])}
    loads = {d: (at, s) for d, at, s in _query(con, LAST_LOAD, [])}
    validated = {d: (at, a, q) for d, at, a, q in _query(con, VALIDATED, [today, today])}
    holds = open_holds(con)
    contracts = {c.dataset: c for c in all_contracts()}
    datasets = []
    for dataset in sorted(set(contracts) | set(loads)):
        delivered = max((x for x in (files.get(dataset), loads.get(dataset)) if x), default=(None, None))
        v_at, accepted, quarantined = validated.get(dataset, (None, 0, 0))
        contract = contracts.get(dataset)
        datasets.append(
            DatasetStatus(
                dataset, delivered[0], delivered[1], loads.get(dataset, (None, None))[0], v_at, int(accepted),
                int(quarantined), contract.freshness_hours if contract else None,
                [h for h in holds if h["dataset"] == dataset],
            )
        )  # fmt: skip
    rejected = [RejectedFile(*r) for r in _query(con, REJECTED, [now - window])]
    published = read_log(con, newest_live_only=True)
    last = published[0] if published else None
    after = last.published_at if last else datetime.min.replace(tzinfo=UTC)
    unpublished = [Unpublished(d, int(n), int(rows), at)
                   for d, n, rows, at in _query(con, UNPUBLISHED, [after])]  # fmt: skip
    return Status(now, today, datasets, rejected, last, unpublished)


def _when(at: datetime | None) -> str:
    return beijing(at) if at else "—"


def _freshness(d: DatasetStatus, now: datetime) -> str:
    age = d.age_hours(now)
    if age is None:
        return "—"
    sla = f"/{d.freshness_sla_hours:g}h" if d.freshness_sla_hours is not None else ""
    return f"{age:.0f}h{sla}" + (" STALE" if d.stale(now) else "")


def status_lines(status: Status) -> list[str]:
    """The report `sdc status` prints."""
    when = f"{'(Beijing)':<18}" * 3
    lines = [f"now {labelled(status.now)}; today = {beijing(status.since, '%Y-%m-%d')} (Beijing)", "",
             f"{'dataset':<30}{'last delivery':<18}{'last load':<18}{'flowed on up to':<18}{'age/SLA':<13}"
             f"{'accepted':>10}{'quarantined':>13}{'held':>6}  last file or request",
             f"{'':<30}{when}{'':<13}{'today':>10}{'today':>13}"]  # fmt: skip
    for d in status.datasets:
        lines.append(f"{d.dataset:<30}{_when(d.last_delivery_at):<18}{_when(d.last_load_at):<18}"
                     f"{_when(d.last_validated_at):<18}{_freshness(d, status.now):<13}{d.rows_accepted:>10}"
                     f"{d.rows_quarantined:>13}{len(d.holds):>6}  {d.last_delivery or ''}")  # fmt: skip
    lines.append("")
    last = status.last_publish
    if last is None:
        lines.append("last publish: none yet")
    else:
        held = f", {len(last.held_back)} held back at an earlier publish" if last.held_back else ""
        lines.append(f"last publish: {last.publish_id} at {labelled(last.published_at)}, {len(last.marts)} marts{held}")
    waiting = [f"{u.loads} validated load(s) of {u.dataset} ({u.rows} rows, since {beijing(u.since)})"
               for u in status.unpublished]  # fmt: skip
    waiting += [f"{h['source']} of {h['dataset']}: held back by {h['check_name']}"
                for d in status.datasets for h in d.holds]  # fmt: skip
    waiting += [f"mart {m}: {why}" for m, why in sorted(last.held_back.items())] if last else []
    lines += ["  waiting for:", *(f"    {w}" for w in waiting)] if waiting else ["  waiting for nothing"]
    attention = status.attention
    lines.append("")
    lines += ["needs attention:", *(f"  {a}" for a in attention)] if attention else ["nothing needs attention"]
    return lines

"""`sdc status`: per source dataset, what arrived, what flowed on, and what needs an operator.

Read only. Needs attention (non-zero exit of `sdc status`): a delivery held back by a breaker, a file
rejected whole in the last day (one ledger row each, `lake.meta.file_ledger`), a source that delivered
and then went stale beyond its contract's freshness SLA. A source never delivered yet is shown, not flagged
(an API not connected, a weekly file not due).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import duckdb

from data_contracts.contract import all_contracts
from warehouse.beijing import beijing, labelled
from warehouse.holds import open_holds
from warehouse.lake import table_exists

WINDOW = timedelta(days=1)
LAST_FILE = """SELECT dataset, max(received_at), arg_max(source_file, received_at) FROM lake.meta.file_ledger
               GROUP BY dataset"""
LAST_LOAD = "SELECT dataset, max(loaded_at), arg_max(source, loaded_at) FROM lake.meta.load_log GROUP BY dataset"
VALIDATED = """SELECT v.dataset, max(l.loaded_at),
                      coalesce(sum(v.rows_accepted) FILTER (v.validated_at >= ?), 0),
                      coalesce(sum(v.rows_quarantined) FILTER (v.validated_at >= ?), 0)
               FROM lake.meta.validation_log v JOIN lake.meta.load_log l USING (dataset, load_id)
               GROUP BY v.dataset"""
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
    """In loads validated within the window."""
    freshness_sla_hours: float | None
    holds: list[dict] = field(default_factory=list)

    def stale(self, now: datetime) -> bool:
        if self.last_load_at is None or self.freshness_sla_hours is None:
            return False
        return now - self.last_load_at > timedelta(hours=self.freshness_sla_hours)


@dataclass(frozen=True)
class RejectedFile:
    dataset: str
    source_file: str
    received_at: datetime
    reason: str


@dataclass(frozen=True)
class Status:
    now: datetime
    datasets: list[DatasetStatus]
    rejected_files: list[RejectedFile]

    @property
    def attention(self) -> list[str]:
        """One line per thing an operator should look at."""
        out = [f"{h['dataset']}: {h['source']} (load {h['load_id']}) held back by {h['check_name']}: {h['reason']}"
               for d in self.datasets for h in d.holds]  # fmt: skip
        out += [f"{r.dataset}: {r.source_file} rejected: {r.reason}" for r in self.rejected_files]
        out += [f"{d.dataset}: stale, last load {labelled(d.last_load_at)}, SLA {d.freshness_sla_hours:g} h"
                for d in self.datasets if d.stale(self.now)]  # fmt: skip
        return out


def _query(con: duckdb.DuckDBPyConnection, table: str, sql: str, params: list) -> list[tuple]:
    schema, name = table.split(".")
    return con.execute(sql, params).fetchall() if table_exists(con, schema, name) else []


def lake_status(con: duckdb.DuckDBPyConnection, now: datetime | None = None, window: timedelta = WINDOW) -> Status:
    now = now or datetime.now(UTC)
    since = now - window
    files = {d: (at, f) for d, at, f in _query(con, "meta.file_ledger", LAST_FILE, [])}
    loads = {d: (at, s) for d, at, s in _query(con, "meta.load_log", LAST_LOAD, [])}
    validated = {d: (at, a, q) for d, at, a, q in _query(con, "meta.validation_log", VALIDATED, [since, since])}
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
    rejected = [RejectedFile(*r) for r in _query(con, "meta.file_ledger", REJECTED, [since])]
    return Status(now, datasets, rejected)


def _when(at: datetime | None) -> str:
    return beijing(at) if at else "—"


def status_lines(status: Status) -> list[str]:
    """The report `sdc status` prints."""
    lines = [f"{'dataset':<32}{'last delivery':<18}{'last load':<18}{'flowed on up to':<18}"
             f"{'accepted 24h':>13}{'quarantined 24h':>16}{'held':>6}  last file or request",
             f"{'':<32}{'(Beijing)':<18}{'(Beijing)':<18}(Beijing)"]  # fmt: skip
    for d in status.datasets:
        lines.append(f"{d.dataset:<32}{_when(d.last_delivery_at):<18}{_when(d.last_load_at):<18}"
                     f"{_when(d.last_validated_at):<18}{d.rows_accepted:>13}{d.rows_quarantined:>16}{len(d.holds):>6}"
                     f"  {d.last_delivery or ''}")  # fmt: skip
    attention = status.attention
    lines.append("")
    lines += ["needs attention:", *(f"  {a}" for a in attention)] if attention else ["nothing needs attention"]
    return lines

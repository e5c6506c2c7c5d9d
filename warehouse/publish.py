"""Write–audit–publish: a log of audited lake snapshots, and the retention of that history.

DuckLake commits every transaction as a snapshot. dbt builds the marts into `lake.marts` (write) and
their blocking tests run (audit); then `publish()` audits the masked view of every mart at the
current snapshot S (no unmasked ID or phone number, every column classified) and appends S to
`lake.meta.publish_log` in one transaction (publish). Readers (warehouse/reader.py) attach the lake
read-only *at S*: every mart of one publish, never a half-built state, and never blocked by a load.

A mart held back (a dbt test upstream of it failed) stays at the snapshot of its last good publish: each
publish records the snapshot of every mart (`mart_snapshots`), why the held-back ones are held
(`held_back`), and how fresh each mart is per source dataset (`freshness`, warehouse/freshness.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb

from sdc_settings import Settings
from warehouse import failpoints, holds
from warehouse.freshness import freshness_rows
from warehouse.lake import LAKE, current_snapshot, open_lake, tables_at, transaction
from warehouse.masking import MASKING_RULES, Leak, find_leaks, masked_select

PUBLISHED_SCHEMA = "marts"

PUBLISH_LOG_DDL = """
CREATE TABLE IF NOT EXISTS lake.meta.publish_log (
    publish_id BIGINT, snapshot_id BIGINT, published_at TIMESTAMPTZ, marts VARCHAR[], row_counts VARCHAR,
    classifications VARCHAR, run_id VARCHAR, expired_at TIMESTAMPTZ, mart_snapshots VARCHAR, held_back VARCHAR,
    freshness VARCHAR, descriptions VARCHAR, masking_rules VARCHAR)
"""
# JSON columns added after the first publishes, oldest first: a log written before them reads as every mart at
# snapshot_id, nothing held back, no freshness, no column meanings.
PUBLISH_LOG_ADDED = ("mart_snapshots", "held_back", "freshness", "descriptions", "masking_rules")
LOG_COLUMNS = (
    "publish_id, snapshot_id, published_at, marts, row_counts, classifications, run_id, expired_at, "
    "mart_snapshots, held_back, freshness, descriptions, masking_rules"
)

# {table: [column, ...]} -> {table: {column: classification}}; raises when a column is unclassified.
Classifier = Callable[[Mapping[str, list[str]]], dict[str, dict[str, str]]]


class NothingPublished(RuntimeError):
    """No publish has happened yet: run the pipeline (`sdc run` or `sdc demo`) first."""


class MaskingLeak(RuntimeError):
    """The masked view of a mart would show an ID or phone number: the publish is refused."""

    def __init__(self, leaks: list[Leak]) -> None:
        super().__init__("masked view would leak: " + "; ".join(str(x) for x in leaks))
        self.leaks = leaks


@dataclass(frozen=True)
class PublishEntry:
    publish_id: int
    snapshot_id: int
    published_at: datetime
    marts: list[str]
    row_counts: dict[str, int]
    classifications: dict[str, dict[str, str]]
    run_id: str | None = None
    expired_at: datetime | None = None
    mart_snapshots: dict[str, int] = field(default_factory=dict)
    """{mart: lake snapshot it is read at}: this publish's own, or a held-back mart's last good one."""
    held_back: dict[str, str] = field(default_factory=dict)
    """{mart: why it was not published fresh} (a held-back mart never published before is not in `marts`)."""
    freshness: list[dict] = field(default_factory=list)
    """Rows of `data_freshness` (warehouse/freshness.py)."""
    descriptions: dict[str, dict] = field(default_factory=dict)
    """{mart: {"description": ..., "columns": {column: meaning}}} as the dbt docs had them (warehouse/mart_docs.py)."""
    masking_rules: str | None = None
    """The masking and leak-scanning rules the audit applied (`masking.MASKING_RULES`)."""

    @property
    def expired(self) -> bool:
        return self.expired_at is not None

    def snapshot_of(self, mart: str) -> int:
        return self.mart_snapshots.get(mart, self.snapshot_id)


def table_columns(con: duckdb.DuckDBPyConnection, table: str, snapshot: int | None = None) -> dict[str, str]:
    """{column: DuckDB type} of a published table, in table order (at `snapshot`, or as attached)."""
    # DESCRIBE, not duckdb_columns(): the first duckdb_columns() of a process costs ~1.5 s of CPU.
    return {row[0]: row[1] for row in con.execute(f"DESCRIBE SELECT * FROM {mart_sql(table, snapshot)}").fetchall()}


def mart_sql(table: str, snapshot: int | None = None) -> str:
    at = f" AT (VERSION => {int(snapshot)})" if snapshot is not None else ""
    return f'{LAKE}.{PUBLISHED_SCHEMA}."{table}"{at}'


def read_log(con: duckdb.DuckDBPyConnection, *, newest_live_only: bool = False) -> list[PublishEntry]:
    """The publish log, oldest first (or just the newest unexpired publish: what most readers need)."""
    where = " WHERE expired_at IS NULL ORDER BY publish_id DESC LIMIT 1" if newest_live_only else " ORDER BY publish_id"
    base = LOG_COLUMNS.split(", ")[: -len(PUBLISH_LOG_ADDED)]
    # the newest layout first; a log from before some added columns reads them as NULL (the next publish adds them)
    for missing in range(len(PUBLISH_LOG_ADDED) + 1):
        present = PUBLISH_LOG_ADDED[: len(PUBLISH_LOG_ADDED) - missing]
        columns = ", ".join([*base, *present, *["NULL"] * missing])
        try:
            rows = con.execute(f"SELECT {columns} FROM lake.meta.publish_log{where}").fetchall()
            return [_entry(r) for r in rows]
        except duckdb.BinderException:
            continue
        except duckdb.CatalogException:
            return []  # nothing published yet (listing the catalog's tables instead costs every reader)
    raise AssertionError("unreachable: the base columns are in every publish log")


def _entry(r: tuple) -> PublishEntry:
    snapshots = {m: int(s) for m, s in json.loads(r[8]).items()} if r[8] else dict.fromkeys(r[3], int(r[1]))
    held_back = json.loads(r[9]) if r[9] else {}
    freshness = json.loads(r[10]) if r[10] else []
    descriptions = json.loads(r[11]) if r[11] else {}
    return PublishEntry(
        int(r[0]),
        int(r[1]),
        r[2],
        list(r[3]),
        json.loads(r[4]),
        json.loads(r[5]),
        r[6],
        r[7],
        snapshots,
        held_back,
        freshness,
        descriptions,
        r[12],
    )


def publish(
    con: duckdb.DuckDBPyConnection,
    classifier: Classifier,
    run_id: str | None = None,
    *,
    held_back: Mapping[str, str] | None = None,
    sources: Mapping[str, list[str]] | None = None,
    descriptions: Mapping[str, dict] | None = None,
) -> PublishEntry:
    """Audit the marts at the current snapshot and record it as the newest publish (one transaction).

    `held_back` {mart: why}: marts not to publish fresh; each stays at its last good publish's snapshot
    (and is left out when it was never published). `sources` {mart: [dataset, ...]}: what feeds each
    mart, for its freshness. `descriptions` {mart: {"description", "columns"}}: what the marts mean, shown
    by `sdc sql`'s describe. Raises (and publishes nothing) when a column is unclassified or the masked
    view would leak.
    """
    con.execute(PUBLISH_LOG_DDL)
    for column in PUBLISH_LOG_ADDED:
        con.execute(f"ALTER TABLE lake.meta.publish_log ADD COLUMN IF NOT EXISTS {column} VARCHAR")
    holds.ensure_table(con)
    held_back = dict(held_back or {})
    with transaction(con):  # the audit's reads at one snapshot, the lake's catalog read once
        snapshot = current_snapshot(con)  # the state holding the marts dbt just built and tested
        fresh = [m for m in tables_at(con, PUBLISHED_SCHEMA, snapshot) if m not in held_back]
        columns = {m: table_columns(con, m) for m in fresh}
        plan = classifier({m: list(cols) for m, cols in columns.items()})
        previous = read_log(con, newest_live_only=True)
        leaks = []
        for mart, cols in columns.items():
            masked = masked_select(
                _unaudited_rows(mart, snapshot, plan[mart], previous), {c: plan[mart][c] for c in cols}
            )
            leaks += find_leaks(con, mart, masked, plan[mart])
        if leaks:
            raise MaskingLeak(leaks)
        counts = {m: int(con.execute(f"SELECT count(*) FROM {mart_sql(m, snapshot)}").fetchone()[0]) for m in columns}
        mart_snapshots = dict.fromkeys(fresh, snapshot)
        docs = {m: d for m, d in (descriptions or {}).items() if m in fresh}
        if previous:  # held-back marts as their last good publish had them (audited then)
            kept = [m for m in held_back if m in previous[0].marts]
            mart_snapshots |= {m: previous[0].snapshot_of(m) for m in kept}
            counts |= {m: previous[0].row_counts[m] for m in kept}
            plan |= {m: previous[0].classifications[m] for m in kept}
            docs |= {m: previous[0].descriptions[m] for m in kept if m in previous[0].descriptions}
        marts = sorted(mart_snapshots)
        freshness = freshness_rows(con, {m: mart_snapshots[m] for m in marts}, sources or {}, held_back, snapshot)
    publish_id = int(con.execute("SELECT coalesce(max(publish_id), 0) + 1 FROM lake.meta.publish_log").fetchone()[0])
    entry = PublishEntry(
        publish_id, snapshot, datetime.now(UTC), marts, {m: counts[m] for m in marts}, {m: plan[m] for m in marts},
        run_id, None, {m: mart_snapshots[m] for m in marts}, held_back, freshness, docs, MASKING_RULES,
    )  # fmt: skip
    with transaction(con):
        con.execute(
            f"INSERT INTO lake.meta.publish_log ({LOG_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?)",
            [entry.publish_id, entry.snapshot_id, entry.published_at, entry.marts, json.dumps(entry.row_counts),
             json.dumps(entry.classifications, ensure_ascii=False), run_id, json.dumps(entry.mart_snapshots),
             json.dumps(held_back, ensure_ascii=False), json.dumps(freshness, ensure_ascii=False),
             json.dumps(docs, ensure_ascii=False), MASKING_RULES],
        )  # fmt: skip
        con.execute(f"CALL {LAKE}.set_commit_message('sdc', ?)", [f"publish {publish_id} of snapshot {snapshot}"])
        failpoints.reach("publish.before_commit")
    return entry


def _unaudited_rows(mart: str, snapshot: int, plan: Mapping[str, str], previous: list[PublishEntry]) -> str:
    """The rows of a mart at `snapshot` that no earlier audit read: the rows written after the snapshot its last
    publish audited it at (DuckLake's `snapshot_id`, when a row was written), when that audit classified its
    columns as now and applied the same masking and scanning rules; otherwise every row. An incremental mart (2 M
    rows of `vehicle_xref` after 90 days) is then scanned for what a run wrote, a rebuilt one whole."""
    relation = mart_sql(mart, snapshot)
    last = previous[0] if previous else None
    if last is None or mart not in last.marts or last.masking_rules != MASKING_RULES:
        return relation
    if last.classifications.get(mart) != dict(plan):
        return relation
    return f"(SELECT * FROM {relation} WHERE snapshot_id > {int(last.snapshot_of(mart))})"


def publish_history(settings: Settings) -> list[PublishEntry]:
    con = open_lake(settings, read_only=True)
    try:
        return read_log(con)
    finally:
        con.close()


@dataclass(frozen=True)
class Expiry:
    publishes: list[int]
    snapshots: list[int]


def expire_publishes(con: duckdb.DuckDBPyConnection, keep: int, *, cleanup: bool = True) -> Expiry:
    """Keep the newest `keep` publishes queryable; expire every other lake snapshot older than the newest
    publish and delete the files only those snapshots used (unless not `cleanup`: lake maintenance deletes
    them after a grace period). Snapshots after the newest publish stay."""
    if keep < 1:
        raise ValueError("keep must be at least 1")
    live = [e for e in read_log(con) if not e.expired]
    if not live:
        return Expiry([], [])
    kept = live[-keep:]
    # a held-back mart of a kept publish is read at an older snapshot: that one stays too
    protected = {e.snapshot_id for e in kept} | {s for e in kept for s in e.mart_snapshots.values()}
    newest = max(e.snapshot_id for e in kept)
    snapshots = [int(r[0]) for r in con.execute(f"SELECT snapshot_id FROM {LAKE}.snapshots()").fetchall()]
    doomed = sorted(s for s in snapshots if s < newest and s not in protected)
    gone = [e.publish_id for e in live[:-keep]]
    if gone:
        con.execute(
            "UPDATE lake.meta.publish_log SET expired_at = ? WHERE publish_id IN (SELECT unnest(?))",
            [datetime.now(UTC), gone],
        )
    if doomed:
        con.execute(f"CALL ducklake_expire_snapshots('{LAKE}', versions => ?)", [doomed])
        if cleanup:
            con.execute(f"CALL ducklake_cleanup_old_files('{LAKE}', cleanup_all => true)")
    return Expiry(gone, doomed)

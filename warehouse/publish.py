"""Write–audit–publish: a log of audited lake snapshots, and the retention of that history.

DuckLake commits every transaction as a snapshot. dbt builds the marts into `lake.marts` (write) and
their blocking tests run (audit); then `publish()` audits the masked view of every mart at the
current snapshot S (no unmasked ID or phone number, every column classified) and appends S to
`lake.meta.publish_log` in one transaction (publish). Readers (warehouse/reader.py) attach the lake
read-only *at S*: every mart of one publish, never a half-built state, and never blocked by a load.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from sdc.config import Settings
from warehouse import failpoints
from warehouse.lake import LAKE, current_snapshot, open_lake
from warehouse.masking import Leak, find_leaks, masked_select

PUBLISHED_SCHEMA = "marts"

PUBLISH_LOG_DDL = """
CREATE TABLE IF NOT EXISTS lake.meta.publish_log (
    publish_id BIGINT, snapshot_id BIGINT, published_at TIMESTAMPTZ, marts VARCHAR[], row_counts VARCHAR,
    classifications VARCHAR, run_id VARCHAR, expired_at TIMESTAMPTZ)
"""

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

    @property
    def expired(self) -> bool:
        return self.expired_at is not None


def mart_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND schema_name = ? ORDER BY 1",
        [LAKE, PUBLISHED_SCHEMA],
    ).fetchall()
    return [r[0] for r in rows]


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    """{column: DuckDB type} of a published table, in table order (as the attached snapshot has it)."""
    # DESCRIBE, not duckdb_columns(): the first duckdb_columns() of a process costs ~1.5 s of CPU.
    return {row[0]: row[1] for row in con.execute(f"DESCRIBE {mart_sql(table)}").fetchall()}


def mart_sql(table: str, snapshot: int | None = None) -> str:
    at = f" AT (VERSION => {int(snapshot)})" if snapshot is not None else ""
    return f'{LAKE}.{PUBLISHED_SCHEMA}."{table}"{at}'


def read_log(con: duckdb.DuckDBPyConnection, *, newest_live_only: bool = False) -> list[PublishEntry]:
    """The publish log, oldest first (or just the newest unexpired publish: what most readers need)."""
    where = " WHERE expired_at IS NULL ORDER BY publish_id DESC LIMIT 1" if newest_live_only else ""
    try:
        rows = con.execute(
            "SELECT publish_id, snapshot_id, published_at, marts, row_counts, classifications, run_id, expired_at "
            f"FROM lake.meta.publish_log{where or ' ORDER BY publish_id'}"
        ).fetchall()
    except duckdb.CatalogException:
        return []  # nothing published yet (listing the catalog's tables instead costs every reader)
    return [
        PublishEntry(int(r[0]), int(r[1]), r[2], list(r[3]), json.loads(r[4]), json.loads(r[5]), r[6], r[7])
        for r in rows
    ]


def publish(con: duckdb.DuckDBPyConnection, classifier: Classifier, run_id: str | None = None) -> PublishEntry:
    """Audit the marts at the current snapshot and record it as the newest publish (one transaction).

    Raises (and publishes nothing) when a column is unclassified or the masked view would leak.
    """
    con.execute(PUBLISH_LOG_DDL)
    snapshot = current_snapshot(con)  # the state holding the marts dbt just built and tested
    columns = {m: table_columns(con, m) for m in mart_tables(con)}
    plan = classifier({m: list(cols) for m, cols in columns.items()})
    leaks = []
    for mart, cols in columns.items():
        masked = masked_select(mart_sql(mart, snapshot), plan[mart], cols)
        leaks += find_leaks(con, mart, masked, plan[mart])
    if leaks:
        raise MaskingLeak(leaks)
    counts = {m: int(con.execute(f"SELECT count(*) FROM {mart_sql(m, snapshot)}").fetchone()[0]) for m in columns}
    publish_id = int(con.execute("SELECT coalesce(max(publish_id), 0) + 1 FROM lake.meta.publish_log").fetchone()[0])
    entry = PublishEntry(publish_id, snapshot, datetime.now(UTC), list(columns), counts, plan, run_id)
    con.execute("BEGIN")
    try:
        con.execute(
            "INSERT INTO lake.meta.publish_log VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
            [entry.publish_id, entry.snapshot_id, entry.published_at, entry.marts, json.dumps(counts),
             json.dumps(plan, ensure_ascii=False), run_id],
        )  # fmt: skip
        con.execute(f"CALL {LAKE}.set_commit_message('sdc', ?)", [f"publish {publish_id} of snapshot {snapshot}"])
        failpoints.reach("publish.before_commit")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return entry


def no_lake_yet(settings: Settings) -> bool:
    """True when the lake's SQLite catalog does not exist (attaching read-only would fail)."""
    catalog = settings.lake_catalog
    return catalog.startswith("sqlite:") and not Path(catalog.removeprefix("sqlite:")).exists()


def publish_history(settings: Settings) -> list[PublishEntry]:
    if no_lake_yet(settings):
        return []
    con = open_lake(settings, read_only=True)
    try:
        return read_log(con)
    finally:
        con.close()


@dataclass(frozen=True)
class Expiry:
    publishes: list[int]
    snapshots: list[int]


def expire_publishes(con: duckdb.DuckDBPyConnection, keep: int) -> Expiry:
    """Keep the newest `keep` publishes queryable; expire every other lake snapshot older than the newest
    publish and delete the files only those snapshots used. Snapshots after the newest publish stay."""
    if keep < 1:
        raise ValueError("keep must be at least 1")
    live = [e for e in read_log(con) if not e.expired]
    if not live:
        return Expiry([], [])
    kept = live[-keep:]
    protected = {e.snapshot_id for e in kept}
    newest = max(protected)
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
        con.execute(f"CALL ducklake_cleanup_old_files('{LAKE}', cleanup_all => true)")
    return Expiry(gone, doomed)

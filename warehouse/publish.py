"""Publishing: a log of audited lake snapshots, and read-only reader sessions pinned to one of them.

DuckLake commits every transaction as a snapshot. After the marts are built and audited, the
publisher records the current snapshot id; readers attach the lake at the newest recorded snapshot,
so they see every mart of one publish or of the previous one — never a half-built state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from sdc.config import Settings
from warehouse.lake import LAKE, current_snapshot, open_lake

PUBLISH_LOG_DDL = """
CREATE TABLE IF NOT EXISTS lake.meta.publish_log (
    publish_id BIGINT, snapshot_id BIGINT, published_at TIMESTAMPTZ, marts VARCHAR[], run_id VARCHAR)
"""


class NothingPublished(RuntimeError):
    """No publish has happened yet: run the pipeline (`sdc run` or `sdc demo`) first."""


@dataclass(frozen=True)
class PublishEntry:
    publish_id: int
    snapshot_id: int
    published_at: datetime
    marts: list[str]


def mart_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'marts' ORDER BY 1",
        [LAKE],
    ).fetchall()
    return [r[0] for r in rows]


def publish(con: duckdb.DuckDBPyConnection, run_id: str | None = None) -> PublishEntry:
    con.execute(PUBLISH_LOG_DDL)
    snapshot = current_snapshot(con)  # the state holding the audited marts
    marts = mart_tables(con)
    publish_id = con.execute("SELECT coalesce(max(publish_id), 0) + 1 FROM lake.meta.publish_log").fetchone()[0]
    entry = PublishEntry(int(publish_id), snapshot, datetime.now(UTC), marts)
    con.execute(
        "INSERT INTO lake.meta.publish_log VALUES (?, ?, ?, ?, ?)",
        [entry.publish_id, entry.snapshot_id, entry.published_at, entry.marts, run_id],
    )
    return entry


def publish_history(settings: Settings) -> list[PublishEntry]:
    catalog = settings.lake_catalog
    if catalog.startswith("sqlite:") and not Path(catalog.removeprefix("sqlite:")).exists():
        return []
    con = open_lake(settings, read_only=True)
    try:
        exists = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'meta' "
            "AND table_name = 'publish_log'",
            [LAKE],
        ).fetchone()[0]
        if not exists:
            return []
        rows = con.execute(
            "SELECT publish_id, snapshot_id, published_at, marts FROM lake.meta.publish_log ORDER BY publish_id"
        ).fetchall()
    finally:
        con.close()
    return [PublishEntry(int(r[0]), int(r[1]), r[2], list(r[3])) for r in rows]


def open_published(settings: Settings, publish_id: int | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only session on a published state: every mart is a view in the default schema."""
    history = publish_history(settings)
    if not history:
        raise NothingPublished("nothing has been published yet: run `sdc run` (or `sdc demo`) first")
    entry = history[-1] if publish_id is None else next(e for e in history if e.publish_id == publish_id)
    con = open_lake(settings, read_only=True, snapshot=entry.snapshot_id)
    for mart in entry.marts:
        con.execute(f'CREATE VIEW main."{mart}" AS SELECT * FROM {LAKE}.marts."{mart}"')
    return con

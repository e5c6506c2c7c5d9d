"""Lake maintenance: merge the small Parquet files that hourly and daily loads leave, expire the snapshots no
retained publish needs, and delete files nothing uses any more — DuckLake's own functions
(`ducklake_merge_adjacent_files`, `ducklake_expire_snapshots`, `ducklake_cleanup_old_files`).

Readers are pinned to a published snapshot, and `--as-of` reads older publishes: every snapshot a retained
publish references stays (`expire_publishes`). Merging keeps time travel (a merged file records which rows each
snapshot saw), so a pinned reader reads the merged file from then on; the files it replaced are only deleted
`grace` after they were scheduled for deletion, so a query that planned its scan before the merge finishes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import duckdb

from warehouse.lake import LAKE
from warehouse.publish import expire_publishes

DEFAULT_GRACE = timedelta(hours=1)


@dataclass(frozen=True)
class MaintenanceReport:
    files_before: int
    files_after: int
    files_merged: int
    files_created: int
    publishes_expired: list[int]
    snapshots_expired: list[int]
    files_deleted: int


def data_file_count(con: duckdb.DuckDBPyConnection) -> int:
    """Parquet data files in the lake's catalog (every snapshot's, not yet deleted)."""
    catalog = f"__ducklake_metadata_{LAKE}"
    return int(con.execute(f"SELECT count(*) FROM {catalog}.ducklake_data_file").fetchone()[0])


def maintain(con: duckdb.DuckDBPyConnection, keep: int, *, grace: timedelta = DEFAULT_GRACE) -> MaintenanceReport:
    """Merge adjacent small files of every table, expire snapshots outside the newest `keep` publishes (never
    one a retained publish reads), and delete files unused for longer than `grace`. `con` is a writer's."""
    before = data_file_count(con)
    merged = con.execute(f"CALL ducklake_merge_adjacent_files('{LAKE}')").fetchall()
    # rows: (schema, table, files processed, files created)
    processed = sum(int(r[2]) for r in merged)
    created = sum(int(r[3]) for r in merged)
    expiry = expire_publishes(con, keep, cleanup=False)
    seconds = int(grace.total_seconds())
    deleted = con.execute(
        f"CALL ducklake_cleanup_old_files('{LAKE}', older_than => now() - INTERVAL '{seconds} seconds')"
    ).fetchall()
    return MaintenanceReport(
        before, data_file_count(con), processed, created, expiry.publishes, expiry.snapshots, len(deleted)
    )

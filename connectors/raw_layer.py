"""The raw layer's tables: one per dataset (values as delivered, text, + lineage), reader rejects, load log.

Every write here happens inside the caller's lake transaction, so a load's rows, rejects, log entry
and ledger/cursor entries commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pyarrow as pa

from connectors.records import Record

LINEAGE_COLUMNS = (
    "_source_system",
    "_source_file",
    "_source_sha256",
    "_record_number",
    "_load_id",
    "_loaded_at",
)
LINEAGE_TYPES = {"_record_number": "BIGINT", "_loaded_at": "TIMESTAMPTZ"}
RECORD_SHA = "_record_sha256"
"""API tables only: hash of one record as received, to recognise a record already loaded."""

LOAD_LOG_DDL = """
CREATE TABLE IF NOT EXISTS lake.meta.load_log (
    dataset VARCHAR, load_id VARCHAR, source VARCHAR, source_sha256 VARCHAR, rows_read BIGINT,
    rows_loaded BIGINT, rows_rejected BIGINT, loaded_at TIMESTAMPTZ, source_system VARCHAR,
    superseded_by VARCHAR)
"""
REJECTS_DDL = """
CREATE TABLE IF NOT EXISTS lake.raw.reader_rejects (
    dataset VARCHAR, source_file VARCHAR, source_sha256 VARCHAR, record_number BIGINT, reason VARCHAR,
    load_id VARCHAR, loaded_at TIMESTAMPTZ, rule VARCHAR, content VARCHAR)
"""


@dataclass(frozen=True)
class Load:
    """One load: a file version, or one API pull (window)."""

    dataset: str
    source_system: str
    source: str
    source_sha256: str
    load_id: str
    loaded_at: datetime


@dataclass(frozen=True)
class LoadCounts:
    rows_read: int
    rows_loaded: int
    rows_rejected: int


def raw_table(dataset: str) -> str:
    return dataset.replace(".", "__")


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(LOAD_LOG_DDL)
    con.execute(REJECTS_DDL)


def raw_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str] | None:
    rows = con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = 'lake' AND schema_name = 'raw' "
        "AND table_name = ? ORDER BY column_index",
        [table],
    ).fetchall()
    return [r[0] for r in rows] or None


def ensure_raw_table(
    con: duckdb.DuckDBPyConnection, table: str, header: Sequence[str], extra_lineage: Sequence[str] = ()
) -> None:
    existing = raw_columns(con, table)
    if existing is None:
        lineage = [*LINEAGE_COLUMNS, *extra_lineage]
        cols = [f'"{c}" {LINEAGE_TYPES.get(c, "VARCHAR")}' for c in lineage]
        cols += [f'"{c}" VARCHAR' for c in header if c not in lineage]
        con.execute(f'CREATE TABLE IF NOT EXISTS lake.raw."{table}" ({", ".join(cols)})')
        return
    # A department added a column: keep it (as delivered); validation reports the schema drift.
    for column in header:
        if column not in existing:
            con.execute(f'ALTER TABLE lake.raw."{table}" ADD COLUMN "{column}" VARCHAR')


def write_load(
    con: duckdb.DuckDBPyConnection,
    load: Load,
    header: Sequence[str],
    records: Sequence[Record],
    *,
    sources: Sequence[tuple[str, str]] | None = None,
    record_shas: Sequence[str] | None = None,
) -> LoadCounts:
    """Rows, reader rejects and the load-log entry of one load.

    `sources` gives each record its own (source, sha256) — an API pull spans several responses;
    `record_shas` fills `_record_sha256` (API tables).
    """
    table = raw_table(load.dataset)
    ensure_raw_table(con, table, header, (RECORD_SHA,) if record_shas is not None else ())
    good = [i for i, r in enumerate(records) if r.values is not None]
    bad = [i for i, r in enumerate(records) if r.values is None]
    n = len(good)
    if good:
        columns: dict[str, pa.Array | list] = {
            "_source_system": [load.source_system] * n,
            "_source_file": [sources[i][0] for i in good] if sources else [load.source] * n,
            "_source_sha256": [sources[i][1] for i in good] if sources else [load.source_sha256] * n,
            "_record_number": pa.array([records[i].number for i in good], pa.int64()),
            "_load_id": [load.load_id] * n,
            "_loaded_at": pa.array([load.loaded_at] * n, pa.timestamp("us", tz="UTC")),
        }
        if record_shas is not None:
            columns[RECORD_SHA] = [record_shas[i] for i in good]
        for name in header:
            columns[name] = pa.array([records[i].values.get(name) for i in good], pa.string())
        batch = pa.table(columns)  # noqa: F841  (referenced by name in the SQL below)
        con.execute(f'INSERT INTO lake.raw."{table}" BY NAME SELECT * FROM batch')
    if bad:
        rejects = pa.table(  # noqa: F841
            {
                "dataset": [load.dataset] * len(bad),
                "source_file": [sources[i][0] for i in bad] if sources else [load.source] * len(bad),
                "source_sha256": [sources[i][1] for i in bad] if sources else [load.source_sha256] * len(bad),
                "record_number": pa.array([records[i].number for i in bad], pa.int64()),
                "reason": [records[i].error for i in bad],
                "load_id": [load.load_id] * len(bad),
                "loaded_at": pa.array([load.loaded_at] * len(bad), pa.timestamp("us", tz="UTC")),
                "rule": [records[i].rule for i in bad],
                "content": [records[i].content for i in bad],
            }
        )
        con.execute("INSERT INTO lake.raw.reader_rejects BY NAME SELECT * FROM rejects")
    counts = LoadCounts(len(records), n, len(bad))
    con.execute(
        "INSERT INTO lake.meta.load_log (dataset, load_id, source, source_sha256, rows_read, rows_loaded, "
        "rows_rejected, loaded_at, source_system) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [load.dataset, load.load_id, load.source, load.source_sha256, counts.rows_read, counts.rows_loaded,
         counts.rows_rejected, load.loaded_at, load.source_system],
    )  # fmt: skip
    return counts


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """One lake snapshot: everything inside commits together, or is rolled back (an error, or a kill)."""
    con.execute("BEGIN")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")

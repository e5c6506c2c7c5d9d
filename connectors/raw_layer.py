"""The raw layer's tables: one per dataset (values as delivered, text, + lineage), reader rejects, load log.

Every write here happens inside the caller's lake transaction, so a load's rows, rejects, log entry
and ledger/cursor entries commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pyarrow as pa

from connectors.records import Record
from data_contracts.lineage import LINEAGE, LINEAGE_COLUMNS

LINEAGE_TYPES = dict(LINEAGE)
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


MAX_COLUMN_NAME = 256


def raw_table(dataset: str) -> str:
    return dataset.replace(".", "__")


def quote(name: str) -> str:
    """A delivered name as a SQL identifier: a name carrying `"` stays one identifier."""
    return '"' + name.replace('"', '""') + '"'


def column_problem(names: Sequence[str]) -> str | None:
    """Why these delivered names cannot all be columns of a raw table (None when they can).

    DuckDB compares identifiers case-insensitively, so `cphm` and `CPHM` would be one column; a lineage
    name would overwrite the lineage it stands for.
    """
    reserved = {c.lower() for c in (*LINEAGE_COLUMNS, RECORD_SHA)}
    seen: dict[str, str] = {}
    for number, name in enumerate(names, start=1):
        if not name.strip():
            return f"column {number} has no name"
        if "\x00" in name or not _utf8(name):
            return f"column {number} has a NUL or a lone surrogate in its name"
        if len(name) > MAX_COLUMN_NAME:
            return f"column {number} has a name of {len(name)} characters (at most {MAX_COLUMN_NAME})"
        folded = name.lower()
        if folded in reserved:
            return f"column {number} {name!r} is a lineage column of the raw layer"
        if folded in seen:
            return f"columns {seen[folded]!r} and {name!r} are the same column (names differ only in case)"
        seen[folded] = name
    return None


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(LOAD_LOG_DDL)
    con.execute(REJECTS_DDL)


def raw_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str] | None:
    """The raw table's columns in order, None before its first load. A probe of the one table: the first
    `duckdb_columns()` of a process costs ≈ 0.2 s on a lake (DuckLake describes every table for it)."""
    try:
        return [d[0] for d in con.execute(f"SELECT * FROM lake.raw.{quote(table)} LIMIT 0").description]
    except duckdb.CatalogException:
        return None


def ensure_raw_table(
    con: duckdb.DuckDBPyConnection, table: str, header: Sequence[str], extra_lineage: Sequence[str] = ()
) -> None:
    existing = raw_columns(con, table)
    if existing is None:
        lineage = [*LINEAGE_COLUMNS, *extra_lineage]
        cols = [f"{quote(c)} {LINEAGE_TYPES.get(c, 'VARCHAR')}" for c in lineage]
        cols += [f"{quote(c)} VARCHAR" for c in header if c not in lineage]
        con.execute(f"CREATE TABLE IF NOT EXISTS lake.raw.{quote(table)} ({', '.join(cols)})")
        return
    # A department added a column: keep it (as delivered); validation reports the schema drift. Readers
    # reject a header that is not the feed's first (`connectors/shape.py`), so only drift gets here.
    known = {c.lower() for c in existing}
    for column in header:
        if column.lower() not in known:
            con.execute(f"ALTER TABLE lake.raw.{quote(table)} ADD COLUMN {quote(column)} VARCHAR")
            known.add(column.lower())


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
    problem = column_problem(header)
    if problem:  # readers and the API client reject such names first; never let one reach the schema
        raise ValueError(f"{load.dataset}: {load.source}: {problem}")
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
        con.execute(f"INSERT INTO lake.raw.{quote(table)} BY NAME SELECT * FROM batch")
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

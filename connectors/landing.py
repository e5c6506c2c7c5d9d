"""Landing-zone ingestion: complete files -> raw tables (text as delivered + lineage), with a file ledger.

One file is loaded in one lake transaction (rows, rejects and its ledger entry together), so a load
killed midway leaves no trace and the next run loads the file again from scratch.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from connectors.decoding import UndecodableFile
from connectors.delimited import read_delimited
from connectors.feeds import LandingFeed

LINEAGE_COLUMNS = (
    "_source_system",
    "_source_file",
    "_source_sha256",
    "_record_number",
    "_load_id",
    "_loaded_at",
)

LEDGER_DDL = """
CREATE TABLE IF NOT EXISTS lake.meta.file_ledger (
    dataset VARCHAR, source_file VARCHAR, sha256 VARCHAR, size_bytes BIGINT, received_at TIMESTAMPTZ,
    status VARCHAR, reason VARCHAR, encoding VARCHAR, rows_read BIGINT, rows_loaded BIGINT,
    rows_rejected BIGINT, load_id VARCHAR)
"""
LOAD_LOG_DDL = """
CREATE TABLE IF NOT EXISTS lake.meta.load_log (
    dataset VARCHAR, load_id VARCHAR, source VARCHAR, source_sha256 VARCHAR, rows_read BIGINT,
    rows_loaded BIGINT, rows_rejected BIGINT, loaded_at TIMESTAMPTZ)
"""
REJECTS_DDL = """
CREATE TABLE IF NOT EXISTS lake.raw.reader_rejects (
    dataset VARCHAR, source_file VARCHAR, source_sha256 VARCHAR, record_number BIGINT, reason VARCHAR,
    load_id VARCHAR, loaded_at TIMESTAMPTZ)
"""


@dataclass
class LoadReport:
    dataset: str
    files_loaded: list[str] = field(default_factory=list)
    files_duplicate: list[str] = field(default_factory=list)
    files_rejected: list[str] = field(default_factory=list)
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    load_ids: list[str] = field(default_factory=list)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(LEDGER_DDL)
    con.execute(LOAD_LOG_DDL)
    con.execute(REJECTS_DDL)


def _known_hashes(con: duckdb.DuckDBPyConnection, dataset: str) -> set[tuple[str, str]]:
    rows = con.execute("SELECT source_file, sha256 FROM lake.meta.file_ledger WHERE dataset = ?", [dataset]).fetchall()
    return {(r[0], r[1]) for r in rows}


def _raw_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str] | None:
    rows = con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = 'lake' AND schema_name = 'raw' "
        "AND table_name = ? ORDER BY column_index",
        [table],
    ).fetchall()
    return [r[0] for r in rows] or None


def _ensure_raw_table(con: duckdb.DuckDBPyConnection, table: str, header: list[str]) -> None:
    existing = _raw_columns(con, table)
    if existing is None:
        cols = [f'"{c}" VARCHAR' for c in (*LINEAGE_COLUMNS, *header)]
        cols[LINEAGE_COLUMNS.index("_record_number")] = '"_record_number" BIGINT'
        cols[LINEAGE_COLUMNS.index("_loaded_at")] = '"_loaded_at" TIMESTAMPTZ'
        con.execute(f'CREATE TABLE lake.raw."{table}" ({", ".join(cols)})')
        return
    # A department added a column: keep it (as delivered); validation reports the schema drift.
    for column in header:
        if column not in existing:
            con.execute(f'ALTER TABLE lake.raw."{table}" ADD COLUMN "{column}" VARCHAR')


def load_file(
    con: duckdb.DuckDBPyConnection, feed: LandingFeed, landing_dir: Path, path: Path, report: LoadReport
) -> None:
    data = path.read_bytes()
    rel = path.relative_to(landing_dir).as_posix()
    digest = sha256_bytes(data)
    if (rel, digest) in _known_hashes(con, feed.dataset):
        return  # this exact delivery is already recorded (loaded or duplicate)
    load_id = uuid.uuid4().hex
    now = datetime.now(UTC)
    seen_same_bytes = con.execute(
        "SELECT count(*) FROM lake.meta.file_ledger WHERE dataset = ? AND sha256 = ? AND status = 'loaded'",
        [feed.dataset, digest],
    ).fetchone()[0]
    ledger = {
        "dataset": feed.dataset,
        "source_file": rel,
        "sha256": digest,
        "size_bytes": len(data),
        "received_at": now,
        "load_id": load_id,
        "encoding": None,
        "reason": None,
        "rows_read": 0,
        "rows_loaded": 0,
        "rows_rejected": 0,
    }
    con.execute("BEGIN")
    try:
        if seen_same_bytes:
            ledger["status"] = "duplicate"
            report.files_duplicate.append(rel)
        else:
            try:
                parsed = read_delimited(data, feed.delimiter)
            except UndecodableFile as exc:
                ledger.update(status="rejected", reason=f"encoding: {exc}")
                report.files_rejected.append(rel)
            else:
                _insert_records(con, feed, rel, digest, load_id, now, parsed, ledger)
                ledger["status"] = "loaded"
                con.execute(
                    "INSERT INTO lake.meta.load_log VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [feed.dataset, load_id, rel, digest, ledger["rows_read"], ledger["rows_loaded"],
                     ledger["rows_rejected"], now],
                )  # fmt: skip
                report.files_loaded.append(rel)
                report.load_ids.append(load_id)
        _insert_ledger(con, ledger)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    report.rows_read += ledger["rows_read"]
    report.rows_loaded += ledger["rows_loaded"]
    report.rows_rejected += ledger["rows_rejected"]


def _insert_ledger(con: duckdb.DuckDBPyConnection, ledger: dict[str, object]) -> None:
    cols = list(ledger)
    con.execute(
        f"INSERT INTO lake.meta.file_ledger ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
        [ledger[c] for c in cols],
    )


def _insert_records(con, feed, rel, digest, load_id, now, parsed, ledger) -> None:
    good = [r for r in parsed.records if r.values is not None]
    bad = [r for r in parsed.records if r.values is None]
    ledger.update(encoding=parsed.encoding, rows_read=len(parsed.records), rows_loaded=len(good))
    ledger["rows_rejected"] = len(bad)
    if parsed.header:
        _ensure_raw_table(con, feed.raw_table, parsed.header)
    if good:
        columns: dict[str, list[object]] = {
            "_source_system": [feed.source_system] * len(good),
            "_source_file": [rel] * len(good),
            "_source_sha256": [digest] * len(good),
            "_record_number": [r.number for r in good],
            "_load_id": [load_id] * len(good),
            "_loaded_at": [now] * len(good),
        }
        for name in parsed.header:
            columns[name] = [r.values[name] for r in good]
        batch = pa.table(columns)  # noqa: F841  (referenced by name in the SQL below)
        con.execute(f'INSERT INTO lake.raw."{feed.raw_table}" BY NAME SELECT * FROM batch')
    for r in bad:
        con.execute(
            "INSERT INTO lake.raw.reader_rejects VALUES (?, ?, ?, ?, ?, ?, ?)",
            [feed.dataset, rel, digest, r.number, r.error, load_id, now],
        )


def ingest_feed(con: duckdb.DuckDBPyConnection, feed: LandingFeed, landing_dir: Path) -> LoadReport:
    ensure_tables(con)
    report = LoadReport(feed.dataset)
    for path in feed.candidates(landing_dir):
        if feed.is_complete(path):
            load_file(con, feed, landing_dir, path, report)
    return report

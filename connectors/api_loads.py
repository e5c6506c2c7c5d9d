"""API pulls -> the raw layer: new records, the pull log and the cursor, committed together.

A record already in the raw table (same content hash) is not loaded again: `updatedSince` is
inclusive and alarm windows overlap a little, so the boundary records come back on every pull. Each
pull is logged in `lake.meta.api_pull_log` (requests, retries, pages, records received, served twice,
already loaded, new); records loaded or rejected by the reader appear in `lake.meta.load_log` like any
file load. The cursor (`lake.meta.api_cursor`) changes in the same transaction as the data, so it never
runs ahead of what is committed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from connectors import raw_layer
from connectors.api_client import Endpoint, Pull
from connectors.archive import sha256_bytes
from connectors.raw_layer import RECORD_SHA, Load
from connectors.records import Record

CURSOR_DDL = """
CREATE TABLE IF NOT EXISTS lake.meta.api_cursor (
    dataset VARCHAR, cursor VARCHAR, load_id VARCHAR, updated_at TIMESTAMPTZ)
"""
PULL_LOG_DDL = """
CREATE TABLE IF NOT EXISTS lake.meta.api_pull_log (
    dataset VARCHAR, load_id VARCHAR, request VARCHAR, cursor_before VARCHAR, cursor_after VARCHAR,
    requests BIGINT, retries BIGINT, pages BIGINT, total_reported BIGINT, records_received BIGINT,
    records_served_twice BIGINT, records_already_loaded BIGINT, rows_read BIGINT, rows_loaded BIGINT,
    rows_rejected BIGINT, pulled_at TIMESTAMPTZ)
"""


@dataclass(frozen=True)
class PullReport:
    dataset: str
    load_id: str
    request: str
    records_received: int
    records_served_twice: int
    records_already_loaded: int
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    requests: int
    retries: int
    cursor_before: str | None
    cursor_after: str | None


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    raw_layer.ensure_tables(con)
    con.execute(CURSOR_DDL)
    con.execute(PULL_LOG_DDL)


def get_cursor(con: duckdb.DuckDBPyConnection, dataset: str) -> str | None:
    row = con.execute("SELECT cursor FROM lake.meta.api_cursor WHERE dataset = ?", [dataset]).fetchone()
    return row[0] if row else None


def set_cursor(con: duckdb.DuckDBPyConnection, dataset: str, cursor: str, load_id: str) -> None:
    con.execute("DELETE FROM lake.meta.api_cursor WHERE dataset = ?", [dataset])
    con.execute("INSERT INTO lake.meta.api_cursor VALUES (?, ?, ?, ?)", [dataset, cursor, load_id, datetime.now(UTC)])


def already_loaded(con: duckdb.DuckDBPyConnection, dataset: str, shas: list[str]) -> set[str]:
    table = raw_layer.raw_table(dataset)
    if not shas or raw_layer.raw_columns(con, table) is None:
        return set()
    rows = con.execute(
        f'SELECT DISTINCT "{RECORD_SHA}" FROM lake.raw."{table}" WHERE "{RECORD_SHA}" IN (SELECT unnest(?))', [shas]
    ).fetchall()
    rejected = con.execute(
        "SELECT DISTINCT content FROM lake.raw.reader_rejects WHERE dataset = ? AND rule = 'invalid_json'", [dataset]
    ).fetchall()
    return {r[0] for r in rows} | {sha256_bytes(r[0].encode("utf-8")) for r in rejected if r[0]}


def new_records(con: duckdb.DuckDBPyConnection, endpoint: Endpoint, pull: Pull) -> tuple[list, int]:
    """The pulled records not loaded before, and how many were."""
    known = already_loaded(con, endpoint.dataset, [r.sha256 for r in pull.records])
    fresh = [r for r in pull.records if r.sha256 not in known]
    return fresh, len(pull.records) - len(fresh)


def write_pull(
    con: duckdb.DuckDBPyConnection,
    endpoint: Endpoint,
    pull: Pull,
    fresh: list,
    already: int,
    *,
    request: str,
    load_id: str | None = None,
    cursor_before: str | None = None,
    cursor_after: str | None = None,
) -> PullReport:
    """Inside the caller's transaction: new rows (+ rejects), load log, pull log, cursor."""
    load_id = load_id or uuid.uuid4().hex
    now = datetime.now(UTC)
    records = [
        Record(r.position, r.values)
        if r.values is not None
        else Record(r.position, None, "invalid_json: the item is not a JSON object", r.raw)
        for r in fresh
    ]
    header = list(dict.fromkeys(k for r in fresh if r.values for k in r.values))
    read = loaded = rejected = 0
    if records:
        source_sha = sha256_bytes("\n".join(sorted({r.response_sha256 for r in fresh})).encode())
        load = Load(endpoint.dataset, endpoint.source_system, request, source_sha, load_id, now)
        counts = raw_layer.write_load(
            con,
            load,
            header,
            records,
            sources=[(r.request, r.response_sha256) for r in fresh],
            record_shas=[r.sha256 for r in fresh],
        )
        read, loaded, rejected = counts.rows_read, counts.rows_loaded, counts.rows_rejected
    s = pull.stats
    con.execute(
        "INSERT INTO lake.meta.api_pull_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [endpoint.dataset, load_id, request, cursor_before, cursor_after, s.requests, s.retries, s.pages, pull.total,
         s.records_received, s.duplicates_on_pages, already, read, loaded, rejected, now],
    )  # fmt: skip
    if cursor_after is not None and cursor_after != cursor_before:
        set_cursor(con, endpoint.dataset, cursor_after, load_id)
    return PullReport(
        endpoint.dataset, load_id, request, s.records_received, s.duplicates_on_pages, already, read, loaded,
        rejected, s.requests, s.retries, cursor_before, cursor_after,
    )  # fmt: skip

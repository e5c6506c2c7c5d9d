"""Held-back deliveries: loads a circuit breaker judged unfit to flow on.

A breaker (row count, schema drift, reject ratio) judges one delivery — one raw load — not the whole
dataset. A load it trips is recorded here and its rows stay out of the validated layer, so everything
downstream is built with that dataset at its last good state. `data_freshness` and `sdc status` read this
table to say which newer delivery is held back and why. A hold ends when an operator releases it (the
rows then flow on) or a corrected delivery supersedes the file.
"""

from __future__ import annotations

import duckdb

HOLDS_DDL = """
CREATE TABLE IF NOT EXISTS lake.meta.delivery_holds (
    dataset VARCHAR, load_id VARCHAR, source VARCHAR, check_name VARCHAR, reason VARCHAR,
    held_at TIMESTAMPTZ, released_at TIMESTAMPTZ, released_by VARCHAR)
"""
OPEN_HOLD = "released_at IS NULL"


def ensure_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(HOLDS_DDL)


def open_holds(con: duckdb.DuckDBPyConnection, dataset: str | None = None) -> list[dict]:
    """Holds not yet released, oldest first: one row per (load, check) that tripped."""
    ensure_table(con)
    where = f"WHERE {OPEN_HOLD}" + (" AND dataset = ?" if dataset else "")
    cur = con.execute(
        f"SELECT dataset, load_id, source, check_name, reason, held_at FROM lake.meta.delivery_holds {where} "
        "ORDER BY held_at, dataset, load_id, check_name",
        [dataset] if dataset else [],
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

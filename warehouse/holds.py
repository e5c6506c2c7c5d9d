"""Held-back deliveries: loads a circuit breaker judged unfit to flow on.

A breaker (row count, schema drift, reject ratio) judges one delivery — one raw load — not the whole
dataset. A load it trips is recorded here and its rows stay out of the validated layer, so everything
downstream is built with that dataset at its last good state. `data_freshness` and `sdc status` read this
table to say which newer delivery is held back and why. A hold ends when an operator releases it (the
rows then flow on: the next run validates them without judging them again) or a corrected delivery
supersedes the file (`superseded_by`: the held rows never flow on; the correction is judged itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from warehouse.lake import table_exists

HOLDS_DDL = """
CREATE TABLE IF NOT EXISTS lake.meta.delivery_holds (
    dataset VARCHAR, load_id VARCHAR, source VARCHAR, check_name VARCHAR, reason VARCHAR,
    held_at TIMESTAMPTZ, released_at TIMESTAMPTZ, released_by VARCHAR, superseded_by VARCHAR)
"""
OPEN_HOLD = "released_at IS NULL"
# Held and not let go by an operator: open, or ended by a corrected delivery. Such a load is never validated.
KEPT_BACK = "released_by IS NULL"


@dataclass(frozen=True)
class Hold:
    """One breaker that tripped on one load."""

    dataset: str
    load_id: str
    source: str
    check_name: str
    reason: str


class NoOpenHold(LookupError):
    """`release` was given a load id with no open hold."""


def ensure_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(HOLDS_DDL)


def open_holds(con: duckdb.DuckDBPyConnection, dataset: str | None = None) -> list[dict]:
    """Holds not yet released, oldest first: one row per (load, check) that tripped."""
    if not table_exists(con, "meta", "delivery_holds"):  # read only: a lake that never held a delivery has none
        return []
    where = f"WHERE {OPEN_HOLD}" + (" AND dataset = ?" if dataset else "")
    cur = con.execute(
        f"SELECT dataset, load_id, source, check_name, reason, held_at FROM lake.meta.delivery_holds {where} "
        "ORDER BY held_at, dataset, load_id, check_name",
        [dataset] if dataset else [],
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def record(con: duckdb.DuckDBPyConnection, holds: list[Hold], now: datetime) -> None:
    """Inside the caller's transaction (the one that writes the validation outcome of the other loads)."""
    for h in holds:
        con.execute(
            "INSERT INTO lake.meta.delivery_holds (dataset, load_id, source, check_name, reason, held_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [h.dataset, h.load_id, h.source, h.check_name, h.reason, now],
        )


def kept_back_load_ids(con: duckdb.DuckDBPyConnection, dataset: str) -> set[str]:
    """Loads of this dataset whose rows must not be validated: held, or superseded while held."""
    rows = con.execute(
        f"SELECT DISTINCT load_id FROM lake.meta.delivery_holds WHERE dataset = ? AND {KEPT_BACK}", [dataset]
    ).fetchall()
    return {r[0] for r in rows}


def released_load_ids(con: duckdb.DuckDBPyConnection, dataset: str) -> set[str]:
    """Loads an operator released: they flow on without being judged again."""
    rows = con.execute(
        "SELECT DISTINCT load_id FROM lake.meta.delivery_holds WHERE dataset = ? AND released_by IS NOT NULL",
        [dataset],
    ).fetchall()
    return {r[0] for r in rows}


def release(con: duckdb.DuckDBPyConnection, load_id: str, by: str) -> list[dict]:
    """End every open hold of this load; its rows are validated and flow on at the next run."""
    held = [h for h in open_holds(con) if h["load_id"] == load_id]
    if not held:
        raise NoOpenHold(f"no open hold for load {load_id} (see `sdc hold list`)")
    con.execute(
        f"UPDATE lake.meta.delivery_holds SET released_at = ?, released_by = ? WHERE load_id = ? AND {OPEN_HOLD}",
        [datetime.now(UTC), by, load_id],
    )
    return held


def end_superseded(con: duckdb.DuckDBPyConnection, dataset: str) -> int:
    """Open holds of loads a corrected delivery of the same file replaced (load_log.superseded_by) end here."""
    ensure_table(con)
    # An UPDATE is a lake write even when it matches nothing (≈ 0.3 s, for every dataset in every run): most
    # datasets have no open hold, which a read tells for a sixth of that.
    if not con.execute(
        f"SELECT count(*) FROM lake.meta.delivery_holds WHERE dataset = ? AND {OPEN_HOLD}", [dataset]
    ).fetchone()[0]:
        return 0
    return con.execute(
        f"""UPDATE lake.meta.delivery_holds h SET released_at = ?, superseded_by = l.superseded_by
            FROM lake.meta.load_log l
            WHERE h.dataset = ? AND h.{OPEN_HOLD} AND l.dataset = h.dataset AND l.load_id = h.load_id
              AND l.superseded_by IS NOT NULL""",
        [datetime.now(UTC), dataset],
    ).fetchone()[0]


def held_rows(con: duckdb.DuckDBPyConnection, dataset: str) -> dict[str, int]:
    """Rows of loads kept back, for reconciliation: still held, and superseded while held."""
    held, superseded = con.execute(
        f"""SELECT coalesce(sum(rows_loaded) FILTER (WHERE open), 0),
                   coalesce(sum(rows_loaded) FILTER (WHERE NOT open), 0)
            FROM (SELECT load_id, bool_or({OPEN_HOLD}) AS open FROM lake.meta.delivery_holds
                  WHERE dataset = ? AND {KEPT_BACK} GROUP BY load_id) h
            JOIN lake.meta.load_log l ON l.dataset = ? AND l.load_id = h.load_id""",
        [dataset, dataset],
    ).fetchone()
    return {"held": int(held), "superseded_while_held": int(superseded)}

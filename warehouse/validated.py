"""The validated and quarantine layers: typed rows that passed their contract, and rows set aside with reasons.

A raw load is validated once: its accepted rows, its quarantined rows and its validation-log entry are
written in one lake transaction. Quarantined rows stay in `lake.quarantine.rows` for the record; a replay
(after a contract fix) moves the ones that now pass into the validated table and marks them released, and
marks rows whose file was replaced by a corrected delivery as superseded - both exactly once.

The circuit breakers judge each new raw load (delivery) before its rows flow on: row count against the
history of comparable loads, schema drift and reject ratio of that load (`judge_loads`). A load that trips is
held back (warehouse/holds.py): none of its rows, accepted or quarantined, is written until an operator
releases it. Freshness and reconciliation are measured here too; pipelines/defs/validation.py reports all
of them as the validated asset's checks.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import duckdb
import pandas as pd
import pyarrow as pa

from data_contracts.contract import Contract, RowCountBand
from data_contracts.lineage import LINEAGE, LINEAGE_COLUMNS
from data_contracts.tolerance import reject_ratio_trips
from data_contracts.typed_schema import typed_columns, typed_table_ddl
from warehouse import holds as delivery_holds
from warehouse.holds import Hold
from warehouse.lake import table_exists, transaction

VALIDATION_LOG_DDL = """
CREATE TABLE IF NOT EXISTS lake.meta.validation_log (
    dataset VARCHAR, load_id VARCHAR, contract_version VARCHAR, rows_in BIGINT, rows_accepted BIGINT,
    rows_quarantined BIGINT, rows_warned BIGINT, missing_columns VARCHAR[], unknown_columns VARCHAR[],
    validated_at TIMESTAMPTZ)
"""
QUARANTINE_DDL = f"""
CREATE TABLE IF NOT EXISTS lake.quarantine.rows (
    dataset VARCHAR, {", ".join(f"{name} {kind}" for name, kind in LINEAGE)}, _row_id VARCHAR, original_values VARCHAR,
    reasons VARCHAR[], warnings VARCHAR[], contract_version VARCHAR, quarantined_at TIMESTAMPTZ,
    released_at TIMESTAMPTZ, released_contract_version VARCHAR, superseded_by_load VARCHAR)
"""
REPLAY_LOG_DDL = """
CREATE TABLE IF NOT EXISTS lake.meta.replay_log (
    dataset VARCHAR, replayed_at TIMESTAMPTZ, contract_version VARCHAR, rows_checked BIGINT, rows_released BIGINT,
    rows_superseded BIGINT, rows_still_quarantined BIGINT)
"""
OPEN = "released_at IS NULL AND superseded_by_load IS NULL"
_ARROW_TYPES = {
    "VARCHAR": pa.string(),
    "BIGINT": pa.int64(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
    "DATE": pa.date32(),
    "TIMESTAMP": pa.timestamp("us"),
    "TIMESTAMPTZ": pa.timestamp("us", tz="UTC"),
    "VARCHAR[]": pa.list_(pa.string()),
}
QUARANTINE_SCHEMA = [
    ("dataset", pa.string()), *((name, _ARROW_TYPES[kind]) for name, kind in LINEAGE), ("_row_id", pa.string()),
    ("original_values", pa.string()), ("reasons", pa.list_(pa.string())), ("warnings", pa.list_(pa.string())),
    ("contract_version", pa.string()), ("quarantined_at", pa.timestamp("us", tz="UTC")),
]  # fmt: skip


@dataclass(frozen=True)
class BatchOutcome:
    load_ids: list[str]
    rows_in: int
    rows_accepted: int
    rows_quarantined: int
    rows_warned: int
    missing_columns: list[str]
    unknown_columns: list[str]


@dataclass(frozen=True)
class ReplayOutcome:
    dataset: str
    rows_checked: int
    rows_released: int
    rows_superseded: int
    rows_still_quarantined: int


def ensure_tables(con: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    con.execute(VALIDATION_LOG_DDL)
    con.execute(QUARANTINE_DDL)
    con.execute(REPLAY_LOG_DDL)
    con.execute(typed_table_ddl(contract))
    delivery_holds.ensure_table(con)


def pending_load_ids(con: duckdb.DuckDBPyConnection, contract: Contract) -> list[str]:
    """Raw loads of this dataset not validated yet and not held back, oldest first."""
    rows = con.execute(
        "SELECT load_id FROM lake.meta.load_log WHERE dataset = ? AND rows_loaded > 0 "
        "AND load_id NOT IN (SELECT load_id FROM lake.meta.validation_log WHERE dataset = ?) "
        f"AND load_id NOT IN (SELECT load_id FROM lake.meta.delivery_holds WHERE dataset = ? "
        f"AND {delivery_holds.KEPT_BACK}) ORDER BY loaded_at",
        [contract.dataset, contract.dataset, contract.dataset],
    ).fetchall()
    return [r[0] for r in rows]


def raw_rows(con: duckdb.DuckDBPyConnection, contract: Contract, load_ids: list[str]) -> pd.DataFrame:
    return (
        con.execute(
            f'SELECT * FROM lake.raw."{contract.table}" WHERE _load_id IN (SELECT unnest(?)) '
            "ORDER BY _loaded_at, _source_file, _record_number",
            [load_ids],
        )
        .to_arrow_table()
        .to_pandas()
    )


def _column_array(series: pd.Series, type_: pa.DataType) -> pa.Array:
    if pa.types.is_list(type_):
        return pa.array([list(v) for v in series], type=type_)
    if pa.types.is_date32(type_):
        series = pd.to_datetime(series).dt.date
    elif pa.types.is_timestamp(type_) and type_.tz is None:
        series = pd.to_datetime(series)
    elif pa.types.is_timestamp(type_):
        series = pd.to_datetime(series, utc=True)
    elif type_ == pa.string():
        series = series.astype(object).where(series.notna(), None)
    return pa.Array.from_pandas(series, type=type_)


def _arrow(frame: pd.DataFrame, schema: list[tuple[str, pa.DataType]]) -> pa.Table:
    return pa.table({name: _column_array(frame[name], type_) for name, type_ in schema})


def accepted_table(contract: Contract, accepted: pd.DataFrame) -> pa.Table:
    return _arrow(accepted, [(n, _ARROW_TYPES[t]) for n, t in typed_columns(contract)])


def without_loads(result, load_ids: set[str]):
    """The validation result minus the rows of these loads (held back: they are written on release)."""
    if not load_ids:
        return result
    accepted = result.accepted[~result.accepted["_load_id"].isin(load_ids)].reset_index(drop=True)
    quarantined = result.quarantined[~result.quarantined["_load_id"].isin(load_ids)].reset_index(drop=True)
    drift = {k: v for k, v in result.schema_drift.items() if k not in load_ids}
    return replace(result, accepted=accepted, quarantined=quarantined,
                   rows_in=len(accepted) + len(quarantined), schema_drift=drift)  # fmt: skip


def write_outcome(
    con: duckdb.DuckDBPyConnection, contract: Contract, load_ids: list[str], result, holds: Sequence[Hold] = ()
) -> BatchOutcome:
    """Accepted rows, quarantined rows and validation-log entries of `load_ids`, and the holds of the loads
    kept back, in one transaction. `result` must not contain rows of a held load (`without_loads`)."""
    now = datetime.now(UTC)
    held = {h.load_id for h in holds}
    load_ids = [i for i in load_ids if i not in held]
    accepted = accepted_table(contract, result.accepted)  # noqa: F841  (referenced by name in SQL)
    q = result.quarantined.copy()
    q["quarantined_at"] = now
    quarantine = _arrow(q, QUARANTINE_SCHEMA)  # noqa: F841
    warned = int(sum(1 for w in result.accepted["_warnings"] if len(w))) if len(result.accepted) else 0
    missing = sorted({c for d in result.schema_drift.values() for c in d["missing"]})
    unknown = sorted({c for d in result.schema_drift.values() for c in d["unknown"]})
    with transaction(con):
        if len(result.accepted):
            con.execute(f'INSERT INTO lake.validated."{contract.table}" BY NAME SELECT * FROM accepted')
        if len(result.quarantined):
            con.execute("INSERT INTO lake.quarantine.rows BY NAME SELECT * FROM quarantine")
        for load_id in load_ids:
            acc = result.accepted[result.accepted["_load_id"] == load_id] if len(result.accepted) else []
            n_q = int((result.quarantined["_load_id"] == load_id).sum()) if len(result.quarantined) else 0
            n_warned = int(sum(1 for w in acc["_warnings"] if len(w))) if len(acc) else 0
            drift = result.schema_drift.get(load_id, {"missing": [], "unknown": []})
            con.execute(
                "INSERT INTO lake.meta.validation_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [contract.dataset, load_id, contract.version, len(acc) + n_q, len(acc), n_q, n_warned,
                 drift["missing"], drift["unknown"], now],
            )  # fmt: skip
        delivery_holds.record(con, list(holds), now)
    return BatchOutcome(
        load_ids, result.rows_in, len(result.accepted), len(result.quarantined), warned, missing, unknown
    )


# -- replay ------------------------------------------------------------------------------------------------------


def replay(con: duckdb.DuckDBPyConnection, contract: Contract, validate) -> ReplayOutcome:
    """Re-validate the open quarantined rows of one dataset with the current contract.

    `validate(raw_frame, contract)` is data_contracts.validation.validate_batch (passed in so this module
    stays free of Great Expectations). Rows that now pass go to the validated table with their original
    lineage and are marked released; rows of a file that a corrected delivery replaced (a later load of the
    same source with other bytes) are marked superseded - the corrected rows went through validation
    themselves. Both happen in one transaction, so a second replay finds nothing to do.
    """
    ensure_tables(con, contract)
    now = datetime.now(UTC)
    with transaction(con):
        superseded = con.execute(
            f"""
            UPDATE lake.quarantine.rows q SET superseded_by_load = newer.load_id
            FROM (SELECT l.source, l.load_id, l.loaded_at, l.source_sha256 FROM lake.meta.load_log l
                  WHERE l.dataset = ?) newer
            WHERE q.dataset = ? AND {OPEN} AND newer.source = q._source_file
              AND newer.loaded_at > q._loaded_at AND newer.source_sha256 <> q._source_sha256
            """,
            [contract.dataset, contract.dataset],
        ).fetchone()[0]
        open_rows = con.execute(
            f"SELECT * FROM lake.quarantine.rows WHERE dataset = ? AND {OPEN} ORDER BY _loaded_at, _row_id",
            [contract.dataset],
        ).df()
        released = 0
        if len(open_rows):
            raw = pd.DataFrame([json.loads(v) for v in open_rows["original_values"]], index=open_rows.index)
            for c in LINEAGE_COLUMNS:
                raw[c] = open_rows[c]
            result = validate(raw, contract)
            if len(result.accepted):
                accepted = accepted_table(contract, result.accepted)  # noqa: F841
                con.execute(
                    f'INSERT INTO lake.validated."{contract.table}" BY NAME SELECT * FROM accepted '
                    f'WHERE _row_id NOT IN (SELECT _row_id FROM lake.validated."{contract.table}")'
                )
                ids = result.accepted["_row_id"].tolist()
                con.execute(
                    f"UPDATE lake.quarantine.rows SET released_at = ?, released_contract_version = ? "
                    f"WHERE dataset = ? AND {OPEN} AND _row_id IN (SELECT unnest(?))",
                    [now, contract.version, contract.dataset, ids],
                )
                released = len(ids)
        still = len(open_rows) - released
        con.execute(
            "INSERT INTO lake.meta.replay_log VALUES (?, ?, ?, ?, ?, ?, ?)",
            [contract.dataset, now, contract.version, len(open_rows), released, superseded, still],
        )
    return ReplayOutcome(contract.dataset, len(open_rows), released, int(superseded), still)


def quarantine_summary(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int]]:
    """(dataset, reason, open rows) for every reason of every open quarantined row."""
    if not table_exists(con, "quarantine", "rows"):  # read only: a lake that never quarantined has none
        return []
    return con.execute(
        f"""SELECT dataset, reason, count(*) FROM
            (SELECT dataset, unnest(reasons) AS reason FROM lake.quarantine.rows WHERE {OPEN})
            GROUP BY ALL ORDER BY dataset, count(*) DESC, reason"""
    ).fetchall()


def quarantine_totals(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int, int, int]]:
    """(dataset, open, released, superseded) rows."""
    if not table_exists(con, "quarantine", "rows"):  # read only: a lake that never quarantined has none
        return []
    return con.execute(
        f"""SELECT dataset, count(*) FILTER ({OPEN}), count(released_at), count(superseded_by_load)
            FROM lake.quarantine.rows GROUP BY dataset ORDER BY dataset"""
    ).fetchall()


# -- circuit breakers: each new load judged before its rows flow on ----------------------------------------------


def judge_loads(con: duckdb.DuckDBPyConnection, contract: Contract, load_ids: list[str], result) -> list[Hold]:
    """Holds for the loads of this validation batch that a breaker trips on (one per load and breaker).

    `result` is the batch's validation result (validate_batch). Loads an operator released flow on unjudged.
    """
    released = delivery_holds.released_load_ids(con, contract.dataset)
    judged = [i for i in load_ids if i not in released]
    if not judged:
        return []
    sources = dict(
        con.execute(
            "SELECT load_id, source FROM lake.meta.load_log WHERE dataset = ? AND load_id IN (SELECT unnest(?))",
            [contract.dataset, judged],
        ).fetchall()
    )
    holds = []
    for load_id in judged:
        drift = result.schema_drift.get(load_id, {"missing": [], "unknown": []})
        if drift["missing"] or drift["unknown"]:
            parts = [f"{k} columns: {', '.join(drift[k])}" for k in ("missing", "unknown") if drift[k]]
            holds.append(Hold(contract.dataset, load_id, sources[load_id], "schema_drift", "; ".join(parts)))
        n_q = int((result.quarantined["_load_id"] == load_id).sum()) if len(result.quarantined) else 0
        n_a = int((result.accepted["_load_id"] == load_id).sum()) if len(result.accepted) else 0
        if reject_ratio_trips(n_q, n_a + n_q, contract.reject_ratio_threshold):
            reason = f"{n_q} of {n_a + n_q} rows quarantined (threshold {contract.reject_ratio_threshold:.0%})"
            holds.append(Hold(contract.dataset, load_id, sources[load_id], "reject_ratio", reason))
    held_so_far = {h.load_id for h in holds}
    for o in row_count_outliers(con, contract, judged, held_so_far):
        median = f"{o['median_of_previous']:g}" + (" per hour" if o["hours"] is not None else "")
        span = f" in {o['hours']:.2f} hours" if o["hours"] is not None else ""
        reason = (f"{o['rows']} rows{span} where the previous comparable loads had a median of {median} "
                  f"(band {o['low']:.0f}–{o['high']:.0f})")  # fmt: skip
        holds.append(Hold(contract.dataset, o["load_id"], o["source"], "row_count", reason))
    return sorted(holds, key=lambda h: (judged.index(h.load_id), h.check_name))


def row_count_outliers(
    con: duckdb.DuckDBPyConnection, contract: Contract, load_ids: list[str], held: set[str] | frozenset = frozenset()
) -> list[dict]:
    """Loads among `load_ids` whose row count is outside the contract's band around the median of the
    previous loads of the same slot (at least 3 of them; fewer is not a history) and, for small counts,
    outside counting noise as well (a night hour with 0 alarms where 2 is usual is not an outage). Loads with
    a time window (an API pull) are compared by rows per hour of the time they add: the band is the median rate
    times the load's hours.

    Held loads are no history: neither the ones kept back before nor `held` (tripped another breaker now),
    nor an outlier found here for a later load of the same batch."""
    band = contract.row_count
    history = con.execute(
        "SELECT load_id, source, rows_read FROM lake.meta.load_log WHERE dataset = ? ORDER BY loaded_at, source",
        [contract.dataset],
    ).fetchall()
    excluded = delivery_holds.kept_back_load_ids(con, contract.dataset) | set(held)
    position = {load_id: i for i, (load_id, _, _) in enumerate(history)}
    hours = _hours_added(band, history)
    out = []
    for load_id in sorted(load_ids, key=position.__getitem__):
        i = position[load_id]
        slot = band.slot_of(history[i][1])
        if hours[load_id] is None:
            continue
        comparable = [rows / hours[lid] for lid, source, rows in history[:i]
                      if rows > 0 and lid not in excluded and hours[lid] and band.slot_of(source) == slot]  # fmt: skip
        previous = comparable[-band.history :]
        if len(previous) < 3:
            continue
        median = statistics.median(previous)
        expected = median * hours[load_id]
        noise = 4 * math.sqrt(expected)  # Poisson counts: 4 standard deviations
        low, high = min(band.min_ratio * expected, expected - noise), max(band.max_ratio * expected, expected + noise)
        rows = history[i][2]
        if not low <= rows <= high:
            excluded.add(load_id)
            out.append({"load_id": load_id, "source": history[i][1], "rows": rows, "median_of_previous": median,
                        "hours": hours[load_id] if band.window else None, "slot": slot, "low": max(low, 0.0),
                        "high": high})  # fmt: skip
    return out


def _hours_added(band: RowCountBand, history: list[tuple[str, str, int]]) -> dict[str, float | None]:
    """Per load, the hours of time it adds (1 for each load of a source without windows). A pull's window
    starts a little before the previous one ended (the overlap), and the records it shows again are no new
    rows, so only the part past the windows before counts; a load that adds no time, or whose window cannot
    be read, is no measure of the rate (None)."""
    if band.window is None:
        return {load_id: 1.0 for load_id, _, _ in history}
    hours, covered = {}, None
    for load_id, source, _ in history:
        window = band.window_of(source)
        if window is None:
            hours[load_id] = None
            continue
        start, end = window
        start = max(start, covered) if covered else start
        hours[load_id] = (end - start).total_seconds() / 3600 if end > start else None
        covered = max(covered, end) if covered else end
    return hours


# -- invariants and reports ----------------------------------------------------------------------------------------


def reconciliation(con: duckdb.DuckDBPyConnection, contract: Contract) -> dict[str, int]:
    """Rows received, and where they are now: validated, quarantined (not released), rejected by the reader,
    not validated yet, held back (or superseded while held)."""
    received, loaded, rejected = con.execute(
        "SELECT coalesce(sum(rows_read), 0), coalesce(sum(rows_loaded), 0), coalesce(sum(rows_rejected), 0) "
        "FROM lake.meta.load_log WHERE dataset = ?",
        [contract.dataset],
    ).fetchone()
    accepted = con.execute(f'SELECT count(*) FROM lake.validated."{contract.table}"').fetchone()[0]
    quarantined = con.execute(
        "SELECT count(*) FROM lake.quarantine.rows WHERE dataset = ? AND released_at IS NULL", [contract.dataset]
    ).fetchone()[0]
    pending = con.execute(
        "SELECT coalesce(sum(rows_loaded), 0) FROM lake.meta.load_log WHERE dataset = ? "
        "AND load_id NOT IN (SELECT load_id FROM lake.meta.validation_log WHERE dataset = ?) "
        f"AND load_id NOT IN (SELECT load_id FROM lake.meta.delivery_holds WHERE dataset = ? "
        f"AND {delivery_holds.KEPT_BACK})",
        [contract.dataset, contract.dataset, contract.dataset],
    ).fetchone()[0]
    return {
        "received": int(received),
        "loaded": int(loaded),
        "accepted": int(accepted),
        "quarantined": int(quarantined),
        "reader_rejected": int(rejected),
        "not_yet_validated": int(pending),
        **delivery_holds.held_rows(con, contract.dataset),
    }


def reconciles(n: dict[str, int]) -> bool:
    """Every row received is in exactly one place."""
    placed = n["accepted"] + n["quarantined"] + n["not_yet_validated"] + n["held"] + n["superseded_while_held"]
    return n["received"] == placed + n["reader_rejected"] and n["loaded"] == placed


def hours_since_last_delivery(con: duckdb.DuckDBPyConnection, contract: Contract) -> float | None:
    last = con.execute(
        "SELECT max(loaded_at) FROM lake.meta.load_log WHERE dataset = ?", [contract.dataset]
    ).fetchone()[0]
    if last is None:
        return None
    return (datetime.now(UTC) - last).total_seconds() / 3600

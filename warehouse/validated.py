"""The validated and quarantine layers: typed rows that passed their contract, and rows set aside with reasons.

A raw load is validated once: its accepted rows, its quarantined rows and its validation-log entry
are written in one lake transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import pandas as pd
import pyarrow as pa

from data_contracts.contract import Contract

VALIDATION_LOG_DDL = """
CREATE TABLE IF NOT EXISTS lake.meta.validation_log (
    dataset VARCHAR, load_id VARCHAR, contract_version VARCHAR, rows_in BIGINT, rows_accepted BIGINT,
    rows_quarantined BIGINT, rows_warned BIGINT, missing_columns VARCHAR[], unknown_columns VARCHAR[],
    validated_at TIMESTAMPTZ)
"""
QUARANTINE_DDL = """
CREATE TABLE IF NOT EXISTS lake.quarantine.rows (
    dataset VARCHAR, _source_system VARCHAR, _source_file VARCHAR, _source_sha256 VARCHAR,
    _record_number BIGINT, _load_id VARCHAR, _loaded_at TIMESTAMPTZ, original_values VARCHAR,
    reasons VARCHAR[], warnings VARCHAR[], contract_version VARCHAR, quarantined_at TIMESTAMPTZ)
"""
LINEAGE_DDL = [
    ("_source_system", "VARCHAR"),
    ("_source_file", "VARCHAR"),
    ("_source_sha256", "VARCHAR"),
    ("_record_number", "BIGINT"),
    ("_load_id", "VARCHAR"),
    ("_loaded_at", "TIMESTAMPTZ"),
    ("_warnings", "VARCHAR[]"),
    ("_contract_version", "VARCHAR"),
]


@dataclass(frozen=True)
class BatchOutcome:
    load_ids: list[str]
    rows_in: int
    rows_accepted: int
    rows_quarantined: int
    rows_warned: int
    missing_columns: list[str]
    unknown_columns: list[str]


def typed_table_ddl(contract: Contract) -> str:
    """The typed schema of a validated table, generated from the contract."""
    cols = [f'"{c.name}" {c.duckdb_type}' for c in contract.columns]
    cols += [f'"{name}" {type_}' for name, type_ in LINEAGE_DDL]
    return f'CREATE TABLE IF NOT EXISTS lake.validated."{contract.table}" ({", ".join(cols)})'


def ensure_tables(con: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    con.execute(VALIDATION_LOG_DDL)
    con.execute(QUARANTINE_DDL)
    con.execute(typed_table_ddl(contract))


def pending_load_ids(con: duckdb.DuckDBPyConnection, contract: Contract) -> list[str]:
    """Raw loads of this dataset not validated yet, oldest first."""
    rows = con.execute(
        "SELECT load_id FROM lake.meta.load_log WHERE dataset = ? AND rows_loaded > 0 "
        "AND load_id NOT IN (SELECT load_id FROM lake.meta.validation_log WHERE dataset = ?) "
        "ORDER BY loaded_at",
        [contract.dataset, contract.dataset],
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


def _arrow(frame: pd.DataFrame, schema: list[tuple[str, pa.DataType]]) -> pa.Table:
    return pa.table({name: pa.array(frame[name].tolist(), type=type_) for name, type_ in schema})


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


def write_outcome(con: duckdb.DuckDBPyConnection, contract: Contract, load_ids: list[str], result) -> BatchOutcome:
    now = datetime.now(UTC)
    accepted = _arrow(
        result.accepted,
        [(c.name, _ARROW_TYPES[c.duckdb_type]) for c in contract.columns]
        + [(n, _ARROW_TYPES[t]) for n, t in LINEAGE_DDL],
    )
    q = result.quarantined.copy()
    q["quarantined_at"] = now
    quarantine = _arrow(
        q,
        [
            ("dataset", pa.string()), ("_source_system", pa.string()), ("_source_file", pa.string()),
            ("_source_sha256", pa.string()), ("_record_number", pa.int64()), ("_load_id", pa.string()),
            ("_loaded_at", _ARROW_TYPES["TIMESTAMPTZ"]), ("original_values", pa.string()),
            ("reasons", pa.list_(pa.string())), ("warnings", pa.list_(pa.string())),
            ("contract_version", pa.string()), ("quarantined_at", _ARROW_TYPES["TIMESTAMPTZ"]),
        ],
    )  # fmt: skip
    warned = int(sum(1 for w in result.accepted["_warnings"] if len(w))) if len(result.accepted) else 0
    drift = result.schema_drift
    con.execute("BEGIN")
    try:
        if accepted.num_rows:
            con.execute(f'INSERT INTO lake.validated."{contract.table}" BY NAME SELECT * FROM accepted')
        if quarantine.num_rows:
            con.execute("INSERT INTO lake.quarantine.rows BY NAME SELECT * FROM quarantine")
        for load_id in load_ids:
            acc = result.accepted[result.accepted["_load_id"] == load_id] if len(result.accepted) else []
            n_q = int((result.quarantined["_load_id"] == load_id).sum()) if len(result.quarantined) else 0
            n_warned = int(sum(1 for w in acc["_warnings"] if len(w))) if len(acc) else 0
            con.execute(
                "INSERT INTO lake.meta.validation_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [contract.dataset, load_id, contract.version, len(acc) + n_q, len(acc), n_q, n_warned,
                 drift["missing"], drift["unknown"], now],
            )  # fmt: skip
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return BatchOutcome(
        load_ids, result.rows_in, accepted.num_rows, quarantine.num_rows, warned, drift["missing"], drift["unknown"]
    )

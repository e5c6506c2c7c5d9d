"""Connections to the lakehouse: DuckLake (catalog in SQLite or PostgreSQL, data in Parquet).

Every process opens its own in-memory DuckDB and attaches the lake as `lake`. Writers and readers
never share a DuckDB file, so a running load cannot lock a reader out.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb

from sdc_settings import NoWorkspace, Settings
from warehouse.extensions import connection_config, ensure_extensions, mark_verified

LAKE = "lake"
# Layers of the warehouse, one schema each (dbt's `history` and its seed's `reference` too: they must exist for
# their inlining option below).
SCHEMAS = ("raw", "validated", "quarantine", "staging", "intermediate", "history", "reference", "marts", "meta")
# The layers dbt rebuilds whole every run. DuckLake creates a catalog table for each new table's inlined rows, so
# a SQLite catalog gained ~50 tables a run, and every DDL after that re-read a schema that kept growing: a model's
# rebuild cost 78 ms on a fresh lake and 300-380 ms after 20 runs (65-110 ms without inlining). Inlining stays
# for the appended layers, where it spares a Parquet file per small insert.
NOT_INLINED = ("staging", "intermediate", "history", "reference", "marts")


def attach_sql(settings: Settings, *, read_only: bool = False, snapshot: int | None = None) -> str:
    options = [f"DATA_PATH {sql_literal(settings.lake_data_location + '/')}"]
    if settings.lake_catalog.startswith("sqlite:"):
        # WAL, set by the writer (the file keeps the mode, so readers and dbt's own attach inherit it):
        # readers and the one writer never block each other; a checkpoint can be busy a moment: wait, not fail.
        options += ["META_BUSY_TIMEOUT 30000"] + ([] if read_only else ["META_JOURNAL_MODE 'WAL'"])
        # A SQLite catalog lives in the workspace beside its data: a workspace moved or restored elsewhere
        # brings both, so the data is where this workspace says, not where the catalog first recorded it. (A
        # PostgreSQL catalog is shared by machines: there a different data path stays an error.)
        options.append("OVERRIDE_DATA_PATH TRUE")
    if read_only:
        options.append("READ_ONLY")
    if snapshot is not None:
        options.append(f"SNAPSHOT_VERSION {int(snapshot)}")
    return f"ATTACH 'ducklake:{settings.lake_catalog}' AS {LAKE} ({', '.join(options)})"


def secret_sql(settings: Settings) -> str | None:
    """The object store's credentials for a connection whose lake data is on S3 (a temporary secret: it lives
    as long as the connection's DuckDB instance, and nothing is written to disk); None for a local lake."""
    if not settings.lake_data_uri:
        return None
    bucket = "/".join(settings.lake_data_uri.split("/", 3)[:3])
    options = {"TYPE": "s3", "KEY_ID": settings.s3_key_id, "SECRET": settings.s3_secret,
               "REGION": settings.s3_region or "us-east-1", "SCOPE": bucket}  # fmt: skip
    if settings.s3_endpoint:  # an S3-compatible server (MinIO, Ceph, ...): addressed by path, TLS as its URL says
        scheme, _, host = settings.s3_endpoint.partition("://")
        options |= {"ENDPOINT": host.rstrip("/"), "URL_STYLE": "path", "USE_SSL": scheme == "https"}
    listed = ", ".join(f"{key} {sql_literal(value)}" for key, value in options.items())
    return f"CREATE OR REPLACE SECRET sdc_lake_data ({listed})"


def _attach(con: duckdb.DuckDBPyConnection, sql: str, attempts: int = 12) -> None:
    # A SQLite catalog being committed to can answer "busy" for a moment: retry briefly.
    for attempt in range(attempts):
        try:
            con.execute(sql)
            return
        except duckdb.Error as exc:
            if attempt == attempts - 1 or ("lock" not in str(exc).lower() and "busy" not in str(exc).lower()):
                raise
            time.sleep(min(0.1 * 2**attempt, 2.0))


def require_workspace(settings: Settings) -> None:
    """A read-only command on a workspace that does not exist stops here, having created nothing (attaching a
    missing SQLite catalog would create it)."""
    catalog = settings.lake_catalog.removeprefix("sqlite:")
    if settings.catalog_kind == "sqlite" and not Path(catalog).exists():
        raise NoWorkspace(
            f"no workspace at {settings.home} (no lake catalog {catalog}): check SDC_HOME; "
            "`sdc run` or `sdc demo` creates one"
        )


def open_lake(settings: Settings, *, read_only: bool = False, snapshot: int | None = None) -> duckdb.DuckDBPyConnection:
    if read_only:
        require_workspace(settings)
    ensure_extensions(settings.extension_dir)
    if not read_only:
        if not settings.lake_data_uri:
            settings.lake_data_path.mkdir(parents=True, exist_ok=True)
        if settings.lake_catalog.startswith("sqlite:"):
            settings.warehouse_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(config=connection_config(settings.extension_dir, trust_installed=read_only))
    secret = secret_sql(settings)
    if secret:
        con.execute(secret)
    _attach(con, attach_sql(settings, read_only=read_only, snapshot=snapshot))
    if not read_only:
        mark_verified(settings.extension_dir)
        # one catalog read instead of a catalog write per layer (every step of every run opens the lake)
        listed = con.execute(
            f"SELECT 'schema', schema_name FROM duckdb_schemas() WHERE database_name = '{LAKE}' UNION ALL "
            f"SELECT 'not inlined', scope_entry FROM {LAKE}.options() WHERE option_name = 'data_inlining_row_limit' "
            "AND scope = 'SCHEMA' AND value = '0'"
        ).fetchall()
        for schema in SCHEMAS:
            if ("schema", schema) not in listed:
                con.execute(f"CREATE SCHEMA IF NOT EXISTS {LAKE}.{schema}")
        for schema in NOT_INLINED:  # a lake made before NOT_INLINED gets the option here
            if ("not inlined", schema) not in listed:
                con.execute(f"CALL {LAKE}.set_option('data_inlining_row_limit', 0, schema => '{schema}')")
        give_stats_to_unwritten_tables(con)
    return con


# DuckLake's catalog schema, attached beside the lake by the extension (whatever the catalog's database).
METADATA = f"__ducklake_metadata_{LAKE}"


def give_stats_to_unwritten_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Give each appended-layer table that was never written its statistics row, and return the tables given one.

    DuckLake (the extension for DuckDB 1.5.5) plans a query on a table without statistics with one catalog query
    per column it reads, on every query, never cached (fixed upstream in duckdb/ducklake#1313, in no release for
    this DuckDB yet); a table gets statistics with its first insert. So a table nothing was ever written to cost
    every query on it 20-170 ms against 5-15 ms: `meta.delivery_holds`, queried three times by every validation
    step and empty unless a delivery is held, took a third of the step. One row inserted and deleted in one
    transaction writes the statistics (0 rows) and is visible at no snapshot. The layers dbt rebuilds are left
    alone: each rebuild makes new tables, an empty one would be written to every run."""
    rebuilt = ", ".join(sql_literal(s) for s in NOT_INLINED)
    unwritten = con.execute(
        f"SELECT s.schema_name, t.table_name FROM {METADATA}.ducklake_table t "
        f"JOIN {METADATA}.ducklake_schema s ON s.schema_id = t.schema_id AND s.end_snapshot IS NULL "
        f"WHERE t.end_snapshot IS NULL AND s.schema_name NOT IN ({rebuilt}) "
        f"AND t.table_id NOT IN (SELECT table_id FROM {METADATA}.ducklake_table_stats)"
    ).fetchall()
    given = []
    for schema, table in unwritten:
        relation = f'{LAKE}."{schema}"."{table}"'
        try:
            con.execute("BEGIN")
            con.execute(f"INSERT INTO {relation} DEFAULT VALUES")
            con.execute(f"DELETE FROM {relation}")
            con.execute("COMMIT")
            given.append(f"{schema}.{table}")
        except duckdb.Error:  # another writer wrote to it (or gave it statistics) first: nothing left to do
            with suppress(duckdb.Error):  # (a failed COMMIT has already rolled back)
                con.execute("ROLLBACK")
    return given


@contextmanager
def lake_connection(
    settings: Settings, *, read_only: bool = False, snapshot: int | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    con = open_lake(settings, read_only=read_only, snapshot=snapshot)
    try:
        yield con
    finally:
        con.close()


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """One lake snapshot: what is written inside commits together or is rolled back (an error, or a kill), and what
    is read inside is read at one snapshot, the catalog read once for all the statements (outside a transaction
    DuckLake reads it again for each)."""
    con.execute("BEGIN")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def current_snapshot(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.execute(f"SELECT id FROM {LAKE}.current_snapshot()").fetchone()[0])


def tables_at(con: duckdb.DuckDBPyConnection, schema: str, snapshot: int) -> list[str]:
    """The tables of `lake.<schema>` at `snapshot`, from DuckLake's catalog tables: listing `duckdb_tables()` makes
    DuckLake describe every table of the lake (≈ 0.3 s in a fresh connection, against ≈ 5 ms)."""
    live = "begin_snapshot <= $snapshot AND (end_snapshot IS NULL OR end_snapshot > $snapshot)"
    rows = con.execute(
        f"SELECT table_name FROM {METADATA}.ducklake_table WHERE {live} AND schema_id IN "
        f"(SELECT schema_id FROM {METADATA}.ducklake_schema WHERE schema_name = $schema AND {live}) ORDER BY 1",
        {"schema": schema, "snapshot": snapshot},
    ).fetchall()
    return [r[0] for r in rows]


def sql_literal(value: str | int | bool | None) -> str:
    """A value as SQL text. Reader sessions bind no parameters: DuckDB's first parameterised `execute` of a
    process imports pandas (0.3 s of a one-line `sdc sql`)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool | int):
        return str(value).upper() if isinstance(value, bool) else str(int(value))
    return "'" + str(value).replace("'", "''") + "'"


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """Whether `lake.<schema>.<table>` exists. A probe of the one name: listing `duckdb_tables()` makes DuckLake
    describe every table of the lake (0.1–0.4 s, against 10 ms). A catalog error leaves a transaction usable."""
    try:
        con.execute(f'SELECT 1 FROM {LAKE}."{schema}"."{table}" LIMIT 0')
    except duckdb.CatalogException:
        return False
    return True

"""Serving a publish in PostgreSQL, for BI tools and psql (DataEase, Superset, Metabase speak PostgreSQL, not
DuckLake): the masked marts in one schema, the full marts in another, with roles, column comments from the dbt
docs, and a switch readers never see half-done.

- `marts_masked`: exactly what `sdc sql` shows (the publish's masked views) and `data_freshness`; readable by the
  analyst role and the restricted role.
- `marts_full`: the published marts unmasked and `data_freshness`; readable by the restricted role only.
- Each schema also holds `served_publish` (one row: the publish and lake snapshot it holds).

How: each schema is loaded as `<schema>__next` (DuckDB's postgres extension: binary COPY), granted, commented,
then one transaction renames the served schemas away, the new ones into place and drops the old ones. Grants and
comments belong to the objects, so they move with the rename. A statement sees the old publish or the new one:
the drop takes the old tables' exclusive locks inside the switch, so a statement that began on an old table
finishes before the switch commits, and one that starts after it resolves every name anew.

The roles are created when missing (NOLOGIN): people and tools log in as their own users, granted one of them.
The pipeline's PostgreSQL user needs CREATE on the database and CREATEROLE (or the roles made beforehand).
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from dataclasses import dataclass

import duckdb

from sdc_settings import Settings
from warehouse.lake import sql_literal
from warehouse.reader import FRESHNESS_VIEW, Audience, PublishedSession, open_published

SCHEMAS: dict[Audience, str] = {"masked": "marts_masked", "full": "marts_full"}
PUBLISH_TABLE = "served_publish"
PUBLISH_COLUMNS = {
    "publish_id": "the publish these tables hold (`sdc publish history`)",
    "lake_snapshot_id": "the DuckLake snapshot of that publish",
    "published_at": "when it was published",
    "served_at": "when it was written here",
}
NEXT, OLD = "__next", "__old"
SERVING = "serving"  # the PostgreSQL database as DuckDB attaches it
# How long the switch waits for statements still reading the old tables before it gives up (and fails the step).
SWITCH_LOCK_TIMEOUT = "60s"


class ServingNotConfigured(RuntimeError):
    """SDC_SERVE_DSN is not set: publishes are not served to PostgreSQL."""


class ServingUnavailable(RuntimeError):
    """The serving database cannot be reached (the message never shows the DSN: it may hold a password)."""


@dataclass(frozen=True)
class ServeReport:
    publish_id: int
    snapshot_id: int
    rows: dict[str, int]
    """{table: rows} of each served mart (the same in both schemas)."""
    schemas: dict[str, str]
    seconds: float


def serve(settings: Settings, publish_id: int | None = None) -> ServeReport:
    """Write the newest publish (or `publish_id`) to the PostgreSQL database `settings.serve_dsn` and switch both
    schemas to it in one transaction."""
    if not settings.serve_dsn:
        raise ServingNotConfigured("SDC_SERVE_DSN is not set: publishes are not served to PostgreSQL")
    started = time.perf_counter()
    roles = {"masked": [settings.serve_analyst_role, settings.serve_restricted_role],
             "full": [settings.serve_restricted_role]}  # fmt: skip
    with ExitStack() as stack:
        masked = stack.enter_context(open_published(settings, publish_id, audience="masked"))
        # the same publish for both schemas, even if a new one comes in meanwhile
        full = stack.enter_context(open_published(settings, masked.entry.publish_id, audience="full"))
        rows: dict[str, int] = {}
        for session in (masked, full):
            con = session.connection
            _attach_serving(con, settings.serve_dsn)
            if session is masked:
                _execute(con, _ensure_roles(roles["masked"]))
            rows = _load(session, SCHEMAS[session.audience] + NEXT, roles[session.audience])
        # postgres_execute runs in the DuckDB transaction's PostgreSQL transaction: the switch is one transaction
        full.connection.execute("BEGIN")
        _execute(full.connection, switch_sql())
        full.connection.execute("COMMIT")
        entry = masked.entry
    return ServeReport(entry.publish_id, entry.snapshot_id, rows, dict(SCHEMAS), time.perf_counter() - started)


def _load(session: PublishedSession, schema: str, roles: list[str]) -> dict[str, int]:
    con, entry = session.connection, session.entry
    _execute(con, f"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}")
    docs = {**session.docs, PUBLISH_TABLE: {"description": "The publish the tables of this schema hold.",
                                            "columns": PUBLISH_COLUMNS}}  # fmt: skip
    con.execute(
        f"CREATE TABLE {SERVING}.{schema}.{PUBLISH_TABLE} AS SELECT {entry.publish_id}::BIGINT AS publish_id, "
        f"{entry.snapshot_id}::BIGINT AS lake_snapshot_id, {sql_literal(entry.published_at.isoformat())}::TIMESTAMPTZ "
        "AS published_at, now() AS served_at"
    )
    rows, columns = {}, {PUBLISH_TABLE: set(PUBLISH_COLUMNS)}
    for table in [*session.views, FRESHNESS_VIEW]:
        cols = con.execute(f'DESCRIBE main."{table}"').fetchall()
        columns[table] = {c for c, *_ in cols}
        # PostgreSQL has no anonymous composite type: a struct (or list of structs) is served as JSON
        select = ", ".join(f'to_json("{c}") AS "{c}"' if "STRUCT" in t or "MAP" in t else f'"{c}"' for c, t, *_ in cols)
        con.execute(f'CREATE TABLE {SERVING}.{schema}."{table}" AS SELECT {select} FROM main."{table}"')
        if table in session.views:
            rows[table] = entry.row_counts[table]
    comments = []
    for table, doc in ((t, d) for t, d in docs.items() if t in columns):
        if doc.get("description"):
            comments.append(f'COMMENT ON TABLE {schema}."{table}" IS {sql_literal(doc["description"])}')
        for column, meaning in (doc.get("columns") or {}).items():
            if meaning and column in columns[table]:  # the docs may name a column the model does not have
                comments.append(f'COMMENT ON COLUMN {schema}."{table}"."{column}" IS {sql_literal(meaning)}')
    grants = [f"GRANT USAGE ON SCHEMA {schema} TO {', '.join(roles)}",
              f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {', '.join(roles)}"]  # fmt: skip
    _execute(con, "; ".join([*comments, *grants]))
    return rows


def _attach_serving(con: duckdb.DuckDBPyConnection, dsn: str) -> None:
    con.execute("LOAD postgres_scanner")
    try:
        con.execute(f"ATTACH {sql_literal(dsn)} AS {SERVING} (TYPE postgres)")
    except duckdb.Error as exc:
        # DuckDB's message quotes the whole DSN, password included
        raise ServingUnavailable(
            "cannot connect to the serving database (SDC_SERVE_DSN): " + str(exc).replace(dsn, "<SDC_SERVE_DSN>")
        ) from None


def _ensure_roles(roles: list[str]) -> str:
    """Create the roles that do not exist yet (idempotent; two publishes never run at once)."""
    creates = " ".join(
        f"IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {sql_literal(r)}) THEN CREATE ROLE {r} NOLOGIN; END IF;"
        for r in dict.fromkeys(roles)
    )
    return f"DO $$ BEGIN {creates} END $$"


def switch_sql() -> str:
    """The switch (run in one transaction): the served schemas become `__old`, the loaded `__next` ones take their
    names, the old ones go (their exclusive locks wait for statements still reading them)."""
    steps = [f"SET LOCAL lock_timeout = '{SWITCH_LOCK_TIMEOUT}'"]
    renames = " ".join(
        f"IF EXISTS (SELECT FROM pg_namespace WHERE nspname = '{s}') THEN ALTER SCHEMA {s} RENAME TO {s}{OLD}; END IF; "
        f"ALTER SCHEMA {s}{NEXT} RENAME TO {s};"
        for s in SCHEMAS.values()
    )
    steps.append(f"DO $$ BEGIN {renames} END $$")
    steps += [f"DROP SCHEMA IF EXISTS {s}{OLD} CASCADE" for s in SCHEMAS.values()]
    return "; ".join(steps)


def _execute(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    con.execute(f"CALL postgres_execute('{SERVING}', {sql_literal(sql)})")

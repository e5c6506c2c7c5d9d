"""Incremental dbt models and their definitions: an incremental model keeps the rows earlier builds wrote, so
when its SQL, or a macro it calls, changes, the rows must be rebuilt. Each successful build records the model's
fingerprint in the lake (`lake.meta.dbt_incremental_builds`); a dbt part whose incremental models do not all
match their record runs with `--full-refresh`. The rows themselves say what they read (macros/incremental.sql)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import duckdb

BUILDS_TABLE = "lake.meta.dbt_incremental_builds"
BUILDS_DDL = f"CREATE TABLE IF NOT EXISTS {BUILDS_TABLE} (model VARCHAR, fingerprint VARCHAR, built_at TIMESTAMPTZ)"


def incremental_models(manifest: Mapping[str, Any], unique_ids: Iterable[str] | None = None) -> list[str]:
    """The incremental models among `unique_ids` (default: the whole project), as unique ids."""
    nodes = manifest["nodes"]
    ids = nodes if unique_ids is None else [u for u in unique_ids if u in nodes]
    return sorted(u for u in ids if nodes[u].get("config", {}).get("materialized") == "incremental")


def fingerprint(manifest: Mapping[str, Any], unique_id: str) -> str:
    """SHA-256 of a model's SQL, of every macro it calls, directly or through other macros, and of the seeds it
    reads (dbt's own checksum covers the model's file only)."""
    macros = manifest["macros"]
    node = manifest["nodes"][unique_id]
    seen: set[str] = set()
    todo = list(node["depends_on"]["macros"])
    while todo:
        macro = todo.pop()
        if macro in seen or macro not in macros:
            continue
        seen.add(macro)
        todo += macros[macro]["depends_on"]["macros"]
    digest = hashlib.sha256(node["raw_code"].encode())
    for macro in sorted(seen):
        digest.update(b"\0" + macro.encode() + b"\0" + macros[macro]["macro_sql"].encode())
    for seed in sorted(n for n in node["depends_on"]["nodes"] if n.startswith("seed.")):  # reference data it keeps
        digest.update(b"\0" + seed.encode() + b"\0" + manifest["nodes"][seed]["checksum"]["checksum"].encode())
    return digest.hexdigest()


def needs_full_refresh(current: Mapping[str, str], recorded: Mapping[str, str]) -> list[str]:
    """The models whose definition is not the one their rows were built with (or never recorded)."""
    return sorted(m for m, fp in current.items() if recorded.get(m) != fp)


def recorded_fingerprints(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """{model: fingerprint} of the last build recorded for each (none before the first; a read-only connection
    will do)."""
    try:
        return dict(con.execute(f"SELECT model, fingerprint FROM {BUILDS_TABLE}").fetchall())
    except duckdb.CatalogException:
        return {}


def record_builds(con: duckdb.DuckDBPyConnection, built: Mapping[str, str]) -> None:
    """Record the fingerprints of the incremental models just built (one transaction, by the caller)."""
    if not built:
        return
    con.execute(BUILDS_DDL)
    con.execute(f"DELETE FROM {BUILDS_TABLE} WHERE model IN (SELECT unnest(?))", [list(built)])
    now = datetime.now(UTC)
    con.executemany(f"INSERT INTO {BUILDS_TABLE} VALUES (?, ?, ?)", [(m, fp, now) for m, fp in built.items()])


def forget_builds(con: duckdb.DuckDBPyConnection) -> None:
    """Forget every record: the next build of each incremental model reads all of its inputs (`sdc run
    --full-refresh`, after rows were changed by hand where no build looks for changes)."""
    con.execute(BUILDS_DDL)
    con.execute(f"DELETE FROM {BUILDS_TABLE}")

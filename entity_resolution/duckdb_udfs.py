"""Name keys and identifier kinds as DuckDB scalar functions, for dbt models (via `dbt_plugin`) and tests.

Only dbt's own connection needs them: models materialise plain values, so readers of the lake never do.
Identifiers and plates need none: validation stored them normalised (data_contracts.normalise).
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from entity_resolution import normalise as n

VARCHAR = duckdb.sqltype("VARCHAR")
BOOLEAN = duckdb.sqltype("BOOLEAN")

UDFS: dict[str, tuple[Callable, object]] = {
    "sdc_nfkc": (n.nfkc, VARCHAR),
    "sdc_identifier_kind": (n.identifier_kind, VARCHAR),
    "sdc_org_code": (n.org_code_of, VARCHAR),
    "sdc_name_key": (n.name_key, VARCHAR),
    "sdc_name_core": (n.name_core, VARCHAR),
    "sdc_is_branch_name": (n.is_branch_name, BOOLEAN),
}


def register(con: duckdb.DuckDBPyConnection) -> None:
    """Register every `sdc_*` function on `con` (idempotent)."""
    existing = {
        r[0]
        for r in con.execute("SELECT function_name FROM duckdb_functions() WHERE function_name LIKE 'sdc_%'").fetchall()
    }
    for name, (fn, returns) in UDFS.items():
        if name in existing:
            continue
        con.create_function(name, fn, [VARCHAR], returns, null_handling="special", side_effects=False)

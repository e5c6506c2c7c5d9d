"""The normalisation functions as DuckDB scalar functions, for dbt models (via `dbt_plugin`) and tests.

Only dbt's own connection needs them: models materialise plain values, so readers of the lake never do.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from entity_resolution import normalise as n


def _plate(value: str) -> str | None:
    return n.normalise_plate(value)[0]


def _plate_glued_colour(value: str) -> str | None:
    return n.normalise_plate(value)[1]


VARCHAR = duckdb.sqltype("VARCHAR")
BOOLEAN = duckdb.sqltype("BOOLEAN")

UDFS: dict[str, tuple[Callable, object]] = {
    "sdc_nfkc": (n.nfkc, VARCHAR),
    "sdc_simplified": (n.simplified, VARCHAR),
    "sdc_clean_identifier": (n.clean_identifier, VARCHAR),
    "sdc_identifier_kind": (n.identifier_kind, VARCHAR),
    "sdc_org_code": (n.org_code_of, VARCHAR),
    "sdc_base_name": (n.base_name, VARCHAR),
    "sdc_name_key": (n.name_key, VARCHAR),
    "sdc_name_core": (n.name_core, VARCHAR),
    "sdc_is_branch_name": (n.is_branch_name, BOOLEAN),
    "sdc_plate": (_plate, VARCHAR),
    "sdc_plate_glued_colour": (_plate_glued_colour, VARCHAR),
    "sdc_plate_colour_code": (n.plate_colour_code, VARCHAR),
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

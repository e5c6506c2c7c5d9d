"""The typed schema a dataset's validated rows are cast to, generated from its contract."""

from __future__ import annotations

from data_contracts.contract import Contract
from data_contracts.lineage import LINEAGE

# Lineage carried from the raw row, plus what validation adds.
LINEAGE_COLUMNS = [
    *LINEAGE,
    ("_row_id", "VARCHAR"),
    ("_warnings", "VARCHAR[]"),
    ("_contract_version", "VARCHAR"),
]


def typed_columns(contract: Contract) -> list[tuple[str, str]]:
    """(column, DuckDB type) of the validated table: canonical columns, then lineage."""
    return [(c.name, c.duckdb_type) for c in contract.columns] + LINEAGE_COLUMNS


def typed_table_ddl(contract: Contract, schema: str = "lake.validated") -> str:
    cols = ",\n    ".join(f'"{name}" {type_}' for name, type_ in typed_columns(contract))
    return f'CREATE TABLE IF NOT EXISTS {schema}."{contract.table}" (\n    {cols}\n)'

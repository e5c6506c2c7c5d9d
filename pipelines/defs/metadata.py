"""What the Dagster UI shows of the lake's tables, in Dagster's own metadata conventions: `dagster/table_name`,
`dagster/column_schema` (generated from the data contracts for the raw and validated layers), `dagster/row_count`,
and a freshness policy per source dataset from its contract's SLA."""

from collections import Counter
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import dagster as dg
import duckdb

from connectors.raw_layer import RECORD_SHA, raw_table
from data_contracts.contract import Contract
from data_contracts.lineage import LINEAGE
from data_contracts.typed_schema import LINEAGE_COLUMNS
from warehouse.lake import table_exists
from warehouse.masking import mask_expression

PREVIEW_ROWS = 5
# Dagster's metadata keys for tables (the UI shows them on the asset page and in the catalog).
TABLE_NAME, COLUMN_SCHEMA, ROW_COUNT = "dagster/table_name", "dagster/column_schema", "dagster/row_count"


def raw_table_name(dataset: str) -> str:
    return f"lake.raw.{raw_table(dataset)}"


def validated_table_name(contract: Contract) -> str:
    return f"lake.validated.{contract.table}"


def _described(column) -> str:
    return f"{column.name}: {column.description}" if column.description else column.name


def raw_table_metadata(contract: Contract, *, pulled: bool) -> dict:
    """The raw table: every contract column under its delivered name, as text; then the lineage (and for an API
    pull the hash that recognises a record served twice)."""
    columns = [dg.TableColumn(c.source_name, "VARCHAR", description=_described(c)) for c in contract.columns]
    columns += [dg.TableColumn(name, type_) for name, type_ in LINEAGE]
    if pulled:
        columns.append(dg.TableColumn(RECORD_SHA, "VARCHAR"))
    return {TABLE_NAME: raw_table_name(contract.dataset), COLUMN_SCHEMA: dg.TableSchema(columns)}


def validated_table_metadata(contract: Contract) -> dict:
    """The validated table: the contract's columns typed (not null where a missing value quarantines the row), with
    their classification; then the lineage. Every version of a row is kept: no column is unique here."""
    not_null = {r.column for r in contract.rules if r.kind == "required" and r.is_error}
    columns = [
        dg.TableColumn(
            c.name,
            c.duckdb_type,
            description=_described(c),
            constraints=dg.TableColumnConstraints(nullable=c.name not in not_null),
            tags={"classification": c.classification},
        )
        for c in contract.columns
    ]
    columns += [dg.TableColumn(name, type_) for name, type_ in LINEAGE_COLUMNS]
    return {TABLE_NAME: validated_table_name(contract), COLUMN_SCHEMA: dg.TableSchema(columns)}


def freshness_policy(contract: Contract) -> dg.FreshnessPolicy | None:
    """The contract's freshness SLA as the time since the asset last materialized: a dataset not loaded within it
    turns stale in the UI between runs. (Whether the newest delivery itself is older than the SLA is the
    validated asset's `freshness` check.)"""
    if contract.freshness_hours is None:
        return None
    return dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=contract.freshness_hours))


def row_count(con: duckdb.DuckDBPyConnection, table_name: str) -> dict:
    """`dagster/row_count` of `lake.<schema>.<table>` now (0 before its first load)."""
    _, schema, table = table_name.split(".")
    exists = table_exists(con, schema, table)
    return {ROW_COUNT: int(con.execute(f'SELECT count(*) FROM lake.{schema}."{table}"').fetchone()[0]) if exists else 0}


def rejects_metadata(con: duckdb.DuckDBPyConnection, contract: Contract, quarantined) -> dict:
    """Quarantined rows of one validation by rule, and the first few rows as delivered, masked by the contract's
    classifications (the UI is no place for an ID number)."""
    by_rule = Counter(r for reasons in quarantined["reasons"] for r in reasons) if len(quarantined) else Counter()
    out = {
        "quarantined_by_rule": dg.MetadataValue.table(
            [dg.TableRecord({"rule": rule, "rows": n}) for rule, n in by_rule.most_common()],
            schema=dg.TableSchema([dg.TableColumn("rule", "string"), dg.TableColumn("rows", "int")]),
        )
    }
    if not len(quarantined):
        return out
    preview = quarantined.head(PREVIEW_ROWS)[["_source_file", "_record_number", "reasons", "original_values"]]  # noqa: F841
    values = [
        f'{mask_expression(json_value, c.classification)}::VARCHAR AS "{c.name}"'
        for c in contract.columns
        for json_value in [f"json_extract_string(original_values, '$.\"{c.source_name}\"')"]
    ]
    rows = con.execute(
        f"SELECT _source_file AS file, _record_number AS record, array_to_string(reasons, ', ') AS reasons, "
        f"{', '.join(values)} FROM preview"
    )
    names = [d[0] for d in rows.description]
    records = [dg.TableRecord(dict(zip(names, row, strict=True))) for row in rows.fetchall()]
    schema = dg.TableSchema([dg.TableColumn(n, "int" if n == "record" else "string") for n in names])
    return out | {"quarantined_preview": dg.MetadataValue.table(records, schema=schema)}


def built_table_metadata(con: duckdb.DuckDBPyConnection, definition: Mapping[str, Any]) -> dict:
    """`dagster/row_count` and `dagster/column_schema` of a table a dbt model just built, as it is in the lake:
    each column's type from the lake, its meaning from the model YAML (the asset's definition metadata)."""
    table = getattr(definition.get(TABLE_NAME), "value", definition.get(TABLE_NAME))
    if not isinstance(table, str) or table.count(".") != 2:
        return {}
    declared = getattr(definition.get(COLUMN_SCHEMA), "value", definition.get(COLUMN_SCHEMA))
    meanings = {c.name: c.description for c in declared.columns} if isinstance(declared, dg.TableSchema) else {}
    _, schema, name = table.split(".")
    relation = f'lake.{schema}."{name}"'
    described = con.execute(f"DESCRIBE {relation}").fetchall()
    columns = [dg.TableColumn(n, t, description=meanings.get(n)) for n, t, *_ in described]
    rows = con.execute(f"SELECT count(*) FROM {relation}").fetchone()[0]
    return {ROW_COUNT: int(rows), COLUMN_SCHEMA: dg.TableSchema(columns)}

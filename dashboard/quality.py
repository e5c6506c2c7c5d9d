"""数据质量 per department: what each delivered and when, what was accepted, flagged (accepted with a warning)
and quarantined by which rule, with examples, and the list a department can act on (CSV / XLSX).

These facts are not in the marts: they are read from the lake's logs, quarantine and validated layers through
the dashboard's own session, pinned at the publish it shows (a load after that publish is not seen). Example
values are masked like the marts: each field by its contract column's classification
(warehouse/masking.py); a field the contract does not name is not shown at all.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from data_contracts.contract import Contract, all_contracts
from warehouse.freshness import validated_table
from warehouse.lake import sql_literal, table_exists
from warehouse.masking import mask_expression
from warehouse.reader import PublishedSession
from warehouse.validated import OPEN

EXAMPLES_PER_RULE = 3
ARRIVALS_SHOWN = 200


@dataclass(frozen=True)
class Department:
    key: str
    """The datasets' domain (`hazchem`), as the marts' `source_system` names it."""
    owner: str
    source_system: str
    contracts: tuple[Contract, ...]


@cache
def departments() -> tuple[Department, ...]:
    by_key: dict[str, list[Contract]] = {}
    for contract in all_contracts():
        by_key.setdefault(contract.dataset.split(".")[0], []).append(contract)
    return tuple(Department(k, cs[0].owner, cs[0].source_system, tuple(cs)) for k, cs in sorted(by_key.items()))


def department(key: str) -> Department | None:
    return next((d for d in departments() if d.key == key), None)


def _masked_original(contract: Contract) -> str:
    """A struct of the delivered row's fields (as the department names them), each masked by its column's
    classification; fields outside the contract are left out."""
    fields = []
    for column in contract.columns:
        path = "$." + json.dumps(column.source_name, ensure_ascii=False)
        raw = f"json_extract_string(original_values, {sql_literal(path)})"
        fields.append(f"{sql_literal(column.source_name)}: {mask_expression(raw, column.classification)}")
    return "{" + ", ".join(fields) + "}"


def _masked_validated(contract: Contract) -> str:
    return "{" + ", ".join(
        f"{sql_literal(c.source_name)}: {mask_expression(chr(34) + c.name + chr(34), c.classification)}"
        for c in contract.columns
    ) + "}"  # fmt: skip


def _rows(session: PublishedSession, sql: str, params: list | None = None) -> list[dict[str, Any]]:
    # trusted code on the pinned session's connection: these tables are not among its views
    cursor = session.connection.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def summary(session: PublishedSession) -> list[dict[str, Any]]:
    """Per department: rows in, accepted, flagged, quarantined over every validated load."""
    if not table_exists(session.connection, "meta", "validation_log"):
        return []
    totals = {r["dataset"]: r for r in _rows(session, """
        SELECT dataset, sum(rows_in) AS rows_in, sum(rows_accepted) AS accepted, sum(rows_warned) AS flagged,
               sum(rows_quarantined) AS quarantined, count(*) AS loads, max(validated_at) AS last_validated
        FROM lake.meta.validation_log GROUP BY dataset""")}  # fmt: skip
    out = []
    for d in departments():
        sets = [totals[c.dataset] for c in d.contracts if c.dataset in totals]
        out.append({
            "department": d.key, "owner": d.owner, "source_system": d.source_system,
            **{k: int(sum(s[k] or 0 for s in sets)) for k in ("rows_in", "accepted", "flagged", "quarantined",
                                                               "loads")},
            "last_validated": max((s["last_validated"] for s in sets), default=None),
        })  # fmt: skip
    return out


def arrivals(session: PublishedSession, dept: Department) -> list[dict[str, Any]]:
    """Deliveries of the department, newest first: every file received (loaded or rejected whole) and every API
    load, with what validation made of its rows."""
    datasets = [c.dataset for c in dept.contracts]
    parts = []
    if table_exists(session.connection, "meta", "load_log"):
        validated = (
            "LEFT JOIN lake.meta.validation_log AS v USING (dataset, load_id)"
            if table_exists(session.connection, "meta", "validation_log")
            else "LEFT JOIN (SELECT NULL AS dataset, NULL AS load_id, NULL::BIGINT AS rows_accepted, "
            "NULL::BIGINT AS rows_warned, NULL::BIGINT AS rows_quarantined) AS v USING (dataset, load_id)"
        )
        parts.append(f"""SELECT l.dataset, l.source AS delivery, l.loaded_at AS arrived_at, 'loaded' AS status,
                NULL AS reason, l.rows_read, l.rows_rejected AS rows_unreadable, v.rows_accepted, v.rows_warned AS
                rows_flagged, v.rows_quarantined, l.superseded_by IS NOT NULL AS superseded
            FROM lake.meta.load_log AS l {validated} WHERE list_contains(?, l.dataset)""")
    if table_exists(session.connection, "meta", "file_ledger"):
        parts.append("""SELECT dataset, source_file, received_at, status, reason, rows_read, rows_rejected,
                NULL::BIGINT, NULL::BIGINT, NULL::BIGINT, superseded_by IS NOT NULL
            FROM lake.meta.file_ledger WHERE status = 'rejected' AND list_contains(?, dataset)""")
    if not parts:
        return []
    sql = " UNION ALL ".join(parts) + f" ORDER BY arrived_at DESC, delivery LIMIT {ARRIVALS_SHOWN}"
    return _rows(session, sql, [datasets] * len(parts))


def by_rule(session: PublishedSession, dept: Department) -> list[dict[str, Any]]:
    """Open quarantined rows per rule and accepted rows flagged per rule and field, with masked examples."""
    out = []
    for contract in dept.contracts:
        out += [_with_examples(r, contract) for r in _quarantined(session, contract, EXAMPLES_PER_RULE)]
        out += [_with_examples(r, contract) for r in _flagged(session, contract, EXAMPLES_PER_RULE)]
    return out


def _quarantined(session: PublishedSession, contract: Contract, examples: int | None) -> list[dict[str, Any]]:
    if not table_exists(session.connection, "quarantine", "rows"):
        return []
    where = f"dataset = {sql_literal(contract.dataset)} AND {OPEN}"
    return _rows(session, _by_rule("quarantined", contract, "lake.quarantine.rows", "reasons", where,
                                   _masked_original(contract), examples))  # fmt: skip


def _flagged(session: PublishedSession, contract: Contract, examples: int | None) -> list[dict[str, Any]]:
    if not table_exists(session.connection, "validated", contract.dataset.replace(".", "__")):
        return []
    return _rows(session, _by_rule("flagged", contract, validated_table(contract.dataset), "_warnings",
                                   "len(_warnings) > 0", _masked_validated(contract), examples))  # fmt: skip


def _by_rule(outcome: str, contract: Contract, table: str, rules: str, where: str, values: str, examples: int | None):
    """Rows per rule of `rules` (a list column), with the first `examples` of them (all: None), masked: only those
    rows build their masked values."""
    first = f"WHERE n <= {int(examples)}" if examples else ""
    return f"""
        SELECT {sql_literal(contract.dataset)} AS dataset, {sql_literal(outcome)} AS outcome, rule,
               any_value(rows) AS rows,
               list({{'file': _source_file, 'row': _record_number, 'values': {values}}}
                    ORDER BY _source_file, _record_number) AS examples
        FROM (SELECT *, count(*) OVER (PARTITION BY rule) AS rows,
                     row_number() OVER (PARTITION BY rule ORDER BY _source_file, _record_number) AS n
              FROM (SELECT unnest({rules}) AS rule, * FROM {table} WHERE {where}))
        {first}
        GROUP BY rule ORDER BY rows DESC, rule"""


def _with_examples(row: dict[str, Any], contract: Contract) -> dict[str, Any]:
    """The rule split into its name and field (`uscc_format:use_unit_uscc`), the field as the department
    names it."""
    rule, _, field = row["rule"].partition(":")
    if not field:  # a quarantine reason names the rule only: the contract says which column it checks
        field = next((r.column for r in contract.rules if r.name == rule and r.column), "")
    names = {c.name: c.source_name for c in contract.columns}
    return {**row, "rule": rule, "field": names.get(field, field) or None}


EXPORT_HEADER = ("数据集", "处理结果", "规则", "字段", "来源文件", "行号", "报送内容（已脱敏）")
OUTCOME_WORDS = {"quarantined": "隔离（未入库）", "flagged": "已入库，需核实"}


def problem_rows(session: PublishedSession, dept: Department) -> Iterator[tuple]:
    """Every open quarantined and flagged row of the department, one line per rule it broke: what the
    department corrects at the source."""
    for contract in dept.contracts:
        for group in [*_quarantined(session, contract, None), *_flagged(session, contract, None)]:
            g = _with_examples(group, contract)
            for ex in sorted(g["examples"], key=lambda e: (e["file"] or "", e["row"] or 0)):
                values = json.dumps(ex["values"], ensure_ascii=False, default=str)
                yield (g["dataset"], OUTCOME_WORDS[g["outcome"]], g["rule"], g["field"], ex["file"], ex["row"], values)


def export_csv(session: PublishedSession, dept: Department) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_HEADER)
    writer.writerows(problem_rows(session, dept))
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # the BOM: Excel opens UTF-8 CSV as UTF-8 only with it


def export_xlsx(session: PublishedSession, dept: Department) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(f"{dept.key} 数据质量")
    sheet.append(EXPORT_HEADER)
    for row in problem_rows(session, dept):
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

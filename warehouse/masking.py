"""What the analysts' (masked) view of a published table shows, derived from data-contract classifications.

Every column of a published table carries a classification: the contract property's `classification`
reaches the dbt sources' column `meta.classification` (generated), and a mart column gets it from its
model YAML `meta: {classification: ...}` or, when the YAML says nothing, by name from the nearest
upstream model or source that classifies a column of that name (the most sensitive one wins). A
column nothing classifies cannot be published (fail closed).

The leak scanner is the independent audit: it reads values, not classifications, and finds ID
numbers that pass the GB 11643 check and mobile / Taicang landline numbers.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb

from warehouse.lake import sql_literal

# Most sensitive first. `pii.<kind>` kinds not listed are redacted (fail closed).
SENSITIVITY = (
    "restricted",
    "pii.id_number",
    "pii.id_number_masked",
    "pii.phone",
    "pii.person_name",
    "pii",
    "internal",
    "public",
)


def _rank(classification: str) -> int:
    if classification in SENSITIVITY:
        return SENSITIVITY.index(classification)
    if classification.startswith("pii."):
        return SENSITIVITY.index("pii")
    return 0  # unknown words (confidential, secret...) are treated as restricted


def most_sensitive(classifications: Iterable[str]) -> str:
    return min(classifications, key=_rank)


def mask_expression(column: str, classification: str) -> str:
    """SQL for the masked value of `column` (already quoted) under its classification."""
    c = column
    text = f"CAST({c} AS VARCHAR)"
    if classification in ("public", "internal"):
        return c
    if classification in ("pii.id_number", "pii.id_number_masked"):
        # 320585********1233: region and last four, as public lists show them (domain_dictionary §2.4).
        return (
            f"CASE WHEN {c} IS NULL THEN NULL WHEN length({text}) <= 10 THEN repeat('*', length({text})) "
            f"ELSE left({text}, 6) || repeat('*', length({text}) - 10) || right({text}, 4) END"
        )
    if classification == "pii.phone":
        # 138****8888 (domain_dictionary §2.11); landlines keep the same shape.
        return (
            f"CASE WHEN {c} IS NULL THEN NULL WHEN length({text}) <= 7 THEN repeat('*', length({text})) "
            f"ELSE left({text}, 3) || repeat('*', length({text}) - 7) || right({text}, 4) END"
        )
    if classification == "pii.person_name":
        # A private person's name reduced to the family name: 张**.
        return f"CASE WHEN {c} IS NULL THEN NULL ELSE left({text}, 1) || repeat('*', length({text}) - 1) END"
    # restricted, other pii kinds, unknown words: withheld (the column stays, with its type, so queries keep
    # working; no type to look up: a reader session would DESCRIBE every mart for it).
    return f"CASE WHEN false THEN {c} END"


def masked_select(table_sql: str, columns: Mapping[str, str]) -> str:
    """SELECT of a table with every column masked by its classification (`columns`: name -> classification,
    in table order)."""
    parts = []
    for name, classification in columns.items():
        quoted = '"' + name.replace('"', '""') + '"'
        parts.append(f"{mask_expression(quoted, classification)} AS {quoted}")
    return f"SELECT {', '.join(parts)} FROM {table_sql}"


def masks_nothing(columns: Mapping[str, str]) -> bool:
    """Whether `masked_select` of a table with these columns (name -> classification) is the table as it is."""
    return all(mask_expression(f'"{name}"', classification) == f'"{name}"' for name, classification in columns.items())


# --- classification of mart columns from the dbt manifest ------------------------------------------


class UnclassifiedColumns(ValueError):
    """Columns of a published table that no model YAML, contract or upstream column classifies."""


def _column_meta(column: Mapping) -> str | None:
    meta = column.get("meta") or (column.get("config") or {}).get("meta") or {}
    value = meta.get("classification")
    return str(value) if value else None


@dataclass(frozen=True)
class ManifestClassifier:
    """Classifications of the tables dbt builds into a lake schema (the marts), from `manifest.json`."""

    manifest: Mapping

    def _node(self, unique_id: str) -> Mapping | None:
        return self.manifest.get("nodes", {}).get(unique_id) or self.manifest.get("sources", {}).get(unique_id)

    def _model_for(self, schema: str, table: str) -> Mapping | None:
        for node in self.manifest.get("nodes", {}).values():
            is_model = node.get("resource_type") == "model" and node.get("schema") == schema
            if is_model and (node.get("alias") or node.get("name")) == table:
                return node
        return None

    def classify(self, schema: str, table: str, column: str) -> str | None:
        """The classification of `schema.table.column`, or None when nothing classifies it."""
        model = self._model_for(schema, table)
        if model is None:
            return None
        own = _column_meta((model.get("columns") or {}).get(column, {}))
        if own:
            return own
        # Breadth-first upstream: the nearest nodes that classify a column of this name.
        seen: set[str] = set()
        frontier = list(model.get("depends_on", {}).get("nodes", []))
        while frontier:
            found, nxt = [], []
            for uid in frontier:
                if uid in seen:
                    continue
                seen.add(uid)
                node = self._node(uid)
                if node is None:
                    continue
                value = _column_meta((node.get("columns") or {}).get(column, {}))
                if value:
                    found.append(value)
                else:
                    nxt.extend(node.get("depends_on", {}).get("nodes", []))
            if found:
                return most_sensitive(found)
            frontier = nxt
        return None

    def plan(self, schema: str, tables: Mapping[str, Iterable[str]]) -> dict[str, dict[str, str]]:
        """{table: {column: classification}} for every column; UnclassifiedColumns names the gaps."""
        plan: dict[str, dict[str, str]] = {}
        missing = []
        for table, columns in tables.items():
            plan[table] = {}
            for column in columns:
                value = self.classify(schema, table, column)
                if value is None:
                    missing.append(f"{schema}.{table}.{column}")
                else:
                    plan[table][column] = value
        if missing:
            raise UnclassifiedColumns(
                "no classification for " + ", ".join(missing) + ": add `meta: {classification: ...}` to the "
                "column in the model's YAML (or name it like the contract column it comes from)"
            )
        return plan


# --- the leak scanner ---------------------------------------------------------------------------------

# What masks and what the scanner finds, as this module writes it: a publish audits only the rows no audit under
# the same rules read (warehouse/publish.py), so any edit here makes the next publish scan every row again.
MASKING_RULES = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]

# 18-character resident ID: province 1-8, six-digit region, a 19xx/20xx birth date, sequence, check.
# Not glued to a letter either: source keys such as waybill numbers (YD + 320585 + date + serial) are not IDs.
ID_CANDIDATE = (
    r"(?:^|[^0-9A-Za-z])([1-8][0-9]{5}(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx])"
)
# Mobile numbers (optionally +86) and Taicang landlines (0512 + 7-8 digits), not inside a longer number.
PHONE_CANDIDATE = r"(?:^|[^0-9])((?:\+?86-?)?1[3-9][0-9]{9}|0512-?[0-9]{7,8})(?:$|[^0-9])"
_ID_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]


def id_number_valid(value: str) -> bool:
    """GB 11643 check character (ISO 7064 MOD 11-2)."""
    v = value.upper()
    if not re.fullmatch(r"\d{17}[\dX]", v):
        return False
    return "10X98765432"[sum(int(d) * w for d, w in zip(v[:17], _ID_WEIGHTS, strict=True)) % 11] == v[17]


@dataclass(frozen=True)
class Leak:
    table: str
    column: str
    kind: str  # id_number | phone
    example: str

    def __str__(self) -> str:
        shown = self.example[:4] + "…" + self.example[-2:]
        return f"{self.table}.{self.column}: unmasked {self.kind} ({shown})"


FRACTIONAL_TYPES = ("DOUBLE", "FLOAT", "REAL", "DECIMAL")


def find_leaks(con: duckdb.DuckDBPyConnection, table: str, relation_sql: str, columns: Iterable[str]) -> list[Leak]:
    """Unmasked ID numbers (valid check character) and phone numbers in any column of `relation_sql`, in one
    scan of the relation (every column's candidates are gathered by aggregates side by side)."""
    described = con.execute(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM ({relation_sql}))")
    types = dict(described.fetchall())
    # a tonnage summed to 19,990,000,000.97 is no phone number: identifiers never have a fraction
    scanned = [c for c in columns if not types.get(c, "").startswith(FRACTIONAL_TYPES)]
    if not scanned:
        return []
    aggregates = []
    for column in scanned:
        text = "CAST(" + '"' + column.replace('"', '""') + '"' + " AS VARCHAR)"
        for pattern in (ID_CANDIDATE, PHONE_CANDIDATE):
            aggregates.append(f"list_distinct(flatten(list(regexp_extract_all({text}, {sql_literal(pattern)}, 1))))")
    found = con.execute(f"SELECT {', '.join(aggregates)} FROM ({relation_sql})").fetchone()
    leaks: list[Leak] = []
    for i, column in enumerate(scanned):
        ids, phones = found[2 * i] or [], found[2 * i + 1] or []
        valid_ids = sorted(x for x in ids if id_number_valid(x))
        if valid_ids:
            leaks.append(Leak(table, column, "id_number", valid_ids[0]))
        if phones:
            leaks.append(Leak(table, column, "phone", sorted(phones)[0]))
    return leaks

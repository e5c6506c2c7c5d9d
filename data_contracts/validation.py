"""Row-level validation of one delivered batch against its contract, with Great Expectations.

The contract's rules become a GX suite (data_contracts.gx_suite). Rules that need domain code
(check characters, towns, coordinates) are evaluated here into derived boolean columns that a stock
expectation checks. Every row leaves with its list of failed rules: error -> quarantine with the
reasons, warning -> accepted with the flags kept.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from data_contracts import checks
from data_contracts.contract import Contract, Rule
from data_contracts.parsing import PARSERS, clean_text

LINEAGE = ["_source_system", "_source_file", "_source_sha256", "_record_number", "_load_id", "_loaded_at"]
ROW_ID = "_row_id"


def derived_column(rule: Rule) -> str:
    return f"__{rule.name}__{rule.column}"


@dataclass
class ValidationResult:
    accepted: pd.DataFrame
    """Typed canonical columns + lineage + `_warnings` + `_contract_version`."""
    quarantined: pd.DataFrame
    """Lineage + `original_values` (JSON of the row as delivered) + `reasons` + `contract_version`."""
    rows_in: int
    schema_drift: dict[str, list[str]]


# -- custom rule implementations: (text frame, typed frame, column, now) -> Series of True/False/None ---------
CustomCheck = Callable[[pd.DataFrame, pd.DataFrame, str, datetime], pd.Series]


def _map_text(text: pd.DataFrame, column: str, fn: Callable[[str], bool | None]) -> pd.Series:
    return text[column].map(lambda v: None if v is None or pd.isna(v) else fn(v), na_action=None)


def _parses(text, typed, column, now):
    return pd.Series(
        [None if t is None or pd.isna(t) else v is not None for t, v in zip(text[column], typed[column], strict=True)],
        index=text.index,
        dtype=object,
    )


def _identifier_shape(text, typed, column, now):
    return _map_text(text, column, lambda v: checks.classify_enterprise_identifier(v) != "unknown")


def _uscc_check(text, typed, column, now):
    def check(v: str) -> bool | None:
        return checks.uscc_valid(v) if checks.classify_enterprise_identifier(v) == "uscc" else None

    return _map_text(text, column, check)


def _town(text, typed, column, now):
    return _map_text(text, column, lambda v: checks.canonical_town(v) is not None)


def _coordinates(text, typed, column, now):
    def check(lon: object, lat: object) -> bool | None:
        if lon is None or lat is None or pd.isna(lon) or pd.isna(lat):
            return None
        return checks.fix_coordinates(float(lon), float(lat)) is not None

    return pd.Series(
        [check(a, b) for a, b in zip(typed["longitude"], typed["latitude"], strict=True)],
        index=text.index,
        dtype=object,
    )


def _not_in_future(text, typed, column, now):
    return typed[column].map(lambda v: None if v is None or pd.isna(v) else checks.not_in_future(v, now))


CUSTOM_CHECKS: dict[str, CustomCheck] = {
    "parses_as_type": _parses,
    "enterprise_identifier_shape": _identifier_shape,
    "uscc_check_character": _uscc_check,
    "taicang_town": _town,
    "taicang_coordinates": _coordinates,
    "not_in_future": _not_in_future,
}


def _keep_tokens(contract: Contract, column: str) -> frozenset[str]:
    values = [r.argument for r in contract.rules if r.column == column and r.kind == "valid_values"]
    return frozenset(v for vs in values for v in vs)


def prepare(raw: pd.DataFrame, contract: Contract, now: datetime) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(text, typed): canonical columns as cleaned text, and as typed values; plus derived check columns."""
    text = pd.DataFrame(index=raw.index)
    typed = pd.DataFrame(index=raw.index)
    for col in contract.columns:
        source = raw[col.source_name] if col.source_name in raw.columns else pd.Series(None, index=raw.index)
        keep = _keep_tokens(contract, col.name)
        cleaned = [clean_text(v, keep) for v in source.tolist()]
        text[col.name] = pd.Series(cleaned, index=raw.index, dtype=object)
        parser = PARSERS.get(col.logical_type)
        typed[col.name] = pd.Series(
            [None if v is None else (parser(v) if parser else v) for v in cleaned], index=raw.index, dtype=object
        )
    for rule in contract.rules:
        if rule.kind == "custom":
            text[derived_column(rule)] = CUSTOM_CHECKS[rule.argument](text, typed, rule.column, now)
    return text, typed


def _fix_coordinates(typed: pd.DataFrame, warnings: dict[object, list[str]]) -> None:
    if not {"longitude", "latitude"} <= set(typed.columns):
        return
    for idx, lon, lat in zip(typed.index, typed["longitude"], typed["latitude"], strict=True):
        if lon is None or lat is None or pd.isna(lon) or pd.isna(lat):
            continue
        fixed = checks.fix_coordinates(float(lon), float(lat))
        if fixed and fixed[2]:
            typed.at[idx, "longitude"], typed.at[idx, "latitude"] = fixed[0], fixed[1]
            warnings.setdefault(idx, []).append("coords_swapped")


def schema_drift(raw_columns: list[str], contract: Contract) -> dict[str, list[str]]:
    expected = {c.source_name for c in contract.columns}
    present = {c for c in raw_columns if not c.startswith("_")}
    return {"missing": sorted(expected - present), "unknown": sorted(present - expected)}


def validate_batch(raw: pd.DataFrame, contract: Contract, now: datetime | None = None) -> ValidationResult:
    """`raw`: rows as delivered (source column names, text) plus the lineage columns."""
    from data_contracts.gx_suite import run_suite  # GX costs seconds to import: only when validating

    now = now or datetime.now()
    raw = raw.reset_index(drop=True)
    raw.index.name = ROW_ID
    text, typed = prepare(raw, contract, now)
    failures = run_suite(text, contract)  # row id -> failed rules
    errors: dict[object, list[str]] = {}
    warnings: dict[object, list[str]] = {}
    for idx, rules in failures.items():
        for rule in rules:
            target = errors if rule.is_error else warnings
            if rule.name not in target.setdefault(idx, []):
                target[idx].append(rule.name)
    _fix_coordinates(typed, warnings)

    bad = raw.index.isin(list(errors))
    accepted = typed.loc[~bad].copy()
    for c in LINEAGE:
        accepted[c] = raw.loc[~bad, c]
    accepted["_warnings"] = [sorted(warnings.get(i, [])) for i in accepted.index]
    accepted["_contract_version"] = contract.version

    source_cols = [c for c in raw.columns if not c.startswith("_")]
    quarantined = raw.loc[bad, LINEAGE].copy()
    quarantined.insert(0, "dataset", contract.dataset)
    quarantined["original_values"] = [
        json.dumps({c: raw.at[i, c] for c in source_cols}, ensure_ascii=False, default=str) for i in quarantined.index
    ]
    quarantined["reasons"] = [sorted(errors[i]) for i in quarantined.index]
    quarantined["warnings"] = [sorted(warnings.get(i, [])) for i in quarantined.index]
    quarantined["contract_version"] = contract.version
    return ValidationResult(
        accepted.reset_index(drop=True),
        quarantined.reset_index(drop=True),
        len(raw),
        schema_drift(list(raw.columns), contract),
    )

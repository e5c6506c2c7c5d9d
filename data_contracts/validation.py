"""Row-level validation of one delivered batch against its contract, with Great Expectations.

The contract's rules become a GX suite (data_contracts.gx_suite). Rules that need domain code
(check characters, towns, coordinates, cross-field rules) are evaluated here into derived boolean
columns (True = passes, False = fails, None = not applicable) that a stock expectation checks; GX is
the engine that evaluates every rule. Every row leaves with its list of failed rules: error ->
quarantine with the reasons, warning -> accepted with the flags kept.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

import numpy as np
import pandas as pd

from data_contracts import checks
from data_contracts.contract import Contract, Rule
from data_contracts.frame import ROW_ID, derived_column
from data_contracts.lineage import LINEAGE_COLUMNS
from data_contracts.normalise import (
    PLATE_COLOUR_CODES,
    clean_identifier,
    is_plate_shaped,
    normalise_plate,
    plate_colour_code,
)
from data_contracts.parsing import clean_column, has_time, parse_column, per_value
from data_contracts.tolerance import reject_ratio_trips


def row_ids(raw: pd.DataFrame) -> pd.Series:
    """Stable id of a delivered row: its load, the file (or API request) and the record number in it."""
    return raw["_load_id"].astype(str) + ":" + raw["_source_file"].astype(str) + "#" + raw["_record_number"].astype(str)


@dataclass
class ValidationResult:
    accepted: pd.DataFrame
    """Typed canonical columns + lineage + `_row_id`, `_warnings`, `_contract_version`."""
    quarantined: pd.DataFrame
    """Lineage + `_row_id` + `original_values` (JSON of the row as delivered) + `reasons` + `warnings`."""
    rows_in: int
    schema_drift: dict[str, dict[str, list[str]]]
    """load id -> {"missing": [...], "unknown": [...]} source columns."""


@dataclass
class Batch:
    """What a custom check sees: cleaned text and typed values per canonical column, and when rows arrived.

    The typed value of a column the contract marks `normalise` is the normalised one: identifier and plate
    checks judge that value (CHECKS_ON_NORMALISED), so each value is normalised once."""

    text: pd.DataFrame
    typed: pd.DataFrame
    received_at: pd.Series
    """Per row, the UTC instant the data centre received it (`_loaded_at`): nothing delivered can be later."""


# -- custom rule implementations: (batch, rule) -> Series of True / False / None ---------------------------------
CustomCheck = Callable[[Batch, Rule], pd.Series]


def _tri(passed: pd.Series, applicable: pd.Series) -> pd.Series:
    out = pd.Series(None, index=passed.index, dtype=object)
    out[applicable] = passed[applicable].astype(bool)
    return out


def _parses(b: Batch, rule: Rule) -> pd.Series:
    return _tri(b.typed[rule.column].notna(), b.text[rule.column].notna())


def _value_check(fn: Callable[[str], bool]) -> CustomCheck:
    return lambda b, rule: per_value(b.text[rule.column], fn)


def _normalised_check(fn: Callable[[str], bool]) -> CustomCheck:
    return lambda b, rule: per_value(b.typed[rule.column], fn)


IDENTIFIER_SHAPES = rf"{checks.USCC_SHAPE.pattern}|\d{{15}}|[0-9A-Z]{{8}}[0-9X]"


def _matches(codes: pd.Series, pattern: str) -> pd.Series:
    return codes.str.fullmatch(pattern).fillna(False).astype(bool)


def _identifier_shape(b: Batch, rule: Rule) -> pd.Series:
    """Empty, or shaped like a USCC, a 15-digit 注册号 or a 组织机构代码."""
    codes = b.typed[rule.column]
    return _tri(_matches(codes, IDENTIFIER_SHAPES), codes.notna())


def _uscc_check(b: Batch, rule: Rule) -> pd.Series:
    """A USCC-shaped value carries a correct GB 32100 check character (checks.uscc_valid, vectorised)."""
    codes = b.typed[rule.column]
    shaped = codes[_matches(codes, checks.USCC_SHAPE.pattern)]
    out = pd.Series(None, index=codes.index, dtype=object)
    out[shaped.index] = checks.uscc_valid_many(shaped.tolist())
    return out


def _id_number(b: Batch, rule: Rule) -> pd.Series:
    """GB 11643 check character and a real birth date not in the future (checks.id_number_valid, vectorised)."""
    codes = b.typed[rule.column]
    shaped = codes[_matches(codes, r"\d{17}[\dX]")]
    ok = pd.Series(False, index=codes.index)
    born = pd.to_datetime(shaped.str[6:14], format="%Y%m%d", errors="coerce")
    ok[shaped.index] = checks.id_check_ok_many(shaped.tolist()) & born.notna() & (born <= pd.Timestamp.now())
    return _tri(ok, codes.notna())


def _coords(b: Batch, rule: Rule) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    lon = b.typed[rule.args["longitude"]].to_numpy(dtype=float, na_value=np.nan)
    lat = b.typed[rule.column].to_numpy(dtype=float, na_value=np.nan)
    (lon_lo, lon_hi), (lat_lo, lat_hi) = checks.TAICANG_BOX["lon"], checks.TAICANG_BOX["lat"]
    as_is = (lon >= lon_lo) & (lon <= lon_hi) & (lat >= lat_lo) & (lat <= lat_hi)
    swapped = (lat >= lon_lo) & (lat <= lon_hi) & (lon >= lat_lo) & (lon <= lat_hi)
    return as_is, swapped, ~np.isnan(lon) & ~np.isnan(lat), lon


def _in_taicang(b: Batch, rule: Rule) -> pd.Series:
    as_is, swapped, present, _ = _coords(b, rule)
    return _tri(pd.Series(as_is | swapped, index=b.text.index), pd.Series(present, index=b.text.index))


def _in_order(b: Batch, rule: Rule) -> pd.Series:
    """False where only the swapped pair lies in Taicang (the validator swaps it back and flags the row)."""
    as_is, swapped, present, _ = _coords(b, rule)
    index = b.text.index
    return _tri(pd.Series(as_is, index=index), pd.Series(present & (as_is | swapped), index=index))


def _not_in_future(b: Batch, rule: Rule) -> pd.Series:
    values = b.typed[rule.column]
    received = b.received_at
    if getattr(values.dtype, "tz", None) is None:  # Beijing wall-clock (or a date)
        received = received.dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
    return _tri(values <= received, values.notna())


def _end_not_before_start(b: Batch, rule: Rule) -> pd.Series:
    start_col = rule.args["start"]
    end, start = b.typed[rule.column], b.typed[start_col]
    # A value delivered as a date only (2026年11月28日) is compared at day precision.
    day_only = ~has_time(b.text[rule.column]) | ~has_time(b.text[start_col])
    end_c = end.where(~day_only, end.dt.normalize())
    start_c = start.where(~day_only, start.dt.normalize())
    return _tri(end_c >= start_c, end.notna() & start.notna())


def _distinct_person(b: Batch, rule: Rule) -> pd.Series:
    """False when two ID numbers of a row identify the same person: equal after normalisation, or - with the
    same name on both - one character apart (GB 11643's check character catches every single-character
    substitution, so two valid numbers never differ in one place: one is a typo of the other)."""
    mine, other = b.typed[rule.column], b.typed[rule.args["other"]]
    same = (mine == other).fillna(False).astype(bool)
    if "name" in rule.args:
        same_name = (b.text[rule.args["name"]] == b.text[rule.args["other_name"]]).fillna(False).astype(bool)
        candidates = same_name & ~same & mine.notna() & other.notna()
        if candidates.any():
            pairs = zip(mine[candidates], other[candidates], strict=True)
            same[candidates] = [checks.one_character_apart(x, y) for x, y in pairs]
    return _tri(~same, mine.notna() & other.notna())


def _se_category(b: Batch, rule: Rule) -> pd.Series:
    codes = per_value(b.text[rule.column], checks.se_category_code)
    level = rule.args.get("level", "variety")
    ok = codes.map(lambda c: isinstance(c, str) and (checks.se_is_kind(c) if level == "kind" else True))
    if "kind" in rule.args:  # the variety must belong to the kind of the same row
        kinds = per_value(b.text[rule.args["kind"]], checks.se_category_code)
        same = [
            not isinstance(k, str) or not isinstance(c, str) or k[0] == c[0] for c, k in zip(codes, kinds, strict=True)
        ]
        ok = ok & pd.Series(same, index=codes.index)
    return _tri(ok, b.text[rule.column].notna())


CUSTOM_CHECKS: dict[str, CustomCheck] = {
    "parses_as_type": _parses,
    "enterprise_identifier_shape": _identifier_shape,
    "uscc_check_character": _uscc_check,
    "id_number_check": _id_number,
    "cas_check_digit": _value_check(checks.cas_valid),
    "un_number": _normalised_check(checks.un_number_ok),
    "plate_format": _normalised_check(is_plate_shaped),
    "plate_has_province": _normalised_check(checks.plate_has_province),
    "taicang_town": _value_check(lambda v: checks.canonical_town(v) is not None),
    "taicang_coordinates": _in_taicang,
    "coordinates_in_order": _in_order,
    "not_in_future": _not_in_future,
    "end_not_before_start": _end_not_before_start,
    "distinct_person": _distinct_person,
    "registration_code": _value_check(checks.reg_code_valid),
    "equipment_code": _normalised_check(checks.equipment_code_valid),
    "use_certificate_number": _normalised_check(checks.use_cert_valid),
    "special_equipment_category": _se_category,
}
# Checks that judge the normalised value: the contract must mark their column (and the other column they
# read) with this `normalise` kind.
CHECKS_ON_NORMALISED = {
    "enterprise_identifier_shape": "code",
    "uscc_check_character": "code",
    "id_number_check": "code",
    "distinct_person": "code",
    "equipment_code": "code",
    "use_certificate_number": "code",
    "un_number": "un",
    "plate_format": "plate",
    "plate_has_province": "plate",
}


def _only_when(b: Batch, rule: Rule, result: pd.Series) -> pd.Series:
    cond = rule.args.get("onlyWhen")
    if not cond:
        return result
    applies = b.text[cond["column"]].isin([str(v) for v in cond["in"]])
    return result.where(applies, None)


def _keep_tokens(contract: Contract, column: str) -> frozenset[str]:
    values = [r.argument for r in contract.rules if r.column == column and r.kind == "valid_values"]
    return frozenset(v for vs in values for v in vs)


def _un_number(value: str) -> str | None:
    code = clean_identifier(value)
    return code and "UN" + code.removeprefix("UN")


def normaliser(kind: str, contract: Contract) -> Callable[[str], object]:
    """The typed value of a `normalise` column; a plate gets the contract's local province when it lacks one and
    is (plate, glued-on colour code), the colour going to the column that names it `colourOfPlate`."""
    if kind == "plate":
        province = contract.local_plate_province
        return lambda v: normalise_plate(v, province)
    return {
        "code": clean_identifier,
        "un": _un_number,
        "plate_colour": plate_colour_code,
        "town": lambda v: checks.canonical_town(v) or v,
        "se_category": lambda v: checks.se_category_code(v) or v,
    }[kind]


def _normalise_columns(text: pd.DataFrame, typed: pd.DataFrame, contract: Contract) -> None:
    """Typed values of the `normalise` columns: each value normalised once; a plate colour column left empty
    takes the colour glued onto its plate (`苏E6B123黄`, dictionary §2.5.5)."""
    glued: dict[str, pd.Series] = {}
    for col in contract.columns:
        if not col.normalise:
            continue
        if col.normalise == "plate":
            read = cache(normaliser("plate", contract))  # (plate, glued colour): each value read once for both
            typed[col.name] = per_value(text[col.name], lambda v, read=read: read(v)[0])
            glued[col.name] = per_value(text[col.name], lambda v, read=read: read(v)[1])
        else:
            typed[col.name] = per_value(text[col.name], normaliser(col.normalise, contract))
    for col in contract.columns:
        if col.colour_of_plate:
            # a glued colour outside the column's code list is as unusable as one delivered in the column
            listed = _keep_tokens(contract, col.name)
            allowed = {plate_colour_code(v) for v in listed} if listed else PLATE_COLOUR_CODES
            colour = glued[col.colour_of_plate].where(glued[col.colour_of_plate].isin(allowed), None)
            typed[col.name] = typed[col.name].where(text[col.name].notna(), colour)


def _check_inputs_normalised(contract: Contract, rule: Rule) -> None:
    kind = CHECKS_ON_NORMALISED.get(rule.argument)
    for column in (rule.column, rule.args.get("other")) if kind else ():
        if column and contract.column(column).normalise != kind:
            raise ValueError(f"{contract.dataset}: rule {rule.name} needs column {column} marked normalise {kind}")


def prepare(raw: pd.DataFrame, contract: Contract, received_at: pd.Series) -> Batch:
    """Canonical columns as cleaned text and as typed values; plus one derived column per custom rule."""
    text = pd.DataFrame(index=raw.index)
    typed = pd.DataFrame(index=raw.index)
    for col in contract.columns:
        source = raw[col.source_name] if col.source_name in raw.columns else pd.Series(None, index=raw.index)
        text[col.name] = clean_column(source, _keep_tokens(contract, col.name))
        if not col.normalise:
            typed[col.name] = parse_column(text[col.name], col.logical_type, col.timezone)
    _normalise_columns(text, typed, contract)
    typed = typed[[c.name for c in contract.columns]]
    batch = Batch(text, typed, received_at)
    derived = {}
    for rule in contract.rules:
        if rule.kind == "custom":
            if rule.argument not in CUSTOM_CHECKS:
                raise KeyError(f"{contract.dataset}: rule {rule.name} uses unknown check {rule.argument!r}")
            _check_inputs_normalised(contract, rule)
            derived[derived_column(rule)] = _only_when(batch, rule, CUSTOM_CHECKS[rule.argument](batch, rule))
    if derived:
        batch.text = pd.concat([text, pd.DataFrame(derived, index=raw.index)], axis=1)
    return batch


def _swap_coordinates(batch: Batch, rows: list[object], rule: Rule) -> None:
    """Rows flagged coords_swapped get their pair swapped back in the typed values."""
    lon_col, lat_col = rule.args["longitude"], rule.column
    lon, lat = batch.typed.loc[rows, lon_col].copy(), batch.typed.loc[rows, lat_col].copy()
    batch.typed.loc[rows, lon_col], batch.typed.loc[rows, lat_col] = lat.to_numpy(), lon.to_numpy()


def apply_warnings(batch: Batch, failed: list[tuple[Rule, list[object]]]) -> None:
    """What a failed warning rule does to the typed values (its `onFailure`): NULL where the value is unusable
    (a coordinate rule NULLs the pair), the pair swapped back, or the value kept. Raw keeps what was delivered."""
    for rule, rows in failed:
        if rule.is_error or not rows:
            continue
        if rule.on_failure == "swap":
            _swap_coordinates(batch, rows, rule)
        elif rule.on_failure == "null":
            for column in (rule.column, rule.args.get("longitude")):
                if column is not None:
                    batch.typed.loc[rows, column] = None


def schema_drift(raw: pd.DataFrame, contract: Contract) -> dict[str, dict[str, list[str]]]:
    """Per load: contract columns the load did not deliver (absent from the raw table, or required ones empty
    in every row of a load large enough that so many empty values cannot be chance: the reject-ratio
    breaker's tolerance) and delivered columns the contract does not know (with at least one value in the load).

    An hourly file of one record whose required value is missing (a JSON key left out, an empty cell) is that
    row's problem, for quarantine; forty rows without the column are a changed export."""
    expected = {c.source_name for c in contract.columns}
    required = [c.source_name for c in contract.columns if c.required]
    source_cols = [c for c in raw.columns if not c.startswith("_")]
    out = {}
    for load_id, rows in raw.groupby("_load_id", sort=False):
        filled = {c for c in source_cols if rows[c].notna().any()}
        column_gone = reject_ratio_trips(len(rows), len(rows), contract.reject_ratio_threshold)
        emptied = {c for c in required if c in source_cols and c not in filled} if column_gone else set()
        missing = (expected - set(source_cols)) | emptied
        unknown = {c for c in filled if c not in expected}
        out[str(load_id)] = {"missing": sorted(missing), "unknown": sorted(unknown)}
    return out


def validate_batch(raw: pd.DataFrame, contract: Contract, now: datetime | None = None) -> ValidationResult:
    """`raw`: rows as delivered (source column names, text) plus the lineage columns."""
    from data_contracts.gx_suite import run_suite  # GX costs seconds to import: only when validating

    raw = raw.reset_index(drop=True)
    raw.index.name = ROW_ID
    now_utc = pd.Timestamp(now or datetime.now(UTC))
    now_utc = now_utc.tz_localize("UTC") if now_utc.tzinfo is None else now_utc.tz_convert("UTC")
    if "_loaded_at" in raw.columns:
        received = pd.to_datetime(raw["_loaded_at"], utc=True).fillna(now_utc)
    else:
        received = pd.Series(now_utc, index=raw.index)
    batch = prepare(raw, contract, received)
    failures = run_suite(batch.text, contract)  # row index -> failed rules
    errors: dict[object, list[str]] = {}
    warnings: dict[object, list[str]] = {}
    failed: dict[str, tuple[Rule, list[object]]] = {}  # rule:column -> (rule, rows it failed on)
    for idx, rules in failures.items():
        for rule in rules:
            failed.setdefault(rule.flag, (rule, []))[1].append(idx)
            target, name = (errors, rule.name) if rule.is_error else (warnings, rule.flag)
            if name not in target.setdefault(idx, []):
                target[idx].append(name)
    apply_warnings(batch, list(failed.values()))

    bad = raw.index.isin(list(errors))
    ids = row_ids(raw) if {"_load_id", "_source_file", "_record_number"} <= set(raw.columns) else raw.index.astype(str)
    accepted = batch.typed.loc[~bad].copy()
    for c in LINEAGE_COLUMNS:
        accepted[c] = raw.loc[~bad, c] if c in raw.columns else None
    accepted["_row_id"] = ids[~bad]
    accepted["_warnings"] = [sorted(warnings[i]) if i in warnings else [] for i in accepted.index]
    accepted["_contract_version"] = contract.version

    source_cols = [c for c in raw.columns if not c.startswith("_")]
    quarantined = pd.DataFrame(
        {c: (raw.loc[bad, c] if c in raw.columns else None) for c in LINEAGE_COLUMNS}, index=raw.index[bad]
    )
    quarantined.insert(0, "dataset", contract.dataset)
    quarantined["_row_id"] = ids[bad]
    originals = raw.loc[bad, source_cols].astype(object).where(raw.loc[bad, source_cols].notna(), None)
    quarantined["original_values"] = [
        json.dumps(dict(zip(source_cols, row, strict=True)), ensure_ascii=False, default=str)
        for row in originals.itertuples(index=False, name=None)
    ]
    quarantined["reasons"] = [sorted(errors[i]) for i in quarantined.index]
    quarantined["warnings"] = [sorted(warnings.get(i, [])) for i in quarantined.index]
    quarantined["contract_version"] = contract.version
    drift = schema_drift(raw, contract) if "_load_id" in raw.columns else {}
    return ValidationResult(accepted.reset_index(drop=True), quarantined.reset_index(drop=True), len(raw), drift)

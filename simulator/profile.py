"""Quirk catalogue and profiles (clean / realistic / hostile / spec).

Every quirk has an id, a scope (where its rate applies), an outcome (what a correct
pipeline must do with a record carrying it) and, for quarantine / reader_reject /
warning outcomes, the rule id the validation engineer uses.

Rates are looked up as ``rates["<quirk>@<dataset>"]`` first, then ``rates["<quirk>"]``.
A rate is the probability that one *eligible* unit of the quirk's scope receives it:

* ``record``  -- one delivered record of the dataset;
* ``mention`` -- one entity mention inside a record (an enterprise name/code pair, a plate, an ID);
* ``line``    -- one JSONL line;
* ``file``    -- one delivered file (or workbook);
* ``request`` -- one HTTP request to the simulated APIs.

Eligibility and the draws actually made are written to ``truth/quirk_stats`` so the
observed rate can be compared with the configured rate.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

# outcome kinds
ACCEPT = "accept"  # harmless; a correct pipeline normalises and accepts
WARN = "warn"  # accepted, but the rule id is listed in rows.warnings
QUARANTINE = "quarantine"  # error rule id in rows.reasons
READER_REJECT = "reader_reject"  # never reaches validation
STRUCTURAL = "structural"  # not a record (XLSX blank continuation rows, lock files, ...)
DELIVERY = "delivery"  # file-level delivery behaviour (encoding, re-delivery, markers)
API = "api"  # HTTP behaviour of the simulated APIs


@dataclass(frozen=True)
class Quirk:
    id: str
    scope: str
    outcome: str
    rule: str | None
    description: str


_Q = [
    # --- enterprise mentions (name) -------------------------------------------------------
    Quirk("name_prefix_variant", "mention", ACCEPT, None, "太仓市 prefix dropped (or 江苏省 prefix added)"),
    Quirk("name_youxian_variant", "mention", ACCEPT, None, "有限责任公司 <-> 有限公司"),
    Quirk("name_short", "mention", ACCEPT, None, "short name only (字号+行业, e.g. 恒泰化工)"),
    Quirk("name_old", "mention", ACCEPT, None, "former name used after a same-USCC rename"),
    Quirk("name_fullwidth_brackets", "mention", ACCEPT, None, "brackets in the other width"),
    Quirk("name_trailing_space", "mention", ACCEPT, None, "trailing U+3000"),
    Quirk("name_traditional", "mention", ACCEPT, None, "traditional characters in the name"),
    # --- enterprise mentions (USCC column) ----------------------------------------------------
    Quirk("uscc_missing", "mention", ACCEPT, None, "USCC column empty / null"),
    Quirk("uscc_regno15", "mention", ACCEPT, None, "valid 15-digit 注册号 in the USCC column"),
    Quirk("uscc_orgcode", "mention", ACCEPT, None, "9/10-char 组织机构代码 in the USCC column"),
    Quirk("uscc_lowercase", "mention", ACCEPT, None, "lower-case letters / check character"),
    Quirk("uscc_fullwidth", "mention", ACCEPT, None, "full-width check character"),
    Quirk("uscc_bad_check", "mention", WARN, "uscc_check", "valid shape, wrong check character"),
    Quirk("uscc_garbage", "mention", WARN, "uscc_format", "truncated / garbage USCC"),
    # --- plates (waybill tractor / trailer mentions) -------------------------------------------
    Quirk("plate_dot", "mention", ACCEPT, None, "苏E·6B123"),
    Quirk("plate_space", "mention", ACCEPT, None, "苏E 6B123"),
    Quirk("plate_lowercase", "mention", ACCEPT, None, "苏e6b123"),
    Quirk("plate_colour_glued", "mention", ACCEPT, None, "苏E6B123黄 (colour glued on)"),
    Quirk("plate_invalid", "mention", WARN, "plate_format", "plate fails GA 36 (a serial char lost)"),
    # --- ID numbers (driver / escort mentions) --------------------------------------------
    Quirk("id_lowercase_x", "mention", ACCEPT, None, "check character x in lower case"),
    Quirk("id_bad_check", "mention", QUARANTINE, "id_number_check", "one-digit typo breaks the check"),
    # --- record-level value quirks ---------------------------------------------------------
    Quirk("driver_is_escort", "record", WARN, "driver_is_escort", "escort ID equals driver ID"),
    Quirk("cas_bad_check", "record", QUARANTINE, "cas_check", "CAS with a wrong check digit"),
    Quirk("un_prefix_missing", "record", ACCEPT, None, "UN number without the UN prefix"),
    Quirk("un_fullwidth", "record", ACCEPT, None, "full-width UN number"),
    Quirk("datetime_slash", "record", ACCEPT, None, "datetime as 2026/11/28 8:05"),
    Quirk("date_cn", "record", ACCEPT, None, "date as 2026年11月28日"),
    Quirk("quantity_unit", "record", ACCEPT, None, "quantity as 10吨"),
    Quirk("quantity_thousands", "record", ACCEPT, None, "quantity as 1,200.5"),
    Quirk("null_token", "record", ACCEPT, None, "empty value written as 无 / / / -"),
    Quirk("duplicate_in_file", "record", ACCEPT, None, "same waybill twice in one file (earlier state)"),
    Quirk("town_alias", "record", ACCEPT, None, "town alias 港区 / 新区 / 城厢"),
    Quirk("town_unknown", "record", WARN, "town_unknown", "town not in the list nor an alias"),
    Quirk(
        "coords_swapped",
        "record",
        WARN,
        "coords_swapped",
        "lat/lng swapped (inside the box when swapped back)",
    ),
    Quirk("coords_out_of_box", "record", WARN, "coords_out_of_box", "coordinates outside the Taicang box"),
    Quirk("date_in_future", "record", WARN, "date_in_future", "update / inspection date after delivery"),
    Quirk("end_before_start", "record", WARN, "end_before_start", "end earlier than start"),
    Quirk("required_missing", "record", QUARANTINE, "required_missing", "the key (or E's subject name) empty"),
    Quirk("code_unknown", "record", WARN, "code_unknown", "value outside its code list"),
    Quirk("number_format", "record", WARN, "number_format", "unparseable number, e.g. 约50人"),
    Quirk("number_as_string", "record", ACCEPT, None, "JSON number sent as a string"),
    Quirk("address_linebreak", "record", ACCEPT, None, "quoted line break inside the address"),
    Quirk("address_chinese_comma", "record", ACCEPT, None, "Chinese comma inside the address"),
    Quirk("column_count", "record", READER_REJECT, "column_count", "CSV record with an extra field"),
    Quirk("alarm_resent", "record", ACCEPT, None, "B alarm re-sent with a new gxsj after handling"),
    Quirk("entry_removed", "record", ACCEPT, None, "E entry comes back with 状态 已移出"),
    Quirk("reregistered_duplicate", "record", ACCEPT, None, "D: device listed twice (old registration)"),
    Quirk("kind_name_only", "record", ACCEPT, None, "D: 设备种类/品种 as name only, without the code"),
    Quirk("date_text_dot", "record", ACCEPT, None, "D: date as text 2026.3.5"),
    Quirk("date_text_cn", "record", ACCEPT, None, "D: date as text 2026年3月5日"),
    Quirk("date_excel_serial", "record", ACCEPT, None, "D: date as Excel serial number"),
    Quirk("reg_code_numeric", "record", QUARANTINE, "reg_code_format", "D: 注册代码 numeric cell, digits lost"),
    # --- variants drawn only by the spec profile (INTERFACES.md and dictionary §2.5.5 / §9) -------
    Quirk("uscc_spaces", "mention", ACCEPT, None, "USCC typed with spaces between groups"),
    Quirk("uscc_numeric_exact", "mention", ACCEPT, None, "D: all-digit code of <= 15 digits as a numeric cell"),
    Quirk("uscc_numeric_lost", "mention", WARN, "uscc_format", "D: USCC of > 15 digits as a numeric cell (lost)"),
    Quirk("plate_hyphen", "mention", ACCEPT, None, "苏E-6B123"),
    Quirk("plate_katakana_dot", "mention", ACCEPT, None, "苏E・6B123 (U+30FB)"),
    Quirk("plate_period", "mention", ACCEPT, None, "苏E.6B123"),
    Quirk("plate_fullwidth", "mention", ACCEPT, None, "苏Ｅ６Ｂ１２３ (full-width)"),
    Quirk("plate_colour_prefix", "mention", ACCEPT, None, "黄苏E6B123"),
    Quirk("plate_colour_paren", "mention", ACCEPT, None, "苏E6B123(黄)"),
    Quirk("plate_colour_code", "mention", ACCEPT, None, "苏E6B123_2 (colour code glued on)"),
    Quirk("plate_letter_o", "mention", ACCEPT, None, "digit 0 typed as letter O in the serial"),
    Quirk(
        "plate_no_province",
        "mention",
        WARN,
        "plate_no_province",
        "local plate without its province character (E6B123): 苏 inferred or flagged",
    ),
    Quirk("id_fullwidth", "mention", ACCEPT, None, "ID number in full-width digits"),
    Quirk("required_blank", "record", WARN, "required_missing", "a non-key column the row needs is empty"),
    Quirk("optional_blank", "record", ACCEPT, None, "an optional column is empty"),
    Quirk("null_token_rare", "record", ACCEPT, None, "empty value as 暂无 / null / NULL / N/A / 不详 / 未知 / —"),
    Quirk("key_malformed", "record", QUARANTINE, "key_format", "source key with a digit written as ? (§9.1)"),
    Quirk("reg_code_malformed", "record", QUARANTINE, "reg_code_format", "D: 注册代码 with a digit written as ?"),
    Quirk("event_time_unparseable", "record", QUARANTINE, "date_format", "alarm / inspection time not a date"),
    Quirk("date_unparseable", "record", WARN, "date_format", "a non-event date that is not a date"),
    Quirk("datetime_iso_t", "record", ACCEPT, None, "A: datetime as 2026-11-28T08:05:00"),
    Quirk("datetime_dot0", "record", ACCEPT, None, "A: datetime with Oracle's .0 (2026-11-28 08:05:00.0)"),
    Quirk("date_text_dot_padded", "record", ACCEPT, None, "D: date as text 2026.03.05"),
    Quirk("date_text_slash", "record", ACCEPT, None, "D: date as text 2026/3/5"),
    Quirk("date_text_compact", "record", ACCEPT, None, "D: date as text 20260305"),
    Quirk("date_text_cn_padded", "record", ACCEPT, None, "D: date as text 2026年03月05日"),
    Quirk("date_text_iso", "record", ACCEPT, None, "D: date as text 2026-03-05"),
    Quirk("equipment_code_blank", "record", ACCEPT, None, "D: 设备代码 blank (older equipment)"),
    Quirk(
        "equipment_code_numeric",
        "record",
        WARN,
        "key_format",
        "D: 18-digit 设备代码 as a numeric cell (precision lost)",
    ),
    Quirk(
        "unit_cells_merged", "record", ACCEPT, None, "D: 单位名称 / 统一社会信用代码 merged down over the unit's block"
    ),
    Quirk("ledger_grouped_by_unit", "file", DELIVERY, None, "D: 设备台账 sorted by use unit (blocks of one unit)"),
    # --- JSONL lines -------------------------------------------------------------------------
    Quirk("invalid_json", "line", READER_REJECT, "invalid_json", "C: vendor-bug line that is not JSON"),
    # --- structural (XLSX) ---------------------------------------------------------------------
    Quirk("xlsx_continuation_row", "record", STRUCTURAL, None, "D: blank continuation row after a record"),
    Quirk("xlsx_lock_file", "file", STRUCTURAL, None, "D: ~$ Office lock file beside the workbook"),
    # --- file-level delivery --------------------------------------------------------------------
    Quirk("encoding_utf8_bom", "file", DELIVERY, None, "A: UTF-8 with BOM instead of GB18030"),
    Quirk("truncated_line", "file", READER_REJECT, "truncated_line", "C: finished file whose last line is cut"),
    Quirk("growing_file", "file", DELIVERY, None, "C: last hour's file still being written"),
    Quirk("ok_marker_pending", "file", DELIVERY, None, "A: last day's DZYD without its .ok yet"),
    Quirk("redelivery_identical", "file", DELIVERY, None, "same file (same bytes) dropped again later"),
    Quirk("corrected_file", "file", DELIVERY, None, "corrected file under the same name"),
    Quirk("late_file", "file", DELIVERY, None, "file for an earlier day arrives late"),
    # --- API ------------------------------------------------------------------------------------
    Quirk("api_429", "request", API, None, "HTTP 429 with Retry-After"),
    Quirk("api_502", "request", API, None, "HTTP 502 from the gateway"),
    Quirk("api_503", "request", API, None, "HTTP 503"),
    Quirk("api_slow", "request", API, None, "slow response (slow_delay_s)"),
    Quirk("api_page_overlap", "request", API, None, "B: page >1 repeats the previous page's last record"),
]

QUIRKS: dict[str, Quirk] = {q.id: q for q in _Q}

PROFILES = ("clean", "realistic", "hostile", "spec")

# harmless quirks that are not "the record is wrong" but exist to be recorded in truth
MARKER_QUIRKS = {"superseded", "redelivery_identical", "late_file", "growing_file"}


def _realistic() -> dict[str, float]:
    r = {
        # secondary-role enterprise mentions
        "name_prefix_variant": 0.15,
        "name_youxian_variant": 0.10,
        "name_short": 0.05,
        "name_old": 0.5,
        "name_fullwidth_brackets": 0.2,
        "name_trailing_space": 0.05,
        "name_traditional": 0.02,
        "uscc_missing": 0.15,
        "uscc_regno15": 0.03,
        "uscc_orgcode": 0.03,
        "uscc_lowercase": 0.03,
        "uscc_fullwidth": 0.02,
        "uscc_bad_check": 0.005,
        "uscc_garbage": 0.005,
        "plate_dot": 0.06,
        "plate_space": 0.05,
        "plate_lowercase": 0.04,
        "plate_colour_glued": 0.05,
        "plate_invalid": 0.005,
        "id_lowercase_x": 0.3,
        "id_bad_check": 0.005,
        "driver_is_escort": 0.003,
        "cas_bad_check": 0.005,
        "un_prefix_missing": 0.08,
        "un_fullwidth": 0.03,
        "datetime_slash": 0.05,
        "date_cn": 0.03,
        "quantity_unit": 0.05,
        "quantity_thousands": 0.01,
        "null_token": 0.10,
        "duplicate_in_file": 0.02,
        "town_alias": 0.05,
        "town_unknown": 0.003,
        "coords_swapped": 0.02,
        "coords_out_of_box": 0.003,
        "date_in_future": 0.002,
        "end_before_start": 0.003,
        "required_missing": 0.002,
        "code_unknown": 0.003,
        "number_format": 0.003,
        "number_as_string": 0.05,
        "address_linebreak": 0.03,
        "address_chinese_comma": 0.2,
        "column_count": 0.001,
        "alarm_resent": 0.6,
        "entry_removed": 0.1,
        "reregistered_duplicate": 0.5,
        "kind_name_only": 0.3,
        "date_text_dot": 0.08,
        "date_text_cn": 0.05,
        "date_excel_serial": 0.05,
        "reg_code_numeric": 0.01,
        "invalid_json": 0.002,
        "xlsx_continuation_row": 0.02,
        "xlsx_lock_file": 1.0,
        "encoding_utf8_bom": 0.2,
        "truncated_line": 0.01,
        "growing_file": 1.0,
        "ok_marker_pending": 1.0,
        "redelivery_identical": 0.03,
        "corrected_file": 0.02,
        "late_file": 0.03,
        "api_429": 0.01,
        "api_502": 0.005,
        "api_503": 0.005,
        "api_slow": 0.01,
        "api_page_overlap": 0.05,
        # --- per-dataset overrides ---
        # the master record of A carries its own legal name: variants are rare there
        "name_prefix_variant@hazchem.enterprise": 0.01,
        "name_youxian_variant@hazchem.enterprise": 0.01,
        "name_short@hazchem.enterprise": 0.0,
        "name_old@hazchem.enterprise": 0.0,
        "name_fullwidth_brackets@hazchem.enterprise": 0.05,
        "name_trailing_space@hazchem.enterprise": 0.01,
        "name_traditional@hazchem.enterprise": 0.005,
        "uscc_missing@hazchem.enterprise": 0.03,
        "uscc_missing@hazchem.waybill": 0.30,
        "uscc_missing@construction.project": 0.30,
        "uscc_missing@construction.device": 0.35,
        "uscc_lowercase@construction.project": 0.08,
        "uscc_lowercase@construction.device": 0.08,
        "uscc_missing@transport.vehicle": 0.05,
        "name_short@transport.vehicle": 0.02,
        "uscc_missing@credit.dishonest_entry": 0.02,
        "name_short@credit.dishonest_entry": 0.0,
        "null_token@hazchem.enterprise": 0.05,
        "datetime_slash@hazchem.enterprise": 0.02,
    }
    return r


def _hostile() -> dict[str, float]:
    out = {}
    for k, v in _realistic().items():
        qid = k.split("@")[0]
        q = QUIRKS[qid]
        if q.outcome in (QUARANTINE, READER_REJECT):
            out[k] = min(0.05, max(v * 8, 0.02))
        elif q.scope == "request":
            out[k] = min(0.2, v * 4)
        elif q.scope == "file":
            out[k] = v if v >= 1.0 else min(0.5, v * 4)
        else:
            out[k] = min(0.6, v * 2) if v < 0.5 else v
    return out


# spec-only variants that are drawn per eligible unit; the others take a floor rate below
_SPEC_RATES = {
    "unit_cells_merged": 0.6,
    "ledger_grouped_by_unit": 1.0,
    "equipment_code_blank": 0.08,
    "optional_blank": 0.05,
    "required_blank": 0.01,
    "null_token_rare": 0.05,
    # file behaviour: often enough that a 3-day run shows each of them
    "encoding_utf8_bom": 0.5,
    "corrected_file": 0.05,
    "late_file": 0.05,
    "redelivery_identical": 0.05,
}


def _spec() -> dict[str, float]:
    """Every quirk of the catalogue at a rate that shows it at scale 1 over 3 days, independently of
    what the readers expect: variants a correct pipeline accepts are frequent, damage is rarer (each
    damaged row is quarantined or flagged), file and API behaviour as in the realistic profile."""
    out = dict(_realistic())
    for q in QUIRKS.values():
        if q.scope in ("file", "request") or q.outcome == STRUCTURAL:
            out.setdefault(q.id, 0.02)
        elif q.outcome in (QUARANTINE, READER_REJECT):
            out[q.id] = max(out.get(q.id, 0.0), 0.004)
        else:
            out[q.id] = max(out.get(q.id, 0.0), 0.03)
    out.update(_SPEC_RATES)
    return out


@dataclass
class Profile:
    """One rate per quirk (see QUIRKS) plus the API behaviour knobs."""

    name: str = "realistic"
    rates: dict[str, float] = field(default_factory=dict)
    rate_limit_rps: float | None = 10.0  # B: more than this per second -> 429
    slow_delay_s: float = 3.0  # delay of an api_slow response
    retry_after_s: int = 1

    def rate(self, quirk: str, dataset: str | None = None) -> float:
        if quirk not in QUIRKS:
            raise KeyError(f"unknown quirk {quirk!r}")
        if dataset is not None:
            v = self.rates.get(f"{quirk}@{dataset}")
            if v is not None:
                return float(v)
        return float(self.rates.get(quirk, 0.0))

    @classmethod
    def named(cls, name: str, overrides: dict[str, float] | None = None) -> Profile:
        if name == "clean":
            p = cls(name="clean", rates={}, rate_limit_rps=None)
        elif name == "realistic":
            p = cls(name="realistic", rates=_realistic())
        elif name == "hostile":
            p = cls(name="hostile", rates=_hostile(), slow_delay_s=5.0)
        elif name == "spec":
            p = cls(name="spec", rates=_spec())
        else:
            raise ValueError(f"unknown profile {name!r} ({'|'.join(PROFILES)})")
        if overrides:
            for k in overrides:
                if k.split("@")[0] not in QUIRKS:
                    raise KeyError(f"unknown quirk {k!r}")
            p.rates = {**p.rates, **overrides}
        return p

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=1, sort_keys=True), "utf-8")

    @classmethod
    def load(cls, path: Path) -> Profile:
        d = json.loads(Path(path).read_text("utf-8"))
        return cls(**d)


def outcome_of(quirks: list[str]) -> tuple[str, list[str], list[str]]:
    """(expected, reasons, warnings) for a record carrying these quirks."""
    reasons: list[str] = []
    warnings: list[str] = []
    reject: list[str] = []
    for qid in quirks:
        q = QUIRKS.get(qid)
        if q is None or q.rule is None:
            continue
        if q.outcome == QUARANTINE and q.rule not in reasons:
            reasons.append(q.rule)
        elif q.outcome == WARN and q.rule not in warnings:
            warnings.append(q.rule)
        elif q.outcome == READER_REJECT and q.rule not in reject:
            reject.append(q.rule)
    if reject:
        return READER_REJECT, reject + reasons, warnings
    if reasons:
        return QUARANTINE, reasons, warnings
    return ACCEPT, [], warnings

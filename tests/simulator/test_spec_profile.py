"""The spec profile: every documented variant drawn at some rate, and its deliveries say what the truth says.

These tests read the deliveries with plain csv / json / openpyxl (never the product's readers): they test
the simulator, not the pipeline (tests/test_spec_profile.py runs the pipeline on this profile).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import unicodedata
from collections import Counter

import openpyxl
import pyarrow.parquet as pq
from trees import tree_hash

from simulator import QUIRKS, Profile, simulate
from simulator.profile import API, QUARANTINE, WARN

START = dt.date(2026, 11, 23)


def test_spec_profile_gives_every_quirk_a_rate():
    prof = Profile.named("spec")
    assert all(prof.rate(q) > 0 for q in QUIRKS), [q for q in QUIRKS if prof.rate(q) == 0]


def test_spec_generates_every_quirk_of_the_catalogue(spec):
    """Record, mention and line quirks from rows / mentions; file behaviour from the deliveries manifest
    and the quirk statistics. API faults are drawn by the server per request (tests/simulator/test_api.py)."""
    seen = {q for qs in spec.rows.quirks for q in qs} | {q for qs in spec.mentions.quirks for q in qs}
    d = spec.deliveries
    seen |= {"corrected_file"} if (d.kind == "corrected").any() else set()
    seen |= {"late_file"} if (d.kind == "late").any() else set()
    seen |= {"xlsx_lock_file"} if d.path.str.contains("~$", regex=False).any() else set()
    seen |= {"encoding_utf8_bom"} if (d.encoding == "utf-8-sig").any() else set()
    applied = spec.stats[spec.stats.applied > 0]
    seen |= set(
        applied[applied.quirk.isin(["ok_marker_pending", "xlsx_continuation_row", "ledger_grouped_by_unit"])].quirk
    )
    missing = {q for q, v in QUIRKS.items() if v.outcome != API} - seen
    assert not missing, sorted(missing)


def test_spec_truth_follows_the_severity_policy(spec):
    """A row is expected in quarantine iff an ERROR rule fails on it; WARN rows are accepted with the flag."""
    rows = spec.rows
    for exp, reasons, warnings, quirks in zip(rows.expected, rows.reasons, rows.warnings, rows.quirks, strict=True):
        errors = {QUIRKS[q].rule for q in quirks if q in QUIRKS and QUIRKS[q].outcome == QUARANTINE}
        warns = {QUIRKS[q].rule for q in quirks if q in QUIRKS and QUIRKS[q].outcome == WARN}
        if exp != "reader_reject":
            assert (exp == "quarantine") == bool(errors)
            assert set(reasons) == errors
        assert set(warnings) == warns
    error_rules = {q.rule for q in QUIRKS.values() if q.outcome == QUARANTINE}
    assert error_rules == {
        "required_missing",
        "key_format",
        "reg_code_format",
        "id_number_check",
        "cas_check",
        "date_format",
    }
    # the policy's examples
    assert QUIRKS["plate_no_province"].outcome == WARN and QUIRKS["uscc_numeric_lost"].outcome == WARN
    assert QUIRKS["equipment_code_blank"].outcome == "accept" and QUIRKS["uscc_garbage"].outcome == WARN
    share = (rows.expected == "quarantine").mean()
    assert 0.002 < share < 0.05, share


def _final(run, prefix: str):
    return run.final_deliveries(prefix)


def _truth_of(run, delivery_id: int):
    r = run.rows[run.rows.delivery_id == delivery_id].sort_values("record_number")
    m = run.mentions[run.mentions.delivery_id == delivery_id]
    return r, m


def test_csv_deliveries_round_trip(spec):
    vehicles = spec.vehicles.set_index("vehicle_id").plate
    checked = Counter()
    for d in _final(spec, "hazchem/").itertuples():
        raw = (spec.landing / d.path).read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf") == (d.encoding == "utf-8-sig")
        text = raw[3:].decode("utf-8") if d.encoding == "utf-8-sig" else raw.decode("gb18030")
        records = list(csv.reader(io.StringIO(text, newline="")))
        header, body = records[0], records[1:]
        rows, ments = _truth_of(spec, d.delivery_id)
        assert len(body) == len(rows), d.path
        for (number, key, quirks), rec in zip(
            zip(rows.record_number, rows.record_key, rows.quirks, strict=True), body, strict=True
        ):
            if "column_count" in quirks:
                assert len(rec) == len(header) + 1
                continue
            assert len(rec) == len(header) and rec[0] == key, (d.path, number)
        if "DZYD" not in d.path:
            continue
        by_number = dict(zip(rows.record_number, body, strict=True))
        for m in ments[ments.role == "tractor"].itertuples():
            plate, true = by_number[m.record_number][header.index("车辆号牌")], vehicles[m.entity_id]
            if not plate:
                continue  # required_blank
            if "plate_no_province" in m.quirks:
                assert plate == true[1:]
            elif "plate_fullwidth" in m.quirks:
                assert unicodedata.normalize("NFKC", plate) == true
            elif len(m.quirks) == 0:
                assert plate == true
            checked[m.quirks[0] if len(m.quirks) else "clean"] += 1
    assert checked["plate_no_province"] and checked["plate_fullwidth"] and checked["clean"]


def test_jsonl_deliveries_round_trip(spec):
    for d in _final(spec, "construction/").itertuples():
        lines = (spec.landing / d.path).read_text("utf-8").split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        rows, _ = _truth_of(spec, d.delivery_id)
        assert len(lines) == len(rows), d.path
        key = {"projects": "projectCode", "devices": "deviceSn", "alarms": "alarmId"}[
            d.path.split("/")[1].split("_")[0]
        ]
        for line, number, rkey, quirks in zip(lines, rows.record_number, rows.record_key, rows.quirks, strict=True):
            if {"invalid_json", "truncated_line"} & set(quirks):
                continue
            assert json.loads(line)[key] == rkey, (d.path, number)


def test_workbook_round_trip(spec):
    """Merged unit blocks forward-fill to the head row's unit; numeric ID cells are numbers that lost digits."""
    equipment = spec.equipment.set_index("equipment_id")
    (d,) = list(_final(spec, "special_equipment/特种设备台账").itertuples())
    wb = openpyxl.load_workbook(spec.landing / d.path)
    ws = wb["设备台账"]
    merged_from: dict[tuple[int, int], int] = {}
    for rng_ in ws.merged_cells.ranges:
        if rng_.min_col in (7, 8) and rng_.min_row > 3:
            for r in range(rng_.min_row + 1, rng_.max_row + 1):
                merged_from[(r, rng_.min_col)] = rng_.min_row
    rows, ments = _truth_of(spec, d.delivery_id)
    rows = rows[rows.dataset == "special_equipment.equipment"]
    ments = ments[ments.dataset == "special_equipment.equipment"]
    units = ments[(ments.role == "use_unit")].set_index("record_number").entity_id
    eqs = ments[(ments.role == "equipment")].set_index("record_number").entity_id
    seen = Counter()
    sheet = [None, *ws.iter_rows(values_only=True)]
    for number, key, quirks in zip(rows.record_number.astype(int), rows.record_key, rows.quirks, strict=True):
        cells = sheet[number]
        shown_key = cells[2] if isinstance(cells[2], str) or cells[2] is None else repr(cells[2])
        assert shown_key == key
        if "unit_cells_merged" in quirks:
            assert cells[6] is None and cells[7] is None
            head = merged_from[(number, 7)]
            assert merged_from[(number, 8)] == head and units[head] == units[number]
            seen["merged"] += 1
        code = cells[1]
        true_code = equipment.equipment_code[eqs[number]]
        if "equipment_code_numeric" in quirks:
            assert isinstance(code, (int, float)) and str(int(code)) != true_code
            seen["numeric"] += 1
        elif "equipment_code_blank" in quirks:
            assert code is None
        elif "optional_blank" not in quirks:
            assert code == true_code
    m = ments[ments.role == "use_unit"]
    for number, quirks in zip(m.record_number.astype(int), m.quirks, strict=True):
        cell = sheet[merged_from.get((number, 8), number)][7]
        if "uscc_numeric_lost" in quirks:
            assert isinstance(cell, float) and cell >= 1e15
            seen["uscc_lost"] += 1
        elif "uscc_numeric_exact" in quirks:
            assert isinstance(cell, int)
            seen["uscc_exact"] += 1
    assert all(seen[k] for k in ("merged", "numeric", "uscc_lost", "uscc_exact")), seen
    total = ws.cell(ws.max_row, 1).value
    assert total == f"合计：{len(rows)}台"


def test_spec_is_deterministic(tmp_path):
    runs = [
        simulate(tmp_path / n / "l", tmp_path / n / "w", days=2, scale=0.1, seed=4, start=START, profile="spec")
        for n in ("a", "b")
    ]
    assert tree_hash(runs[0].landing_dir) == tree_hash(runs[1].landing_dir)
    assert tree_hash(runs[0].world_dir / "api") == tree_hash(runs[1].world_dir / "api")
    a, b = (pq.read_table(r.world_dir / "truth" / "rows.parquet") for r in runs)
    assert a.equals(b)

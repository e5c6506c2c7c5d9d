"""Landing-zone deliveries read back with ordinary tools and checked against INTERFACES.md."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import openpyxl
import pandas as pd

from simulator.hazchem import DZYD_HEADER, QYXX_HEADER
from simulator.ids import plate_valid

QYXX = [
    "企业编号",
    "企业名称",
    "统一社会信用代码",
    "所属镇区",
    "详细地址",
    "企业类型",
    "重大危险源级别",
    "安全风险等级",
    "标准化等级",
    "从业人员数",
    "主要负责人",
    "联系电话",
    "经度",
    "纬度",
    "经营状态",
    "更新时间",
]
DZYD = [
    "运单编号",
    "运单状态",
    "托运人名称",
    "托运人信用代码",
    "承运人名称",
    "承运人信用代码",
    "车辆号牌",
    "车牌颜色",
    "挂车号牌",
    "驾驶员姓名",
    "驾驶员身份证号",
    "押运员姓名",
    "押运员身份证号",
    "货物名称",
    "UN编号",
    "CAS号",
    "危险货物类别",
    "数量(吨)",
    "起运地",
    "目的地",
    "起运时间",
    "到达时间",
    "更新时间",
]


def _enc(raw: bytes) -> str:
    return "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "gb18030"


def test_headers_match_interfaces():
    assert QYXX_HEADER == QYXX
    assert DZYD_HEADER == DZYD


def test_hazchem_csv(realistic):
    run = realistic
    finals = run.final_deliveries("hazchem/")
    assert len(finals) == 2 * 2  # QYXX + DZYD per day
    for _, d in finals.iterrows():
        p = run.landing / d.path
        assert re.fullmatch(r"hazchem/\d{8}/(QYXX|DZYD)_\d{8}\.csv", d.path)
        assert d.path.split("/")[1] == d.path[-12:-4]
        raw = p.read_bytes()
        enc = _enc(raw)
        assert enc == ("utf-8-sig" if d.encoding == "utf-8-sig" else "gb18030")
        if enc == "gb18030":
            raw.decode("gb18030")  # strict
            assert not raw.startswith(b"\xef\xbb\xbf")
        text = raw.decode(enc)
        assert text.split("\n", 1)[0].endswith("\r")  # CRLF
        header = QYXX if "QYXX" in d.path else DZYD
        df = pd.read_csv(p, encoding=enc, dtype=str, keep_default_na=False, on_bad_lines="skip")
        assert list(df.columns) == header
        records = list(csv.reader(io.StringIO(text, newline="")))[1:]
        rows = run.rows[run.rows.delivery_id == d.delivery_id].sort_values("record_number")
        # every CSV record has exactly one truth row, numbered 1..n, with the same key
        assert list(rows.record_number) == list(range(1, len(records) + 1))
        assert [r[0] for r in records] == [k or "" for k in rows.record_key]
        for rec, (_, row) in zip(records, rows.iterrows(), strict=True):
            if "column_count" in row.quirks:
                assert len(rec) == len(header) + 1
                assert row.expected == "reader_reject"
            else:
                assert len(rec) == len(header)
        # marker: written after the file, named after the whole file name
        ok = p.with_name(p.name + ".ok")
        assert ok.exists() == bool(d.complete)
        if ok.exists():
            assert ok.stat().st_size == 0 and ok.stat().st_mtime >= p.stat().st_mtime


def test_hazchem_quoted_linebreaks_and_quirk_evidence(realistic):
    run = realistic
    rows = run.rows[run.rows.dataset == "hazchem.waybill"]
    finals = run.final_deliveries("hazchem/")
    seen = {"plate": 0, "lower_x": 0, "un": 0}
    for _, d in finals.iterrows():
        text = (run.landing / d.path).read_bytes().decode(_enc((run.landing / d.path).read_bytes()))
        recs = list(csv.reader(io.StringIO(text, newline="")))
        header, recs = recs[0], recs[1:]
        truth = run.rows[run.rows.delivery_id == d.delivery_id].set_index("record_number")
        for i, rec in enumerate(recs, start=1):
            q = set(truth.loc[i, "quirks"])
            if "QYXX" in d.path:
                if "address_linebreak" in q and "column_count" not in q:
                    assert "\n" in rec[4]
                if "coords_swapped" in q:
                    assert float(rec[12]) < 90 < float(rec[13])
                continue
            m = dict(zip(header, rec, strict=True))
            if "un_prefix_missing" in q:
                assert re.fullmatch(r"\d{4}", m["UN编号"])
                seen["un"] += 1
            if not q & {
                "plate_dot",
                "plate_space",
                "plate_lowercase",
                "plate_colour_glued",
                "plate_invalid",
                "required_missing",
            }:
                assert plate_valid(m["车辆号牌"]), m["车辆号牌"]
            else:
                seen["plate"] += 1
            if "id_lowercase_x" in q:
                assert m["驾驶员身份证号"].endswith("x") or m["押运员身份证号"].endswith("x")
                seen["lower_x"] += 1
    assert all(v > 0 for v in seen.values()), seen
    assert len(rows) > 500


def test_construction_jsonl(realistic):
    run = realistic
    keys = {
        "projects": {
            "projectCode",
            "projectName",
            "permitNo",
            "town",
            "address",
            "location",
            "status",
            "contractor",
            "owner",
            "startDate",
            "plannedEndDate",
            "updatedAt",
        },
        "devices": {
            "deviceSn",
            "projectCode",
            "type",
            "selfNo",
            "equipmentCode",
            "useRegNo",
            "model",
            "ratedLoadT",
            "manufacturer",
            "factoryNo",
            "propertyUnit",
            "inDate",
            "outDate",
            "updatedAt",
        },
        "alarms": {
            "alarmId",
            "deviceSn",
            "alarmCode",
            "level",
            "value",
            "threshold",
            "occurredAt",
            "recoveredAt",
        },
    }
    finals = run.final_deliveries("construction/")
    assert len(finals) == 2 * 24 * 3
    incomplete = 0
    for _, d in finals.iterrows():
        m = re.fullmatch(r"construction/(projects|devices|alarms)_(\d{10})\.jsonl", d.path)
        assert m
        kind, hour = m.group(1), dt.datetime.strptime(m.group(2), "%Y%m%d%H")
        raw = (run.landing / d.path).read_bytes()
        truth = run.rows[run.rows.delivery_id == d.delivery_id].set_index("record_number")
        lines = raw.decode("utf-8").split("\n") if raw else []
        if raw.endswith(b"\n"):
            lines = lines[:-1]
        assert len(lines) == len(truth)
        if not d.complete:
            incomplete += 1
            assert not raw.endswith(b"\n")
        for n, line in enumerate(lines, start=1):
            q = set(truth.loc[n, "quirks"])
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                assert q & {"invalid_json", "truncated_line"}, (d.path, n)
                assert truth.loc[n, "expected"] == "reader_reject"
                continue
            assert not q & {"invalid_json", "truncated_line"}
            assert set(obj) == keys[kind]
            ts = obj.get("updatedAt") or obj.get("occurredAt")
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", ts)
            if kind == "alarms" and "date_in_future" not in q:
                beijing = dt.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ") + dt.timedelta(hours=8)
                assert beijing.replace(minute=0, second=0) == hour
    assert incomplete == 1  # the still-growing last-hour file


def test_special_equipment_xlsx(realistic):
    run = realistic
    finals = run.final_deliveries("special_equipment/")
    assert len(finals) == 1
    d = finals.iloc[0]
    p = run.landing / d.path
    assert p.name == "特种设备台账_20261123.xlsx"
    assert (p.parent / "~$特种设备台账_20261123.xlsx").exists()
    wb = openpyxl.load_workbook(p)
    assert wb.sheetnames == ["设备台账", "检验记录"]
    ws = wb["设备台账"]
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert "A1:O1" in merged and "B2:F2" in merged and "G2:H2" in merged and "L2:N2" in merged
    assert {"A2:A3", "I2:I3", "J2:J3", "K2:K3", "O2:O3"} <= merged
    assert ws["A1"].value == "太仓市特种设备台账（截至2026年11月23日）"
    assert [c.value for c in ws[2]] == [
        "序号",
        "设备信息",
        None,
        None,
        None,
        None,
        "使用单位",
        None,
        "设备使用地点",
        "所属镇区",
        "单位内编号",
        "检验信息",
        None,
        None,
        "设备状态",
    ]
    assert [c.value for c in ws[3]][1:8] == [
        "设备代码",
        "注册代码",
        "使用登记证编号",
        "设备种类",
        "设备品种",
        "单位名称",
        "统一社会信用代码",
    ]
    truth = run.rows[
        (run.rows.delivery_id == d.delivery_id) & (run.rows.dataset == "special_equipment.equipment")
    ]
    quirks_at = dict(zip(truth.record_number, truth.quirks, strict=True))
    truth = truth.set_index("record_number")
    data_rows = 0
    blank_rows = 0
    types = set()
    last = ws.max_row
    assert re.fullmatch(r"合计：(\d+)台", ws.cell(last, 1).value)
    for r, vals in enumerate(
        ws.iter_rows(min_row=4, max_row=last - 1, max_col=15, values_only=True), start=4
    ):
        if all(v is None for v in vals):
            blank_rows += 1
            assert r not in truth.index
            continue
        data_rows += 1
        assert vals[0] == data_rows  # 序号
        q = set(quirks_at[r])
        types.add(type(vals[11]).__name__)
        if "reg_code_numeric" in q:
            assert isinstance(vals[2], float)
        elif "required_missing" not in q:
            assert isinstance(vals[2], str) and re.fullmatch(r"\d{20}", vals[2])
        if "date_excel_serial" in q:
            assert isinstance(vals[11], int) and vals[11] > 20000
        if "date_text_dot" in q:
            assert re.fullmatch(r"\d{4}\.\d{1,2}\.\d{1,2}", vals[11])
    assert int(ws.cell(last, 1).value[3:-1]) == data_rows == len(truth)
    assert blank_rows > 0
    assert {"datetime", "str", "int"} <= types
    ws2 = wb["检验记录"]
    assert [c.value for c in ws2[1]] == [
        "报告编号",
        "注册代码",
        "检验类别",
        "检验日期",
        "检验结论",
        "下次检验日期",
        "检验机构",
    ]
    n_insp = (run.rows.delivery_id == d.delivery_id).sum() - len(truth)
    assert ws2.max_row - 1 == n_insp
    # pandas reads the inspection sheet as an ordinary table
    df = pd.read_excel(p, sheet_name="检验记录", dtype=str)
    assert df.columns[0] == "报告编号" and len(df) == n_insp

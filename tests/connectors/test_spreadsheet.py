"""System D's workbook: header block, merged two-level headers, layout rows, dates in every disguise."""

import datetime as dt
import io

import pytest
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from connectors.landing import ingest_feed
from connectors.records import RejectedFile
from connectors.special_equipment import EQUIPMENT, INSPECTION

LEVEL1 = [("序号", 1), ("设备信息", 2), ("使用单位", 1), ("检验信息", 2), ("设备状态", 1)]
LEVEL2 = [None, "设备代码", "注册代码", "单位名称", "上次检验日期", "下次检验日期", None]


def workbook(rows: list[list], *, inspections: list[list] | None = None) -> bytes:
    """A 设备台账 laid out like the department's export: title, merged two-level header, data, 合计."""
    wb = Workbook()
    ws = wb.active
    ws.title = "设备台账"
    ws.append(["太仓市特种设备台账（截至2026年11月30日）"])
    header1, merges, col = [], ["A1:G1"], 1
    for name, width in LEVEL1:
        header1 += [name] + [None] * (width - 1)
        end = (col + width - 1, 2) if width > 1 or LEVEL2[col - 1] else (col, 3)  # group, or single level
        if end != (col, 2):
            merges.append(f"{get_column_letter(col)}2:{get_column_letter(end[0])}{end[1]}")
        col += width
    ws.append(header1)
    ws.append(LEVEL2)
    for row in rows:
        ws.append(row or [None])
        if not row:  # a blank continuation row: the unit name above is merged down into it
            merges.append(f"D{ws.max_row - 1}:D{ws.max_row}")
    ws.append([f"合计：{sum(1 for r in rows if r)}台"])
    merges.append(f"A{ws.max_row}:G{ws.max_row}")
    for ref in merges:  # after the values: merging clears the covered cells
        ws.merge_cells(ref)
    ws2 = wb.create_sheet("检验记录")
    ws2.append(["报告编号", "注册代码", "检验类别", "检验日期", "检验结论", "下次检验日期", "检验机构"])
    for row in inspections or []:
        ws2.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


ROWS = [
    [1, "311060523201900001", "31103205852023010001", "太仓市联创电子有限公司", dt.date(2026, 2, 18),
     dt.datetime(2027, 2, 18), "在用"],
    [],
    [2, "421051391201400002", 4.2103205852024e19, "太仓市德光物业服务有限公司", "2026.3.5", 46000, "在用"],
    [3, "311039437201700003", "31103205852021050001", "太仓市天丰储运有限责任公司", "2025年12月16日",
     "2026-13-40", "停用"],
]  # fmt: skip


def test_merged_two_level_header_layout_rows_and_dates():
    parsed = EQUIPMENT.read(workbook(ROWS))
    assert parsed.header == [
        "序号",
        "设备信息/设备代码",
        "设备信息/注册代码",
        "使用单位/单位名称",
        "检验信息/上次检验日期",
        "检验信息/下次检验日期",
        "设备状态",
    ]
    assert [r.number for r in parsed.records] == [4, 6, 7]  # Excel rows; title, header, blank row, 合计 dropped
    assert parsed.rows_skipped == 5
    first, second, third = (r.values for r in parsed.records)
    assert first["检验信息/上次检验日期"] == "2026-02-18"  # a date cell
    assert first["检验信息/下次检验日期"] == "2027-02-18"  # a datetime cell at midnight
    assert second["检验信息/上次检验日期"] == "2026-03-05"  # text 2026.3.5
    assert second["检验信息/下次检验日期"] == "2025-12-09"  # Excel serial 46000
    assert third["检验信息/上次检验日期"] == "2025-12-16"  # text 2025年12月16日
    assert third["检验信息/下次检验日期"] == "2026-13-40"  # not a date: left as delivered for validation
    # a numeric cell: digits already lost by Excel, written as Excel shows it (no identifier rule accepts it)
    assert second["设备信息/注册代码"] == "4.2103205852024E+19"
    assert first["序号"] == "1" and first["设备信息/设备代码"] == "311060523201900001"


def test_single_header_sheet_and_serial_dates_only_in_date_columns():
    data = workbook(
        ROWS, inspections=[["JY2026001", "31103205852023010001", "定期检验", 45356, "合格", "2027/3/5", 45356]]
    )
    parsed = INSPECTION.read(data)
    assert parsed.header[:4] == ["报告编号", "注册代码", "检验类别", "检验日期"]
    (record,) = parsed.records
    assert record.number == 2
    assert record.values["检验日期"] == "2024-03-05"
    assert record.values["下次检验日期"] == "2027-03-05"
    assert record.values["检验机构"] == "45356"  # not a date column: the number stays a number


def test_missing_sheet_or_not_a_workbook_rejects_the_file():
    wb = Workbook()
    wb.active.title = "Sheet1"
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(RejectedFile, match=r"^sheet_missing"):
        EQUIPMENT.read(buf.getvalue())
    with pytest.raises(RejectedFile, match=r"^not_xlsx"):
        EQUIPMENT.read(b"PK\x03\x04 not really a zip")


def test_lock_files_are_ignored_and_both_sheets_load(settings, lake):
    folder = settings.landing_dir / "special_equipment"
    folder.mkdir(parents=True)
    (folder / "特种设备台账_20261130.xlsx").write_bytes(
        workbook(ROWS, inspections=[["JY2026001", "31103205852023010001", "定期检验", 45356, "合格", None, "苏检院"]])
    )
    (folder / "~$特种设备台账_20261130.xlsx").write_bytes(b"\x08zhangwei" + b" " * 45)
    equipment = ingest_feed(lake, EQUIPMENT, settings.landing_dir, archive_dir=settings.archive_dir)
    inspection = ingest_feed(lake, INSPECTION, settings.landing_dir, archive_dir=settings.archive_dir)
    assert equipment.files_loaded == inspection.files_loaded == ["special_equipment/特种设备台账_20261130.xlsx"]
    assert (equipment.rows_loaded, inspection.rows_loaded) == (3, 1)
    ledger = lake.execute("SELECT dataset, source_file, rows_skipped FROM lake.meta.file_ledger ORDER BY 1").fetchall()
    assert [r[1] for r in ledger] == ["special_equipment/特种设备台账_20261130.xlsx"] * 2
    assert ledger[0][2] == 5

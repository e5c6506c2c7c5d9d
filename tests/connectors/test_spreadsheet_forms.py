"""System D's workbook in every documented form (INTERFACES.md D, dictionary §9.2): the reader returns
the rows the department meant, whatever the print layout around them."""

import datetime as dt
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import range_boundaries
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from connectors.records import RejectedFile
from connectors.special_equipment import EQUIPMENT, INSPECTION

GROUPS = [
    ("序号", [None]),
    ("设备信息", ["设备代码", "注册代码", "使用登记证编号", "设备种类", "设备品种"]),
    ("使用单位", ["单位名称", "统一社会信用代码"]),
    ("设备使用地点", [None]),
    ("所属镇区", [None]),
    ("单位内编号", [None]),
    ("检验信息", ["上次检验日期", "检验结论", "下次检验日期"]),
    ("设备状态", [None]),
]
COLUMNS = [f"{top}/{sub}" if sub else top for top, subs in GROUPS for sub in subs]
COL = {name: i + 1 for i, name in enumerate(COLUMNS)}  # 1-based column of each joined name
UNIT_NAME, UNIT_USCC = "使用单位/单位名称", "使用单位/统一社会信用代码"
DATES = ("检验信息/上次检验日期", "检验信息/下次检验日期")
OPTIONAL = ("设备信息/设备代码", "设备信息/使用登记证编号", "设备使用地点", "单位内编号", "检验信息/检验结论")


def code(length: int, first: str = "123456789") -> st.SearchStrategy[str]:
    return st.builds(
        lambda a, b: a + b, st.sampled_from(first), st.text("0123456789", min_size=length - 1, max_size=length - 1)
    )


@st.composite
def id_cell(draw, text: str) -> tuple[object, str]:
    """An identifier as a text cell, or as a numeric cell Excel rounded to 15 significant digits
    (openpyxl itself writes a long int as a float; an exact long integer cell is in test_spreadsheet_limits)."""
    if draw(st.booleans()):
        return text, text
    kept = float(text[:15] + "0" * (len(text) - 15))
    return kept, (f"{kept:.15G}" if len(text) > 15 else str(int(kept)))


@st.composite
def date_cell(draw) -> tuple[object, str]:
    day = draw(st.dates(dt.date(2015, 1, 1), dt.date(2030, 12, 31)))
    form = draw(st.sampled_from(["date", "datetime", "dot", "cjk", "serial"]))
    cell = {
        "date": day,
        "datetime": dt.datetime.combine(day, dt.time()),
        "dot": f"{day.year}.{day.month}.{day.day}",
        "cjk": f"{day.year}年{day.month}月{day.day}日",
        "serial": (day - dt.date(1899, 12, 30)).days,
    }[form]
    return cell, day.isoformat()


@st.composite
def device(draw, n: int) -> dict[str, tuple[object, str | None]]:
    """One device row: column -> (cell as written, text the reader must return)."""
    row: dict[str, tuple[object, str | None]] = {
        "序号": (n, str(n)),
        "设备信息/注册代码": draw(id_cell(draw(code(20, "2345")))),
        "设备信息/设备种类": ("3000 电梯", "3000 电梯"),
        "设备信息/设备品种": draw(st.sampled_from([("3110 曳引驱动乘客电梯",) * 2, ("曳引驱动乘客电梯",) * 2])),
        "所属镇区": draw(st.sampled_from([("城厢镇",) * 2, ("港区",) * 2])),
        "设备状态": ("在用", "在用"),
        "设备信息/设备代码": draw(id_cell(draw(code(18)))),
        "设备信息/使用登记证编号": ("梯11苏E00123(24)", "梯11苏E00123(24)"),
        "设备使用地点": ("太仓市城厢镇上海东路1号", "太仓市城厢镇上海东路1号"),
        "单位内编号": ("3#梯", "3#梯"),
        "检验信息/检验结论": ("合格", "合格"),
    }
    for name in DATES:
        row[name] = draw(date_cell())
    for name in OPTIONAL:  # older equipment has no 设备代码; any optional cell may be left blank
        if draw(st.booleans()):
            row[name] = (None, None)
    return row


@st.composite
def register(draw):
    """Use units with blocks of devices; a block's unit cells merged vertically, repeated on every row, or
    left blank on continuation rows without a merge (the reader must not invent what no merge says)."""
    units = []
    n = 0
    for u in range(draw(st.integers(1, 6))):
        uscc = draw(id_cell(draw(code(18, "9"))))
        name = f"太仓市第{u}物业服务有限公司"
        size = draw(st.integers(1, 5))
        devices = []
        for _ in range(size):
            n += 1
            devices.append(draw(device(n)))
        units.append(((name, name), uscc, devices, draw(st.sampled_from(["merged", "repeated", "blank"]))))
    layout = draw(
        st.fixed_dictionaries(
            {
                "title": st.booleans(),
                "submitter_line": st.booleans(),
                "total": st.booleans(),
                "footer": st.booleans(),
                "blank_after": st.lists(st.booleans(), min_size=n, max_size=n),
            }
        )
    )
    return units, layout


def build(units, layout) -> tuple[bytes, list[int], list[dict[str, str | None]]]:
    wb = Workbook()
    ws = wb.active
    ws.title = "设备台账"
    width = len(COLUMNS)
    last_col = get_column_letter(width)
    merges: list[str] = []
    blocks: list[str] = []  # a use unit's merged block, which wins over a blank row's own merge
    r = 0
    if layout["title"]:
        r += 1
        ws.cell(r, 1, "太仓市特种设备台账（截至2026年11月30日）")
        merges.append(f"A{r}:{last_col}{r}")
    if layout["submitter_line"]:  # dictionary §9.2: `填报单位（盖章）：…  填报日期：…`
        r += 1
        ws.cell(r, 1, "填报单位（盖章）：太仓市市场监督管理局")
        ws.cell(r, 9, "填报日期：2026年11月30日")
    top, sub = r + 1, r + 2
    col = 1
    for name, subs in GROUPS:
        ws.cell(top, col, name)
        if subs == [None]:
            merges.append(f"{get_column_letter(col)}{top}:{get_column_letter(col)}{sub}")
        else:
            merges.append(f"{get_column_letter(col)}{top}:{get_column_letter(col + len(subs) - 1)}{top}")
            for i, s in enumerate(subs):
                ws.cell(sub, col + i, s)
        col += len(subs)
    r = sub
    numbers, expected = [], []
    k = 0
    for (name, _), uscc, devices, form in units:
        start = r + 1
        for i, dev in enumerate(devices):
            r += 1
            row = dict(dev)
            row[UNIT_NAME] = (name, name)
            row[UNIT_USCC] = uscc
            if form == "merged" and i > 0:  # continuation rows of a merged block: blank in the file
                row = {**row, UNIT_NAME: (None, name), UNIT_USCC: (None, uscc[1])}
            elif form == "blank" and i > 0:
                row = {**row, UNIT_NAME: (None, None), UNIT_USCC: (None, None)}
            for column, (cell, _) in row.items():
                if cell is not None:
                    ws.cell(r, COL[column], cell)
            numbers.append(r)
            expected.append({c: text for c, (_, text) in row.items()})
            if layout["blank_after"][k]:  # the simulator's blank continuation row, merged into by 单位名称
                r += 1
                merges.append(f"G{r - 1}:G{r}")
            k += 1
        if form == "merged" and len(devices) > 1:
            blocks += [f"G{start}:G{r}", f"H{start}:H{r}"]
    if layout["total"]:
        r += 1
        ws.cell(r, 1, f"合计：{len(numbers)}台")
        merges.append(f"A{r}:{last_col}{r}")
    if layout["footer"]:
        r += 2
        ws.cell(r, 1, "填表人：李娜")
        ws.cell(r, 6, "审核人：王强")
        ws.cell(r + 1, 1, "注：1. 下次检验日期按检验报告填写")
    for ref in _disjoint(blocks + merges):
        ws.merge_cells(ref)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), numbers, expected


def _disjoint(refs: list[str]) -> list[str]:
    """Merged ranges may not overlap: a blank row inside a merged block is covered by the block already."""
    out: list[str] = []
    for ref in refs:
        if not any(_overlap(ref, o) for o in out):
            out.append(ref)
    return out


def _overlap(a: str, b: str) -> bool:
    a1, a2, a3, a4 = range_boundaries(a)
    b1, b2, b3, b4 = range_boundaries(b)
    return a1 <= b3 and b1 <= a3 and a2 <= b4 and b2 <= a4


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(register())
def test_register_in_any_documented_form_reads_back_the_rows(case):
    units, layout = case
    data, numbers, expected = build(units, layout)
    parsed = EQUIPMENT.read(data)
    assert parsed.header == COLUMNS
    assert [r.number for r in parsed.records] == numbers
    for record, want in zip(parsed.records, expected, strict=True):
        assert record.values == want
    assert parsed.rows_skipped + len(parsed.records) == _last_row(data)


def _last_row(data: bytes) -> int:
    return load_workbook(io.BytesIO(data))["设备台账"].max_row


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(code(20, "2345").flatmap(id_cell), date_cell(), st.booleans()), min_size=1, max_size=8))
def test_inspections_single_header_numeric_keys_dates_and_blank_optional_cells(rows):
    wb = Workbook()
    ws = wb.active
    ws.title = "设备台账"
    ws2 = wb.create_sheet("检验记录")
    ws2.append(["报告编号", "注册代码", "检验类别", "检验日期", "检验结论", "下次检验日期", "检验机构"])
    for i, ((key, _), (day, _), blank) in enumerate(rows):
        ws2.append([f"JY{i:06d}", key, "定期检验", day, None if blank else "合格", None, "苏州市特种设备检验中心"])
    buf = io.BytesIO()
    wb.save(buf)
    parsed = INSPECTION.read(buf.getvalue())
    assert [r.number for r in parsed.records] == list(range(2, len(rows) + 2))
    for record, ((_, key), (_, day), blank) in zip(parsed.records, rows, strict=True):
        assert record.values["注册代码"] == key
        assert record.values["检验日期"] == day
        assert record.values["检验结论"] == (None if blank else "合格")
        assert record.values["下次检验日期"] is None


def _book(sheets: dict[str, list[list]], *, hidden: tuple[str, ...] = (), epoch1904: bool = False) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    if epoch1904:
        wb.epoch = CALENDAR_MAC_1904
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        if name in hidden:
            ws.sheet_state = "hidden"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


HEADER = ["报告编号", "注册代码", "检验类别", "检验日期", "检验结论", "下次检验日期", "检验机构"]
ROW = ["JY000001", "31103205852023010001", "定期检验", "2026.3.5", "合格", None, "苏检院"]


def test_sheet_found_by_name_hidden_or_spaced_other_sheets_ignored():
    data = _book(
        {"说明": [["本表由系统导出"]], "检验记录 ": [HEADER, ROW], "Sheet3": [["x", "y"]]}, hidden=("检验记录 ",)
    )
    (record,) = INSPECTION.read(data).records
    assert record.values["检验日期"] == "2026-03-05"


def test_serials_count_from_the_workbooks_own_epoch():
    data = _book({"检验记录": [HEADER, [*ROW[:3], 45356, *ROW[4:]]]}, epoch1904=True)
    (record,) = INSPECTION.read(data).records
    assert record.values["检验日期"] == "2028-03-06"  # 45356 days after 1904-01-01


def test_wrapped_header_text_extra_columns_and_unnamed_values_are_kept():
    header = ["报告编号", "注册\n代码", "检验类别", "检验日期", "检验结论", "下次检验日期", "检验机构", "备注"]
    data = _book({"检验记录": [header, [*ROW, "复检", None, "手写补充"]]})
    parsed = INSPECTION.read(data)
    assert parsed.header == [*HEADER, "备注", "column_J"]
    (record,) = parsed.records
    assert record.values["注册代码"] == "31103205852023010001"
    assert record.values["备注"] == "复检" and record.values["column_J"] == "手写补充"


def test_a_repeated_header_rejects_the_sheet_naming_the_column():
    """Two columns of one name: which one is 注册代码 cannot be known, so nothing is guessed."""
    with pytest.raises(RejectedFile, match=r"^header_duplicate: sheet '检验记录' repeats header 注册代码"):
        INSPECTION.read(_book({"检验记录": [[*HEADER, "注册代码"], [*ROW, "31103205852023010002"]]}))

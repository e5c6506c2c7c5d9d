"""D. 特种设备安全监管平台: weekly XLSX snapshot (设备台账 + 检验记录)."""

from __future__ import annotations

import datetime as dt
import io
import random
import re
import zipfile

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from . import reference as ref
from .landing import ERROR_QUIRKS, Landing
from .profile import Profile
from .truth import Drawer, Truth
from .variants import date_cn, date_dot, ent_mention, excel_serial, town_variant
from .world import Equipment, Registration, World, rng

LEDGER_SHEET = "设备台账"
INSPECTION_SHEET = "检验记录"
LEVEL1 = [
    ("序号", 1),
    ("设备信息", 5),
    ("使用单位", 2),
    ("设备使用地点", 1),
    ("所属镇区", 1),
    ("单位内编号", 1),
    ("检验信息", 3),
    ("设备状态", 1),
]
LEVEL2 = [
    None,
    "设备代码",
    "注册代码",
    "使用登记证编号",
    "设备种类",
    "设备品种",
    "单位名称",
    "统一社会信用代码",
    None,
    None,
    None,
    "上次检验日期",
    "检验结论",
    "下次检验日期",
    None,
]
INSPECTION_HEADER = ["报告编号", "注册代码", "检验类别", "检验日期", "检验结论", "下次检验日期", "检验机构"]
NCOL = 15
COLS = "ABCDEFGHIJKLMNO"
DATE_GROUP = ["date_text_dot", "date_text_cn", "date_excel_serial"]
FIXED_TS = "2000-01-01T00:00:00Z"


def snapshot_dates(world: World) -> list[dt.date]:
    days = [world.start + dt.timedelta(days=i) for i in range(world.days)]
    mondays = [d for d in days if d.weekday() == 0]
    return mondays or [world.start]


def _reg_as_of(eq: Equipment, s: dt.date) -> tuple[Registration | None, list[Registration]]:
    regs = [g for g in eq.registrations if g.reg_date <= s]
    if not regs:
        return None, []
    return regs[-1], regs[:-1]


def _date_cell(v: dt.date, style: str | None):
    if style == "date_text_dot":
        return date_dot(v)
    if style == "date_text_cn":
        return date_cn(v)
    if style == "date_excel_serial":
        return excel_serial(v)
    return v


def _reg_numeric(code: str) -> float:
    return float(f"{float(code):.15g}")


def deterministic_xlsx(data: bytes) -> bytes:
    """Re-pack an openpyxl workbook with fixed zip timestamps and document dates."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)",
                    rb"\g<1>" + FIXED_TS.encode() + rb"\g<2>",
                    content,
                )
            zi = zipfile.ZipInfo(info.filename, date_time=(2000, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            dst.writestr(zi, content)
    return out.getvalue()


def lock_file_bytes(user: str = "zhangwei") -> bytes:
    u = user.encode("ascii")
    return bytes([len(u)]) + u.ljust(53, b" ") + bytes([len(user), 0]) + user.encode("utf-16-le").ljust(108, b" ")


class _Item:
    __slots__ = ("clean", "delivered", "mentions", "quirks", "uid")

    def __init__(self, clean, delivered, quirks, mentions):
        self.clean, self.delivered, self.quirks, self.mentions = clean, delivered, quirks, mentions


def _ledger_item(world: World, eq: Equipment, reg: Registration, status: str, s_dt: dt.datetime, delivered,
                 dr: Drawer, r: random.Random, extra: list[str]) -> _Item:
    v = eq.variety
    unit = world.ent_by_id[reg.use_unit_id]
    last, nxt = eq.last_insp, eq.next_insp
    clean = [
        None,
        eq.equip_code,
        reg.reg_code,
        reg.use_cert,
        f"{v[2]} {v[3]}",
        f"{v[0]} {v[1]}",
        unit.name_at(s_dt),
        unit.uscc,
        reg.address,
        reg.town,
        reg.internal_no,
        last,
        eq.conclusion,
        nxt,
        status,
    ]
    q: list[str] = list(extra)
    row = list(clean)
    name, code, mq = ent_mention(dr, r, unit, s_dt)
    row[6], row[7] = name, code
    if dr.hit(r, "kind_name_only", q):
        row[4], row[5] = v[3], v[1]
    row[9] = town_variant(dr, r, reg.town, q)
    if dr.hit(r, "code_unknown", q):
        row[4] = "9900 其他特种设备"
    if dr.hit(r, "end_before_start", q):
        row[13] = last - dt.timedelta(days=r.randint(1, 300))
    if dr.hit(r, "date_in_future", q):
        row[11] = delivered.date() + dt.timedelta(days=r.randint(5, 200))
    style = dr.pick(r, DATE_GROUP, q)
    if dr.hit(r, "reg_code_numeric", q):
        row[2] = _reg_numeric(reg.reg_code)
    if dr.hit(r, "required_missing", q):
        row[2] = None
    row[11] = _date_cell(row[11], style)
    row[13] = _date_cell(row[13], style)
    ments = [("equipment", "equipment", eq.id, []), ("use_unit", "enterprise", unit.id, mq)]
    return _Item(clean, row, q, ments)


def _inspection_item(eq: Equipment, idx: int, reg: Registration, when: dt.date, nxt: dt.date, conclusion: str,
                     delivered, dr: Drawer, r: random.Random) -> _Item:
    kind = "定期检验" if r.random() < 0.9 else ("首次检验" if r.random() < 0.5 else "监督检验")
    report = f"SZ{when:%y%m%d}{eq.variety[0][0]}{idx:07d}"
    body = ref.INSPECTION_BODIES[idx % len(ref.INSPECTION_BODIES)]
    clean = [report, reg.reg_code, kind, when, conclusion, nxt, body]
    q: list[str] = []
    row = list(clean)
    if dr.hit(r, "code_unknown", q):
        row[2] = "定检"
    if dr.hit(r, "end_before_start", q):
        row[5] = when - dt.timedelta(days=r.randint(1, 300))
    if dr.hit(r, "date_in_future", q):
        row[3] = delivered.date() + dt.timedelta(days=r.randint(5, 200))
    style = dr.pick(r, DATE_GROUP, q)
    if dr.hit(r, "reg_code_numeric", q):
        row[1] = _reg_numeric(reg.reg_code)
    if dr.hit(r, "required_missing", q):
        row[0] = None
    row[3] = _date_cell(row[3], style)
    row[5] = _date_cell(row[5], style)
    return _Item(clean, row, q, [("equipment", "equipment", eq.id, [])])


def gen_special_equipment(world: World, landing: Landing, truth: Truth, profile: Profile, last_possible):
    counts = {"special_equipment.equipment": 0, "special_equipment.inspection": 0}
    drl = Drawer(profile, truth.stats, "special_equipment.equipment")
    dri = Drawer(profile, truth.stats, "special_equipment.inspection")
    drf = Drawer(profile, truth.stats, "special_equipment")
    fr = rng(world.seed, "se-files", profile.name)
    for s in snapshot_dates(world):
        s_dt = dt.datetime.combine(s, dt.time())
        delivered = s_dt + dt.timedelta(hours=8, minutes=30)
        qr = rng(world.seed, "se-quirks", profile.name, s)
        ledger: list[_Item] = []
        cont: list[bool] = []
        for eq in world.equipment:
            if not eq.in_registry:
                continue
            reg, older = _reg_as_of(eq, s)
            if reg is None:
                continue
            r = random.Random(qr.getrandbits(64))
            status = reg.status if reg is eq.registrations[-1] else "在用"
            if status == "注销" and eq.is_site_device:
                status = "在用"
            ledger.append(_ledger_item(world, eq, reg, status, s_dt, delivered, drl, r, []))
            cont.append(drl.hit(r, "xlsx_continuation_row", None))
            if older and drl.hit(r, "reregistered_duplicate", None):
                ledger.append(_ledger_item(world, eq, older[-1], "注销", s_dt, delivered, drl, r,
                                           ["reregistered_duplicate"]))
                cont.append(False)
        insp: list[_Item] = []
        for idx, eq in enumerate(world.equipment):
            if not eq.in_registry or not eq.last_insp or eq.last_insp > s:
                continue
            reg, _ = _reg_as_of(eq, s)
            if reg is None:
                continue
            r = random.Random(qr.getrandbits(64))
            insp.append(_inspection_item(eq, idx, reg, eq.last_insp, eq.next_insp, eq.conclusion, delivered, dri, r))
            if r.random() < 0.2:
                interval = eq.next_insp - eq.last_insp
                prev = eq.last_insp - interval
                insp.append(_inspection_item(eq, idx + 10_000_000, reg, prev, eq.last_insp,
                                             "合格" if eq.variety[0][0] in "345" else "符合要求", delivered, dri, r))
        rel = f"special_equipment/特种设备台账_{s:%Y%m%d}.xlsx"

        def render(corrected: bool, ledger=ledger, cont=cont, insp=insp, s=s):
            return _workbook(s, ledger, cont, insp, corrected)

        landing.deliver(
            rel,
            render,
            channel="file",
            group="special_equipment",
            data_date=s,
            delivered_at=delivered,
            last_possible=last_possible,
            encoding="xlsx",
        )
        if drf.hit(fr, "xlsx_lock_file", None):
            landing.extra_file(
                f"special_equipment/~$特种设备台账_{s:%Y%m%d}.xlsx",
                lock_file_bytes(),
                group="special_equipment",
                data_date=s,
                when=delivered + dt.timedelta(minutes=7),
                kind="lock_file",
            )
        counts["special_equipment.equipment"] += len(ledger)
        counts["special_equipment.inspection"] += len(insp)
    return counts


def _is_err(item: _Item) -> bool:
    return any(q in ERROR_QUIRKS for q in item.quirks) or any(
        q in ERROR_QUIRKS for m in item.mentions for q in m[3]
    )


def _workbook(s: dt.date, ledger: list[_Item], cont: list[bool], insp: list[_Item], corrected: bool):
    wb = Workbook(write_only=True)
    wb.properties.creator = "特种设备安全监管平台"
    ws = wb.create_sheet(LEDGER_SHEET)
    rows: list[tuple] = []
    title = f"太仓市特种设备台账（截至{s.year}年{s.month}月{s.day}日）"
    ws.append([title] + [None] * (NCOL - 1))
    ws.merged_cells.add(f"A1:{COLS[NCOL - 1]}1")
    l1: list = []
    col = 0
    for name, width in LEVEL1:
        l1.append(name)
        l1.extend([None] * (width - 1))
        if width > 1:
            ws.merged_cells.add(f"{COLS[col]}2:{COLS[col + width - 1]}2")
        else:
            ws.merged_cells.add(f"{COLS[col]}2:{COLS[col]}3")
        col += width
    ws.append(l1)
    ws.append(LEVEL2)
    excel_row = 3
    seq = 0
    for item, blank in zip(ledger, cont, strict=True):
        seq += 1
        excel_row += 1
        use_clean = corrected and _is_err(item)
        row = list(item.clean if use_clean else item.delivered)
        row[0] = seq
        cells = []
        for v in row:
            if isinstance(v, dt.date):
                c = WriteOnlyCell(ws, value=v)
                c.number_format = "yyyy-mm-dd"
                cells.append(c)
            else:
                cells.append(v)
        ws.append(cells)
        key = row[2]
        rows.append(
            (
                "special_equipment.equipment",
                excel_row,
                None if key is None else (key if isinstance(key, str) else repr(key)),
                [] if use_clean else list(item.quirks),
                [(a, b, c, []) for a, b, c, _ in item.mentions] if use_clean else item.mentions,
            )
        )
        if blank:
            # blank continuation row: the 单位名称 cell is merged down into it
            excel_row += 1
            ws.append([None] * NCOL)
            ws.merged_cells.add(f"G{excel_row - 1}:G{excel_row}")
    excel_row += 1
    ws.append([f"合计：{seq}台"] + [None] * (NCOL - 1))
    ws.merged_cells.add(f"A{excel_row}:{COLS[NCOL - 1]}{excel_row}")
    ws2 = wb.create_sheet(INSPECTION_SHEET)
    ws2.append(INSPECTION_HEADER)
    r2 = 1
    for item in insp:
        r2 += 1
        use_clean = corrected and _is_err(item)
        row = list(item.clean if use_clean else item.delivered)
        cells = []
        for v in row:
            if isinstance(v, dt.date):
                c = WriteOnlyCell(ws2, value=v)
                c.number_format = "yyyy-mm-dd"
                cells.append(c)
            else:
                cells.append(v)
        ws2.append(cells)
        key = row[0]
        rows.append(
            (
                "special_equipment.inspection",
                r2,
                key,
                [] if use_clean else list(item.quirks),
                [(a, b, c, []) for a, b, c, _ in item.mentions] if use_clean else item.mentions,
            )
        )
    buf = io.BytesIO()
    wb.save(buf)
    return deterministic_xlsx(buf.getvalue()), rows

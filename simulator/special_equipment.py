"""D. 特种设备安全监管平台: weekly XLSX snapshot (设备台账 + 检验记录)."""

from __future__ import annotations

import datetime as dt
import io
import random
import zipfile

from . import ids
from . import reference as ref
from .landing import ERROR_QUIRKS, Landing
from .profile import Profile
from .truth import Drawer, Truth
from .variants import (
    bad_date,
    blank_fields,
    date_cn,
    date_dot,
    ent_mention,
    excel_serial,
    malformed_key,
    side_rng,
    town_variant,
)
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
DATE_GROUP = [
    "date_text_dot",
    "date_text_cn",
    "date_excel_serial",
    "date_text_dot_padded",
    "date_text_slash",
    "date_text_compact",
    "date_text_cn_padded",
    "date_text_iso",
]


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
    if style == "date_text_dot_padded":
        return f"{v:%Y.%m.%d}"
    if style == "date_text_slash":
        return f"{v.year}/{v.month}/{v.day}"
    if style == "date_text_compact":
        return f"{v:%Y%m%d}"
    if style == "date_text_cn_padded":
        return f"{v.year}年{v.month:02d}月{v.day:02d}日"
    if style == "date_text_iso":
        return v.isoformat()
    return v


def _reg_numeric(code: str) -> float:
    """The number Excel keeps of a digit string typed into a General cell: 15 significant digits."""
    return float(f"{float(code):.15g}")


def _numeric_readings(code: str) -> set[str]:
    """What a reader can make of that number: Excel's 15 digits, or float64's exact integer."""
    v = _reg_numeric(code)
    return {f"{v:.15g}".split("e")[0].replace(".", "").ljust(len(code), "0"), str(int(v))}


def _loses_digits(code: str) -> bool:
    return code.isdigit() and code not in _numeric_readings(code)


def _uscc_numeric(dr: Drawer, x: random.Random, code: str, mq: list[str]):
    """uscc_numeric_exact / uscc_numeric_lost: an all-digit code in a numeric cell."""
    digits = code.isdigit() and not code.startswith("0")
    lost = digits and len(code) > 15 and not any(ids.uscc_valid(v) for v in _numeric_readings(code))
    q = dr.pick(
        x, [k for k, ok in (("uscc_numeric_exact", digits and len(code) <= 15), ("uscc_numeric_lost", lost)) if ok], mq
    )
    if q == "uscc_numeric_exact":
        return int(code)
    if q == "uscc_numeric_lost":
        return _reg_numeric(code)
    return code


def lock_file_bytes(user: str = "zhangwei") -> bytes:
    u = user.encode("ascii")
    return bytes([len(u)]) + u.ljust(53, b" ") + bytes([len(user), 0]) + user.encode("utf-16-le").ljust(108, b" ")


class _Item:
    __slots__ = ("clean", "delivered", "mentions", "quirks", "uid")

    def __init__(self, clean, delivered, quirks, mentions):
        self.clean, self.delivered, self.quirks, self.mentions = clean, delivered, quirks, mentions


def _ledger_item(
    world: World,
    eq: Equipment,
    reg: Registration,
    status: str,
    s_dt: dt.datetime,
    delivered,
    dr: Drawer,
    r: random.Random,
    extra: list[str],
) -> _Item:
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
    x = side_rng(world.seed, "ledger", reg.reg_code, s_dt, status)
    if dr.hit(r, "reg_code_numeric", q):
        row[2] = _reg_numeric(reg.reg_code)
    elif dr.hit(x, "reg_code_malformed", q):
        row[2] = malformed_key(reg.reg_code, x)
    if dr.hit(r, "required_missing", q):
        row[2] = None
    row[11] = _date_cell(row[11], style)
    row[13] = _date_cell(row[13], style)
    code_q = dr.pick(
        x, ["equipment_code_blank"] + (["equipment_code_numeric"] if _loses_digits(eq.equip_code) else []), q
    )
    if code_q == "equipment_code_blank":
        row[1] = None
    elif code_q == "equipment_code_numeric":
        row[1] = _reg_numeric(eq.equip_code)
    if isinstance(row[7], str) and row[7]:
        row[7] = _uscc_numeric(dr, x, row[7], mq)
    if dr.hit(x, "date_unparseable", q):
        row[13] = bad_date(nxt)
    blank_fields(dr, x, row, [8, 10, 11, 12], [], q)
    ments = [("equipment", "equipment", eq.id, []), ("use_unit", "enterprise", unit.id, mq)]
    return _Item(clean, row, q, ments)


def _inspection_item(
    eq: Equipment,
    idx: int,
    reg: Registration,
    when: dt.date,
    nxt: dt.date,
    conclusion: str,
    delivered,
    dr: Drawer,
    r: random.Random,
) -> _Item:
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
    x = side_rng("inspection", report, reg.reg_code)
    if dr.hit(r, "reg_code_numeric", q):
        row[1] = _reg_numeric(reg.reg_code)
    elif dr.hit(x, "reg_code_malformed", q):
        row[1] = malformed_key(reg.reg_code, x)
    if dr.hit(r, "required_missing", q):
        row[0] = None
    row[3] = _date_cell(row[3], style)
    row[5] = _date_cell(row[5], style)
    if dr.hit(x, "event_time_unparseable", q):
        row[3] = bad_date(when)
    blank_fields(dr, x, row, [2, 5, 6], [], q)
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
                ledger.append(
                    _ledger_item(world, eq, older[-1], "注销", s_dt, delivered, drl, r, ["reregistered_duplicate"])
                )
                cont.append(False)
        merged_head = _unit_blocks(world, s, ledger, cont, drl, drf)
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
                insp.append(
                    _inspection_item(
                        eq,
                        idx + 10_000_000,
                        reg,
                        prev,
                        eq.last_insp,
                        "合格" if eq.variety[0][0] in "345" else "符合要求",
                        delivered,
                        dri,
                        r,
                    )
                )
        rel = f"special_equipment/特种设备台账_{s:%Y%m%d}.xlsx"

        def render(corrected: bool, ledger=ledger, cont=cont, insp=insp, s=s, merged_head=merged_head):
            return _workbook(s, ledger, cont, insp, corrected, merged_head)

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


def _unit_of(item: _Item) -> str:
    return next(m[2] for m in item.mentions if m[0] == "use_unit")


def _unit_blocks(world: World, s: dt.date, ledger: list[_Item], cont: list[bool], drl: Drawer, drf: Drawer):
    """ledger_grouped_by_unit sorts the sheet by use unit (in place); unit_cells_merged then merges 单位名称
    and 统一社会信用代码 down over a unit's block. Returns, per row, the index of its block's head row
    when the row is a merged continuation, else None."""
    heads: list[int | None] = [None] * len(ledger)
    if not drf.hit(side_rng(world.seed, "se-grouped", s), "ledger_grouped_by_unit", None):
        return heads
    order = sorted(range(len(ledger)), key=lambda i: _unit_of(ledger[i]))
    ledger[:], cont[:] = [ledger[i] for i in order], [cont[i] for i in order]
    i = 0
    while i < len(ledger):
        j = i + 1
        while j < len(ledger) and _unit_of(ledger[j]) == _unit_of(ledger[i]):
            j += 1
        x = side_rng(world.seed, "se-merge", s, i)
        if j - i > 1 and drl.hit(x, "unit_cells_merged", None):
            for k in range(i + 1, j):
                heads[k] = i
        i = j
    return heads


def _is_err(item: _Item) -> bool:
    return any(q in ERROR_QUIRKS for q in item.quirks) or any(q in ERROR_QUIRKS for m in item.mentions for q in m[3])


class _Sheet:
    """Minimal SpreadsheetML sheet writer (shared strings, date style, merged cells).

    Hand-written because openpyxl's pure-Python writer needs ~20 µs per cell; the
    result is an ordinary XLSX that openpyxl, pandas and Excel read."""

    def __init__(self, sst: dict[str, int]):
        self.sst = sst
        self.rows: list[str] = []
        self.merges: list[str] = []
        self.n = 0

    def append(self, values: list) -> int:
        self.n += 1
        r = self.n
        cells = []
        for i, v in enumerate(values):
            if v is None or v == "":
                continue
            ref_ = f"{COLS[i] if i < 26 else 'A' + COLS[i - 26]}{r}"
            if isinstance(v, str):
                idx = self.sst.get(v)
                if idx is None:
                    idx = self.sst[v] = len(self.sst)
                cells.append(f'<c r="{ref_}" t="s"><v>{idx}</v></c>')
            elif isinstance(v, bool):
                cells.append(f'<c r="{ref_}" t="b"><v>{int(v)}</v></c>')
            elif isinstance(v, dt.date):
                cells.append(f'<c r="{ref_}" s="1"><v>{excel_serial(v)}</v></c>')
            elif isinstance(v, float):
                cells.append(f'<c r="{ref_}"><v>{v!r}</v></c>')
            else:
                cells.append(f'<c r="{ref_}"><v>{v}</v></c>')
        self.rows.append(f'<row r="{r}">{"".join(cells)}</row>')
        return r

    def xml(self) -> str:
        merges = ""
        if self.merges:
            merges = (
                f'<mergeCells count="{len(self.merges)}">'
                + "".join(f'<mergeCell ref="{m}"/>' for m in self.merges)
                + "</mergeCells>"
            )
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f"<sheetData>{''.join(self.rows)}</sheetData>{merges}</worksheet>"
        )


def _esc(s: str) -> str:
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "".join(c for c in s if c >= " " or c in "\t\n\r")


_CT = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/worksheets/sheet2.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '<Override PartName="/docProps/core.xml" '
    'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    '<Override PartName="/docProps/app.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/'
    'core-properties" Target="docProps/core.xml"/>'
    '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'extended-properties" Target="docProps/app.xml"/>'
    "</Relationships>"
)
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_WB_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL}/worksheet" Target="worksheets/sheet2.xml"/>'
    f'<Relationship Id="rId3" Type="{_REL}/styles" Target="styles.xml"/>'
    f'<Relationship Id="rId4" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
)
_WB = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    "<sheets>"
    f'<sheet name="{LEDGER_SHEET}" sheetId="1" r:id="rId1"/>'
    f'<sheet name="{INSPECTION_SHEET}" sheetId="2" r:id="rId2"/>'
    "</sheets></workbook>"
)
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>'
    '<fonts count="1"><font><sz val="11"/><name val="宋体"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="常规" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_CORE = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    "<dc:creator>特种设备安全监管平台</dc:creator>"
    '<dcterms:created xsi:type="dcterms:W3CDTF">{ts}</dcterms:created>'
    '<dcterms:modified xsi:type="dcterms:W3CDTF">{ts}</dcterms:modified>'
    "</cp:coreProperties>"
)
_APP = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    "<Application>Microsoft Excel</Application></Properties>"
)


def _zip(parts: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts.items():
            zi = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            z.writestr(zi, text.encode("utf-8"))
    return out.getvalue()


def _workbook(s: dt.date, ledger: list[_Item], cont: list[bool], insp: list[_Item], corrected: bool, merged_head: list):
    sst: dict[str, int] = {}
    ws = _Sheet(sst)
    rows: list[tuple] = []
    title = f"太仓市特种设备台账（截至{s.year}年{s.month}月{s.day}日）"
    ws.append([title])
    ws.merges.append(f"A1:{COLS[NCOL - 1]}1")
    l1: list = []
    col = 0
    for name, width in LEVEL1:
        l1.append(name)
        l1.extend([None] * (width - 1))
        if width > 1:
            ws.merges.append(f"{COLS[col]}2:{COLS[col + width - 1]}2")
        else:
            ws.merges.append(f"{COLS[col]}2:{COLS[col]}3")
        col += width
    ws.append(l1)
    ws.append(LEVEL2)
    seq = 0
    blocks: list[list[int]] = []  # [first row, last row] of each merged unit block
    head_mentions: list = []
    for i, (item, blank) in enumerate(zip(ledger, cont, strict=True)):
        seq += 1
        use_clean = corrected and _is_err(item)
        row = list(item.clean if use_clean else item.delivered)
        row[0] = seq
        quirks = [] if use_clean else list(item.quirks)
        mentions = [(a, b, c, []) for a, b, c, _ in item.mentions] if use_clean else item.mentions
        continuation = merged_head[i] is not None
        if continuation:
            # the merged cell shows the head row's value: a correct reader forward-fills it
            row[6] = row[7] = None
            quirks.append("unit_cells_merged")
            mentions = [m if m[0] != "use_unit" else head_mentions for m in mentions]
        else:
            head_mentions = next(m for m in mentions if m[0] == "use_unit")
        excel_row = ws.append(row)
        if continuation:
            blocks[-1][1] = excel_row
        elif i + 1 < len(ledger) and merged_head[i + 1] == i:
            blocks.append([excel_row, excel_row])
        key = row[2]
        rows.append(
            (
                "special_equipment.equipment",
                excel_row,
                None if key is None else (key if isinstance(key, str) else repr(key)),
                quirks,
                mentions,
            )
        )
        if blank:
            r2 = ws.append([])
            if blocks and blocks[-1][1] == excel_row:
                blocks[-1][1] = r2  # inside a merged block: the block's merge covers the blank row
            else:
                # blank continuation row: the 单位名称 cell is merged down into it
                ws.merges.append(f"G{r2 - 1}:G{r2}")
    for first, last in blocks:
        ws.merges.extend((f"G{first}:G{last}", f"H{first}:H{last}"))
    last = ws.append([f"合计：{seq}台"])
    ws.merges.append(f"A{last}:{COLS[NCOL - 1]}{last}")
    ws2 = _Sheet(sst)
    ws2.append(INSPECTION_HEADER)
    for item in insp:
        use_clean = corrected and _is_err(item)
        row = list(item.clean if use_clean else item.delivered)
        r2 = ws2.append(row)
        rows.append(
            (
                "special_equipment.inspection",
                r2,
                row[0],
                [] if use_clean else list(item.quirks),
                [(a, b, c, []) for a, b, c, _ in item.mentions] if use_clean else item.mentions,
            )
        )
    strings = "".join(f'<si><t xml:space="preserve">{_esc(k)}</t></si>' for k in sst)
    sst_xml = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{len(sst)}" '
        f'uniqueCount="{len(sst)}">{strings}</sst>'
    )
    parts = {
        "[Content_Types].xml": _CT,
        "_rels/.rels": _RELS,
        "docProps/app.xml": _APP,
        "docProps/core.xml": _CORE.replace("{ts}", f"{s:%Y-%m-%d}T08:00:00Z"),
        "xl/workbook.xml": _WB,
        "xl/_rels/workbook.xml.rels": _WB_RELS,
        "xl/styles.xml": _STYLES,
        "xl/sharedStrings.xml": sst_xml,
        "xl/worksheets/sheet1.xml": ws.xml(),
        "xl/worksheets/sheet2.xml": ws2.xml(),
    }
    return _zip(parts), rows

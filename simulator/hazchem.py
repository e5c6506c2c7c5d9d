"""A. 危险化学品全流程监管系统: QYXX (enterprise snapshot) and DZYD (waybills), CSV."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from dataclasses import dataclass, field

from . import ids
from . import reference as ref
from .landing import Landing, strip_errors
from .profile import Profile
from .truth import Drawer, Truth, fmt_dt
from .variants import (
    NULL_TOKENS_RARE,
    bad_datetime,
    blank_fields,
    coords_variant,
    date_cn,
    dt_dot0,
    dt_iso_t,
    dt_slash,
    ent_mention,
    id_variant,
    malformed_key,
    plate_variant,
    side_rng,
    town_variant,
)
from .world import Enterprise, World, rng

QYXX_HEADER = [
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
DZYD_HEADER = [
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
NULL_TOKENS = ["无", "/", "-"]


class Raw(str):
    """A CSV field written verbatim (no quoting): used for the column_count quirk."""


def _field(v: object) -> str:
    s = "" if v is None else str(v)
    if isinstance(v, Raw):
        return s
    if any(c in s for c in ',"\r\n'):
        return '"' + s.replace('"', '""') + '"'
    return s


def csv_bytes(header: list[str], rows: list[list], encoding: str) -> bytes:
    lines = [",".join(_field(h) for h in header)]
    lines.extend(",".join(_field(v) for v in row) for row in rows)
    text = "\r\n".join(lines) + "\r\n"
    if encoding == "utf-8-sig":
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    return text.encode("gb18030")


def _address_quirks(dr: Drawer, r: random.Random, addr: str, q: list[str]) -> str:
    # "太仓市浮桥镇滨江大道88号" -> split after the town
    cut = next((i + 1 for i, c in enumerate(addr) if c in "镇道区城" and i > 2), 6)
    if dr.hit(r, "address_chinese_comma", q):
        addr = addr[:cut] + "，" + addr[cut:]
    if dr.hit(r, "address_linebreak", q):
        addr = addr[:cut] + "\n" + addr[cut:]
    return addr


# --------------------------------------------------------------------------------------------
# QYXX
# --------------------------------------------------------------------------------------------
def _qyxx_updates(world: World) -> dict[str, list[dt.datetime]]:
    r = rng(world.seed, "qyxx-updates")
    out: dict[str, list[dt.datetime]] = {}
    for e in world.enterprises:
        if e.category != "hazchem":
            continue
        times = []
        for d in range(world.days):
            if r.random() < 0.01:
                times.append(world.t0 + dt.timedelta(days=d, seconds=r.randint(8 * 3600, 18 * 3600)))
        if e.rename_date and world.t0 <= e.rename_date < world.t_end:
            times.append(e.rename_date)
        out[e.id] = sorted(times)
    return out


def _qyxx_record(
    world: World,
    e: Enterprise,
    day_end: dt.datetime,
    delivered: dt.datetime,
    updates: list[dt.datetime],
    dr: Drawer,
    profile_seed: int,
) -> tuple[list, list[str], list]:
    r = random.Random(f"{profile_seed}|qyxx|{e.id}")
    done = [t for t in updates if t < day_end]
    upd = max([e.updated_at or world.t0, *done])
    employees = e.employees + 3 * len(done)
    q: list[str] = []
    name, code, mq = ent_mention(dr, r, e, day_end)
    town = town_variant(dr, r, e.town or "城厢镇", q)
    addr = _address_quirks(dr, r, e.address, q)
    # an unquoted line break would split the record in two: the extra field goes only where there is none
    if dr.hit(r, "column_count", q, eligible="\n" not in addr):
        addr = Raw(addr[:6] + "," + addr[6:])
    lon, lat = coords_variant(dr, r, e.lon, e.lat, q)
    phone = e.phone
    if dr.hit(r, "null_token", q):
        phone = r.choice(NULL_TOKENS)
    emp: str = str(employees)
    if dr.hit(r, "number_format", q):
        emp = f"约{employees}人"
    status = e.status
    if dr.hit(r, "code_unknown", q):
        status = "营业中"
    upd_s = fmt_dt(upd)
    x = side_rng(profile_seed, "qyxx", e.id, day_end)
    if dr.hit(r, "date_in_future", q):
        upd_s = fmt_dt(delivered + dt.timedelta(days=r.randint(2, 300), seconds=r.randint(0, 86399)))
    elif dr.hit(r, "datetime_slash", q):
        upd_s = f"{upd.year}/{upd.month}/{upd.day} {upd.hour}:{upd.minute:02d}:{upd.second:02d}"
    else:
        r.random()
        style = dr.pick(x, ["datetime_iso_t", "datetime_dot0", "date_unparseable"], q)
        if style == "datetime_iso_t":
            upd_s = dt_iso_t(upd)
        elif style == "datetime_dot0":
            upd_s = dt_dot0(upd)
        elif style == "date_unparseable":
            upd_s = bad_datetime(upd)
    if dr.hit(x, "null_token_rare", q):
        phone = x.choice(NULL_TOKENS_RARE)
    key = e.hc_code or ""
    if dr.hit(r, "required_missing", q):
        r.random()
        key = ""
    elif dr.hit(x, "key_malformed", q, eligible=bool(key)):
        key = malformed_key(key, x)
    row = [
        key,
        name,
        code,
        town,
        addr,
        "、".join(e.hc_types),
        e.major_hazard,
        e.risk,
        e.std_level,
        emp,
        e.principal,
        phone,
        f"{lon:.6f}",
        f"{lat:.6f}",
        status,
        upd_s,
    ]
    blank_fields(dr, x, row, [4, 10, 11], [1], q, "")
    return row, q, [("enterprise", "enterprise", e.id, mq)]


def gen_qyxx(world: World, landing: Landing, truth: Truth, profile: Profile, last_possible: dt.datetime) -> int:
    hc = [e for e in world.enterprises if e.category == "hazchem"]
    updates = _qyxx_updates(world)
    fr = rng(world.seed, "qyxx-files", profile.name)
    n = 0
    for d in range(world.days):
        day = world.start + dt.timedelta(days=d)
        day_end = world.t0 + dt.timedelta(days=d + 1)
        delivered = day_end + dt.timedelta(hours=1, minutes=5)
        fdr = Drawer(profile, truth.stats, "hazchem")
        fq: list[str] = []
        enc = "utf-8-sig" if fdr.hit(fr, "encoding_utf8_bom", fq) else "gb18030"
        rel = f"hazchem/{day:%Y%m%d}/QYXX_{day:%Y%m%d}.csv"

        def render(corrected: bool, day_end=day_end, delivered=delivered, enc=enc, fq=fq) -> tuple[bytes, list]:
            stats = truth.stats if not corrected else _Sink()
            dr = Drawer(profile, stats, "hazchem.enterprise")
            rows, out = [], []
            for e in hc:
                row, q, ments = _qyxx_record(world, e, day_end, delivered, updates.get(e.id, []), dr, world.seed)
                if corrected and strip_errors(q + ments[0][3]) != q + ments[0][3]:
                    # corrected export: re-render without the damage (clean values)
                    row, q, ments = _qyxx_record(
                        world, e, day_end, delivered, updates.get(e.id, []), Drawer(_CLEAN, _Sink(), "x"), 0
                    )
                rows.append(row)
                out.append(("hazchem.enterprise", len(rows), row[0], q + fq, ments))
            return csv_bytes(QYXX_HEADER, rows, enc), out

        landing.deliver(
            rel,
            render,
            channel="file",
            group="hazchem",
            data_date=day,
            delivered_at=delivered,
            last_possible=last_possible,
            marker=True,
            encoding=enc,
        )
        n += len(hc)
    return n


class _Sink(dict):
    def __missing__(self, key):
        v = [0, 0]
        self[key] = v
        return v


_CLEAN = Profile.named("clean")


# --------------------------------------------------------------------------------------------
# DZYD
# --------------------------------------------------------------------------------------------
@dataclass
class Waybill:
    no: str
    shipper: Enterprise
    carrier: Enterprise
    tractor_id: str
    trailer_id: str | None
    driver_id: str
    escort_id: str
    chem: tuple
    qty: float
    origin: str
    dest: str
    created: dt.datetime
    depart: dt.datetime
    arrive: dt.datetime | None
    events: list[tuple[dt.datetime, str]] = field(default_factory=list)


DESTS = [
    "上海市金山区漕泾镇",
    "上海市宝山区",
    "苏州市工业园区",
    "张家港市扬子江化工园区",
    "常熟市新材料产业园",
    "南通市如东洋口化工园",
    "嘉兴市港区",
    "昆山市千灯镇",
    "无锡市惠山区",
]


def build_waybills(world: World) -> list[Waybill]:
    r = rng(world.seed, "waybills")
    n_day = max(1, round(2000 * world.scale))
    shippers = [
        e
        for e in world.enterprises
        if (e.category == "hazchem" and set(e.hc_types) & {"生产", "储存", "经营"}) or e.category == "hazchem_out"
    ]
    local_carriers = [c for c in world.carriers if c.taicang and c.id in world.drivers_of]
    out_carriers = [c for c in world.carriers if not c.taicang and c.id in world.drivers_of]
    fleet: dict[str, list] = {}
    for v in world.vehicles:
        if v.kind in ("tractor", "truck"):
            fleet.setdefault(v.operator_id, []).append(v)
    cw = list(itertools.accumulate(len(fleet.get(c.id, [])) for c in local_carriers))
    out: list[Waybill] = []
    for d in range(world.days):
        day = world.start + dt.timedelta(days=d)
        for i in range(n_day):
            if out_carriers and r.random() < 0.06:
                carrier = r.choice(out_carriers)
            else:
                carrier = r.choices(local_carriers, cum_weights=cw)[0]
            veh = r.choice(fleet[carrier.id])
            trailer = veh.partner_id if veh.kind == "tractor" else None
            shipper = r.choice(shippers)
            drivers = world.drivers_of[carrier.id]
            escorts = world.escorts_of[carrier.id]
            created = world.t0 + dt.timedelta(days=d, seconds=r.randint(5 * 3600, 20 * 3600))
            depart = created + dt.timedelta(minutes=r.randint(20, 300))
            dur = dt.timedelta(minutes=r.randint(40, 600))
            chem = r.choice(ref.CHEMICALS)
            seq = i + 1
            no = f"YD320585{day:%Y%m%d}{seq:04d}"
            wb = Waybill(
                no=no,
                shipper=shipper,
                carrier=carrier,
                tractor_id=veh.id,
                trailer_id=trailer,
                driver_id=r.choice(drivers),
                escort_id=r.choice(escorts),
                chem=chem,
                qty=round(r.uniform(3, 34), 1),
                origin=shipper.address,
                dest=r.choice(DESTS) + f"{r.choice(ref.STREETS)}{r.randint(1, 300)}号",
                created=created,
                depart=depart,
                arrive=None,
            )
            wb.events.append((created, "已创建"))
            if r.random() < 0.04:
                wb.events.append((created + dt.timedelta(minutes=r.randint(10, 200)), "作废"))
            else:
                wb.events.append((depart, "运输中"))
                wb.arrive = depart + dur
                wb.events.append((wb.arrive, "已完成"))
            out.append(wb)
    return out


def _dzyd_row(
    world: World,
    wb: Waybill,
    state_t: dt.datetime,
    status: str,
    delivered: dt.datetime,
    dr: Drawer,
    r: random.Random,
    corrected: bool,
) -> tuple[list, list[str], list]:
    q: list[str] = []
    ments = []
    sname, scode, sq = ent_mention(dr, r, wb.shipper, state_t)
    cname, ccode, cq = ent_mention(dr, r, wb.carrier, state_t)
    ments.append(("shipper", "enterprise", wb.shipper.id, sq))
    ments.append(("carrier", "enterprise", wb.carrier.id, cq))
    tractor = world.veh_by_id[wb.tractor_id]
    colour = ref.CPYS[tractor.colour]
    tq: list[str] = []
    tplate = plate_variant(dr, r, tractor.plate, colour, tq)
    ments.append(("tractor", "vehicle", tractor.id, tq))
    trailer_plate = ""
    if wb.trailer_id:
        trailer = world.veh_by_id[wb.trailer_id]
        trq: list[str] = []
        trailer_plate = plate_variant(dr, r, trailer.plate, "黄", trq)
        ments.append(("trailer", "vehicle", trailer.id, trq))
    else:
        for _ in range(1):
            r.random()
    driver = world.person_by_id[wb.driver_id]
    escort = world.person_by_id[wb.escort_id]
    dq: list[str] = []
    d_id = id_variant(dr, r, driver.id_number, dq)
    ments.append(("driver", "person", driver.id, dq))
    same = dr.hit(r, "driver_is_escort", q)
    eq: list[str] = []
    if same:
        e_name, e_id = driver.name, driver.id_number
        ments.append(("escort", "person", driver.id, eq))
    else:
        e_name = escort.name
        e_id = id_variant(dr, r, escort.id_number, eq)
        ments.append(("escort", "person", escort.id, eq))
    name, un, cas, cls = wb.chem
    uq = dr.pick(r, ["un_prefix_missing", "un_fullwidth"], q)
    if uq == "un_prefix_missing":
        un = un[2:]
    elif uq == "un_fullwidth":
        un = ids.to_fullwidth(un)
    if dr.hit(r, "cas_bad_check", q):
        cas = ids.cas_with_bad_check(cas)
    qty = f"{wb.qty}"
    qq = dr.pick(r, ["quantity_unit", "quantity_thousands"], q)
    if qq == "quantity_unit":
        qty = f"{wb.qty:g}吨"
    elif qq == "quantity_thousands":
        big = 1000 + wb.qty * 31
        qty = f"{big:,.1f}"
    depart_s = fmt_dt(wb.depart) if status != "已创建" and status != "作废" else ""
    arrive = wb.arrive if status == "已完成" else None
    if dr.hit(r, "end_before_start", q, eligible=arrive is not None):
        arrive = wb.depart - dt.timedelta(minutes=r.randint(30, 200))
    arrive_s = fmt_dt(arrive) if arrive else ""
    if not depart_s:
        # planned departure is known from creation
        depart_s = fmt_dt(wb.depart)
    x = side_rng(world.seed, "dzyd", wb.no, state_t, status)
    fq = dr.pick(r, ["datetime_slash", "date_cn"], q) or dr.pick(x, ["datetime_iso_t", "datetime_dot0"], q)
    if fq:
        target_arrive = arrive is not None and r.random() < 0.5
        t = arrive if target_arrive else wb.depart
        s = {"datetime_slash": dt_slash, "date_cn": date_cn, "datetime_iso_t": dt_iso_t, "datetime_dot0": dt_dot0}[fq](
            t
        )
        if target_arrive:
            arrive_s = s
        else:
            depart_s = s
    upd_s = fmt_dt(state_t)
    if dr.hit(r, "date_in_future", q):
        upd_s = fmt_dt(delivered + dt.timedelta(days=r.randint(2, 200), seconds=r.randint(0, 86399)))
    st = status
    if dr.hit(r, "code_unknown", q):
        st = "待确认"
    empties = not trailer_plate or not arrive_s
    if dr.hit(r, "null_token", q, eligible=empties):
        tok = r.choice(NULL_TOKENS)
        if not trailer_plate:
            trailer_plate = tok
        if not arrive_s:
            arrive_s = tok
    if dr.hit(x, "null_token_rare", q, eligible=not arrive_s):
        arrive_s = x.choice(NULL_TOKENS_RARE)
    if dr.hit(x, "date_unparseable", q):
        depart_s = bad_datetime(wb.depart)
    key = wb.no
    if dr.hit(r, "required_missing", q):
        r.random()
        key = ""
    elif dr.hit(x, "key_malformed", q):
        key = malformed_key(key, x)
    row = [
        key,
        st,
        sname,
        scode,
        cname,
        ccode,
        tplate,
        colour,
        trailer_plate,
        driver.name,
        d_id,
        e_name,
        e_id,
        name,
        un,
        cas,
        cls,
        qty,
        wb.origin,
        wb.dest,
        depart_s,
        arrive_s,
        upd_s,
    ]
    # a damaged CAS is never then blanked: the truth's cas_check must be visible in the delivered row
    optional = [17, 19] if "cas_bad_check" in q else [15, 17, 19]
    blank_fields(dr, x, row, optional, [1, 6], q, "")
    return row, q, ments


def gen_dzyd(
    world: World,
    waybills: list[Waybill],
    landing: Landing,
    truth: Truth,
    profile: Profile,
    last_possible: dt.datetime,
) -> int:
    by_day: dict[int, list[tuple[Waybill, list[tuple[dt.datetime, str]]]]] = {}
    for wb in waybills:
        for t, s in wb.events:
            d = (t - world.t0).days
            if 0 <= d < world.days:
                by_day.setdefault(d, [])
                if by_day[d] and by_day[d][-1][0] is wb:
                    by_day[d][-1][1].append((t, s))
                else:
                    by_day[d].append((wb, [(t, s)]))
    fr = rng(world.seed, "dzyd-files", profile.name)
    n = 0
    for d in range(world.days):
        day = world.start + dt.timedelta(days=d)
        day_end = world.t0 + dt.timedelta(days=d + 1)
        delivered = day_end + dt.timedelta(hours=1, minutes=10)
        fdr = Drawer(profile, truth.stats, "hazchem")
        fq: list[str] = []
        enc = "utf-8-sig" if fdr.hit(fr, "encoding_utf8_bom", fq) else "gb18030"
        pending = fdr.hit(fr, "ok_marker_pending", None, eligible=d == world.days - 1)
        items = sorted(by_day.get(d, []), key=lambda x: x[1][-1][0])
        rel = f"hazchem/{day:%Y%m%d}/DZYD_{day:%Y%m%d}.csv"

        def render(corrected: bool, items=items, delivered=delivered, enc=enc, fq=fq, d=d) -> tuple[bytes, list]:
            stats = truth.stats if not corrected else _Sink()
            dr = Drawer(profile, stats, "hazchem.waybill")
            r = rng(world.seed, "dzyd-rows", profile.name, d)
            rows, out, later = [], [], []
            for wb, evs in items:
                t, s = evs[-1]
                row, q, ments = _dzyd_row(world, wb, t, s, delivered, dr, r, corrected)
                if corrected:
                    allq = q + [x for m in ments for x in m[3]]
                    if strip_errors(allq) != allq:
                        row, q, ments = _dzyd_row(
                            world, wb, t, s, delivered, Drawer(_CLEAN, _Sink(), "x"), random.Random(0), True
                        )
                rows.append(row)
                out.append(("hazchem.waybill", len(rows), row[0], q + fq, ments))
                if dr.hit(r, "duplicate_in_file", None, eligible=len(evs) > 1):
                    t0, s0 = evs[0]
                    row0, q0, m0 = _dzyd_row(
                        world, wb, t0, s0, delivered, Drawer(_CLEAN, _Sink(), "x"), random.Random(0), True
                    )
                    later.append((row0, ["duplicate_in_file"], m0))
                if later and r.random() < 0.3:
                    row0, q0, m0 = later.pop(0)
                    rows.append(row0)
                    out.append(("hazchem.waybill", len(rows), row0[0], q0 + fq, m0))
            for row0, q0, m0 in later:
                rows.append(row0)
                out.append(("hazchem.waybill", len(rows), row0[0], q0 + fq, m0))
            return csv_bytes(DZYD_HEADER, rows, enc), out

        landing.deliver(
            rel,
            render,
            channel="file",
            group="hazchem",
            data_date=day,
            delivered_at=delivered,
            last_possible=last_possible,
            marker=True,
            marker_pending=pending,
            encoding=enc,
            allow_redelivery=not pending,
        )
        n += len(items)
    return n

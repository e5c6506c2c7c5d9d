"""One consistent synthetic Taicang: the true entities shared by the five systems.

Everything here is the *truth*; the per-system generators render it (with quirks).
Randomness comes from ``rng(seed, stream)`` so that each part is deterministic on its
own and independent of the profile (clean and realistic runs share the same world).
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from dataclasses import dataclass, field

from . import ids
from . import reference as ref


def rng(seed: int, *parts: object) -> random.Random:
    return random.Random("|".join(str(p) for p in (seed, *parts)))


@dataclass(slots=True)
class Enterprise:
    id: str
    name: str
    short: str
    uscc: str
    org9: str
    regno15: str | None
    taicang: bool
    town: str | None
    address: str
    lon: float
    lat: float
    category: str  # hazchem / coach / construction / owner / lessor / property / manufacturing / institution
    is_branch: bool = False
    head_office_id: str | None = None
    renamed_from: str | None = None
    rename_date: dt.datetime | None = None
    hc_code: str | None = None  # 企业编号 in A
    hc_types: tuple[str, ...] = ()
    carrier: bool = False
    principal: str = ""
    principal_person_id: str | None = None
    phone: str = ""
    employees: int = 0
    status: str = "在业"
    risk: str = "蓝"
    major_hazard: str = "无"
    std_level: str = "三级"
    updated_at: dt.datetime | None = None
    trade: str = ""

    def name_at(self, t: dt.datetime) -> str:
        if self.renamed_from and self.rename_date and t < self.rename_date:
            return self.renamed_from
        return self.name


@dataclass(slots=True)
class Person:
    id: str
    name: str
    id_number: str
    role: str  # driver / escort / principal


@dataclass(slots=True)
class Vehicle:
    id: str
    plate: str
    colour: int
    kind: str  # tractor / trailer / truck / coach
    operator_id: str
    registered: bool  # present in B
    clid: str | None
    hylb: str | None
    dlyszh: str | None
    seats: int | None
    load_kg: int | None
    status: str  # 营运 停运 注销 过户
    review_until: dt.date
    updated_at: dt.datetime
    partner_id: str | None = None  # default trailer of a tractor


@dataclass(slots=True)
class Registration:
    reg_code: str
    use_cert: str
    reg_date: dt.date
    use_unit_id: str
    status: str  # 在用 停用 报废 注销
    internal_no: str
    address: str
    town: str


@dataclass(slots=True)
class Equipment:
    id: str
    variety: tuple  # (code, name, kind code, kind name, cert char)
    equip_code: str
    manufacturer: str
    factory_no: str
    model: str
    rated_load_t: float | None
    registrations: list[Registration] = field(default_factory=list)
    in_registry: bool = True
    last_insp: dt.date | None = None
    conclusion: str = "合格"
    next_insp: dt.date | None = None
    is_site_device: bool = False


@dataclass(slots=True)
class Project:
    code: str
    name: str
    permit: str
    town: str
    address: str
    lon: float
    lat: float
    status: str
    contractor_id: str
    owner_id: str
    start: dt.date
    planned_end: dt.date
    updated_at: dt.datetime


@dataclass(slots=True)
class Installation:
    device_sn: str
    equipment_id: str
    project_code: str
    self_no: str
    reg_index: int  # index into Equipment.registrations
    property_unit_id: str
    in_date: dt.date
    out_date: dt.date | None
    updated_at: dt.datetime


@dataclass(slots=True)
class DishonestEntry:
    id: str
    subject_type: str  # enterprise / person
    subject_id: str
    code: str
    reason: str
    dept: str
    listed: dt.date
    removed: dt.date | None
    listed_seen: dt.datetime  # time the entry appears in E


@dataclass
class World:
    seed: int
    scale: float
    start: dt.date
    days: int
    enterprises: list[Enterprise]
    persons: list[Person]
    vehicles: list[Vehicle]
    equipment: list[Equipment]
    projects: list[Project]
    installations: list[Installation]
    entries: list[DishonestEntry]
    ent_by_id: dict[str, Enterprise] = field(default_factory=dict)
    veh_by_id: dict[str, Vehicle] = field(default_factory=dict)
    eq_by_id: dict[str, Equipment] = field(default_factory=dict)
    person_by_id: dict[str, Person] = field(default_factory=dict)
    proj_by_code: dict[str, Project] = field(default_factory=dict)
    carriers: list[Enterprise] = field(default_factory=list)
    drivers_of: dict[str, list[str]] = field(default_factory=dict)
    escorts_of: dict[str, list[str]] = field(default_factory=dict)
    # installation moves inside the window: (time, old installation, new installation)
    moves: list[tuple[dt.datetime, Installation, Installation]] = field(default_factory=list)

    @property
    def t0(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time())

    @property
    def t_end(self) -> dt.datetime:
        return self.t0 + dt.timedelta(days=self.days)

    def index(self) -> None:
        self.ent_by_id = {e.id: e for e in self.enterprises}
        self.veh_by_id = {v.id: v for v in self.vehicles}
        self.eq_by_id = {e.id: e for e in self.equipment}
        self.person_by_id = {p.id: p for p in self.persons}
        self.proj_by_code = {p.code: p for p in self.projects}

    def blacklisted_at(self, ent_id: str, t: dt.datetime) -> bool:
        for e in self.entries:
            if (
                e.subject_id == ent_id
                and e.listed <= t.date()
                and (e.removed is None or e.removed > t.date())
            ):
                return True
        return False


def _serial5(n: int) -> str:
    """5-character serial; letters are used above 99999 (as the TSG coding allows)."""
    if n < 100000:
        return f"{n:05d}"
    n -= 100000
    letters = "ABCDEFGHJKLMNPQRTUWXY"
    return (
        letters[(n // 10000) % 21] + f"{n % 10000:04d}" if n < 210000 else letters[n % 21] + f"{n % 9999:04d}"
    )


def _n(base: float, scale: float, minimum: int = 1) -> int:
    return max(minimum, round(base * scale))


def _clip_coord(lon: float, lat: float) -> tuple[float, float]:
    lo0, lo1, la0, la1 = ref.BOX
    return (
        round(min(max(lon, lo0 + 0.01), lo1 - 0.01), 6),
        round(min(max(lat, la0 + 0.01), la1 - 0.01), 6),
    )


def _coord_in(r: random.Random, town: str | None) -> tuple[float, float]:
    lon, lat = ref.TOWN_CENTRES.get(town or "城厢镇", (121.1, 31.5))
    return _clip_coord(lon + r.uniform(-0.03, 0.03), lat + r.uniform(-0.025, 0.025))


def person_name(r: random.Random) -> str:
    return r.choice(ref.SURNAMES) + "".join(r.choice(ref.GIVEN) for _ in range(r.choice((1, 2, 2))))


def _address(r: random.Random, town: str | None, prefix: str = "太仓市") -> str:
    t = town or "城厢镇"
    return f"{prefix}{t}{r.choice(ref.STREETS)}{r.randint(1, 999)}号"


def _out_address(r: random.Random, name: str) -> str:
    cities = (("苏州工业园区", "苏州工业园区"), ("苏州", "苏州市吴中区"), ("上海", "上海市嘉定区"))
    city = next((c for p, c in cities if name.startswith(p)), None)
    if city is None:
        city = r.choice(["苏州市相城区", "常熟市", "昆山市", "南京市江北新区"])
    return f"{city}{r.choice(ref.STREETS)}{r.randint(1, 500)}号"


def _phone(r: random.Random) -> str:
    if r.random() < 0.7:
        return "1" + r.choice("3456789") + "".join(r.choice("0123456789") for _ in range(9))
    return "0512-5" + "".join(r.choice("0123456789") for _ in range(7))


class _Names:
    def __init__(self, r: random.Random):
        self.r = r
        self.used: set[str] = set()
        self.trades: list[str] = []

    def trade(self) -> str:
        r = self.r
        # ~4% reuse an existing trade name: similar names for different companies
        if self.trades and r.random() < 0.04:
            return r.choice(self.trades)
        if r.random() < 0.04:
            t = r.choice(ref.FOREIGN_TRADES)
        else:
            t = r.choice(ref.TRADE_CHARS) + r.choice(ref.TRADE_CHARS)
        self.trades.append(t)
        return t

    def make(self, industries: list[str], taicang: bool) -> tuple[str, str, str]:
        r = self.r
        for _ in range(1000):
            trade = self.trade()
            ind = r.choice(industries)
            form = "有限公司" if r.random() < 0.75 else "有限责任公司"
            if taicang:
                u = r.random()
                if u < 0.70:
                    name = f"太仓市{trade}{ind}{form}"
                elif u < 0.80:
                    name = f"太仓{trade}{ind}{form}"
                elif u < 0.92:
                    name = f"{trade}（太仓）{ind}{form}"
                else:
                    name = f"江苏{trade}{ind}{form}"
            else:
                name = f"{r.choice(['苏州', '江苏', '上海', '苏州工业园区'])}{trade}{ind}{form}"
            if name not in self.used:
                self.used.add(name)
                return name, f"{trade}{ind}", trade
        raise RuntimeError("name space exhausted")


def build_world(seed: int, scale: float, start: dt.date, days: int) -> World:
    t0 = dt.datetime.combine(start, dt.time())
    t_end = t0 + dt.timedelta(days=days)
    r = rng(seed, "world")
    names = _Names(rng(seed, "names"))
    used_org: set[str] = set()
    ents: list[Enterprise] = []

    def new_ent(
        category: str, industries: list[str], taicang: bool = True, town: str | None = None
    ) -> Enterprise:
        name, short, trade = names.make(industries, taicang)
        new_style = r.random() < 0.5
        while True:
            org9 = ids.make_org_code(r, new_style)
            if org9 not in used_org:
                used_org.add(org9)
                break
        area = "320585" if taicang else r.choice(["320500", "320000", "310000"])
        if category == "institution":
            uscc = ids.make_uscc(org9, area, head="12")
        else:
            uscc = ids.make_uscc(org9, area)
        regno = None if new_style else ids.make_regno15(r, area if area != "310000" else "310115")
        if taicang and town is None:
            town = r.choice(ref.TOWNS)
        lon, lat = _coord_in(r, town)
        e = Enterprise(
            id=f"ENT{len(ents) + 1:06d}",
            name=name,
            short=short,
            uscc=uscc,
            org9=org9,
            regno15=regno,
            taicang=taicang,
            town=town if taicang else None,
            address=_address(r, town) if taicang else _out_address(r, name),
            lon=lon,
            lat=lat,
            category=category,
            principal=person_name(r),
            phone=_phone(r),
            employees=r.randint(5, 800),
            trade=trade,
        )
        e.updated_at = t0 - dt.timedelta(days=r.randint(1, 700), seconds=r.randint(0, 86399))
        ents.append(e)
        return e

    # --- enterprises -------------------------------------------------------------------
    n_hc = _n(3000, scale, 20)
    hc_towns = ["太仓港经济技术开发区"] * 4 + ["浮桥镇"] * 3 + ref.TOWNS
    for i in range(n_hc):
        carrier = i % 12 == 0
        e = new_ent(
            "hazchem",
            ref.CARRIER_INDUSTRIES if carrier else ref.HAZCHEM_INDUSTRIES,
            town=r.choice(hc_towns),
        )
        e.carrier = carrier
        types = {"运输"} if carrier else set()
        if not carrier:
            for t, p in (("生产", 0.3), ("储存", 0.2), ("经营", 0.4), ("使用", 0.4)):
                if r.random() < p:
                    types.add(t)
            if not types:
                types.add("经营")
        e.hc_types = tuple(t for t in ("生产", "储存", "经营", "使用", "运输") if t in types)
        e.risk = r.choices(["红", "橙", "黄", "蓝"], [0.03, 0.12, 0.35, 0.5])[0]
        e.major_hazard = r.choices(["一级", "二级", "三级", "四级", "无"], [0.01, 0.03, 0.06, 0.1, 0.8])[0]
        e.std_level = r.choices(["一级", "二级", "三级", "未达标"], [0.02, 0.15, 0.7, 0.13])[0]
        e.status = r.choices(["在业", "停产", "停业整顿", "关闭", "注销"], [0.9, 0.04, 0.02, 0.02, 0.02])[0]
    for _ in range(_n(30, scale)):
        new_ent("coach", ref.COACH_INDUSTRIES)
    n_out_carriers = _n(25, scale)
    for _ in range(n_out_carriers):
        e = new_ent("hazchem_out", ref.CARRIER_INDUSTRIES, taicang=False)
        e.carrier = True
    for _ in range(_n(100, scale)):
        new_ent("hazchem_out", ref.HAZCHEM_INDUSTRIES, taicang=False)
    for _ in range(_n(180, scale)):
        new_ent("construction", ref.CONSTRUCTION_INDUSTRIES)
    for _ in range(_n(70, scale)):
        new_ent("construction", ref.CONSTRUCTION_INDUSTRIES, taicang=False)
    for _ in range(_n(150, scale)):
        new_ent("owner", ref.OWNER_INDUSTRIES)
    for _ in range(_n(60, scale)):
        new_ent("lessor", ref.LESSOR_INDUSTRIES, taicang=r.random() < 0.7)
    for _ in range(_n(300, scale)):
        new_ent("property", ref.PROPERTY_INDUSTRIES)
    for _ in range(_n(800, scale)):
        new_ent("manufacturing", ref.MANUFACTURING_INDUSTRIES)
    for name in ref.INSTITUTIONS[: _n(10, scale)]:
        e = new_ent("institution", ["单位"])
        names.used.add(name)
        e.name, e.short = name, name.replace("太仓市", "")

    # branches: a different legal entity, name = head office name + 分公司 suffix
    heads = [e for e in ents if e.category in ("hazchem", "construction", "property", "hazchem_out")]
    n_br = _n(0.05 * len(ents), 1.0)
    for head in r.sample(heads, min(n_br, len(heads))):
        suffix = r.choice(ref.BRANCH_SUFFIXES)
        if not head.taicang:
            suffix = "太仓分公司"
        name = head.name + suffix
        if name in names.used:
            continue
        names.used.add(name)
        while True:
            org9 = ids.make_org_code(r, True)
            if org9 not in used_org:
                used_org.add(org9)
                break
        town = head.town if head.town and r.random() < 0.5 else r.choice(ref.TOWNS)
        lon, lat = _coord_in(r, town)
        b = Enterprise(
            id=f"ENT{len(ents) + 1:06d}",
            name=name,
            short=head.short + suffix.replace("分公司", "") + "分公司",
            uscc=ids.make_uscc(org9, "320585"),
            org9=org9,
            regno15=None,
            taicang=True,
            town=town,
            address=_address(r, town),
            lon=lon,
            lat=lat,
            category="hazchem" if head.category.startswith("hazchem") else head.category,
            is_branch=True,
            head_office_id=head.id,
            principal=person_name(r),
            phone=_phone(r),
            employees=r.randint(3, 120),
            hc_types=("储存", "经营") if head.category.startswith("hazchem") else (),
            carrier=head.carrier,
            trade=head.trade,
        )
        if b.carrier:
            b.hc_types = ("运输",)
        b.updated_at = t0 - dt.timedelta(days=r.randint(1, 700), seconds=r.randint(0, 86399))
        ents.append(b)

    # renames with the same USCC: most before the window, some inside it
    for e in r.sample(ents, max(1, round(0.03 * len(ents)))):
        if e.is_branch or e.category == "institution":
            continue
        new_name = e.name.replace(e.trade, e.trade + r.choice(["精细", "新", "环球", "国际"]), 1)
        if new_name == e.name or new_name in names.used:
            continue
        names.used.add(new_name)
        e.renamed_from, e.name = e.name, new_name
        if r.random() < 0.25:
            e.rename_date = t0 + dt.timedelta(seconds=r.randint(0, days * 86400 - 1))
        else:
            e.rename_date = t0 - dt.timedelta(days=r.randint(30, 700))
        e.updated_at = max(e.updated_at or t0, e.rename_date) if e.rename_date < t0 else e.updated_at

    # 企业编号 for A
    hc_ents = [e for e in ents if e.category == "hazchem"]
    for i, e in enumerate(hc_ents):
        e.hc_code = f"HC{100000 + i * 7 % 900000:06d}"
    carriers = [e for e in ents if e.carrier]

    # --- persons ------------------------------------------------------------------------
    persons: list[Person] = []
    used_idno: set[str] = set()

    def new_person(role: str, name: str | None = None) -> Person:
        while True:
            idno = ids.make_id_number(r, r.randint(1965, 2000))
            if idno not in used_idno:
                used_idno.add(idno)
                break
        p = Person(f"P{len(persons) + 1:07d}", name or person_name(r), idno, role)
        persons.append(p)
        return p

    # --- vehicles ---------------------------------------------------------------------
    vehicles: list[Vehicle] = []
    used_plates: set[str] = set()

    def plate(kind: str, nev: bool = False, local: bool = True) -> str:
        while True:
            if local:
                prov = r.choice(["苏E"] * 4 + ["苏U"])
            else:
                prov = r.choice(["苏F", "苏B", "浙B", "浙F", "沪A", "鲁F", "皖A"])
            if kind == "trailer":
                p = prov + "".join(r.choice("0123456789") for _ in range(4)) + "挂"
            elif nev:
                p = prov + "".join(r.choice("0123456789") for _ in range(5)) + r.choice("DF")
            else:
                s = [r.choice("0123456789") for _ in range(5)]
                if r.random() < 0.5:
                    s[r.randrange(0, 3)] = r.choice(ids.PLATE_LETTERS)
                p = prov + "".join(s)
            if p not in used_plates and ids.plate_valid(p):
                used_plates.add(p)
                return p

    def new_vehicle(kind: str, op: Enterprise, registered: bool) -> Vehicle:
        nev = kind in ("coach", "truck") and r.random() < 0.06
        colour = 93 if nev else 2
        hylb = None
        if registered:
            hylb = "危货运输" if kind != "coach" else r.choice(["班线客运", "旅游包车", "旅游包车"])
        v = Vehicle(
            id=f"VEH{len(vehicles) + 1:06d}",
            plate=plate(kind, nev, local=op.taicang),
            colour=colour,
            kind=kind,
            operator_id=op.id,
            registered=registered,
            clid=f"{32058500000 + len(vehicles) * 37 % 9999999:011d}" if registered else None,
            hylb=hylb,
            dlyszh=f"320585{r.randint(0, 999999):06d}" if registered else None,
            seats=r.choice([33, 39, 45, 49, 53]) if kind == "coach" else None,
            load_kg=r.choice([20000, 25000, 30000, 32000, 35000]) if kind in ("truck", "trailer") else None,
            status=r.choices(["营运", "停运", "注销", "过户"], [0.92, 0.04, 0.03, 0.01])[0]
            if registered
            else "营运",
            review_until=start + dt.timedelta(days=r.randint(-20, 360)),
            updated_at=t0 - dt.timedelta(days=r.randint(1, 400), seconds=r.randint(0, 86399)),
        )
        vehicles.append(v)
        return v

    n_tractors = _n(900, scale, 4)
    n_trucks = _n(600, scale, 2)
    local_carriers = [c for c in carriers if c.taicang]
    out_carriers = [c for c in carriers if not c.taicang]
    weights = list(itertools.accumulate(1.0 / (1 + i % 17) for i in range(len(local_carriers))))
    drivers_of: dict[str, list[str]] = {}
    escorts_of: dict[str, list[str]] = {}
    for _ in range(n_tractors):
        op = r.choices(local_carriers, cum_weights=weights)[0]
        t = new_vehicle("tractor", op, True)
        tr = new_vehicle("trailer", op, r.random() < 0.97)
        t.partner_id = tr.id
    for _ in range(n_trucks):
        new_vehicle("truck", r.choices(local_carriers, cum_weights=weights)[0], r.random() < 0.97)
    # vehicles of out-of-town carriers: never registered in B
    for _ in range(_n(60, scale)):
        op = r.choice(out_carriers)
        t = new_vehicle("tractor", op, False)
        tr = new_vehicle("trailer", op, False)
        t.partner_id = tr.id
    coach_ops = [e for e in ents if e.category == "coach"]
    for _ in range(_n(450, scale, 2)):
        new_vehicle("coach", r.choice(coach_ops), True)
    # drivers / escorts per carrier
    n_veh_of: dict[str, int] = {}
    for v in vehicles:
        if v.kind in ("tractor", "truck"):
            n_veh_of[v.operator_id] = n_veh_of.get(v.operator_id, 0) + 1
    for c in carriers:
        k = n_veh_of.get(c.id, 0)
        if k == 0:
            continue
        drivers_of[c.id] = [new_person("driver").id for _ in range(max(2, round(k * 1.3)))]
        escorts_of[c.id] = [new_person("escort").id for _ in range(max(2, round(k * 1.2)))]

    # --- equipment -------------------------------------------------------------------------
    equipment: list[Equipment] = []
    reg_serial: dict[str, int] = {}
    cert_serial = [0]

    def reg_code(variety: str, when: dt.date) -> str:
        key = f"{variety}{when:%Y%m}"
        reg_serial[key] = reg_serial.get(key, 0) + 1
        return f"{variety}320585{when:%Y%m}{reg_serial[key]:04d}"

    def use_cert(v: tuple, when: dt.date) -> str:
        cert_serial[0] += 1
        return f"{v[4]}{v[0][1:3]}苏E{cert_serial[0]:05d}({when:%y})"

    def new_equipment(v: tuple, manufacturer: str, model: str, load: float | None, site: bool) -> Equipment:
        year = r.randint(2008, 2024)
        mcode = f"{r.randint(10, 65)}{r.randint(1, 999):03d}"
        eq = Equipment(
            id=f"EQ{len(equipment) + 1:07d}",
            variety=v,
            equip_code=f"{v[0]}{mcode}{year}{_serial5(len(equipment) + 1)}",
            manufacturer=manufacturer,
            factory_no=f"{r.choice('ABCDEFGHJKLMNPQRSTUVWXYZ')}{year % 100:02d}{r.randint(0, 99999):05d}",
            model=model,
            rated_load_t=load,
            is_site_device=site,
        )
        equipment.append(eq)
        return eq

    use_units = [
        e for e in ents if e.category in ("property", "manufacturing", "institution", "hazchem", "owner")
    ]
    uu_w = list(itertools.accumulate(3.0 if e.category == "property" else 1.0 for e in use_units))
    n_cranes = _n(800, scale, 4)
    n_se = max(_n(15000, scale, 20) - n_cranes, 10)
    vw = list(itertools.accumulate(v[5] for v in ref.SE_VARIETIES))
    for i in range(n_se):
        v = r.choices(ref.SE_VARIETIES, cum_weights=vw)[0]
        v = v[:5]
        man = r.choice(ref.SE_MANUFACTURERS[v[0][0]])
        load = round(r.choice([0.63, 0.8, 1.0, 1.6, 3.0, 5.0, 10.0]), 2) if v[0][0] in "345" else None
        eq = new_equipment(v, man, f"{v[1][:2]}-{r.randint(1, 99)}", load, False)
        uu = r.choices(use_units, cum_weights=uu_w)[0]
        rd = start - dt.timedelta(days=r.randint(30, 4000))
        town = uu.town or r.choice(ref.TOWNS)
        eq.registrations.append(
            Registration(
                reg_code(v[0], rd),
                use_cert(v, rd),
                rd,
                uu.id,
                r.choices(["在用", "停用", "报废", "注销"], [0.93, 0.04, 0.02, 0.01])[0],
                f"{r.randint(1, 30)}#{'梯' if v[0][0] == '3' else ''}"
                if v[0][0] == "3"
                else f"{v[0][0]}-{i % 97}",
                _address(r, town) + ("" if r.random() < 0.5 else f"{r.randint(1, 30)}幢"),
                town,
            )
        )
        # re-registration (e.g. change of use unit): old registration kept as 注销
        if r.random() < 0.04:
            rd2 = rd + dt.timedelta(days=r.randint(30, 900))
            if rd2 < start:
                old = eq.registrations[-1]
                old.status = "注销"
                uu2 = r.choices(use_units, cum_weights=uu_w)[0]
                eq.registrations.append(
                    Registration(
                        reg_code(v[0], rd2),
                        use_cert(v, rd2),
                        rd2,
                        uu2.id,
                        "在用",
                        old.internal_no,
                        old.address,
                        old.town,
                    )
                )
    # --- construction: projects, cranes & hoists, installations -------------------------------
    contractors = [e for e in ents if e.category == "construction"]
    owners = [e for e in ents if e.category == "owner"] + r.sample(hc_ents, min(len(hc_ents), _n(40, scale)))
    lessors = [e for e in ents if e.category == "lessor"]
    projects: list[Project] = []
    n_proj = _n(340, scale, 3)
    for i in range(n_proj):
        town = r.choice(ref.TOWNS)
        owner = r.choice(owners)
        st = start - dt.timedelta(days=r.randint(10, 900))
        kind = r.choice(
            ["商品房项目", "厂房新建工程", "道路改造工程", "安置房项目", "技改项目", "学校扩建工程"]
        )
        if owner.category == "hazchem":
            name = f"{owner.name.replace('有限公司', '').replace('有限责任公司', '')}{kind}"
        else:
            name = f"太仓市{town}{r.choice(ref.STREETS)}{kind}"
        lon, lat = _coord_in(r, town)
        status = r.choices(["在建", "停工", "未开工", "竣工"], [0.8, 0.07, 0.06, 0.07])[0]
        projects.append(
            Project(
                code=f"320585{st:%Y}{i + 1:06d}",
                name=name,
                permit=f"320585{st:%Y%m%d}{i % 100:02d}{r.choice(['01', '01', '01', '12', '18', '17'])}",
                town=town,
                address=_address(r, town),
                # the platform sends GCJ-02: a constant-ish offset of a few hundred metres
                lon=round(lon + 0.0045, 6),
                lat=round(lat - 0.0021, 6),
                status=status,
                contractor_id=r.choice(contractors).id,
                owner_id=owner.id,
                start=st,
                planned_end=st + dt.timedelta(days=r.randint(300, 1100)),
                updated_at=t0 - dt.timedelta(days=r.randint(1, 60), seconds=r.randint(0, 86399)),
            )
        )
    active = [p for p in projects if p.status in ("在建", "停工")]
    installations: list[Installation] = []
    sn_seen: set[str] = set()

    def device_sn(prefix: str) -> str:
        while True:
            sn = prefix + "".join(r.choice("0123456789ABCDEF") for _ in range(10))
            if sn not in sn_seen:
                sn_seen.add(sn)
                return sn

    self_counter: dict[tuple[str, str], int] = {}

    def self_no(project: str, crane: bool) -> str:
        k = (project, "c" if crane else "h")
        self_counter[k] = self_counter.get(k, 0) + 1
        return f"{self_counter[k]}#{'塔吊' if crane else '施工升降机'}"

    def install(eq: Equipment, p: Project, when: dt.date, lessor: Enterprise) -> Installation:
        crane = eq.variety[0] == "4310"
        contractor = p.contractor_id
        town = p.town
        eq.registrations.append(
            Registration(
                reg_code(eq.variety[0], when),
                use_cert(eq.variety, when),
                when,
                contractor,
                "在用",
                self_no(p.code, crane),
                p.address,
                town,
            )
        )
        inst = Installation(
            device_sn=device_sn("TC" if crane else "SC"),
            equipment_id=eq.id,
            project_code=p.code,
            self_no=eq.registrations[-1].internal_no,
            reg_index=len(eq.registrations) - 1,
            property_unit_id=lessor.id,
            in_date=when,
            out_date=None,
            updated_at=dt.datetime.combine(when, dt.time(9)) + dt.timedelta(seconds=r.randint(0, 30000)),
        )
        installations.append(inst)
        return inst

    site_devices: list[Equipment] = []
    for _ in range(n_cranes):
        crane = r.random() < 0.55
        v = ref.CRANE_VARIETY if crane else ref.HOIST_VARIETY
        man = r.choice(ref.CRANE_MANUFACTURERS if crane else ref.HOIST_MANUFACTURERS)
        model = r.choice(ref.CRANE_MODELS if crane else ref.HOIST_MODELS)
        eq = new_equipment(v, man, model, r.choice([6.0, 8.0, 10.0]) if crane else 2.0, True)
        eq.in_registry = r.random() < 0.93
        lessor = r.choice(lessors)
        site_devices.append(eq)
        # earlier installation elsewhere (a past move): old registration 注销
        if r.random() < 0.3:
            p_old = r.choice(projects)
            old_in = start - dt.timedelta(days=r.randint(400, 900))
            inst = install(eq, p_old, old_in, lessor)
            inst.out_date = old_in + dt.timedelta(days=r.randint(100, 350))
            eq.registrations[inst.reg_index].status = "注销"
        if r.random() < 0.85 and active:
            p = r.choice(active)
            when = max(p.start, start - dt.timedelta(days=r.randint(5, 300)))
            install(eq, p, when, lessor)
        elif eq.registrations:
            pass
        else:
            # idle in the lessor's yard: registered but 停用
            rd = start - dt.timedelta(days=r.randint(30, 500))
            eq.registrations.append(
                Registration(
                    reg_code(v[0], rd),
                    use_cert(v, rd),
                    rd,
                    lessor.id,
                    "停用",
                    "1#",
                    lessor.address,
                    lessor.town or "城厢镇",
                )
            )
    # moves during the window: the crane leaves one project and is installed on another
    moves: list[tuple[dt.datetime, Installation, Installation]] = []
    current = [i for i in installations if i.out_date is None]
    n_moves = max(1, round(len(current) * 0.004 * days))
    for inst in r.sample(current, min(n_moves, len(current))):
        when = t0 + dt.timedelta(seconds=r.randint(3600, days * 86400 - 3 * 3600))
        eq = next(e for e in site_devices if e.id == inst.equipment_id)
        targets = [p for p in active if p.code != inst.project_code]
        if not targets:
            continue
        inst.out_date = when.date()
        old_reg = eq.registrations[inst.reg_index]
        new = install(
            eq, r.choice(targets), when.date(), next(x for x in lessors if x.id == inst.property_unit_id)
        )
        new.updated_at = when + dt.timedelta(minutes=r.randint(1, 50))
        moves.append((when, inst, new))
        old_reg.status = "注销"
        # the registry learns about it later (used only to build the D snapshot as of a date)
        eq.registrations[new.reg_index].reg_date = when.date()

    # inspections (state as of the window; snapshots read them)
    for eq in equipment:
        cat = eq.variety[0][0]
        interval = 365 if cat in "345" else 730
        last = start - dt.timedelta(days=r.randint(1, interval))
        eq.last_insp = last
        eq.next_insp = last + dt.timedelta(days=interval)
        # some overdue devices: next inspection already passed
        if r.random() < 0.06:
            eq.next_insp = start - dt.timedelta(days=r.randint(1, 120))
            eq.last_insp = eq.next_insp - dt.timedelta(days=interval)
        eq.conclusion = r.choice(ref.CONCLUSIONS_VESSEL if cat in "12" else ref.CONCLUSIONS_LIFT)
    # --- dishonest-subject list -------------------------------------------------------------
    entries: list[DishonestEntry] = []
    n_entries = _n(200, scale, 3)
    pool = (
        [e for e in ents if e.carrier] * 3
        + [e for e in ents if e.category == "construction"] * 3
        + [e for e in ents if e.category == "hazchem"]
        + [e for e in ents if e.category == "manufacturing"]
    )
    listed_ents: set[str] = set()
    for i in range(n_entries):
        is_person = r.random() < 0.3
        # ~1.5 % of entries are new during the window
        if r.random() < 0.015 * days:
            seen = t0 + dt.timedelta(seconds=r.randint(0, days * 86400 - 1))
            listed = seen.date() - dt.timedelta(days=r.randint(0, 3))
        else:
            listed = start - dt.timedelta(days=r.randint(20, 1300))
            seen = dt.datetime.combine(
                listed + dt.timedelta(days=r.randint(1, 10)), dt.time(9)
            ) + dt.timedelta(seconds=r.randint(0, 30000))
        while True:
            ent = r.choice(pool)
            if ent.id not in listed_ents:
                listed_ents.add(ent.id)
                break
        if is_person:
            p = new_person("principal", ent.principal)
            ent.principal_person_id = p.id
            sid, stype = p.id, "person"
        else:
            sid, stype = ent.id, "enterprise"
        removed = None
        end = listed + dt.timedelta(days=3 * 365)
        if end < start + dt.timedelta(days=days):
            removed = end
        elif r.random() < 0.1:
            removed = listed + dt.timedelta(days=r.randint(366, 3 * 365 - 1))
            if removed >= start + dt.timedelta(days=days):
                removed = None
        code = r.choice(list(ref.DISHONEST_SITUATIONS))
        entries.append(
            DishonestEntry(
                id=f"SX{320585000000 + i * 13:012d}",
                subject_type=stype,
                subject_id=sid,
                code=code,
                reason=ref.DISHONEST_SITUATIONS[code],
                dept=r.choice(ref.DECIDING_DEPTS),
                listed=listed,
                removed=removed,
                listed_seen=seen,
            )
        )
    # make sure at least one listed carrier and contractor are active during the window
    w = World(
        seed=seed,
        scale=scale,
        start=start,
        days=days,
        enterprises=ents,
        persons=persons,
        vehicles=vehicles,
        equipment=equipment,
        projects=projects,
        installations=installations,
        entries=entries,
        carriers=carriers,
        drivers_of=drivers_of,
        escorts_of=escorts_of,
        moves=moves,
    )
    w.index()
    assert t_end > t0
    return w

"""C. 智慧工地监管平台: hourly JSON Lines (projects, devices, alarms), UTC timestamps."""

from __future__ import annotations

import datetime as dt
import json
import random

from . import reference as ref
from .landing import Landing
from .profile import Profile
from .truth import Drawer, Truth
from .variants import (
    bad_date,
    bad_datetime,
    blank_fields,
    coords_variant,
    ent_mention,
    malformed_key,
    side_rng,
    town_variant,
)
from .world import Installation, World, rng

TZ = dt.timedelta(hours=8)


def utc(t: dt.datetime) -> str:
    return (t - TZ).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Rec:
    """One record with its clean and delivered (quirked) renderings."""

    __slots__ = ("clean", "dataset", "delivered", "key_field", "mentions", "mentions_clean", "quirks", "uid")

    def __init__(self, dataset, key_field, clean, delivered, quirks, mentions, mentions_clean):
        self.dataset = dataset
        self.key_field = key_field
        self.clean = clean
        self.delivered = delivered
        self.quirks = quirks
        self.mentions = mentions
        self.mentions_clean = mentions_clean


def _party(ent, name, code) -> dict:
    return {"name": name, "creditCode": code or None}


def _project(world: World, p, t: dt.datetime, status: str, planned_end: dt.date, dr: Drawer, r: random.Random):
    contractor = world.ent_by_id[p.contractor_id]
    owner = world.ent_by_id[p.owner_id]
    clean = {
        "projectCode": p.code,
        "projectName": p.name,
        "permitNo": p.permit,
        "town": p.town,
        "address": p.address,
        "location": {"lng": p.lon, "lat": p.lat},
        "status": status,
        "contractor": _party(contractor, contractor.name_at(t), contractor.uscc),
        "owner": _party(owner, owner.name_at(t), owner.uscc),
        "startDate": p.start.isoformat(),
        "plannedEndDate": planned_end.isoformat(),
        "updatedAt": utc(t),
    }
    q: list[str] = []
    rec = json.loads(json.dumps(clean))
    cn, cc, cq = ent_mention(dr, r, contractor, t)
    on, oc, oq = ent_mention(dr, r, owner, t)
    rec["contractor"] = _party(contractor, cn, cc)
    rec["owner"] = _party(owner, on, oc)
    rec["town"] = town_variant(dr, r, p.town, q)
    lng, lat = coords_variant(dr, r, p.lon, p.lat, q)
    rec["location"] = {"lng": lng, "lat": lat}
    if dr.hit(r, "end_before_start", q):
        rec["plannedEndDate"] = (p.start - dt.timedelta(days=r.randint(1, 200))).isoformat()
    if dr.hit(r, "code_unknown", q):
        rec["status"] = "施工中"
    if dr.hit(r, "date_in_future", q):
        rec["updatedAt"] = utc(t + dt.timedelta(days=r.randint(30, 300)))
    x = side_rng(world.seed, "project", p.code, t)
    if dr.hit(r, "required_missing", q):
        rec["projectCode"] = ""
    elif dr.hit(x, "key_malformed", q):
        rec["projectCode"] = malformed_key(p.code, x)
    if dr.hit(x, "date_unparseable", q):
        rec["startDate"] = bad_date(p.start)
    blank_fields(dr, x, rec, ["permitNo", "address"], ["projectName"], q)
    ments = [("contractor", "enterprise", contractor.id, cq), ("owner", "enterprise", owner.id, oq)]
    mclean = [(a, b, c, []) for a, b, c, _ in ments]
    return _Rec("construction.project", "projectCode", clean, rec, q, ments, mclean)


def _device(world: World, inst: Installation, t: dt.datetime, out_date, dr: Drawer, r: random.Random, has_code: bool):
    eq = world.eq_by_id[inst.equipment_id]
    reg = eq.registrations[inst.reg_index]
    lessor = world.ent_by_id[inst.property_unit_id]
    crane = eq.variety[0] == "4310"
    clean = {
        "deviceSn": inst.device_sn,
        "projectCode": inst.project_code,
        "type": "TOWER_CRANE" if crane else "HOIST",
        "selfNo": inst.self_no,
        "equipmentCode": eq.equip_code if has_code else None,
        "useRegNo": reg.use_cert,
        "model": eq.model,
        "ratedLoadT": eq.rated_load_t,
        "manufacturer": eq.manufacturer,
        "factoryNo": eq.factory_no,
        "propertyUnit": _party(lessor, lessor.name_at(t), lessor.uscc),
        "inDate": inst.in_date.isoformat(),
        "outDate": out_date.isoformat() if out_date else None,
        "updatedAt": utc(t),
    }
    q: list[str] = []
    rec = dict(clean)
    ln, lc, lq = ent_mention(dr, r, lessor, t)
    rec["propertyUnit"] = _party(lessor, ln, lc)
    if dr.hit(r, "number_as_string", q):
        rec["ratedLoadT"] = str(rec["ratedLoadT"])
    if dr.hit(r, "end_before_start", q, eligible=out_date is not None):
        rec["outDate"] = (inst.in_date - dt.timedelta(days=r.randint(1, 60))).isoformat()
    if dr.hit(r, "date_in_future", q):
        rec["updatedAt"] = utc(t + dt.timedelta(days=r.randint(30, 300)))
    if dr.hit(r, "required_missing", q):
        rec["deviceSn"] = ""
    x = side_rng(world.seed, "device", inst.device_sn, t)
    if dr.hit(x, "date_unparseable", q):
        rec["inDate"] = bad_date(inst.in_date)
    blank_fields(dr, x, rec, ["useRegNo", "model", "selfNo"], [], q)
    ments = [("device", "equipment", eq.id, []), ("property_unit", "enterprise", lessor.id, lq)]
    mclean = [(a, b, c, []) for a, b, c, _ in ments]
    return _Rec("construction.device", "deviceSn", clean, rec, q, ments, mclean)


def _alarm(world: World, aid: str, inst: Installation, t: dt.datetime, dr: Drawer, r: random.Random):
    eq = world.eq_by_id[inst.equipment_id]
    crane = eq.variety[0] == "4310"
    code = r.choice(ref.CRANE_ALARM_CODES if crane else ref.HOIST_ALARM_CODES)
    level = "ALARM" if r.random() < 0.4 else "WARN"
    threshold = {15: 10.8, 16: 1.0}.get(code, 100.0)
    value = round(threshold * (r.uniform(1.0, 1.25) if level == "ALARM" else r.uniform(0.9, 1.0)), 2)
    recovered = t + dt.timedelta(seconds=r.randint(5, 900)) if r.random() < 0.9 else None
    clean = {
        "alarmId": aid,
        "deviceSn": inst.device_sn,
        "alarmCode": code,
        "level": level,
        "value": value,
        "threshold": threshold,
        "occurredAt": utc(t),
        "recoveredAt": utc(recovered) if recovered else None,
    }
    q: list[str] = []
    rec = dict(clean)
    if dr.hit(r, "number_as_string", q):
        rec["value"], rec["threshold"] = str(value), str(threshold)
    if dr.hit(r, "code_unknown", q):
        rec["alarmCode"] = r.choice([99, 0, 999])
    if dr.hit(r, "end_before_start", q, eligible=recovered is not None):
        rec["recoveredAt"] = utc(t - dt.timedelta(seconds=r.randint(10, 600)))
    if dr.hit(r, "date_in_future", q):
        rec["occurredAt"] = utc(t + dt.timedelta(days=r.randint(30, 300)))
    if dr.hit(r, "required_missing", q):
        rec["alarmId"] = ""
    x = side_rng(world.seed, "site-alarm", aid)
    if dr.hit(x, "event_time_unparseable", q):
        rec["occurredAt"] = bad_datetime(t).replace(" ", "T") + "Z"
    blank_fields(dr, x, rec, ["value", "threshold"], [], q)
    ments = [("device", "equipment", eq.id, [])]
    return _Rec("construction.alarm", "alarmId", clean, rec, q, ments, [(a, b, c, []) for a, b, c, _ in ments])


def _dumps(d: dict) -> str:
    return json.dumps(d, ensure_ascii=False, separators=(",", ":"))


def _corrupt(line: str, r: random.Random) -> str:
    k = r.randrange(3)
    if k == 0:
        return line[:-1] + ",}"  # trailing comma
    if k == 1:
        return line.replace('":', ":", 1)  # a key loses its closing quote
    return line.replace('"', "'")  # single quotes


def gen_construction(world: World, landing: Landing, truth: Truth, profile: Profile, last_possible: dt.datetime):
    r = rng(world.seed, "construction")
    qseed = rng(world.seed, "construction-quirks", profile.name)
    drp = Drawer(profile, truth.stats, "construction.project")
    drd = Drawer(profile, truth.stats, "construction.device")
    dra = Drawer(profile, truth.stats, "construction.alarm")
    drl = Drawer(profile, truth.stats, "construction")
    n_hours = world.days * 24
    files: dict[str, list[list[_Rec]]] = {k: [[] for _ in range(n_hours)] for k in ("projects", "devices", "alarms")}
    times: dict[str, list[list[dt.datetime]]] = {k: [[] for _ in range(n_hours)] for k in files}

    def put(kind: str, t: dt.datetime, rec: _Rec) -> None:
        h = int((t - world.t0).total_seconds() // 3600)
        if 0 <= h < n_hours:
            files[kind][h].append(rec)
            times[kind][h].append(t)

    has_code = {i.device_sn: r.random() < 0.7 for i in world.installations}
    # initial full export in the first hour of the window
    first = world.t0 + dt.timedelta(minutes=1)
    for p in world.projects:
        rec = _project(world, p, p.updated_at, p.status, p.planned_end, drp, random.Random(qseed.getrandbits(64)))
        put("projects", first, rec)
    current = [i for i in world.installations if i.out_date is None or i.out_date >= world.start]
    moved_out = {old.device_sn for _, old, _ in world.moves}
    moved_in = {new.device_sn for _, _, new in world.moves}
    for inst in current:
        if inst.device_sn in moved_in:
            continue
        out_date = inst.out_date if inst.device_sn not in moved_out else None
        rec = _device(
            world,
            inst,
            inst.updated_at,
            out_date,
            drd,
            random.Random(qseed.getrandbits(64)),
            has_code[inst.device_sn],
        )
        put("devices", first, rec)
    # project changes during the window
    for p in world.projects:
        status, planned = p.status, p.planned_end
        for d in range(world.days):
            if r.random() < 0.03:
                t = world.t0 + dt.timedelta(days=d, seconds=r.randint(8 * 3600, 20 * 3600))
                if r.random() < 0.5:
                    planned = planned + dt.timedelta(days=r.randint(30, 120))
                else:
                    status = {"在建": "停工", "停工": "在建", "未开工": "在建", "竣工": "竣工"}[status]
                put(
                    "projects",
                    t,
                    _project(world, p, t, status, planned, drp, random.Random(qseed.getrandbits(64))),
                )
    # crane moves: the old installation ends, a new one (new deviceSn, selfNo, useRegNo) starts
    for t, old, new in world.moves:
        put(
            "devices",
            t,
            _device(
                world,
                old,
                t,
                old.out_date,
                drd,
                random.Random(qseed.getrandbits(64)),
                has_code[old.device_sn],
            ),
        )
        put(
            "devices",
            new.updated_at,
            _device(
                world,
                new,
                new.updated_at,
                None,
                drd,
                random.Random(qseed.getrandbits(64)),
                has_code[new.device_sn],
            ),
        )
    # alarms
    seq = 0
    per_day = 2.5
    for d in range(world.days):
        day_start = world.t0 + dt.timedelta(days=d)
        active = [
            i
            for i in world.installations
            if i.in_date <= day_start.date() and (i.out_date is None or i.out_date > day_start.date())
        ]
        for _ in range(round(len(active) * per_day)):
            inst = r.choice(active)
            if r.random() < 0.85:
                t = day_start + dt.timedelta(seconds=r.randint(6 * 3600, 19 * 3600))
            else:
                t = day_start + dt.timedelta(seconds=r.randint(0, 86399))
            seq += 1
            aid = f"TA{t:%Y%m%d}{seq:07d}"
            put("alarms", t, _alarm(world, aid, inst, t, dra, random.Random(qseed.getrandbits(64))))
        if d == world.days - 1 and active:
            # the platform is busy in the last hour: a few alarms always land in it
            for _ in range(3 + round(len(active) * 0.02)):
                inst = r.choice(active)
                t = day_start + dt.timedelta(hours=23, seconds=r.randint(0, 3000))
                seq += 1
                put(
                    "alarms",
                    t,
                    _alarm(world, f"TA{t:%Y%m%d}{seq:07d}", inst, t, dra, random.Random(qseed.getrandbits(64))),
                )
    counts = {"construction.project": 0, "construction.device": 0, "construction.alarm": 0}
    frr = rng(world.seed, "construction-files", profile.name)
    for h in range(n_hours):
        hour_start = world.t0 + dt.timedelta(hours=h)
        for kind in ("projects", "devices", "alarms"):
            order = sorted(range(len(files[kind][h])), key=lambda i, kind=kind, h=h: times[kind][h][i])
            recs = [files[kind][h][i] for i in order]
            rel = f"construction/{kind}_{hour_start:%Y%m%d%H}.jsonl"
            fq: list[str] = []
            last_file = h == n_hours - 1 and kind == "alarms"
            growing = drl.hit(frr, "growing_file", None, eligible=last_file and len(recs) > 1)
            truncated = drl.hit(frr, "truncated_line", fq, eligible=not growing and len(recs) > 0)
            line_r = random.Random(frr.getrandbits(64))
            inv = [drl.hit(line_r, "invalid_json", None) for _ in recs]
            cut_seed = frr.getrandbits(32)

            def render(
                corrected: bool,
                recs=recs,
                rel=rel,
                inv=inv,
                truncated=truncated,
                growing=growing,
                cut_seed=cut_seed,
            ):
                lines, rows = [], []
                cr = random.Random(cut_seed)
                for i, rec in enumerate(recs):
                    err = corrected and any(q in _ERRORS for q in rec.quirks + [x for m in rec.mentions for x in m[3]])
                    d = rec.clean if err else rec.delivered
                    ments = rec.mentions_clean if err else rec.mentions
                    q = [] if err else list(rec.quirks)
                    line = _dumps(d)
                    if inv[i] and not corrected:
                        line = _corrupt(line, cr)
                        q.append("invalid_json")
                    lines.append(line)
                    rows.append([rec.dataset, i + 1, d.get(rec.key_field), q, ments])
                if growing:
                    # still being written: stop in the middle of a line, no trailing newline
                    keep = max(1, len(lines) * 2 // 3)
                    lines, rows = lines[:keep], rows[:keep]
                    last = lines[-1]
                    lines[-1] = last[: max(1, len(last) // 2)]
                    rows[-1][3] = [*rows[-1][3], "growing_file", "truncated_line"]
                    data = "\n".join(lines).encode("utf-8")
                elif truncated and not corrected and lines:
                    last = lines[-1]
                    lines[-1] = last[: max(1, int(len(last) * cr.uniform(0.2, 0.9)))]
                    rows[-1][3] = [*rows[-1][3], "truncated_line"]
                    data = "\n".join(lines).encode("utf-8")
                else:
                    data = ("\n".join(lines) + "\n").encode("utf-8") if lines else b""
                return data, [tuple(x) for x in rows]

            delivered = hour_start + dt.timedelta(hours=1, minutes=2)
            if growing:
                delivered = hour_start + dt.timedelta(minutes=40)
            landing.deliver(
                rel,
                render,
                channel="file",
                group="construction",
                data_date=hour_start.date(),
                delivered_at=delivered,
                last_possible=last_possible,
                complete=not growing,
                encoding="utf-8",
                file_quirks=fq,
            )
            counts[f"construction.{kind[:-1] if kind != 'alarms' else 'alarm'}"] += len(recs)
    return counts


_ERRORS: set[str] = set()


def _init_errors() -> None:
    from .landing import ERROR_QUIRKS

    _ERRORS.update(ERROR_QUIRKS)


_init_errors()

"""B. 两客一危动态监管平台: the data behind the vehicles and alarms endpoints.

Written to ``world/api/transport_vehicles.jsonl`` and ``world/api/transport_alarms.jsonl``,
one *version* per line: ``{"visible_at": "...", "record": {...API record...}}``. The
server shows, at its current "now", the latest version of each record with
``visible_at <= now``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import random
from pathlib import Path

from . import reference as ref
from .hazchem import Waybill
from .profile import Profile
from .truth import Drawer, Truth, fmt_dt
from .variants import bad_date, bad_datetime, blank_fields, coords_variant, ent_mention, side_rng
from .world import World, _coord_in, rng

VEHICLES_ENDPOINT = "/api/v2/vehicles"
ALARMS_ENDPOINT = "/api/v2/alarms"


def _future(r: random.Random, t: dt.datetime) -> str:
    return fmt_dt(t + dt.timedelta(days=r.randint(60, 400), seconds=r.randint(0, 86399)))


def _vehicle_versions(world: World) -> list[tuple[dt.datetime, object, dict]]:
    """(visible_at, vehicle, state) for every version, oldest first."""
    r = rng(world.seed, "vehicle-versions")
    out = []
    for v in world.vehicles:
        if not v.registered:
            continue
        state = {"status": v.status, "review": v.review_until}
        out.append((v.updated_at, v, dict(state)))
        for d in range(world.days):
            if r.random() < 0.015:
                t = world.t0 + dt.timedelta(days=d, seconds=r.randint(7 * 3600, 19 * 3600))
                if r.random() < 0.7:
                    state["review"] = state["review"] + dt.timedelta(days=365)
                else:
                    state["status"] = r.choice(["营运", "停运", "注销"])
                out.append((t, v, dict(state)))
    return out


def gen_transport(world: World, waybills: list[Waybill], world_dir: Path, truth: Truth, profile: Profile) -> dict:
    api = world_dir / "api"
    api.mkdir(parents=True, exist_ok=True)
    counts = {"transport.vehicle": 0, "transport.alarm": 0}
    # ---- vehicles -------------------------------------------------------------------------
    dr = Drawer(profile, truth.stats, "transport.vehicle")
    qr = rng(world.seed, "vehicle-quirks", profile.name)
    lines = []
    versions = _vehicle_versions(world)
    versions.sort(key=lambda x: (x[0], x[1].clid))
    for visible, v, st in versions:
        if visible >= world.t_end:
            continue
        r = random.Random(qr.getrandbits(64))
        q: list[str] = []
        op = world.ent_by_id[v.operator_id]
        name, code, mq = ent_mention(dr, r, op, visible)
        rec = {
            "clid": v.clid,
            "cphm": v.plate,
            "cpys": v.colour,
            "hylb": v.hylb,
            "yhmc": name,
            "yhxydm": code or None,
            "dlyszh": v.dlyszh,
            "zws": v.seats,
            "hdzzl": v.load_kg,
            "clzt": st["status"],
            "njyxq": st["review"].isoformat(),
            "gxsj": fmt_dt(visible),
        }
        if dr.hit(r, "number_as_string", q, eligible=v.seats is not None or v.load_kg is not None):
            for k in ("zws", "hdzzl"):
                if rec[k] is not None:
                    rec[k] = str(rec[k])
        if dr.hit(r, "code_unknown", q):
            rec["hylb"] = r.choice(["普通货运", "危险品"])
        if dr.hit(r, "date_in_future", q):
            rec["gxsj"] = _future(r, visible)
        x = side_rng(world.seed, "vehicle", v.id, visible)
        if dr.hit(r, "required_missing", q):
            r.random()
            rec["clid"] = ""
        if dr.hit(x, "date_unparseable", q):
            rec["njyxq"] = bad_date(st["review"])
        blank_fields(dr, x, rec, ["dlyszh", "njyxq"], ["cphm"], q)
        lines.append(json.dumps({"visible_at": fmt_dt(visible), "uid": v.id, "record": rec}, ensure_ascii=False))
        truth.add(
            "transport.vehicle",
            "api:" + VEHICLES_ENDPOINT,
            None,
            None,
            rec["clid"],
            rec["gxsj"],
            q,
            [("vehicle", "vehicle", v.id, []), ("operator", "enterprise", op.id, mq)],
        )
        counts["transport.vehicle"] += 1
    p_veh = api / "transport_vehicles.jsonl"
    p_veh.write_text("\n".join(lines) + "\n", "utf-8")

    # ---- alarms ---------------------------------------------------------------------------------
    r = rng(world.seed, "alarms")
    terminals = [v for v in world.vehicles if v.registered and v.kind in ("tractor", "truck", "coach")]
    moving = [v for v in terminals if v.status == "营运"] or terminals
    bj_cum = list(itertools.accumulate(b[2] for b in ref.BJLX))
    n_day = max(1, round(20000 * world.scale))
    alarms: list[tuple] = []  # (kssj, vehicle, bjlx, bjmc, duration_s, handled_after_s|None, clzt_final)
    by_day: dict[int, int] = {}
    # speeding / fatigue inside waybill windows
    for wb in waybills:
        veh = world.veh_by_id[wb.tractor_id]
        if not veh.registered or wb.arrive is None or r.random() > 0.25:
            continue
        span = (wb.arrive - wb.depart).total_seconds()
        k = wb.depart + dt.timedelta(seconds=r.uniform(0, max(span - 60, 1)))
        if k >= world.t_end:
            continue
        code = r.choice([(1, "超速报警"), (2, "疲劳驾驶报警"), ("6501", "疲劳驾驶报警")])
        alarms.append((k, veh, code[0], code[1]))
        d = (k - world.t0).days
        by_day[d] = by_day.get(d, 0) + 1
    for d in range(world.days):
        for _ in range(max(0, n_day - by_day.get(d, 0))):
            k = world.t0 + dt.timedelta(days=d, seconds=r.randint(0, 86399))
            b = r.choices(ref.BJLX, cum_weights=bj_cum)[0]
            alarms.append((k, r.choice(moving), b[0], b[1]))
    alarms.sort(key=lambda a: (a[0], a[1].id))
    dra = Drawer(profile, truth.stats, "transport.alarm")
    qr = rng(world.seed, "alarm-quirks", profile.name)
    seq: dict[dt.date, int] = {}
    versions_out: list[tuple[dt.datetime, str, dict]] = []
    for k, veh, bjlx, bjmc in alarms:
        day = k.date()
        seq[day] = seq.get(day, 0) + 1
        bjid = f"BJ{day:%Y%m%d}{seq[day]:07d}"
        ar = random.Random(r.getrandbits(64))
        dur = ar.randint(5, 900)
        open_at_first = ar.random() < 0.3
        handled = ar.random() < 0.7
        h_after = ar.randint(600, 20 * 3600) if handled else None
        final_clzt = (2 if ar.random() < 0.1 else 1) if handled else 0
        lon, lat = _coord_in(ar, ar.choice(ref.TOWNS))
        speeding = bjlx == 1
        limit = ar.choice([60, 80, 100]) if speeding else None
        base = {
            "bjid": bjid,
            "cphm": veh.plate,
            "cpys": veh.colour,
            "bjlx": bjlx,
            "bjmc": bjmc,
            "kssj": fmt_dt(k),
            "jssj": fmt_dt(k + dt.timedelta(seconds=dur)),
            "zgsd": (limit + ar.randint(3, 40)) if speeding else None,
            "xs": limit,
            "jd": lon,
            "wd": lat,
            "clzt": 0,
            "gxsj": None,
        }
        first_t = k + dt.timedelta(seconds=ar.randint(1, 120))
        states = []
        handled_t = k + dt.timedelta(seconds=dur + h_after) if handled else None
        # re-sent only when the handling happens inside the window (otherwise nobody sees it)
        resent = dra.hit(ar, "alarm_resent", None, eligible=handled_t is not None and handled_t < world.t_end)
        if handled and resent:
            s1 = dict(base)
            if open_at_first:
                s1["jssj"] = None
            states.append((first_t, s1))
        if handled:
            s2 = dict(base, clzt=final_clzt)
            states.append((handled_t, s2))
        else:
            states.append((k + dt.timedelta(seconds=dur + ar.randint(1, 60)), dict(base)))
        states = [(t, s) for t, s in states if t < world.t_end]
        if not states and handled:
            # handling falls after the window: the first state is what the platform shows
            s1 = dict(base)
            if open_at_first:
                s1["jssj"] = None
            states = [(first_t, s1)] if first_t < world.t_end else []
        # quirks are a property of the alarm (same on every version)
        qs = ar.getrandbits(64)
        for i, (t, s) in enumerate(states):
            qrr = random.Random(qs)
            q: list[str] = ["alarm_resent"] if (resent and i == 1) else []
            s["gxsj"] = fmt_dt(t)
            if dra.hit(qrr, "number_as_string", q):
                for key in ("zgsd", "xs", "jd", "wd"):
                    if s[key] is not None:
                        s[key] = str(s[key])
            jd, wd = coords_variant(dra, qrr, float(s["jd"]), float(s["wd"]), q)
            if "coords_swapped" in q or "coords_out_of_box" in q:
                s["jd"], s["wd"] = (str(jd), str(wd)) if isinstance(s["jd"], str) else (jd, wd)
            if dra.hit(qrr, "end_before_start", q, eligible=s["jssj"] is not None):
                s["jssj"] = fmt_dt(k - dt.timedelta(seconds=qrr.randint(10, 600)))
            if dra.hit(qrr, "code_unknown", q):
                s["bjlx"] = qrr.choice([99, "6599"])
            if dra.hit(qrr, "date_in_future", q):
                s["gxsj"] = _future(qrr, t)
            if dra.hit(qrr, "required_missing", q):
                s["bjid"] = ""
            x = side_rng(world.seed, "alarm", bjid)
            if dra.hit(x, "event_time_unparseable", q):
                s["kssj"] = bad_datetime(k)
            blank_fields(dra, x, s, ["bjmc"], ["bjlx"], q)
            versions_out.append((t, bjid, s))
            truth.add(
                "transport.alarm",
                "api:" + ALARMS_ENDPOINT,
                None,
                None,
                s["bjid"],
                s["gxsj"],
                q,
                [("vehicle", "vehicle", veh.id, [])],
            )
            counts["transport.alarm"] += 1
    versions_out.sort(key=lambda x: (x[0], x[1]))
    p_al = api / "transport_alarms.jsonl"
    with p_al.open("w", encoding="utf-8") as f:
        for t, uid, s in versions_out:
            f.write(json.dumps({"visible_at": fmt_dt(t), "uid": uid, "record": s}, ensure_ascii=False))
            f.write("\n")
    return {"counts": counts, "files": {"transport.vehicle": p_veh, "transport.alarm": p_al}}

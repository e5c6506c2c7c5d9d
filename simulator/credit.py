"""E. 信用太仓 · 安全生产严重失信主体名单: data behind /openapi/credit/dishonest.

``world/api/credit_dishonest.jsonl``: one version per line,
``{"visible_at": ..., "uid": entry id, "deleted": bool, "record": {...}}``. A deleted
version means the entry disappeared from the list at ``visible_at``.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

from . import ids
from .profile import Profile
from .truth import Drawer, Truth, fmt_dt
from .variants import bad_date, blank_fields, ent_mention, side_rng
from .world import World, rng

ENDPOINT = "/openapi/credit/dishonest"


def gen_credit(world: World, world_dir: Path, truth: Truth, profile: Profile) -> dict:
    api = world_dir / "api"
    api.mkdir(parents=True, exist_ok=True)
    dr = Drawer(profile, truth.stats, "credit.dishonest_entry")
    qr = rng(world.seed, "credit-quirks", profile.name)
    out: list[tuple[dt.datetime, str, bool, dict | None]] = []
    n = 0
    for e in world.entries:
        r = random.Random(qr.getrandbits(64))
        versions: list[tuple[dt.datetime, bool, dict | None, list[str]]] = []
        base_t = e.listed_seen
        removed_t = None
        if e.removed:
            removed_t = dt.datetime.combine(e.removed, dt.time(10)) + dt.timedelta(seconds=r.randint(0, 20000))
        comes_back = dr.hit(r, "entry_removed", None, eligible=removed_t is not None and removed_t < world.t_end)
        if base_t < world.t_end:
            versions.append((base_t, False, {"zt": "有效", "ycrq": None}, []))
        if removed_t is not None and removed_t < world.t_end:
            if comes_back:
                versions.append((removed_t, False, {"zt": "已移出", "ycrq": e.removed.isoformat()}, ["entry_removed"]))
            else:
                versions.append((removed_t, True, None, []))
        # only versions a poller could see during the window
        keep = []
        for i, v in enumerate(versions):
            nxt = versions[i + 1][0] if i + 1 < len(versions) else None
            if nxt is not None and nxt <= world.t0:
                continue
            keep.append(v)
        qs = r.getrandbits(64)
        for t, deleted, st, extra in keep:
            if deleted:
                out.append((t, e.id, True, None))
                continue
            qrr = random.Random(qs)
            q: list[str] = list(extra)
            ments = []
            if e.subject_type == "enterprise":
                ent = world.ent_by_id[e.subject_id]
                name, code, mq = ent_mention(dr, qrr, ent, t)
                ztlx = "法人及非法人组织"
                ments.append(("subject", "enterprise", ent.id, mq))
            else:
                p = world.person_by_id[e.subject_id]
                name, code = p.name, ids.mask_id(p.id_number)
                ztlx = "自然人"
                ments.append(("subject", "person", p.id, []))
            rec = {
                "id": e.id,
                "ztmc": name,
                "ztlx": ztlx,
                "tyshxydm": code or None,
                "lrqx": e.code,
                "lrsy": e.reason,
                "rdbm": e.dept,
                "lrrq": e.listed.isoformat(),
                "yxqz": (e.listed + dt.timedelta(days=3 * 365)).isoformat(),
                "zt": st["zt"],
                "ycrq": st["ycrq"],
                "gxsj": fmt_dt(t),
            }
            if dr.hit(qrr, "code_unknown", q):
                rec["lrqx"] = "C9"
            if dr.hit(qrr, "end_before_start", q, eligible=rec["ycrq"] is not None):
                rec["ycrq"] = (e.listed - dt.timedelta(days=qrr.randint(1, 90))).isoformat()
            if dr.hit(qrr, "date_in_future", q):
                rec["gxsj"] = fmt_dt(t + dt.timedelta(days=qrr.randint(60, 400)))
            if dr.hit(qrr, "required_missing", q):
                rec["ztmc" if qrr.random() < 0.7 else "id"] = ""
            x = side_rng(world.seed, "credit", e.id)
            if dr.hit(x, "date_unparseable", q):
                rec["lrrq"] = bad_date(e.listed)
            blank_fields(dr, x, rec, ["lrsy", "rdbm", "yxqz"], ["ztlx"], q)
            out.append((t, e.id, False, rec))
            truth.add("credit.dishonest_entry", "api:" + ENDPOINT, None, None, rec["id"], rec["gxsj"], q, ments)
            n += 1
    out.sort(key=lambda x: (x[0], x[1]))
    p = api / "credit_dishonest.jsonl"
    with p.open("w", encoding="utf-8") as f:
        for t, uid, deleted, rec in out:
            f.write(
                json.dumps(
                    {"visible_at": fmt_dt(t), "uid": uid, "deleted": deleted, "record": rec},
                    ensure_ascii=False,
                )
            )
            f.write("\n")
    return {"counts": {"credit.dishonest_entry": n}, "files": {"credit.dishonest_entry": p}}

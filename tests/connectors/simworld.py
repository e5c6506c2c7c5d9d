"""Helpers over the simulator's world (what its APIs serve, its ground truth) for connector tests."""

import datetime as dt
import json
from pathlib import Path

FMT = "%Y-%m-%d %H:%M:%S"


def api_view(world: Path, name: str, now: dt.datetime) -> dict[str, dict]:
    """What the simulated API serves at `now`: the latest visible version of every record, by uid."""
    out: dict[str, dict] = {}
    for line in (world / "api" / f"{name}.jsonl").read_text("utf-8").splitlines():
        if not line.strip():
            continue
        v = json.loads(line)
        if v["visible_at"] > now.strftime(FMT):
            break
        if v.get("deleted"):
            out.pop(v["uid"], None)
        else:
            out[v["uid"]] = v["record"]
    return out


def window(world: Path) -> tuple[dt.datetime, dt.datetime]:
    meta = json.loads((world / "world.json").read_text("utf-8"))
    return dt.datetime.fromisoformat(meta["window_start"]), dt.datetime.fromisoformat(meta["window_end"])

"""simulate(): build the world, render the five systems, write ground truth."""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .landing import Landing
from .profile import Profile
from .truth import Truth
from .world import World, build_world, rng

DATASETS = [
    "hazchem.enterprise",
    "hazchem.waybill",
    "transport.vehicle",
    "transport.alarm",
    "construction.project",
    "construction.device",
    "construction.alarm",
    "special_equipment.equipment",
    "special_equipment.inspection",
    "credit.dishonest_entry",
]


@dataclass
class SimulationSummary:
    landing_dir: Path
    world_dir: Path
    seed: int
    scale: float
    days: int
    start: dt.date
    profile: str
    counts: dict[str, int] = field(default_factory=dict)  # records delivered per dataset id
    files: list[Path] = field(default_factory=list)  # landing files written
    truth_files: dict[str, Path] = field(default_factory=dict)
    api_files: dict[str, Path] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def landing_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.files if p.exists())


def _check_dirs(landing_dir: Path, world_dir: Path) -> None:
    lr, wr = landing_dir.resolve(), world_dir.resolve()
    if wr == lr or lr in wr.parents:
        raise ValueError("world_dir (ground truth) must not be inside landing_dir")


def simulate(
    landing_dir: Path,
    world_dir: Path,
    *,
    days: int = 3,
    scale: float = 1.0,
    seed: int = 1,
    profile: str | Profile = "realistic",
    start: dt.date | None = None,
    overrides: dict[str, float] | None = None,
) -> SimulationSummary:
    """Write landing-zone deliveries for A, C, D under ``landing_dir`` and the ground
    truth plus the data behind the B and E APIs under ``world_dir``."""
    from . import construction, credit, hazchem, special_equipment, transport

    t_start = time.perf_counter()
    landing_dir, world_dir = Path(landing_dir), Path(world_dir)
    _check_dirs(landing_dir, world_dir)
    if days < 1:
        raise ValueError("days must be >= 1")
    if start is None:
        start = dt.date.today() - dt.timedelta(days=days)
    prof = profile if isinstance(profile, Profile) else Profile.named(profile, overrides)
    if isinstance(profile, Profile) and overrides:
        prof = Profile(
            prof.name, {**prof.rates, **overrides}, prof.rate_limit_rps, prof.slow_delay_s, prof.retry_after_s
        )
    landing_dir.mkdir(parents=True, exist_ok=True)
    world_dir.mkdir(parents=True, exist_ok=True)
    prof.save(world_dir / "profile.json")

    world = build_world(seed, scale, start, days)
    truth = Truth()
    landing = Landing(landing_dir, world_dir, truth, prof, rng(seed, "landing", prof.name))
    # the last moment a (late / re-)delivery for this window can arrive
    last_possible = world.t_end + dt.timedelta(hours=2)
    counts: dict[str, int] = dict.fromkeys(DATASETS, 0)

    waybills = hazchem.build_waybills(world)
    counts["hazchem.enterprise"] = hazchem.gen_qyxx(world, landing, truth, prof, last_possible)
    counts["hazchem.waybill"] = hazchem.gen_dzyd(world, waybills, landing, truth, prof, last_possible)
    api: dict[str, Path] = {}
    c = transport.gen_transport(world, waybills, world_dir, truth, prof)
    counts.update(c["counts"])
    api.update(c["files"])
    counts.update(construction.gen_construction(world, landing, truth, prof, last_possible))
    counts.update(special_equipment.gen_special_equipment(world, landing, truth, prof, last_possible))
    c = credit.gen_credit(world, world_dir, truth, prof)
    counts.update(c["counts"])
    api.update(c["files"])

    # records delivered per dataset (identical re-drops and superseded versions not counted)
    counts = dict.fromkeys(DATASETS, 0)
    for row in truth.rows:
        if row[10]:
            counts[row[0]] += 1
    truth_files = truth.write(world_dir / "truth")
    truth_files.update(_write_entities(world, world_dir / "truth"))
    meta = {
        "seed": seed,
        "scale": scale,
        "days": days,
        "start": start.isoformat(),
        "window_start": world.t0.isoformat(sep=" "),
        "window_end": world.t_end.isoformat(sep=" "),
        "profile": prof.name,
        "counts": counts,
        "timezone": "Asia/Shanghai (all naive times are Beijing time)",
    }
    (world_dir / "world.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), "utf-8")
    return SimulationSummary(
        landing_dir=landing_dir,
        world_dir=world_dir,
        seed=seed,
        scale=scale,
        days=days,
        start=start,
        profile=prof.name,
        counts=counts,
        files=sorted(landing.files),
        truth_files=truth_files,
        api_files=api,
        seconds=time.perf_counter() - t_start,
    )


def _write_entities(world: World, truth_dir: Path) -> dict[str, Path]:
    out = {}
    ents = world.enterprises
    t = pa.table(
        {
            "enterprise_id": [e.id for e in ents],
            "name": [e.name for e in ents],
            "short_name": [e.short for e in ents],
            "uscc": [e.uscc for e in ents],
            "org_code": [e.org9 for e in ents],
            "reg_no15": [e.regno15 for e in ents],
            "is_branch": [e.is_branch for e in ents],
            "head_office_id": [e.head_office_id for e in ents],
            "town": [e.town for e in ents],
            "in_taicang": [e.taicang for e in ents],
            "category": [e.category for e in ents],
            "hc_code": [e.hc_code for e in ents],
            "renamed_from": [e.renamed_from for e in ents],
            "rename_date": pa.array([e.rename_date for e in ents], pa.timestamp("s")),
            "principal": [e.principal for e in ents],
        }
    )
    out["enterprises"] = truth_dir / "enterprises.parquet"
    pq.write_table(t, out["enterprises"])
    vs = world.vehicles
    t = pa.table(
        {
            "vehicle_id": [v.id for v in vs],
            "plate": [v.plate for v in vs],
            "colour_code": pa.array([v.colour for v in vs], pa.int32()),
            "kind": [v.kind for v in vs],
            "operator_id": [v.operator_id for v in vs],
            "registered_in_b": [v.registered for v in vs],
            "clid": [v.clid for v in vs],
            "status": [v.status for v in vs],
            "trailer_id": [v.partner_id for v in vs],
        }
    )
    out["vehicles"] = truth_dir / "vehicles.parquet"
    pq.write_table(t, out["vehicles"])
    eqs = world.equipment
    cur = [e.registrations[-1] if e.registrations else None for e in eqs]
    t = pa.table(
        {
            "equipment_id": [e.id for e in eqs],
            "equipment_code": [e.equip_code for e in eqs],
            "variety_code": [e.variety[0] for e in eqs],
            "variety_name": [e.variety[1] for e in eqs],
            "manufacturer": [e.manufacturer for e in eqs],
            "factory_no": [e.factory_no for e in eqs],
            "model": [e.model for e in eqs],
            "is_site_device": [e.is_site_device for e in eqs],
            "in_registry": [e.in_registry for e in eqs],
            "reg_codes": [[g.reg_code for g in e.registrations] for e in eqs],
            "use_cert_nos": [[g.use_cert for g in e.registrations] for e in eqs],
            "current_reg_code": [c.reg_code if c else None for c in cur],
            "current_use_cert_no": [c.use_cert if c else None for c in cur],
            "current_use_unit_id": [c.use_unit_id if c else None for c in cur],
            "next_inspection": pa.array([e.next_insp for e in eqs], pa.date32()),
        }
    )
    out["equipment"] = truth_dir / "equipment.parquet"
    pq.write_table(t, out["equipment"])
    ps = world.persons
    t = pa.table(
        {
            "person_id": [p.id for p in ps],
            "name": [p.name for p in ps],
            "id_number": [p.id_number for p in ps],
            "role": [p.role for p in ps],
        }
    )
    out["persons"] = truth_dir / "persons.parquet"
    pq.write_table(t, out["persons"])
    ins = world.installations
    t = pa.table(
        {
            "device_sn": [i.device_sn for i in ins],
            "equipment_id": [i.equipment_id for i in ins],
            "project_code": [i.project_code for i in ins],
            "property_unit_id": [i.property_unit_id for i in ins],
            "in_date": pa.array([i.in_date for i in ins], pa.date32()),
            "out_date": pa.array([i.out_date for i in ins], pa.date32()),
        }
    )
    out["installations"] = truth_dir / "installations.parquet"
    pq.write_table(t, out["installations"])
    es = world.entries
    t = pa.table(
        {
            "entry_id": [e.id for e in es],
            "subject_type": [e.subject_type for e in es],
            "subject_id": [e.subject_id for e in es],
            "listed_on": pa.array([e.listed for e in es], pa.date32()),
            "removed_on": pa.array([e.removed for e in es], pa.date32()),
        }
    )
    out["dishonest_entries"] = truth_dir / "dishonest_entries.parquet"
    pq.write_table(t, out["dishonest_entries"])
    return out

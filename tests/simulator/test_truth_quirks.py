"""Quirk rates, clean profile, ground-truth consistency, determinism, CLI, replay."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections import Counter

import pyarrow.parquet as pq
from trees import tree_hash
from typer.testing import CliRunner

from simulator import QUIRKS, Profile, replay, simulate
from simulator.cli import app
from simulator.ids import USCC_RE, id_valid, uscc_valid
from simulator.profile import READER_REJECT

START = dt.date(2026, 11, 23)


def _within(applied: int, n: int, p: float) -> bool:
    sd = math.sqrt(n * p * (1 - p))
    return abs(applied - n * p) <= 4 * sd + 2


def test_every_quirk_has_a_rate_and_occurs(realistic, hostile):
    prof = Profile.named("realistic")
    # variants only the spec profile draws (tests/simulator/test_spec_profile.py shows each of them)
    spec_only = {q for q in QUIRKS if prof.rate(q) == 0}
    assert spec_only and all(Profile.named("spec").rate(q) > 0 for q in spec_only)
    assert set(QUIRKS) - spec_only <= {k.split("@")[0] for k in prof.rates}
    stats = realistic.stats
    assert (stats.eligible > 0).any()
    # each rate-driven quirk with a non-zero rate is applied at least once in realistic or hostile
    applied = set(stats[stats.applied > 0].quirk) | set(hostile.stats[hostile.stats.applied > 0].quirk)
    api = {q for q, v in QUIRKS.items() if v.scope == "request"}
    missing = set(QUIRKS) - applied - api - spec_only
    assert not missing, missing


def test_catalogue_outcomes_follow_the_severity_policy():
    """docs: /work/briefs/policy.md — quarantine only for a missing / unreadable key, an alarm or inspection
    without its time or device, and a failed check character on the driver's / escort's ID or the CAS."""
    quarantine = {q for q, v in QUIRKS.items() if v.outcome == "quarantine"}
    assert quarantine == {
        "id_bad_check",
        "cas_bad_check",
        "required_missing",
        "reg_code_numeric",
        "key_malformed",
        "reg_code_malformed",
        "event_time_unparseable",
    }
    for q in (
        "uscc_garbage",
        "uscc_bad_check",
        "uscc_numeric_lost",
        "plate_invalid",
        "plate_no_province",
        "driver_is_escort",
        "town_unknown",
        "coords_out_of_box",
        "coords_swapped",
        "date_in_future",
        "end_before_start",
        "code_unknown",
        "number_format",
        "required_blank",
        "date_unparseable",
        "equipment_code_numeric",
    ):
        assert QUIRKS[q].outcome == "warn", q
    for q in ("equipment_code_blank", "optional_blank", "unit_cells_merged", "uscc_numeric_exact"):
        assert QUIRKS[q].outcome == "accept", q


def test_observed_rates_match_configured(realistic, hostile):
    for run in (realistic, hostile):
        prof = Profile.load(run.world / "profile.json")
        checked = 0
        for row in run.stats.itertuples():
            p = prof.rate(row.quirk, row.dataset)
            if row.eligible == 0:
                continue
            assert _within(row.applied, row.eligible, p), (
                row.dataset,
                row.quirk,
                row.applied,
                row.eligible,
                p,
            )
            checked += row.eligible >= 200 and p > 0
        assert checked > 40


def test_truth_counts_equal_draws(realistic):
    """Quirks recorded in rows/mentions of the original renders equal the draws."""
    run = realistic
    orig = set(run.deliveries[run.deliveries.kind.isin(["new", "late"])].delivery_id)
    rows = run.rows[run.rows.delivery_id.isin(orig) | run.rows.delivery_id.isna()]
    ments = run.mentions[run.mentions.delivery_id.isin(orig) | run.mentions.delivery_id.isna()]
    rec_counts: Counter = Counter()
    for ds, qs in zip(rows.dataset, rows.quirks, strict=True):
        for q in set(qs):
            if QUIRKS[q].scope == "record" if q in QUIRKS else False:
                rec_counts[(ds, q)] += 1
    men_counts: Counter = Counter()
    for ds, qs in zip(ments.dataset, ments.quirks, strict=True):
        for q in qs:
            men_counts[(ds, q)] += 1
    for row in run.stats.itertuples():
        q = QUIRKS[row.quirk]
        if q.scope not in ("record", "mention") or q.outcome == "structural" or row.quirk == "reregistered_duplicate":
            continue
        got = (rec_counts if q.scope == "record" else men_counts)[(row.dataset, row.quirk)]
        if row.dataset == "construction.alarm":
            assert got <= row.applied  # the growing file lost its unwritten tail
        else:
            assert got == row.applied, (row.dataset, row.quirk, got, row.applied)


def test_clean_profile_has_no_quirks(clean):
    run = clean
    assert (run.stats.applied == 0).all()
    assert run.rows.quirks.map(len).sum() == 0
    assert (run.rows.expected == "accept").all()
    assert run.mentions.quirks.map(len).sum() == 0
    d = run.deliveries
    assert set(d.kind) <= {"new", "marker"} and d.complete.all()
    assert not any("~$" in p for p in d.path)
    for p in run.landing.rglob("*.csv"):
        assert not p.read_bytes().startswith(b"\xef\xbb\xbf")
        assert (p.with_name(p.name + ".ok")).exists()
    # identifiers are valid in clean deliveries
    ents = run.enterprises
    assert ents.uscc.map(uscc_valid).all()
    assert run.persons.id_number.map(id_valid).all()


def test_outcomes_follow_quirks(realistic):
    rows = realistic.rows
    for exp, reasons, warnings, quirks in zip(rows.expected, rows.reasons, rows.warnings, rows.quirks, strict=True):
        rules = {QUIRKS[q].rule for q in quirks if q in QUIRKS and QUIRKS[q].outcome == "quarantine"}
        rejects = {QUIRKS[q].rule for q in quirks if q in QUIRKS and QUIRKS[q].outcome == READER_REJECT}
        assert set(reasons) == rules | rejects
        assert exp == ("reader_reject" if rejects else "quarantine" if rules else "accept")
        assert set(warnings) == {QUIRKS[q].rule for q in quirks if q in QUIRKS and QUIRKS[q].outcome == "warn"}
    share = (rows.expected == "accept").mean()
    assert share > 0.93  # most rows pass in the realistic profile


def test_ground_truth_consistency(realistic):
    run = realistic
    ents = run.enterprises.set_index("enterprise_id")
    m = run.mentions
    # every enterprise mention maps to exactly one true enterprise
    em = m[m.entity_type == "enterprise"]
    assert em.entity_id.isin(ents.index).all()
    key = ["delivery", "delivery_id", "record_number", "record_key", "gxsj", "role"]
    assert not em.fillna({"delivery_id": -1, "record_number": -1, "gxsj": ""}).duplicated(key).any()
    assert m[m.entity_type == "vehicle"].entity_id.isin(run.vehicles.vehicle_id).all()
    assert m[m.entity_type == "equipment"].entity_id.isin(run.equipment.equipment_id).all()
    assert m[m.entity_type == "person"].entity_id.isin(run.persons.person_id).all()
    # branches are distinct legal entities from their head offices
    br = ents[ents.is_branch]
    assert len(br) > 10
    for eid, b in br.iterrows():
        head = ents.loc[b.head_office_id]
        assert eid != b.head_office_id and b.uscc != head.uscc and not head.is_branch
        # (a head office renamed later keeps branches under its former name)
        assert b["name"].startswith((head["name"], head.renamed_from or head["name"]))
        assert b["name"].endswith("分公司")
    assert ents.uscc.is_unique and ents.uscc.map(uscc_valid).all() and ents.uscc.map(USCC_RE.match).all()
    # branches do appear as shippers / carriers / contractors
    roles = m[m.entity_id.isin(br.index)].role.unique()
    assert len(roles) >= 2
    # every file record has exactly one rows entry
    files = run.rows[run.rows.record_number.notna()]
    assert not files.duplicated(["delivery_id", "dataset", "record_number"]).any()
    # every record has at least one mention
    keys_r = set(
        zip(
            run.rows.delivery_id.fillna(-1),
            run.rows.record_number.fillna(-1),
            run.rows.record_key,
            strict=True,
        )
    )
    keys_m = set(zip(m.delivery_id.fillna(-1), m.record_number.fillna(-1), m.record_key, strict=True))
    assert keys_r == keys_m
    # cross-system links: the same enterprises appear in several systems
    systems = m[m.entity_type == "enterprise"].assign(sys=lambda x: x.dataset.str.split(".").str[0])
    multi = systems.groupby("entity_id").sys.nunique()
    assert (multi >= 3).sum() > 5
    # cranes in C are the same machines as in D
    dev = set(m[m.dataset == "construction.device"].entity_id)
    se = set(m[m.dataset == "special_equipment.equipment"].entity_id)
    assert len(dev & se) > 0.8 * len(dev)


def test_redeliveries_and_replay(hostile, tmp_path):
    run = hostile
    d = run.deliveries
    kinds = Counter(d.kind)
    assert kinds["redelivery_identical"] > 0 and kinds["corrected"] > 0 and kinds["late"] > 0
    rows = run.rows
    ident = set(d[d.kind == "redelivery_identical"].delivery_id)
    r_ident = rows[rows.delivery_id.isin(ident)]
    assert len(r_ident) and r_ident.quirks.map(lambda q: "redelivery_identical" in q).all()
    assert not r_ident.effective.any()
    sup = set(d[d.kind == "corrected"].supersedes)
    assert rows[rows.delivery_id.isin(sup)].quirks.map(lambda q: "superseded" in q).all()
    late = set(d[d.kind == "late"].delivery_id)
    assert rows[rows.delivery_id.isin(late)].quirks.map(lambda q: "late_file" in q).all()
    # corrected files carry no errors; superseded originals are kept for replay
    corr = d[d.kind == "corrected"].iloc[0]
    orig = d[d.delivery_id == corr.supersedes].iloc[0]
    assert (run.landing / corr.path).read_bytes() != (run.world / orig.stored_copy).read_bytes()
    before = tmp_path / "before"
    replay(run.landing, run.world, before, orig.delivered_at)
    assert hashlib.sha256((before / orig.path).read_bytes()).hexdigest() == orig.sha256
    after = tmp_path / "after"
    replay(run.landing, run.world, after, corr.delivered_at)
    assert hashlib.sha256((after / corr.path).read_bytes()).hexdigest() == corr.sha256


def test_determinism(tmp_path):
    a = simulate(tmp_path / "a" / "l", tmp_path / "a" / "w", days=1, scale=0.05, seed=5, start=START)
    b = simulate(tmp_path / "b" / "l", tmp_path / "b" / "w", days=1, scale=0.05, seed=5, start=START)
    c = simulate(tmp_path / "c" / "l", tmp_path / "c" / "w", days=1, scale=0.05, seed=6, start=START)
    assert tree_hash(a.landing_dir) == tree_hash(b.landing_dir)
    assert tree_hash(a.landing_dir) != tree_hash(c.landing_dir)
    ta = pq.read_table(a.world_dir / "truth" / "rows.parquet")
    tb = pq.read_table(b.world_dir / "truth" / "rows.parquet")
    assert ta.equals(tb)
    assert (a.world_dir / "api" / "transport_alarms.jsonl").read_bytes() == (
        b.world_dir / "api" / "transport_alarms.jsonl"
    ).read_bytes()
    assert a.counts == b.counts and all(a.counts.values())


def test_cli(tmp_path):
    runner = CliRunner()
    res = runner.invoke(
        app,
        [
            "--days",
            "1",
            "--scale",
            "0.03",
            "--seed",
            "2",
            "--out",
            str(tmp_path),
            "--start",
            "2026-11-23",
            "--profile",
            "clean",
        ],
    )
    assert res.exit_code == 0, res.output
    assert (tmp_path / "landing" / "hazchem" / "20261123" / "QYXX_20261123.csv.ok").exists()
    assert (tmp_path / "world" / "truth" / "rows.parquet").exists()
    assert not (tmp_path / "landing" / "truth").exists()
    for args in (["--help"], ["serve", "--help"]):
        res = runner.invoke(app, args)
        assert res.exit_code == 0 and "Usage" in res.output
    res = runner.invoke(app, ["--days", "1", "--out", str(tmp_path), "--profile", "nope"])
    assert res.exit_code != 0
    spec_out = tmp_path / "spec"
    args = ["--days", "1", "--scale", "0.03", "--seed", "2", "--out", str(spec_out), "--start", "2026-11-23"]
    res = runner.invoke(app, [*args, "--profile", "spec"])
    assert res.exit_code == 0, res.output
    assert json.loads((spec_out / "world" / "profile.json").read_text("utf-8"))["name"] == "spec"

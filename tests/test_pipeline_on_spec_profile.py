"""The whole pipeline on deliveries it was not written against (issue 10 §5, "Done when"): the simulator's
`spec` profile (3 days, scale 1) draws every variant INTERFACES.md and the dictionary permit, independently
of what the readers expect. The run publishes every mart; every delivered row is accepted, quarantined or
rejected by its reader; quarantine equals the ground truth exactly (a row is quarantined iff an ERROR rule of
the severity policy fails on it); entity resolution stays above the thresholds.

About 5 minutes on 2 cores (one full pipeline run).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from workspace_env import build, point_at

from simulator import DATASETS

DAYS, SCALE, SEED = 3, 1.0, 1
API_KEYS = {"transport.vehicle": "clid", "transport.alarm": "bjid", "credit.dishonest_entry": "id"}
MARTS = sorted(p.stem for p in (Path(__file__).parents[1] / "dbt_project" / "models" / "marts").glob("*.sql"))

pytestmark = pytest.mark.integration  # runs the pipeline (tests/conftest.py: the two tiers)


@pytest.fixture(scope="module")
def spec_workspace(tmp_path_factory: pytest.TempPathFactory):
    home = tmp_path_factory.mktemp("spec_ws") / "sdc_home"
    world = home.parent / "world"
    outcome = build(home, world, days=DAYS, scale=SCALE, seed=SEED, profile="spec")
    yield home, world, outcome


@pytest.fixture
def lake(spec_workspace, monkeypatch: pytest.MonkeyPatch):
    from sdc_settings import load_settings
    from warehouse.lake import lake_connection

    home, _, _ = spec_workspace
    point_at(monkeypatch, home)
    with lake_connection(load_settings(os.environ), read_only=True) as con:
        yield con


def _truth(world: Path, lake) -> pd.DataFrame:
    """The effective rows, less those of a file still being written that the pipeline rightly left for later
    (INTERFACES.md: A's file without its `.ok` marker yet)."""
    rows = pd.read_parquet(world / "truth" / "rows.parquet")
    deliveries = pd.read_parquet(world / "truth" / "deliveries.parquet")
    loaded = {str(s) for (s,) in lake.execute("SELECT DISTINCT source FROM lake.meta.load_log").fetchall()}
    waiting = set(deliveries.path[~deliveries.complete]) - loaded
    return rows[rows.effective & ~rows.delivery.isin(waiting)]


def test_every_mart_is_published(spec_workspace, lake):
    _, _, outcome = spec_workspace
    assert outcome.success, outcome
    marts = lake.execute("SELECT marts FROM lake.meta.publish_log ORDER BY publish_id DESC LIMIT 1").fetchone()
    assert marts is not None, "nothing was published"
    assert sorted(set(MARTS) - set(marts[0])) == []


@pytest.mark.parametrize("dataset", DATASETS)
def test_every_delivered_row_is_accounted_for(spec_workspace, lake, dataset):
    _, world, _ = spec_workspace
    table = dataset.replace(".", "__")
    read, rejected = lake.execute(
        "SELECT coalesce(sum(rows_read), 0), coalesce(sum(rows_rejected), 0) FROM lake.meta.load_log "
        "WHERE dataset = ? AND superseded_by IS NULL",
        [dataset],
    ).fetchone()
    accepted = lake.execute(f'SELECT count(*) FROM lake.validated."{table}"').fetchone()[0]
    quarantined = lake.execute(
        "SELECT count(*) FROM lake.quarantine.rows WHERE dataset = ? AND released_at IS NULL", [dataset]
    ).fetchone()[0]
    assert read == accepted + quarantined + rejected, (read, accepted, quarantined, rejected)
    if dataset in API_KEYS:
        return  # an API shows each record's latest version: the truth lists every version it ever had
    truth = _truth(world, lake)
    truth = truth[truth.dataset == dataset]
    assert read == len(truth)
    assert rejected == (truth.expected == "reader_reject").sum()


def _raw_keys(lake, dataset: str) -> pd.DataFrame:
    """Every raw row with its key in the truth's terms: (file, record number) or, for APIs, (id, gxsj)."""
    table = dataset.replace(".", "__")
    if dataset in API_KEYS:
        key = API_KEYS[dataset]
        frame = lake.execute(f'SELECT _source_file, _record_number, "{key}" AS k, gxsj FROM lake.raw."{table}"').df()
        frame["key"] = list(zip(frame.k.fillna(""), frame.gxsj, strict=True))
    else:
        frame = lake.execute(f'SELECT _source_file, _record_number FROM lake.raw."{table}"').df()
        frame["key"] = [
            (str(f).split("landing/")[-1], int(n))
            for f, n in zip(frame._source_file, frame._record_number, strict=True)
        ]
    return frame


def _quarantined(lake, dataset: str) -> dict[tuple, tuple]:
    q = lake.execute(
        "SELECT _source_file, _record_number, original_values, reasons FROM lake.quarantine.rows "
        "WHERE dataset = ? AND released_at IS NULL",
        [dataset],
    ).df()
    out = {}
    for f, n, values, reasons in zip(q._source_file, q._record_number, q.original_values, q.reasons, strict=True):
        if dataset in API_KEYS:
            v = json.loads(values)
            key = (v.get(API_KEYS[dataset]) or "", v.get("gxsj"))
        else:
            key = (str(f).split("landing/")[-1], int(n))
        out[key] = tuple(sorted(reasons))
    return out


@pytest.mark.parametrize("dataset", DATASETS)
def test_quarantine_equals_the_ground_truth(spec_workspace, lake, dataset):
    _, world, _ = spec_workspace
    truth = _truth(world, lake)
    truth = truth[(truth.dataset == dataset) & (truth.expected != "reader_reject")]
    if dataset in API_KEYS:
        keys = list(zip(truth.record_key.fillna(""), truth.gxsj, strict=True))
    else:
        keys = list(zip(truth.delivery, truth.record_number.astype(int), strict=True))
    expected = {
        k: tuple(sorted(r)) for k, e, r in zip(keys, truth.expected, truth.reasons, strict=True) if e == "quarantine"
    }
    received = set(_raw_keys(lake, dataset).key)
    expected = {k: r for k, r in expected.items() if k in received}
    got = _quarantined(lake, dataset)
    good_quarantined = Counter(r for k, r in got.items() if k not in expected)
    bad_accepted = Counter(r for k, r in expected.items() if k not in got)
    assert not good_quarantined and not bad_accepted, (
        f"good rows quarantined, by the pipeline's reasons: {dict(good_quarantined)}; "
        f"bad rows accepted, by the truth's rules: {dict(bad_accepted)}"
    )


@pytest.mark.parametrize(
    ("kind", "precision", "recall"),
    [("enterprise", 0.995, 0.98), ("vehicle", 0.995, 0.995), ("equipment", 0.995, 0.995)],
)
def test_resolution_stays_above_the_thresholds(spec_workspace, lake, kind, precision, recall):
    from entity_resolution import evaluation

    _, world, _ = spec_workspace
    score = evaluation.score(lake, world / "truth", kind)
    print(kind, score)
    assert score.mentions > 100
    if kind == "equipment":
        # The profile blanks every optional link of some machines (an old 注销 ledger row without 设备代码, an
        # installation without 设备代码 and 使用登记证编号) and loses a code's digits in numeric cells: no
        # resolution can join those. Below the threshold, the resolution must reach what the data allows.
        ceiling = evaluation.equipment_link_ceiling(lake, world / "truth")
        print("equipment ceiling", ceiling)
        recall = min(recall, ceiling.recall)
    assert score.precision >= precision and score.recall >= recall, score

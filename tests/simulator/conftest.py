"""Shared simulator runs (session scope: each profile is generated once)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from simulator import simulate

# a Monday, so the weekly D workbook falls on the first day
START = dt.date(2026, 11, 23)


class Run:
    def __init__(self, root: Path, **kw):
        self.landing = root / "landing"
        self.world = root / "world"
        self.summary = simulate(self.landing, self.world, start=START, **kw)
        t = self.world / "truth"
        self.rows = pq.read_table(t / "rows.parquet").to_pandas()
        self.mentions = pq.read_table(t / "mentions.parquet").to_pandas()
        self.deliveries = pq.read_table(t / "deliveries.parquet").to_pandas()
        self.stats = pq.read_table(t / "quirk_stats.parquet").to_pandas()
        self.enterprises = pq.read_table(t / "enterprises.parquet").to_pandas()
        self.vehicles = pq.read_table(t / "vehicles.parquet").to_pandas()
        self.equipment = pq.read_table(t / "equipment.parquet").to_pandas()
        self.persons = pq.read_table(t / "persons.parquet").to_pandas()

    def final_deliveries(self, prefix: str = ""):
        """The delivery that produced the bytes now in the landing zone, per path."""
        d = self.deliveries[self.deliveries.channel == "file"]
        d = d[d.path.str.startswith(prefix)]
        d = d[d.kind.isin(["new", "late", "corrected"])]
        d = d.sort_values(["delivered_at", "delivery_id"]).groupby("path").tail(1)
        return d


@pytest.fixture(scope="session")
def realistic(tmp_path_factory) -> Run:
    return Run(tmp_path_factory.mktemp("realistic"), days=2, scale=0.3, seed=7, profile="realistic")


@pytest.fixture(scope="session")
def clean(tmp_path_factory) -> Run:
    return Run(tmp_path_factory.mktemp("clean"), days=2, scale=0.1, seed=7, profile="clean")


@pytest.fixture(scope="session")
def hostile(tmp_path_factory) -> Run:
    return Run(tmp_path_factory.mktemp("hostile"), days=4, scale=0.05, seed=3, profile="hostile")


@pytest.fixture(scope="session")
def spec(tmp_path_factory) -> Run:
    """The spec profile at the size of the issue's acceptance run (scale 1, 3 days)."""
    return Run(tmp_path_factory.mktemp("spec"), days=3, scale=1.0, seed=1, profile="spec")

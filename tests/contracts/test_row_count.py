"""The row-count breaker on an hourly feed: each hour is judged against the same hour of earlier days,
and a small count is judged against counting noise, so quiet nights pass and a real drop still trips.
An API pull is judged by its rows per hour of window. A load held back is no history for the loads after it."""

from dataclasses import replace
from datetime import datetime, timedelta

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data_contracts.contract import load_contract
from warehouse import holds
from warehouse.validated import row_count_outliers

START = datetime(2026, 5, 1)


def usual(hour: int) -> int:
    return 24 if 6 <= hour <= 18 else 2  # construction sites alarm by day


def empty_lake() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("ATTACH ':memory:' AS lake")
    con.execute("CREATE SCHEMA lake.meta")
    con.execute("CREATE TABLE lake.meta.load_log (dataset VARCHAR, load_id VARCHAR, source VARCHAR, "
                "rows_read BIGINT, loaded_at TIMESTAMP, superseded_by VARCHAR)")  # fmt: skip
    holds.ensure_table(con)
    return con


@pytest.fixture
def lake():
    con = empty_lake()
    yield con
    con.close()


def deliver_hours(con, dataset: str, first: datetime, counts: list[int]) -> list[str]:
    """One load per hour; their load ids (the loads a validation run would judge)."""
    load_ids = []
    for n, rows in enumerate(counts):
        hour = first + timedelta(hours=n)
        load_ids.append(f"load-{hour:%Y%m%d%H}")
        con.execute("INSERT INTO lake.meta.load_log VALUES (?, ?, ?, ?, ?, NULL)",
                    [dataset, load_ids[-1], f"construction/alarms_{hour:%Y%m%d%H}.jsonl", rows, hour])  # fmt: skip
    return load_ids


def test_hourly_alarms_compare_each_hour_with_the_same_hour_of_earlier_days(lake):
    contract = load_contract("construction.alarm")
    assert contract.row_count.slot_of("construction/alarms_2026050103.jsonl") == "03"
    deliver_hours(lake, contract.dataset, START, [usual(h % 24) for h in range(72)])
    quiet_night = [0 if h < 6 else usual(h) for h in range(24)]  # no alarm at all from 00 to 05: fine
    day4 = deliver_hours(lake, contract.dataset, START + timedelta(days=3), quiet_night)
    assert row_count_outliers(lake, contract, day4) == []

    outage = [1 if h == 10 else usual(h) for h in range(24)]  # one alarm at 10:00 where 24 is usual
    day5 = deliver_hours(lake, contract.dataset, START + timedelta(days=4), outage)
    found = row_count_outliers(lake, contract, day5)
    assert [(o["source"], o["rows"], o["median_of_previous"], o["slot"]) for o in found] == [
        ("construction/alarms_2026050510.jsonl", 1, 24, "10")
    ]


def test_without_slots_the_evening_drop_would_trip_the_breaker(lake):
    """Why the slot exists: against the previous hours, the first night hour looks like an outage."""
    contract = load_contract("construction.alarm")
    contract = replace(contract, row_count=replace(contract.row_count, slot=None))
    loads = deliver_hours(lake, contract.dataset, START + timedelta(hours=6), [24] * 13 + [0])
    assert [o["rows"] for o in row_count_outliers(lake, contract, loads)] == [0]


def test_a_held_load_is_no_history(lake):
    """Tenth-size deliveries in a row: each is held, and none lowers the median the next is judged by."""
    contract = load_contract("hazchem.waybill")
    for day, rows in enumerate([2000, 2100, 1950, 2050, 200, 210, 190]):
        values = [contract.dataset, f"load-{day}", f"hazchem/DZYD_{day}.csv", rows, START + timedelta(days=day)]
        lake.execute("INSERT INTO lake.meta.load_log VALUES (?, ?, ?, ?, ?, NULL)", values)
    found = row_count_outliers(lake, contract, ["load-4", "load-5", "load-6"])
    assert [(o["load_id"], o["median_of_previous"]) for o in found] == [("load-4", 2025), ("load-5", 2025),
                                                                        ("load-6", 2025)]  # fmt: skip
    # held in an earlier run (or by another breaker in this one): no history either
    holds.record(lake, [holds.Hold(contract.dataset, "load-4", "hazchem/DZYD_4.csv", "row_count", "small")], START)
    assert [o["median_of_previous"] for o in row_count_outliers(lake, contract, ["load-5"])] == [2025]
    assert [o["median_of_previous"] for o in row_count_outliers(lake, contract, ["load-6"], {"load-5"})] == [2025]


def pull_windows(con, dataset: str, windows: list[tuple[datetime, datetime, int]]) -> list[str]:
    """One load per API pull window `[start, end)` with its rows, named as the transport connector names them."""
    load_ids = []
    for start, end, rows in windows:
        load_ids.append(f"load-{start:%Y%m%d%H%M%S}-{end:%Y%m%d%H%M%S}")
        source = f"GET /api/v2/alarms?startTime={start:%Y-%m-%d %H:%M:%S}&endTime={end:%Y-%m-%d %H:%M:%S}"
        con.execute("INSERT INTO lake.meta.load_log VALUES (?, ?, ?, ?, ?, NULL)",
                    [dataset, load_ids[-1], source, rows, end])  # fmt: skip
    return load_ids


def backfill(con, dataset: str, per_day: int, days: int = 30) -> datetime:
    """The first pull: whole-day windows; returns where it ended (the cursor)."""
    pull_windows(
        con, dataset, [(START + timedelta(days=d), START + timedelta(days=d + 1), per_day) for d in range(days)]
    )
    return START + timedelta(days=days)


def test_an_api_pull_is_judged_by_its_rows_per_hour_of_window(lake):
    """After a backfill of whole days, hourly runs pull an hour and the ten minutes before it (the overlap,
    whose records are loaded already): as many new alarms per hour is no drop. A day-long window with almost
    nothing in it is an outage."""
    contract = load_contract("transport.alarm")
    source = "GET /api/v2/alarms?startTime=2026-05-01 10:00:00&endTime=2026-05-01 11:10:00"
    assert contract.row_count.window_of(source) == (datetime(2026, 5, 1, 10), datetime(2026, 5, 1, 11, 10))
    cursor = backfill(lake, contract.dataset, per_day=19_200)
    runs = [cursor + timedelta(hours=h) for h in range(8)]
    hourly = pull_windows(lake, contract.dataset, [(t - timedelta(minutes=10), t + timedelta(hours=1), 800)
                                                   for t in runs])  # fmt: skip
    assert row_count_outliers(lake, contract, hourly) == []
    cursor += timedelta(hours=8)
    two_minutes_later = (cursor - timedelta(minutes=10), cursor + timedelta(minutes=2), 20)
    minutes = pull_windows(lake, contract.dataset, [two_minutes_later])
    assert row_count_outliers(lake, contract, minutes) == []  # a run two minutes after the last
    cursor += timedelta(minutes=2)
    silent = pull_windows(lake, contract.dataset, [(cursor - timedelta(minutes=10), cursor + timedelta(days=1), 130)])
    found = row_count_outliers(lake, contract, silent)
    assert [(o["rows"], round(o["hours"], 2), round(o["median_of_previous"])) for o in found] == [(130, 24.0, 800)]


def test_without_windows_every_hourly_pull_after_a_backfill_would_trip(lake):
    """Why the window is read: an hour's pull against whole-day pulls looks like a 95 % drop."""
    contract = load_contract("transport.alarm")
    contract = replace(contract, row_count=replace(contract.row_count, window=None))
    cursor = backfill(lake, contract.dataset, per_day=19_200)
    hourly = pull_windows(lake, contract.dataset, [(cursor, cursor + timedelta(hours=1), 800)])
    assert [o["rows"] for o in row_count_outliers(lake, contract, hourly)] == [800]


@settings(max_examples=60, deadline=None)
@given(
    per_hour=st.integers(min_value=1, max_value=5_000),
    minutes=st.lists(st.integers(min_value=1, max_value=31 * 24 * 60), min_size=1, max_size=12),
)
def test_a_steady_stream_never_trips_however_the_pulls_cut_it(per_hour, minutes):
    """Whatever the pulls' timing (a backfill of whole days, runs minutes or weeks apart), a platform
    delivering at a steady rate is never held back."""
    con = empty_lake()
    contract = load_contract("transport.alarm")
    cursor = backfill(con, contract.dataset, per_day=per_hour * 24, days=5)
    windows = []
    for m in minutes:
        windows.append((cursor - timedelta(minutes=10), cursor + timedelta(minutes=m), round(per_hour * m / 60)))
        cursor += timedelta(minutes=m)
    assert row_count_outliers(con, contract, pull_windows(con, contract.dataset, windows)) == []

"""The row-count breaker on an hourly feed: each hour is judged against the same hour of earlier days,
and a small count is judged against counting noise, so quiet nights pass and a real drop still trips."""

from dataclasses import replace
from datetime import datetime, timedelta

import duckdb
import pytest

from data_contracts.contract import load_contract
from warehouse.validated import row_count_outliers

START = datetime(2026, 5, 1)


def usual(hour: int) -> int:
    return 24 if 6 <= hour <= 18 else 2  # construction sites alarm by day


@pytest.fixture
def lake():
    con = duckdb.connect()
    con.execute("ATTACH ':memory:' AS lake")
    con.execute("CREATE SCHEMA lake.meta")
    con.execute("CREATE TABLE lake.meta.load_log (dataset VARCHAR, load_id VARCHAR, source VARCHAR, "
                "rows_read BIGINT, loaded_at TIMESTAMP)")  # fmt: skip
    con.execute("CREATE TABLE lake.meta.validation_log (dataset VARCHAR, load_id VARCHAR, rows_in BIGINT, "
                "missing_columns VARCHAR[], unknown_columns VARCHAR[], validated_at TIMESTAMP)")  # fmt: skip
    yield con
    con.close()


def deliver_hours(con, dataset: str, first: datetime, counts: list[int], validated_at: datetime) -> None:
    for n, rows in enumerate(counts):
        hour = first + timedelta(hours=n)
        load_id = f"load-{hour:%Y%m%d%H}"
        con.execute("INSERT INTO lake.meta.load_log VALUES (?, ?, ?, ?, ?)",
                    [dataset, load_id, f"construction/alarms_{hour:%Y%m%d%H}.jsonl", rows, hour])  # fmt: skip
        con.execute("INSERT INTO lake.meta.validation_log VALUES (?, ?, ?, [], [], ?)",
                    [dataset, load_id, rows, validated_at])  # fmt: skip


def test_hourly_alarms_compare_each_hour_with_the_same_hour_of_earlier_days(lake):
    contract = load_contract("construction.alarm")
    assert contract.row_count.slot_of("construction/alarms_2026050103.jsonl") == "03"
    deliver_hours(lake, contract.dataset, START, [usual(h % 24) for h in range(72)], START)
    day4 = START + timedelta(days=3)
    quiet_night = [0 if h < 6 else usual(h) for h in range(24)]  # no alarm at all from 00 to 05: fine
    deliver_hours(lake, contract.dataset, day4, quiet_night, day4)
    assert row_count_outliers(lake, contract) == []

    day5 = START + timedelta(days=4)
    outage = [1 if h == 10 else usual(h) for h in range(24)]  # one alarm at 10:00 where 24 is usual
    deliver_hours(lake, contract.dataset, day5, outage, day5)
    found = row_count_outliers(lake, contract)
    assert [(o["source"], o["rows"], o["median_of_previous"], o["slot"]) for o in found] == [
        ("construction/alarms_2026050510.jsonl", 1, 24, "10")
    ]


def test_without_slots_the_evening_drop_would_trip_the_breaker(lake):
    """Why the slot exists: against the previous hours, the first night hour looks like an outage."""
    contract = load_contract("construction.alarm")
    contract = replace(contract, row_count=replace(contract.row_count, slot=None))
    deliver_hours(lake, contract.dataset, START + timedelta(hours=6), [24] * 13 + [0], START)
    assert [o["rows"] for o in row_count_outliers(lake, contract)] == [0]

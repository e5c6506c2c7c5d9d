"""Per-mart publishes and `data_freshness` on a real DuckLake: a held-back mart stays at its last good
publish (through later publishes and retention), the others move on, and every published mart says per
source dataset up to when its data is and which newer delivery is held back and why."""

import os
from datetime import UTC, datetime

import pytest

from sdc_settings import load_settings
from warehouse.holds import HOLDS_DDL
from warehouse.lake import lake_connection
from warehouse.publish import expire_publishes, publish, publish_history
from warehouse.reader import QueryNotAllowed, open_published

SOURCES = {"enterprises": ["hazchem.enterprise"], "waybills": ["hazchem.enterprise", "hazchem.waybill"]}
TEST_FAILED = "dbt test not_null_stg_hazchem__waybills_waybill_no failed on stg_hazchem__waybills"


def classify_all_public(tables):
    return {t: dict.fromkeys(cols, "public") for t, cols in tables.items()}


def deliver(con, dataset: str, load: int, rows: int) -> None:
    """A delivery accepted into the validated layer: `rows` rows of load `load`, updated on day `load`."""
    table = f'lake.validated."{dataset.replace(".", "__")}"'
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {table} (code VARCHAR, updated_at TIMESTAMP, _source_file VARCHAR, "
        "_load_id VARCHAR, _loaded_at TIMESTAMPTZ)"
    )
    loaded_at = datetime(2026, 5, load + 1, tzinfo=UTC)
    con.execute(
        f"INSERT INTO {table} SELECT 'E' || i, TIMESTAMP '2026-05-01 08:00' + INTERVAL (?) DAY, ?, ?, ? "
        "FROM range(?) r(i)",
        [load, f"hazchem/{dataset}-{load}.csv", f"load-{dataset}-{load}", loaded_at, rows],
    )


def build_marts(con) -> None:
    con.execute("CREATE OR REPLACE TABLE lake.marts.enterprises AS SELECT code FROM lake.validated.hazchem__enterprise")
    con.execute("CREATE OR REPLACE TABLE lake.marts.waybills AS SELECT code FROM lake.validated.hazchem__waybill")


def freshness(session) -> dict[tuple[str, str], dict]:
    cur = session.execute("SELECT * FROM data_freshness")
    names = [d[0] for d in cur.description]
    return {(r[0], r[1]): dict(zip(names, r, strict=True)) for r in cur.fetchall()}


@pytest.fixture
def settings(workspace):
    return load_settings(os.environ)


def test_a_held_back_mart_stays_at_its_last_good_publish_and_data_freshness_says_why(settings):
    with lake_connection(settings) as con:
        deliver(con, "hazchem.enterprise", 1, 3)
        deliver(con, "hazchem.waybill", 1, 5)
        build_marts(con)
        first = publish(con, classify_all_public, sources=SOURCES)
        deliver(con, "hazchem.enterprise", 2, 4)
        deliver(con, "hazchem.waybill", 2, 6)
        build_marts(con)
        second = publish(con, classify_all_public, held_back={"waybills": TEST_FAILED}, sources=SOURCES)
    assert second.mart_snapshots == {"enterprises": second.snapshot_id, "waybills": first.snapshot_id}
    assert second.row_counts == {"enterprises": 7, "waybills": 5} and second.held_back == {"waybills": TEST_FAILED}
    with open_published(settings) as masked:
        assert masked.execute("SELECT count(*) FROM enterprises").fetchone()[0] == 7
        assert masked.execute("SELECT count(*) FROM waybills").fetchone()[0] == 5  # as publish 1 had it
        rows = freshness(masked)
    assert set(rows) == {("enterprises", "hazchem.enterprise"), ("waybills", "hazchem.enterprise"),
                         ("waybills", "hazchem.waybill")}  # fmt: skip
    fresh = rows[("enterprises", "hazchem.enterprise")]
    assert fresh["newest_load_id"] == "load-hazchem.enterprise-2" and fresh["mart_held_back_by"] is None
    assert fresh["loaded_at"] == datetime(2026, 5, 3, tzinfo=UTC)
    assert fresh["data_until"] == datetime(2026, 5, 3, 8, 0)  # the contract's past-event column, updated_at
    assert fresh["newer_delivery_held_back"] is False and fresh["held_back_reason"] is None
    held = rows[("waybills", "hazchem.waybill")]
    assert held["mart_snapshot"] == first.snapshot_id and held["newest_load_id"] == "load-hazchem.waybill-1"
    assert held["mart_held_back_by"] == TEST_FAILED and held["newer_delivery_held_back"] is True
    assert "hazchem/hazchem.waybill-2.csv" in held["held_back_reason"] and TEST_FAILED in held["held_back_reason"]


def test_a_delivery_hold_shows_in_data_freshness_and_the_held_mart_survives_retention(settings):
    with lake_connection(settings) as con:
        deliver(con, "hazchem.enterprise", 1, 3)
        deliver(con, "hazchem.waybill", 1, 5)
        build_marts(con)
        first = publish(con, classify_all_public, sources=SOURCES)
        deliver(con, "hazchem.waybill", 2, 6)
        build_marts(con)
        publish(con, classify_all_public, held_back={"waybills": TEST_FAILED}, sources=SOURCES)
        # a breaker held the enterprise register's next delivery: its rows never reached the validated layer
        con.execute(HOLDS_DDL)
        con.execute(
            "INSERT INTO lake.meta.delivery_holds (dataset, load_id, source, check_name, reason, held_at) "
            "VALUES ('hazchem.enterprise', 'load-hazchem.enterprise-2', "
            "'hazchem/QYXX_20260503.csv', 'row_count', '12 rows, expected 80 to 8000', now())"
        )
        third = publish(con, classify_all_public, held_back={"waybills": TEST_FAILED}, sources=SOURCES)
        expiry = expire_publishes(con, keep=1)
    assert expiry.publishes == [1, 2] and first.snapshot_id not in expiry.snapshots
    assert third.mart_snapshots["waybills"] == first.snapshot_id  # still its last good publish
    with open_published(settings) as masked:
        assert masked.execute("SELECT count(*) FROM waybills").fetchone()[0] == 5
        rows = freshness(masked)
        with pytest.raises(QueryNotAllowed):
            masked.execute("SELECT * FROM lake.meta.delivery_holds")
    for mart in ("enterprises", "waybills"):
        row = rows[(mart, "hazchem.enterprise")]
        assert row["newest_load_id"] == "load-hazchem.enterprise-1" and row["newer_delivery_held_back"] is True
        assert row["held_back_reason"] == (
            "held by breaker row_count: 12 rows, expected 80 to 8000 (hazchem/QYXX_20260503.csv)"
        )
    assert rows[("enterprises", "hazchem.enterprise")]["mart_held_back_by"] is None
    with open_published(settings, audience="full") as full:
        assert freshness(full) == rows
    assert [sorted(e.held_back) for e in publish_history(settings)] == [[], ["waybills"], ["waybills"]]


def test_a_mart_held_back_before_its_first_publish_is_not_published(settings):
    with lake_connection(settings) as con:
        deliver(con, "hazchem.enterprise", 1, 3)
        deliver(con, "hazchem.waybill", 1, 5)
        build_marts(con)
        entry = publish(con, classify_all_public, held_back={"waybills": TEST_FAILED}, sources=SOURCES)
    assert entry.marts == ["enterprises"] and entry.held_back == {"waybills": TEST_FAILED}
    with open_published(settings) as masked:
        assert masked.views == ["enterprises"]
        assert set(freshness(masked)) == {("enterprises", "hazchem.enterprise")}

"""Lake maintenance on a real DuckLake: small files merged, snapshots beyond retention expired, and every retained
publish — the one a reader is pinned to, an `--as-of` one — reads exactly what it read before. Also the nightly
Dagster job and `sdc publish maintain`, on the same kind of lake."""

import os

import pytest
from typer.testing import CliRunner

from sdc.cli import app
from sdc_settings import load_settings
from warehouse.lake import lake_connection
from warehouse.maintenance import data_file_count, maintain
from warehouse.publish import publish, publish_history
from warehouse.reader import PublishNotFound, open_published

COLUMNS = {"alarm_id": "public", "day": "public", "plate": "public"}


def classifier(tables):
    return {t: {c: COLUMNS[c] for c in cols} for t, cols in tables.items()}


def load_day(con, day: int) -> None:
    """One day's alarms appended to a mart (enough rows for a Parquet file: small inserts are inlined in the
    catalog), and a publish — as an hourly or daily load leaves them."""
    con.execute(
        "INSERT INTO lake.marts.alarms SELECT ? * 10000 + i, ?, '苏E' || lpad(i::VARCHAR, 5, '0') "
        "FROM range(3000) r(i)",
        [day, day],
    )
    publish(con, classifier)


def fingerprint(session) -> tuple:
    return session.execute("SELECT count(*), sum(hash(alarm_id, day, plate)) FROM alarms").fetchone()


@pytest.fixture
def lake_with_publishes(workspace):
    """Four days loaded and published: one small file per day in the mart."""
    settings = load_settings(os.environ)
    with lake_connection(settings) as con:
        con.execute("CREATE TABLE lake.marts.alarms (alarm_id BIGINT, day INTEGER, plate VARCHAR)")
        for day in (1, 2, 3, 4):
            load_day(con, day)
    return settings


def test_maintenance_merges_small_files_and_retained_publishes_read_as_before(lake_with_publishes):
    settings = lake_with_publishes
    before = {}
    for publish_id in (1, 2, 3, 4):
        with open_published(settings, publish_id) as session:
            before[publish_id] = fingerprint(session)
    pinned = open_published(settings)  # a reader on the newest publish, open across the maintenance
    assert fingerprint(pinned) == before[4]

    with lake_connection(settings) as con:
        files_before = data_file_count(con)
        report = maintain(con, keep=2)  # publishes 3 and 4 retained
        files_after = data_file_count(con)

    assert report.files_merged >= 2 and report.files_created >= 1
    assert files_after < files_before
    assert fingerprint(pinned) == before[4]
    pinned.close()
    for publish_id in (3, 4):  # within retention: `--as-of` reads the same rows
        with open_published(settings, publish_id) as session:
            assert fingerprint(session) == before[publish_id]
    with pytest.raises(PublishNotFound, match="expired"):
        open_published(settings, 2)
    assert [(e.publish_id, e.expired) for e in publish_history(settings)] == [
        (1, True), (2, True), (3, False), (4, False),
    ]  # fmt: skip


def test_the_nightly_job_and_the_operator_command_maintain_the_lake(lake_with_publishes):
    from pipelines.definitions import build_definitions

    settings = lake_with_publishes
    with open_published(settings) as session:
        newest = fingerprint(session)
    job = build_definitions(settings).get_job_def("lake_maintenance")
    assert job.execute_in_process().success
    with lake_connection(settings, read_only=True) as con:
        merged = data_file_count(con)
    with open_published(settings) as session:
        assert fingerprint(session) == newest

    result = CliRunner().invoke(app, ["publish", "maintain", "--keep", "2", "--grace-minutes", "0"], env=os.environ)
    assert result.exit_code == 0, result.output
    assert "expired 2 publish(es)" in result.output
    with lake_connection(settings, read_only=True) as con:
        assert data_file_count(con) <= merged
    with open_published(settings, 3) as session:
        assert fingerprint(session)[0] == 9000

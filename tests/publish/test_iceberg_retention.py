"""The Iceberg export keeps what the lake keeps (warehouse/exports.py `expire_exports`): a snapshot per retained
publish, and only their files on disk; a real DuckLake, real Iceberg tables through pyiceberg."""

import os
from pathlib import Path

from sdc_settings import load_settings
from warehouse.exports import export_iceberg, iceberg_catalog
from warehouse.lake import lake_connection
from warehouse.publish import publish

MART = "daily_alarms"


def _publish_day(con, day: int) -> int:
    con.execute(f"CREATE OR REPLACE TABLE lake.marts.{MART} AS SELECT ? AS day, range AS n FROM range(?)", [day, day])
    return publish(con, lambda tables: {t: dict.fromkeys(cols, "public") for t, cols in tables.items()}).publish_id


def _files(table) -> list[Path]:
    return sorted((Path(table.location().removeprefix("file://")) / "data").iterdir())


def test_the_export_keeps_a_snapshot_per_retained_publish_and_deletes_the_other_files(workspace):
    settings = load_settings({**os.environ, "SDC_PUBLISH_KEEP": "2"})
    exported = []
    with lake_connection(settings) as con:
        for day in (1, 2, 3, 4):
            exported.append(_publish_day(con, day))
            export_iceberg(settings)
    export_iceberg(settings)  # the newest publish exported again: its first copy goes too
    for namespace in ("sdc_published", "sdc_published_masked"):
        table = iceberg_catalog(settings).load_table((namespace, MART))
        snapshots = table.metadata.snapshots
        kept = [s.summary.additional_properties["sdc.publish_id"] for s in snapshots]
        assert sorted(kept) == [str(p) for p in exported[-2:]]
        assert len(_files(table)) == 2  # one data file per kept snapshot; the other exports' are deleted
        assert table.scan().to_arrow().to_pydict()["day"] == [4] * 4
        older = next(s for s in snapshots if s.snapshot_id != table.metadata.current_snapshot_id)
        assert table.scan(snapshot_id=older.snapshot_id).to_arrow().to_pydict()["day"] == [3] * 3  # time travel
        assert len(list((Path(table.location().removeprefix("file://")) / "metadata").glob("*.metadata.json"))) <= 11


def test_a_mart_that_changed_shape_starts_its_iceberg_history_anew(workspace):
    settings = load_settings(os.environ)
    with lake_connection(settings) as con:
        _publish_day(con, 1)
        export_iceberg(settings)
        # the mart gains a column
        con.execute(
            f"CREATE OR REPLACE TABLE lake.marts.{MART} AS SELECT 2 AS day, range AS n, 'x' AS note FROM range(2)"
        )
        publish(con, lambda tables: {t: dict.fromkeys(cols, "public") for t, cols in tables.items()})
    export_iceberg(settings)
    for namespace in ("sdc_published", "sdc_published_masked"):
        table = iceberg_catalog(settings).load_table((namespace, MART))
        assert [f.name for f in table.schema().fields] == ["day", "n", "note"]
        assert table.scan().to_arrow().to_pydict()["note"] == ["x", "x"]
        assert len(table.metadata.snapshots) == 1  # the old shape's snapshots went with the old table

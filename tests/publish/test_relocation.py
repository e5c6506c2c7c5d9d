"""A workspace with its SQLite catalog can be moved or restored elsewhere: the lake follows it."""

import shutil

import pytest

from sdc_settings import load_settings
from warehouse.lake import lake_connection


def test_a_moved_workspace_reads_and_writes_its_lake_where_it_now_is(tmp_path):
    before = load_settings({"SDC_HOME": str(tmp_path / "old"), "SDC_ENV": "ci"})
    with lake_connection(before) as con:
        # enough rows for Parquet files (small inserts may be inlined in the catalog)
        con.execute("CREATE TABLE lake.meta.t AS SELECT range AS x FROM range(200000)")
    shutil.move(before.home, tmp_path / "new")
    after = load_settings({"SDC_HOME": str(tmp_path / "new"), "SDC_ENV": "ci"})

    with lake_connection(after, read_only=True) as con:
        assert con.execute("SELECT count(*), sum(x) FROM lake.meta.t").fetchone() == (200000, 19999900000)
    with lake_connection(after) as con:
        con.execute("INSERT INTO lake.meta.t SELECT range FROM range(200000, 400000)")
        assert con.execute("SELECT count(*) FROM lake.meta.t").fetchone()[0] == 400000
    assert not (tmp_path / "old").exists()
    assert any((after.lake_data_path).rglob("*.parquet"))


def test_a_postgres_catalog_keeps_refusing_another_data_path():
    from warehouse.lake import attach_sql

    settings = load_settings({"SDC_HOME": "/tmp/ws", "SDC_ENV": "ci", "SDC_LAKE_CATALOG": "postgres:dbname=x"})
    assert "OVERRIDE_DATA_PATH" not in attach_sql(settings)


@pytest.mark.parametrize("read_only", [False, True])
def test_a_sqlite_catalog_takes_the_workspaces_data_path(read_only):
    from warehouse.lake import attach_sql

    settings = load_settings({"SDC_HOME": "/tmp/ws", "SDC_ENV": "ci"})
    assert "OVERRIDE_DATA_PATH TRUE" in attach_sql(settings, read_only=read_only)

"""warehouse/lake.py on a real DuckLake: the existence probe the writers and readers use."""

from sdc_settings import load_settings
from warehouse.lake import lake_connection, table_exists


def test_table_exists_sees_one_table_and_leaves_the_transaction_usable(tmp_path):
    settings = load_settings({"SDC_HOME": str(tmp_path / "ws"), "SDC_ENV": "ci"})
    with lake_connection(settings) as con:
        con.execute("CREATE TABLE lake.meta.probe AS SELECT 1 AS x")
        con.execute("BEGIN")
        assert table_exists(con, "meta", "probe")
        assert not table_exists(con, "meta", "no_such_table")
        assert not table_exists(con, "no_such_schema", "probe")
        con.execute("CREATE TABLE lake.meta.created_inside AS SELECT 2 AS x")  # the failed probes aborted nothing
        assert table_exists(con, "meta", "created_inside")
        con.execute("COMMIT")
    with lake_connection(settings, read_only=True) as con:
        assert table_exists(con, "meta", "created_inside")
        assert con.execute("SELECT x FROM lake.meta.created_inside").fetchone() == (2,)

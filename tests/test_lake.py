"""warehouse/lake.py on a real DuckLake: the existence probe, the layers kept out of inlining, the statistics given to
tables never written."""

from sdc_settings import load_settings
from warehouse.lake import (
    NOT_INLINED,
    current_snapshot,
    give_stats_to_unwritten_tables,
    lake_connection,
    table_exists,
    tables_at,
)


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


def _inlined_tables(con) -> int:
    return con.execute("SELECT count(*) FROM __ducklake_metadata_lake.ducklake_inlined_data_tables").fetchone()[0]


def test_tables_rebuilt_every_run_add_nothing_to_the_catalog_and_appended_small_rows_stay_inlined(tmp_path):
    settings = load_settings({"SDC_HOME": str(tmp_path / "ws"), "SDC_ENV": "ci"})
    with lake_connection(settings) as con:
        con.execute("CREATE TABLE lake.meta.appended (x INT)")
        before = _inlined_tables(con)
        for _ in range(3):  # dbt's table materialization: a new table each run, swapped in
            con.execute("CREATE TABLE lake.marts.m__dbt_tmp AS SELECT range AS x FROM range(5)")
            con.execute("DROP TABLE IF EXISTS lake.marts.m")
            con.execute("ALTER TABLE lake.marts.m__dbt_tmp RENAME TO m")
        assert _inlined_tables(con) == before
        con.execute("INSERT INTO lake.meta.appended VALUES (1)")
        files = "SELECT count(*) FROM ducklake_list_files('lake', 'appended', schema => 'meta')"
        assert con.execute(files).fetchone()[0] == 0  # one small insert: kept in the catalog, no Parquet file


def test_every_schema_dbt_rebuilds_is_kept_out_of_inlining():
    """The models' and the seed's schemas, as dbt's manifest has them (`history` and `reference` were missed once:
    each run added their rebuilt tables' inlined-row tables to the catalog)."""
    from pipelines.defs.dbt.assets import json_manifest

    rebuilt = {n["schema"] for n in json_manifest()["nodes"].values() if n["resource_type"] in ("model", "seed")}
    assert rebuilt <= set(NOT_INLINED), sorted(rebuilt - set(NOT_INLINED))


def test_a_lake_made_before_gets_the_option_at_its_next_writer(tmp_path):
    settings = load_settings({"SDC_HOME": str(tmp_path / "ws"), "SDC_ENV": "ci"})
    with lake_connection(settings) as con:
        for schema in NOT_INLINED:
            con.execute(f"CALL lake.set_option('data_inlining_row_limit', 10, schema => '{schema}')")
    with lake_connection(settings) as con:
        options = con.execute("SELECT scope_entry, value FROM lake.options() WHERE scope = 'SCHEMA'").fetchall()
    assert sorted(options) == sorted((schema, "0") for schema in NOT_INLINED)


def test_a_table_never_written_gets_statistics_at_the_next_writer_and_no_row_at_any_snapshot(tmp_path):
    settings = load_settings({"SDC_HOME": str(tmp_path / "ws"), "SDC_ENV": "ci"})
    stats = (
        "SELECT count(*) FROM __ducklake_metadata_lake.ducklake_table_stats WHERE table_id = "
        "(SELECT table_id FROM __ducklake_metadata_lake.ducklake_table WHERE table_name = ? AND end_snapshot IS NULL)"
    )
    with lake_connection(settings) as con:
        con.execute("CREATE TABLE lake.meta.unwritten (dataset VARCHAR, released_at TIMESTAMPTZ)")
        con.execute("CREATE TABLE lake.marts.empty_model AS SELECT 1 AS x WHERE false")
        before = current_snapshot(con)
        assert con.execute(stats, ["unwritten"]).fetchone() == (0,)
    with lake_connection(settings) as con:  # the next writer
        assert con.execute(stats, ["unwritten"]).fetchone() == (1,)
        assert con.execute(stats, ["empty_model"]).fetchone() == (0,)  # a rebuilt layer: left alone
        assert give_stats_to_unwritten_tables(con) == []
        after = current_snapshot(con)
        for snapshot in range(before, after + 1):
            rows = f"SELECT count(*) FROM lake.meta.unwritten AT (VERSION => {snapshot})"
            assert con.execute(rows).fetchone() == (0,)


def test_tables_at_lists_a_schema_as_it_was_at_each_snapshot(tmp_path):
    settings = load_settings({"SDC_HOME": str(tmp_path / "ws"), "SDC_ENV": "ci"})
    with lake_connection(settings) as con:
        con.execute("CREATE TABLE lake.marts.a AS SELECT 1 AS x")
        con.execute("CREATE TABLE lake.staging.elsewhere AS SELECT 1 AS x")
        first = current_snapshot(con)
        con.execute("CREATE TABLE lake.marts.b AS SELECT 1 AS x")
        con.execute("DROP TABLE lake.marts.a")
        last = current_snapshot(con)
        assert tables_at(con, "marts", first) == ["a"]
        assert tables_at(con, "marts", last) == ["b"]
        listed = "SELECT table_name FROM duckdb_tables() WHERE database_name = 'lake' AND schema_name = 'marts'"
        assert tables_at(con, "marts", last) == [r[0] for r in con.execute(listed).fetchall()]

"""Masking rules, classification of mart columns from the dbt manifest, the leak scanner and the
masked view's query gate."""

import json

import duckdb
import pytest

from pipelines.defs.dbt.project import dbt_project
from warehouse.masking import (
    ManifestClassifier,
    UnclassifiedColumns,
    find_leaks,
    id_number_valid,
    mask_expression,
    masked_select,
)
from warehouse.publish import PUBLISHED_SCHEMA
from warehouse.reader import QueryNotAllowed, check_reader_query


def masked(value, classification):
    expr = mask_expression('"v"', classification)
    return duckdb.connect().execute(f'SELECT {expr} FROM (SELECT ?::VARCHAR AS "v")', [value]).fetchone()[0]


@pytest.mark.parametrize(
    ("value", "classification", "expected"),
    [
        ("320585198503071233", "pii.id_number", "320585********1233"),
        ("11010519491231002X", "pii.id_number", "110105********002X"),
        ("320585********1233", "pii.id_number_masked", "320585********1233"),
        ("13812345678", "pii.phone", "138****5678"),
        ("0512-53123456", "pii.phone", "051******3456"),
        ("张伟", "pii.person_name", "张*"),
        ("欧阳娜娜", "pii.person_name", "欧***"),
        ("太仓市恒泰化工有限公司", "public", "太仓市恒泰化工有限公司"),
        ("secret", "restricted", None),
        ("somewhere", "pii.home_address", None),
        (None, "pii.phone", None),
    ],
)
def test_masking_by_classification(value, classification, expected):
    assert masked(value, classification) == expected


def test_withheld_columns_keep_their_type():
    expr = mask_expression('"v"', "restricted")
    found = duckdb.connect().execute(f'SELECT {expr}, typeof({expr}) FROM (SELECT 42::BIGINT AS "v")').fetchone()
    assert found == (None, "BIGINT")


def test_id_number_check_character():
    assert id_number_valid("11010519491231002X") and id_number_valid("320585198503071233")
    assert not id_number_valid("320585198503071232")  # float64 round trip
    assert not id_number_valid("320585198503071000")  # Excel truncation


def test_leak_scanner_finds_ids_and_phones_in_any_column_but_not_masked_forms_or_look_alikes():
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE t AS SELECT * FROM (VALUES "
        "('驾驶员 320585198503071233 押运', '联系 13812345678', '91320585MA1MXQ7K8F', 1),"
        "('320585********1233', '138****5678', '913205851382947501', 2),"
        "('320585198503071232', '0512-53123456', 'HC000001', 3),"
        "('+8613912345678', 'x', '320585198503071000', 4)) v(a, b, c, d)"
    )
    leaks = find_leaks(con, "t", "SELECT * FROM t", ["a", "b", "c", "d"])
    found = {(x.column, x.kind) for x in leaks}
    # a: a valid ID in text and a +86 mobile; b: a mobile and a Taicang landline; c/d: USCCs, codes, bad IDs
    assert found == {("a", "id_number"), ("a", "phone"), ("b", "phone")}


def manifest_fixture():
    def col(name, classification=None):
        return {"name": name, "meta": {"classification": classification} if classification else {}}

    return {
        "sources": {
            "source.p.waybill.w": {
                "resource_type": "source",
                "columns": {"driver_id_no": col("driver_id_no", "pii.id_number"), "name": col("name", "public")},
            },
            "source.p.credit.c": {
                "resource_type": "source",
                "columns": {"name": col("name", "pii.person_name"), "remark": col("remark", "internal")},
            },
        },
        "nodes": {
            "model.p.stg_w": {
                "resource_type": "model", "name": "stg_w", "schema": "staging", "columns": {},
                "depends_on": {"nodes": ["source.p.waybill.w"]},
            },
            "model.p.stg_c": {
                "resource_type": "model", "name": "stg_c", "schema": "staging",
                "columns": {"remark": col("remark", "restricted")},
                "depends_on": {"nodes": ["source.p.credit.c"]},
            },
            "model.p.people": {
                "resource_type": "model", "name": "people", "schema": "marts",
                "columns": {"is_driver": col("is_driver", "public")},
                "depends_on": {"nodes": ["model.p.stg_w", "model.p.stg_c"]},
            },
        },
    }  # fmt: skip


def test_mart_columns_inherit_the_nearest_upstream_classification():
    c = ManifestClassifier(manifest_fixture())
    assert c.classify("marts", "people", "is_driver") == "public"  # the mart's own YAML
    assert c.classify("marts", "people", "driver_id_no") == "pii.id_number"  # through staging to the contract
    assert c.classify("marts", "people", "name") == "pii.person_name"  # two sources disagree: most sensitive
    assert c.classify("marts", "people", "remark") == "restricted"  # the nearest node wins over its source
    with pytest.raises(UnclassifiedColumns, match=r"marts\.people\.age"):
        c.plan("marts", {"people": ["is_driver", "age"]})


def test_every_column_of_every_mart_in_the_project_is_classified():
    """Fails when a documented mart column has no classification (publishing would refuse the mart)."""
    manifest = json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))
    tables = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] == "model" and node["schema"] == PUBLISHED_SCHEMA:
            tables[node["alias"]] = list(node["columns"])
    assert tables, "no marts in the dbt project"
    plan = ManifestClassifier(manifest).plan(PUBLISHED_SCHEMA, tables)
    assert plan["hazchem_enterprises"]["principal_phone"] == "pii.phone"
    assert plan["hazchem_enterprises"]["principal_name"] == "pii.person_name"


def test_masked_select_masks_each_column_by_its_plan():
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT '13812345678' AS phone, '张伟' AS name, 7 AS n")
    sql = masked_select("t", {"phone": "pii.phone", "name": "pii.person_name", "n": "public"})
    assert con.execute(sql).fetchone() == ("138****5678", "张*", 7)


@pytest.mark.parametrize(
    "query",
    [
        "select * from marts_a",
        "select count(*) from marts_a a join marts_b b using (k) where a.k in (select k from marts_b)",
        "with x as (select * from marts_a) select * from x union all select * from marts_a",
        "select 1",
        "describe marts_a",
        "summarize select * from marts_b",
        "show tables",
    ],
)
def test_masked_gate_allows_selects_over_the_views(query):
    check_reader_query(duckdb.connect(), query, {"marts_a", "marts_b"})


@pytest.mark.parametrize(
    "query",
    [
        "insert into marts_a values (1)",
        "create table x as select 1",
        "attach 'other.db' as o",
        "set enable_external_access = true",
        "select * from lake.marts.marts_a",
        "select * from marts.marts_a",
        "select * from marts_a at (version => 1)",
        "select * from read_parquet('/srv/lake/*.parquet')",
        "select * from '/srv/lake/data.parquet'",
        "select * from duckdb_tables()",
        "select * from marts_a where k in (select k from lake.marts.secret)",
        "describe lake.marts.secret",
        "show all tables",
    ],
)
def test_masked_gate_refuses_writes_and_any_way_around_the_views(query):
    with pytest.raises(QueryNotAllowed):
        check_reader_query(duckdb.connect(), query, {"marts_a", "marts_b"})


def test_a_fractional_number_is_never_read_as_a_phone_number_but_an_integer_one_is():
    # a week's tonnage summed (found on a 7-day load: daily_waybills.quantity_t) and a phone kept as a number
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT 19990000000.97::DOUBLE AS quantity_t, 13812345678::BIGINT AS phone")
    found = {(x.column, x.kind) for x in find_leaks(con, "t", "SELECT * FROM t", ["quantity_t", "phone"])}
    assert found == {("phone", "phone")}

"""The incremental dbt models (macros/incremental.sql) against their own full build: after any sequence of
deliveries, built incrementally after each, a model holds exactly the rows its SQL gives when built from scratch.

The deliveries are drawn by hypothesis from what the documents allow and the simulator never writes in this
order: an alarm re-sent with an older gxsj than the version already loaded, a released hold whose rows arrive
with an old `_loaded_at`, a re-send that moves the alarm to another day or loses its plate, several versions in
one delivery. A real DuckLake, real `dbt run`s (in process); the expected rows are the models' compiled SQL
for a first build, run on the same lake."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import datetime, timedelta

import hypothesis.strategies as st
import pandas as pd
import pytest
from dbt.adapters.duckdb.connections import DuckDBConnectionManager
from dbt.cli.main import dbtRunner
from empty_lake import typed_empty_lake
from hypothesis import HealthCheck, example, given, settings

from entity_resolution.duckdb_udfs import register as register_udfs
from entity_resolution.lake import resolve_keyed_in_lake
from pipelines.defs.dbt.project import DBT_PROJECT_DIR, dbt_profile_environment
from warehouse.lake import lake_connection, transaction

# the incremental models in build order, with their schemas; the table models they read are built with them
MODELS = {
    "stg_hazchem__waybills": "staging",
    "stg_transport__alarms": "staging",
    "int_vehicle_mentions": "intermediate",
    "daily_vehicle_alarms": "marts",
    "vehicle_xref": "marts",
}
BEFORE_RESOLUTION = ("stg_hazchem__waybills", "base_transport__vehicle_versions", "stg_transport__vehicles",
                     "stg_transport__alarms", "int_vehicle_mentions")  # fmt: skip
AFTER_RESOLUTION = ("daily_vehicle_alarms", "vehicle_xref")
DAY = datetime(2026, 3, 1)
PLATES = ["苏E12345", "苏E67890", "苏E11111", None]


@contextmanager
def _environment(settings, target):
    with pytest.MonkeyPatch.context() as mp:
        for name, value in {**dbt_profile_environment(settings), "DBT_TARGET_PATH": str(target)}.items():
            mp.setenv(name, value)
        mp.chdir(DBT_PROJECT_DIR)
        yield


def _dbt(*args: str) -> None:
    # dbt-duckdb keeps its environment across in-process invocations, and with it the plugin's setup of the first
    # one only (entity_resolution/dbt_plugin.py): each invocation starts a new one, as `sdc`'s subprocesses do.
    DuckDBConnectionManager.close_all_connections()
    result = dbtRunner().invoke([*args, "--quiet"])
    assert result.success, result.exception or [str(r.message) for r in result.result or []]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A fresh lake with the typed validated tables, the towns seed and each model's first-build SQL."""
    home = tmp_path_factory.mktemp("incremental") / "sdc_home"
    settings = typed_empty_lake(home)
    target = home / "dbt_target"
    with _environment(settings, target):
        _dbt("seed", "--select", "towns")
        _dbt("compile", "--select", *MODELS)
        compiled = {m: next(target.rglob(f"compiled/**/{m}.sql")).read_text("utf-8") for m in MODELS}
        yield settings, compiled


def _full_build_sql(compiled: dict[str, str], model: str) -> str:
    """A model's first-build SQL, reading the first-build SQL of the incremental models it refers to."""
    sql = compiled[model]
    for upstream in list(MODELS)[: list(MODELS).index(model)]:
        sql = sql.replace(f'"lake"."{MODELS[upstream]}"."{upstream}"', f"({_full_build_sql(compiled, upstream)})")
    return re.sub(r"^\s*--.*$", "", sql, flags=re.MULTILINE)


def _rows(con, sql: str) -> list[tuple]:
    return con.execute(f"SELECT * EXCLUDE (lake_snapshot) FROM ({sql}) ORDER BY ALL").fetchall()


def _versions(**fields) -> st.SearchStrategy[list[dict]]:
    return st.lists(st.fixed_dictionaries(fields), max_size=4)


alarms = _versions(
    alarm_id=st.sampled_from(["a1", "a2", "a3", "a4"]),
    plate=st.sampled_from(PLATES),
    plate_colour=st.sampled_from(["2", "1", None]),
    alarm_type=st.sampled_from(["1", "2", "13", "6401"]),
    day=st.integers(0, 2),
    position=st.sampled_from([(121.10, 31.45), (121.26, 31.52), None]),
    handling_status=st.sampled_from(["0", "1"]),
    updated_minutes=st.integers(0, 5000),  # a later delivery may carry an older version
    loaded_days_ago=st.integers(0, 3),  # a released hold keeps its original load time
)
vehicles = _versions(
    vehicle_id=st.sampled_from(["v1", "v2", "v3"]),
    plate=st.sampled_from(PLATES),
    plate_colour=st.sampled_from(["2", "1", None]),
    day=st.integers(0, 2),
    updated_minutes=st.integers(0, 5000),
    loaded_days_ago=st.integers(0, 3),
)
waybills = _versions(
    waybill_no=st.sampled_from(["w1", "w2", "w3"]),
    tractor_plate=st.sampled_from(PLATES),
    plate_colour=st.sampled_from(["2", None]),  # a waybill without a colour takes the platform's
    trailer_plate=st.sampled_from(["苏E1111挂", None]),
    day=st.integers(0, 2),
    updated_minutes=st.integers(0, 5000),
    loaded_days_ago=st.integers(0, 3),
)
deliveries = st.lists(st.fixed_dictionaries({"alarm": alarms, "vehicle": vehicles, "waybill": waybills}), min_size=2,
                      max_size=3)  # fmt: skip


def _version(alarm_id: str, day: int, updated_minutes: int, **other) -> dict:
    fields = {"plate": "苏E12345", "plate_colour": "2", "alarm_type": "1", "position": (121.10, 31.45),
              "handling_status": "0", "loaded_days_ago": 0}  # fmt: skip
    return {**fields, "alarm_id": alarm_id, "day": day, "updated_minutes": updated_minutes, **other}


def _rows_of(kind: str, delivery: int, versions: list[dict]) -> pd.DataFrame:
    rows = []
    for number, v in enumerate(versions, start=1):
        v = dict(v)
        at = DAY + timedelta(days=v.pop("day"), hours=8)
        updated = at + timedelta(minutes=v.pop("updated_minutes"))
        loaded = DAY + timedelta(days=10 + delivery - v.pop("loaded_days_ago"))
        if kind == "alarm":
            v["longitude"], v["latitude"] = v.pop("position") or (None, None)
            v["started_at"] = at
        elif kind == "waybill":
            v.update(
                status="运输中", departed_at=at, shipper_name="太仓甲化工有限公司", carrier_name="太仓乙运输有限公司"
            )
        else:
            v.update(status="营运", business_type="危货运输")
        lineage = {"_source_system": "A" if kind == "waybill" else "B", "_source_file": f"delivery-{delivery}-{kind}",
                   "_source_sha256": "0" * 64, "_record_number": number, "_load_id": f"load-{delivery}-{kind}",
                   "_loaded_at": loaded, "_row_id": f"{kind}-{delivery}-{number}", "_warnings": [],
                   "_contract_version": "1.0.0"}  # fmt: skip
        rows.append({**v, "updated_at": updated, **lineage})
    return pd.DataFrame(rows)


TABLES = {"alarm": "transport__alarm", "vehicle": "transport__vehicle", "waybill": "hazchem__waybill"}


def _deliver(con, delivery: int, versions: dict[str, list[dict]]) -> None:
    with transaction(con):  # one delivery of each system in one commit, as a load would write it
        for kind, table in TABLES.items():
            if versions[kind]:
                frame = _rows_of(kind, delivery, versions[kind])  # noqa: F841
                con.execute(f"INSERT INTO lake.validated.{table} BY NAME SELECT * FROM frame")


@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(deliveries=deliveries)
# a re-send that moves an alarm to another day, leaving its first day without alarms, and loses its plate; then a
# late, older version. An alarm without a colour takes its plate's from the platform: until the platform's vehicle
# changes plates, and again once another vehicle registers the plate.
@example(
    deliveries=[
        {"alarm": [_version("a1", 0, 0), _version("a2", 0, 0, plate_colour=None)], "waybill": [], "vehicle": [
            {"vehicle_id": "v1", "plate": "苏E12345", "plate_colour": "2", "day": 0, "updated_minutes": 0,
             "loaded_days_ago": 0}]},
        {"alarm": [_version("a1", 1, 60, plate=None)], "waybill": [], "vehicle": [
            {"vehicle_id": "v1", "plate": "苏E67890", "plate_colour": "2", "day": 1, "updated_minutes": 0,
             "loaded_days_ago": 0}]},
        {"alarm": [_version("a1", 2, 30, loaded_days_ago=3)], "waybill": [], "vehicle": [
            {"vehicle_id": "v2", "plate": "苏E12345", "plate_colour": "1", "day": 1, "updated_minutes": 0,
             "loaded_days_ago": 0}]},
    ]
)  # fmt: skip
def test_incremental_builds_hold_what_a_full_build_gives(project, deliveries):
    settings_, compiled = project
    with lake_connection(settings_) as con:  # a fresh history for each example; the models start over too
        for table in TABLES.values():
            con.execute(f"DELETE FROM lake.validated.{table}")
        con.execute("DELETE FROM lake.resolution.vehicle_mention_map")
    with _environment(settings_, settings_.dbt_target_dir):
        _dbt("run", "--full-refresh", "--select", *BEFORE_RESOLUTION, *AFTER_RESOLUTION)
        for delivery, versions in enumerate(deliveries):
            with lake_connection(settings_) as con:
                _deliver(con, delivery, versions)
            _dbt("run", "--select", *BEFORE_RESOLUTION)
            with lake_connection(settings_) as con:
                resolve_keyed_in_lake(con, "vehicle")
            _dbt("run", "--select", *AFTER_RESOLUTION)
            with lake_connection(settings_, read_only=True) as con:
                register_udfs(con)  # the normalisation functions the models call (as dbt's plugin does)
                for model, schema in MODELS.items():
                    built = _rows(con, f'SELECT * FROM lake."{schema}"."{model}"')
                    assert built == _rows(con, _full_build_sql(compiled, model)), (model, delivery)

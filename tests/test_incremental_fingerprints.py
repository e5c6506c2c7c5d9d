"""When an incremental dbt model is rebuilt from scratch (pipelines/defs/dbt/incremental.py): its rows stay from
build to build, so a change to its SQL or to a macro it calls, however deep, must rebuild them; nothing else
must. On a copy of the project's own manifest, and on a real lake for the record."""

import copy

from pipelines.defs.dbt.assets import json_manifest
from pipelines.defs.dbt.incremental import (
    fingerprint,
    forget_builds,
    incremental_models,
    needs_full_refresh,
    record_builds,
    recorded_fingerprints,
)
from pipelines.defs.dbt.project import dbt_build_args
from sdc_settings import load_settings
from warehouse.lake import lake_connection, transaction

ALARMS = "model.taicang_sdc.stg_transport__alarms"


def test_the_incremental_models_are_the_ones_over_the_alarms_and_waybills():
    assert [m.rsplit(".", 1)[-1] for m in incremental_models(json_manifest())] == [
        "daily_vehicle_alarms", "int_vehicle_mentions", "stg_hazchem__waybills", "stg_transport__alarms",
        "vehicle_xref",
    ]  # fmt: skip
    assert incremental_models(json_manifest(), [ALARMS, "model.taicang_sdc.stg_transport__vehicles"]) == [ALARMS]


def test_a_change_to_the_sql_or_to_a_macro_it_calls_changes_the_fingerprint():
    manifest = json_manifest()
    before = fingerprint(manifest, ALARMS)
    assert fingerprint(copy.deepcopy(manifest), ALARMS) == before  # stable

    edited = copy.deepcopy(manifest)
    edited["nodes"][ALARMS]["raw_code"] += "\n-- a comment"
    assert fingerprint(edited, ALARMS) != before

    # lineage_columns is called by the model; latest_per_key too; is_incremental through read_mark
    for macro in ("macro.taicang_sdc.lineage_columns", "macro.taicang_sdc.read_mark", "macro.dbt.is_incremental"):
        edited = copy.deepcopy(manifest)
        edited["macros"][macro]["macro_sql"] += " "
        assert fingerprint(edited, ALARMS) != before, macro

    edited = copy.deepcopy(manifest)  # a macro the model never reaches
    edited["macros"]["macro.taicang_sdc.gcj02_to_wgs84_lng"]["macro_sql"] += " "
    assert fingerprint(edited, ALARMS) == before


def test_a_model_never_recorded_or_built_otherwise_is_rebuilt_from_scratch():
    current = {"a": "1", "b": "2", "c": "3"}
    assert needs_full_refresh(current, {"a": "1", "b": "9"}) == ["b", "c"]
    assert needs_full_refresh(current, current) == []
    assert "--full-refresh" in dbt_build_args(full_refresh=True)
    assert "--full-refresh" not in dbt_build_args()


def test_the_record_keeps_the_last_fingerprint_of_each_model(tmp_path):
    settings = load_settings({"SDC_HOME": str(tmp_path / "ws"), "SDC_ENV": "ci"})
    with lake_connection(settings) as con:
        assert recorded_fingerprints(con) == {}
        with transaction(con):
            record_builds(con, {"a": "1", "b": "2"})
        with transaction(con):
            record_builds(con, {"b": "3"})
        assert recorded_fingerprints(con) == {"a": "1", "b": "3"}
        forget_builds(con)  # sdc run --full-refresh
        assert recorded_fingerprints(con) == {}

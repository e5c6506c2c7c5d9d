"""Landing-zone sensors: one run per evaluation for the new complete file versions, nothing for incomplete or
lock files."""

import json
import os
from dataclasses import replace

import dagster as dg

from pipelines.definitions import DEPARTMENTS
from pipelines.resources import LakeResource

SENSORS = {s.name: s for d in DEPARTMENTS for s in d.sensors or ()}


def tick(name: str, cursor: str | None, settings):
    context = dg.build_sensor_context(cursor=cursor, resources={"lake": LakeResource.from_settings(settings)})
    result = SENSORS[name](context)
    return result.run_requests, result.cursor


def test_one_run_for_the_new_complete_file_versions(settings):
    day = settings.landing_dir / "hazchem" / "20261128"
    day.mkdir(parents=True)
    qyxx = day / "QYXX_20261128.csv"
    qyxx.write_bytes("企业编号\r\nHC000001\r\n".encode("gb18030"))
    requests, cursor = tick("hazchem_landing_files", None, settings)
    assert requests == [] and json.loads(cursor) == {}  # no .ok marker yet
    (day / "QYXX_20261128.csv.ok").write_bytes(b"")
    (day / "DZYD_20261128.csv").write_bytes(b"")
    (day / "DZYD_20261128.csv.ok").write_bytes(b"")
    [both], cursor = tick("hazchem_landing_files", cursor, settings)  # two files, one load
    assert both.tags["sdc/datasets"] == "hazchem.enterprise,hazchem.waybill" and both.tags["sdc/files"] == "2"
    assert dg.AssetKey(["raw", "hazchem", "enterprise"]) in both.asset_selection
    assert dg.AssetKey(["validated", "hazchem", "waybill"]) in both.asset_selection
    assert tick("hazchem_landing_files", cursor, settings)[0] == []  # nothing new
    st = qyxx.stat()
    os.utime(qyxx, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # dropped again
    [again], _ = tick("hazchem_landing_files", cursor, settings)
    assert again.tags["sdc/file"] == "hazchem/20261128/QYXX_20261128.csv" and again.tags["sdc/files"] == "1"
    assert dg.AssetKey(["raw", "hazchem", "waybill"]) not in again.asset_selection
    assert again.run_key != both.run_key


def test_workbook_starts_both_sheets_and_lock_files_nothing(settings):
    folder = settings.landing_dir / "special_equipment"
    folder.mkdir(parents=True)
    (folder / "~$特种设备台账_20261130.xlsx").write_bytes(b"lock")
    assert tick("special_equipment_landing_files", None, settings)[0] == []
    (folder / "特种设备台账_20261130.xlsx").write_bytes(b"PK")
    [request], _ = tick("special_equipment_landing_files", None, settings)
    assert request.tags["sdc/datasets"] == "special_equipment.equipment,special_equipment.inspection"


def test_construction_files_wait_for_the_quiet_period(settings):
    folder = settings.landing_dir / "construction"
    folder.mkdir(parents=True)
    (folder / "alarms_2026112809.jsonl").write_text('{"alarmId": "TA1"}\n', "utf-8")
    waiting = replace(settings, landing_quiet_seconds=300)
    assert tick("construction_landing_files", None, waiting)[0] == []  # default quiet period: 300 s
    quiet = replace(settings, landing_quiet_seconds=0)
    assert [r.tags["sdc/datasets"] for r in tick("construction_landing_files", None, quiet)[0]] == [
        "construction.alarm"
    ]

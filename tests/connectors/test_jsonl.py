"""System C's JSON Lines: flattening, numbers as delivered, cut and broken lines, quiet-period completeness."""

import os
import time

from connectors.construction import ALARM
from connectors.jsonl import read_jsonl
from connectors.landing import ingest_feed

PROJECT_LINE = (
    '{"projectCode":"320585202611280001","location":{"lng":121.1472080,"lat":31.45},"ratedLoadT":"8",'
    '"contractor":{"name":"苏州建工","creditCode":null},"active":true,"tags":["a"],"updatedAt":"2026-11-28T00:15:30Z"}'
)


def test_nested_keys_flatten_with_dots_and_values_stay_as_delivered():
    parsed = read_jsonl((PROJECT_LINE + "\n").encode("utf-8"))
    (record,) = parsed.records
    assert record.values == {
        "projectCode": "320585202611280001",
        "location.lng": "121.1472080",  # the delivered text, not a float's repr
        "location.lat": "31.45",
        "ratedLoadT": "8",
        "contractor.name": "苏州建工",
        "contractor.creditCode": None,
        "active": "true",
        "tags": '["a"]',
        "updatedAt": "2026-11-28T00:15:30Z",
    }
    assert parsed.header[:3] == ["projectCode", "location.lng", "location.lat"]


def test_cut_last_line_is_truncated_and_a_bad_line_inside_is_invalid_json():
    data = "\n".join([PROJECT_LINE, '{"projectCode": "x",,}', "[1, 2]", PROJECT_LINE[:40]]).encode("utf-8")
    parsed = read_jsonl(data)
    assert [(r.number, r.rule) for r in parsed.records] == [
        (1, None),
        (2, "invalid_json"),
        (3, "invalid_json"),
        (4, "truncated_line"),
    ]
    assert parsed.records[3].content == PROJECT_LINE[:40]
    # The same cut line followed by a line break was finished that way: a broken line, not a cut one.
    assert read_jsonl(data + b"\n").records[3].rule == "invalid_json"


def test_growing_file_is_loaded_only_once_it_stops_changing(settings, lake):
    folder = settings.landing_dir / "construction"
    folder.mkdir(parents=True)
    path = folder / "alarms_2026112809.jsonl"
    line = '{"alarmId":"TA1","deviceSn":"TC1","alarmCode":15,"value":13.2,"occurredAt":"2026-11-28T01:00:00Z"}'
    quiet = 1.0

    def ingest():
        return ingest_feed(lake, ALARM, settings.landing_dir, archive_dir=settings.archive_dir, quiet_seconds=quiet)

    with path.open("w", encoding="utf-8") as f:
        f.write(line + "\n" + line[:30])  # the vendor is still writing: the last line is cut
        f.flush()
        assert ingest().files_waiting == ["construction/alarms_2026112809.jsonl"]
        time.sleep(quiet / 2)
        f.write(line[30:] + "\n" + line.replace("TA1", "TA2") + "\n")
        f.flush()
        assert ingest().files_waiting == ["construction/alarms_2026112809.jsonl"]
    time.sleep(quiet + 0.1)
    report = ingest()
    assert report.files_loaded == ["construction/alarms_2026112809.jsonl"]
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (3, 3, 0)
    assert lake.execute("SELECT count(*) FROM lake.raw.reader_rejects").fetchone()[0] == 0
    # A copy tool setting an old mtime does not make a file look finished: completeness follows the
    # local change time.
    with path.open("a", encoding="utf-8") as f:
        f.write(line.replace("TA1", "TA3") + "\n")
    os.utime(path, (0, 0))
    assert not ALARM.is_complete(path, quiet_seconds=quiet)

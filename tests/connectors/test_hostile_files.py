"""Hostile landing-zone entries (issue 17): links out of the zone, FIFOs, directories and foreign files
named like a delivery, oversized files — and fuzzed files fed to every text reader (real files in the
test's landing zone, a real DuckLake)."""

import dataclasses
import hashlib
import itertools
import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from connectors.construction import ALARM, DEVICE
from connectors.hazchem import ENTERPRISE, WAYBILL
from connectors.landing import ingest_feed
from connectors.raw_layer import raw_columns
from connectors.records import RejectedFile
from connectors.shape import Limits

WAYBILL_HEADER = "运单编号,运单状态,车辆号牌,货物名称\r\n"
WAYBILL_ROW = "YD320585202611270001,运输中,苏E6B123,甲醇\r\n"
SECRET = "s3cr3t-outside-the-landing-zone"
FILE_RULES = {"encoding", "malformed_csv", "line_too_long", "header_mismatch", "file_too_large"}
RECORD_RULES = {None, "column_count", "invalid_json", "truncated_line"}


def ingest(settings, con, feed=WAYBILL):
    return ingest_feed(con, feed, settings.landing_dir, archive_dir=settings.archive_dir, quiet_seconds=0)


def waybill_path(landing: Path, day: str) -> Path:
    path = landing / "hazchem" / day / f"DZYD_{day}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.with_name(path.name + ".ok").write_bytes(b"")
    return path


def ledger(con, dataset="hazchem.waybill"):
    return con.execute(
        "SELECT source_file, status, reason, sha256, archive_path FROM lake.meta.file_ledger WHERE dataset = ? "
        "ORDER BY source_file, received_at",
        [dataset],
    ).fetchall()


def lake_text(con) -> str:
    """Everything the lake holds, as text (every table of every schema)."""
    tables = con.execute("SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'lake'").fetchall()
    return "\n".join(str(con.execute(f'SELECT * FROM lake."{s}"."{t}"').fetchall()) for s, t in tables)


def archived(settings) -> list[bytes]:
    return [p.read_bytes() for p in settings.archive_dir.rglob("*") if p.is_file()]


@pytest.fixture
def outside(tmp_path) -> Path:
    """A file outside the landing zone that the service user can read (stands for /etc/passwd)."""
    path = tmp_path / "outside" / "passwd"
    path.parent.mkdir()
    path.write_text(f"root:x:0:0:{SECRET}:/root:/bin/bash\n" * 22, encoding="utf-8")
    return path


def test_symlinks_out_of_the_zone_and_to_etc_passwd_are_never_read(settings, lake, outside):
    landing = settings.landing_dir
    good = waybill_path(landing, "20261127")
    good.write_bytes((WAYBILL_HEADER + WAYBILL_ROW).encode("gb18030"))
    waybill_path(landing, "20261128").symlink_to("/etc/passwd")
    waybill_path(landing, "20261129").symlink_to(outside)
    report = ingest(settings, lake)
    assert report.files_loaded == ["hazchem/20261127/DZYD_20261127.csv"]
    assert report.files_rejected == ["hazchem/20261128/DZYD_20261128.csv", "hazchem/20261129/DZYD_20261129.csv"]
    rows = ledger(lake)
    for _, status, reason, sha, archive_path in rows[1:]:
        assert status == "rejected" and reason.startswith("outside_landing_zone: a symbolic link")
        assert sha is None and archive_path is None
    assert "'/etc/passwd'" in rows[1][2]
    text = lake_text(lake)
    assert SECRET not in text and "root:x:0:0" not in text and "/bin/bash" not in text
    assert archived(settings) == [good.read_bytes()]
    assert lake.execute("SELECT count(*) FROM lake.raw.hazchem__waybill").fetchone()[0] == 1
    # Still there on the next run: recorded once, not once per run.
    assert ingest(settings, lake).files_rejected == []
    assert len(ledger(lake)) == 3


def test_links_inside_the_zone_hard_links_and_linked_folders_are_refused(settings, lake, outside):
    landing = settings.landing_dir
    good = waybill_path(landing, "20261127")
    good.write_bytes((WAYBILL_HEADER + WAYBILL_ROW).encode("gb18030"))
    waybill_path(landing, "20261128").symlink_to(good)  # a link to a delivery: still a link
    os.link(outside, waybill_path(landing, "20261129"))  # same inode as a file outside the zone
    (landing / "hazchem" / "20261130").symlink_to(outside.parent, target_is_directory=True)  # never walked
    report = ingest(settings, lake)
    assert report.files_loaded == ["hazchem/20261127/DZYD_20261127.csv"]
    reasons = {r[0]: r[2] for r in ledger(lake) if r[1] == "rejected"}
    assert reasons["hazchem/20261128/DZYD_20261128.csv"].startswith("not_a_regular_file: a symbolic link")
    assert reasons["hazchem/20261129/DZYD_20261129.csv"].startswith("outside_landing_zone: a hard link with 2 names")
    assert len(reasons) == 2
    assert SECRET not in lake_text(lake) and archived(settings) == [good.read_bytes()]


def test_a_department_folder_linked_out_of_the_zone_is_refused(settings, lake, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    day = elsewhere / "20261127"
    day.mkdir(parents=True)
    (day / "DZYD_20261127.csv").write_text(f"{SECRET}\r\n", encoding="utf-8")
    (day / "DZYD_20261127.csv.ok").write_bytes(b"")
    settings.landing_dir.mkdir(parents=True)
    (settings.landing_dir / "hazchem").symlink_to(elsewhere, target_is_directory=True)
    report = ingest(settings, lake)
    assert report.files_loaded == [] and report.files_rejected == ["hazchem/20261127/DZYD_20261127.csv"]
    assert ledger(lake)[0][2].startswith("outside_landing_zone: reached through a symbolic link")
    assert SECRET not in lake_text(lake) and archived(settings) == []


def test_fifo_and_directory_named_like_data_files_are_rejected_without_hanging(settings, lake):
    landing = settings.landing_dir
    os.mkfifo(waybill_path(landing, "20261127"))  # reading it would wait forever for a writer
    waybill_path(landing, "20261128").mkdir()
    folder = landing / "construction"
    folder.mkdir(parents=True)
    os.mkfifo(folder / "alarms_2026112801.jsonl")  # system C: no marker, quiet period
    report = ingest(settings, lake)
    assert report.files_rejected == ["hazchem/20261127/DZYD_20261127.csv", "hazchem/20261128/DZYD_20261128.csv"]
    reasons = [r[2] for r in ledger(lake)]
    assert reasons == [
        "not_a_regular_file: a FIFO named like a data file",
        "not_a_regular_file: a directory named like a data file",
    ]
    alarms = ingest(settings, lake, ALARM)
    assert alarms.files_rejected == ["construction/alarms_2026112801.jsonl"]
    assert ledger(lake, ALARM.dataset)[0][2] == "not_a_regular_file: a FIFO named like a data file"


def raw_schema(con, table):
    return [r[0] for r in con.execute(f"DESCRIBE lake.raw.{table}").fetchall()]


def test_a_foreign_header_is_rejected_whole_and_the_raw_schema_does_not_change(settings, lake, outside):
    landing = settings.landing_dir
    waybill_path(landing, "20261127").write_bytes((WAYBILL_HEADER + WAYBILL_ROW).encode("gb18030"))
    ingest(settings, lake)
    before = raw_schema(lake, "hazchem__waybill")
    foreign = {
        "20261128": outside.read_bytes(),  # /etc/passwd copied in as a regular file
        "20261129": "车辆号牌,货物名称\r\n苏E6B123,甲醇\r\n".encode("gb18030"),  # no key column
        "20261130": ("运单编号,甲,乙,丙\r\n" + "YD1,1,2,3\r\n").encode("utf-8"),  # mostly foreign
        "20261201": ("运单编号,车辆号牌,车辆号牌\r\n" + "YD1,a,b\r\n").encode("utf-8"),  # a value would be lost
        "20261202": ("运单编号,车辆号牌,_source_file\r\n" + "YD1,a,/forged\r\n").encode("utf-8"),  # lineage
    }
    for day, data in foreign.items():
        waybill_path(landing, day).write_bytes(data)
    report = ingest(settings, lake)
    assert len(report.files_rejected) == 5 and report.files_loaded == []
    reasons = [r[2] for r in ledger(lake)[1:]]
    assert all(r.startswith("header_mismatch: ") for r in reasons), reasons
    assert "no key column '运单编号'" in reasons[0] and "no key column" in reasons[1]
    assert "3 of 4 columns are not columns of hazchem.waybill" in reasons[2]
    assert "differ only in case" in reasons[3] and "lineage column" in reasons[4]
    assert raw_schema(lake, "hazchem__waybill") == before
    assert lake.execute("SELECT count(*) FROM lake.raw.hazchem__waybill").fetchone()[0] == 1
    assert lake.execute("SELECT count(*) FROM lake.raw.reader_rejects").fetchone()[0] == 0


def test_tolerated_drift_added_reordered_and_oddly_named_columns_load(settings, lake):
    header = '货物名称,运单编号,"备注 ""内部""",车辆号牌,\r\n'  # reordered, one added (quotes in its name), one unnamed
    waybill_path(settings.landing_dir, "20261127").write_bytes(
        (header + "甲醇,YD320585202611270001,x,苏E6B123,\r\n").encode("gb18030")
    )
    report = ingest(settings, lake)
    assert report.files_loaded and report.rows_loaded == 1
    row = lake.execute('SELECT 运单编号, "备注 ""内部""", column_5 FROM lake.raw.hazchem__waybill').fetchone()
    assert row == ("YD320585202611270001", "x", "")


def test_size_and_line_bounds_reject_without_archiving_an_oversized_file(settings, lake):
    small = dataclasses.replace(WAYBILL, limits=Limits(max_file_bytes=4096, max_line_bytes=512))
    landing = settings.landing_dir
    big = waybill_path(landing, "20261127")
    big.write_bytes((WAYBILL_HEADER + WAYBILL_ROW * 200).encode("gb18030"))
    waybill_path(landing, "20261128").write_bytes((WAYBILL_HEADER + "YD1," + "长" * 400 + "\r\n").encode("utf-8"))
    report = ingest(settings, lake, small)
    assert len(report.files_rejected) == 2
    rows = ledger(lake)
    size = big.stat().st_size
    assert rows[0][2] == f"file_too_large: {size} bytes, over this feed's bound of 4096 bytes"
    assert rows[0][4] is None  # hashed, not archived
    assert rows[0][3] == hashlib.sha256(big.read_bytes()).hexdigest()
    assert rows[1][2] == "line_too_long: line 2 is 1205 bytes, over this feed's bound of 512 bytes"
    # An unclosed quote cannot swallow the rest of the file: the parser's field bound rejects it.
    waybill_path(landing, "20261129").write_bytes((WAYBILL_HEADER + 'YD1,"' + "x" * 200_000).encode("utf-8"))
    assert ingest(settings, lake).files_rejected == ["hazchem/20261129/DZYD_20261129.csv"]
    assert "malformed_csv: field larger than field limit" in ledger(lake)[-1][2]
    jsonl = dataclasses.replace(ALARM, limits=Limits(max_line_bytes=100))
    folder = landing / "construction"
    folder.mkdir()
    (folder / "alarms_2026112801.jsonl").write_text('{"alarmId":"' + "A" * 200 + '"}\n', encoding="utf-8")
    assert ingest(settings, lake, jsonl).files_rejected == ["construction/alarms_2026112801.jsonl"]
    assert ledger(lake, ALARM.dataset)[0][2].startswith("line_too_long: line 1 is 214 bytes")


def test_jsonl_objects_whose_keys_cannot_be_columns_are_reader_rejects(settings, lake):
    folder = settings.landing_dir / "construction"
    folder.mkdir(parents=True)
    good = '{"deviceSn":"TC1","type":"TOWER_CRANE"}'
    lines = [
        good,
        '{"deviceSn":"TC2","type":"HOIST","type":"TOWER_CRANE"}',  # a key twice: one value would be lost
        '{"deviceSn":"TC3","a.b":"1","a":{"b":"2"}}',  # two keys flatten to one name
        '{"deviceSn":"TC4","_load_id":"forged"}',  # a lineage name
        '{"deviceSn":"TC5","x":"\\ud800"}',  # a lone surrogate: no text column holds it
        "[" * 100_000,  # deeper than the parser's stack
    ]
    (folder / "devices_2026112801.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = ingest(settings, lake, DEVICE)
    assert (report.rows_loaded, report.rows_rejected) == (1, 5)
    rejects = lake.execute("SELECT record_number, rule, reason FROM lake.raw.reader_rejects ORDER BY 1").fetchall()
    assert [r[:2] for r in rejects] == [(n, "invalid_json") for n in range(2, 7)]
    assert "appears twice" in rejects[0][2] and "lineage" in rejects[2][2]
    assert lake.execute(
        "SELECT _load_id = ?, deviceSn FROM lake.raw.construction__device", [report.load_ids[0]]
    ).fetchall() == [(True, "TC1")]


# --- fuzz: every file ends loaded or rejected with a reason, and every accepted row traces to its file ---

CSV_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
CSV_CELL = st.one_of(
    CSV_TEXT, st.sampled_from(['"', '""', ",", "\r\n", "\n", "\r", "，", "无", ""]), CSV_TEXT.map(lambda t: f'"{t}"')
)
KNOWN_NAMES = ["运单编号", "运单状态", "车辆号牌", "货物名称", "数量(吨)"]


@st.composite
def near_valid_csv(draw) -> bytes:
    header = draw(st.lists(st.one_of(st.sampled_from(KNOWN_NAMES), CSV_TEXT), min_size=1, max_size=6))
    if draw(st.booleans()):
        header = ["运单编号", *header]
    rows = draw(st.lists(st.lists(CSV_CELL, min_size=0, max_size=len(header) + 2), max_size=6))
    text = ",".join(header) + "\r\n" + "".join(",".join(r) + draw(st.sampled_from(["\r\n", "\n", ""])) for r in rows)
    data = text.encode(draw(st.sampled_from(["gb18030", "utf-8", "utf-8-sig"])))
    if draw(st.booleans()):  # a few damaged bytes somewhere
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(max_size=4)) + data[at:]
    return data


JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | CSV_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(CSV_TEXT, inner, max_size=3),
    max_leaves=6,
)


@st.composite
def near_valid_jsonl(draw) -> bytes:
    keys = st.one_of(st.sampled_from(["alarmId", "deviceSn", "alarmCode", "level", "value"]), CSV_TEXT)
    objects = draw(st.lists(st.dictionaries(keys, JSON_VALUE, max_size=5), max_size=6))
    lines = [json.dumps(o, ensure_ascii=draw(st.booleans())) for o in objects]
    if lines and draw(st.booleans()):
        i = draw(st.integers(0, len(lines) - 1))
        lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))]  # cut short
    data = "\n".join(lines).encode("utf-8") + draw(st.sampled_from([b"\n", b"", b"\r\n"]))
    if draw(st.booleans()):
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(max_size=4)) + data[at:]
    return data


def assert_read_or_rejected(feed, data: bytes) -> None:
    try:
        parsed = feed.read(data)
    except RejectedFile as exc:
        assert str(exc).split(":", 1)[0] in FILE_RULES, exc
        return
    assert all(r.rule in RECORD_RULES for r in parsed.records)
    assert all(r.content is not None for r in parsed.records if r.values is None)  # a reject keeps its text


@hsettings(max_examples=300, deadline=None)
@given(data=st.one_of(st.binary(max_size=300), near_valid_csv()))
def test_fuzz_the_delimited_reader(data):
    assert_read_or_rejected(WAYBILL, data)
    assert_read_or_rejected(ENTERPRISE, data)


@hsettings(max_examples=300, deadline=None)
@given(data=st.one_of(st.binary(max_size=300), near_valid_jsonl()))
def test_fuzz_the_jsonl_reader(data):
    assert_read_or_rejected(ALARM, data)


_names = itertools.count()


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(csv_file=st.one_of(st.binary(max_size=200), near_valid_csv()), jsonl_file=near_valid_jsonl())
def test_fuzz_whole_loads_every_file_ends_loaded_or_rejected_and_rows_trace_to_it(settings, lake, csv_file, jsonl_file):
    n = next(_names)
    csv_path = waybill_path(settings.landing_dir, f"{20200101 + n}")
    csv_path.write_bytes(csv_file)
    folder = settings.landing_dir / "construction"
    folder.mkdir(parents=True, exist_ok=True)
    jsonl_path = folder / f"alarms_{2020010100 + n}.jsonl"
    jsonl_path.write_bytes(jsonl_file)
    for feed, path, data in ((WAYBILL, csv_path, csv_file), (ALARM, jsonl_path, jsonl_file)):
        ingest(settings, lake, feed)  # raises nothing
        rel = path.relative_to(settings.landing_dir).as_posix()
        rows = lake.execute(
            "SELECT status, reason, sha256, load_id FROM lake.meta.file_ledger WHERE source_file = ?", [rel]
        ).fetchall()
        assert len(rows) == 1, rows
        status, reason, sha, load_id = rows[0]
        assert status in ("loaded", "duplicate") or (status == "rejected" and reason.split(":")[0] in FILE_RULES)
        assert sha == hashlib.sha256(data).hexdigest()
        if status != "loaded" or raw_columns(lake, feed.raw_table) is None:
            continue
        traced = lake.execute(
            f"SELECT count(*), count(*) FILTER (WHERE _source_file = ? AND _source_sha256 = ? "
            f"AND _record_number >= 1) FROM lake.raw.{feed.raw_table} WHERE _load_id = ?",
            [rel, sha, load_id],
        ).fetchone()
        loaded = lake.execute("SELECT rows_loaded FROM lake.meta.load_log WHERE load_id = ?", [load_id]).fetchone()
        assert traced[0] == traced[1] == loaded[0]

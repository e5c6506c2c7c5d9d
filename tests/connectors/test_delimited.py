"""Reading landing-zone CSV files: encodings, quoting, the ledger (real files, a real DuckLake)."""

import codecs

import pytest

from connectors.decoding import UndecodableFile, decode_text
from connectors.delimited import read_delimited
from connectors.hazchem import ENTERPRISE
from connectors.landing import ingest_feed

HEADER = "企业编号,企业名称,详细地址\r\n"
ROWS = 'HC000001,太仓市恒泰化工有限公司,"浮桥镇港城路1号\r\n（东门），二楼"\r\nHC000002,䶮记化工,城厢镇\r\n'


def test_gb18030_utf8_and_bom():
    text = HEADER + ROWS
    assert decode_text(text.encode("gb18030")) == (text, "gb18030")
    assert decode_text(text.encode("utf-8")) == (text, "utf-8")
    assert decode_text(codecs.BOM_UTF8 + text.encode("utf-8")) == (text, "utf-8-sig")


def test_undecodable_bytes_are_rejected_not_guessed():
    with pytest.raises(UndecodableFile):
        decode_text(b"\xff\xfe\x00\x81\x30")


def test_quoted_line_breaks_and_chinese_commas_stay_in_one_record():
    parsed = read_delimited((HEADER + ROWS).encode("gb18030"))
    assert parsed.header == ["企业编号", "企业名称", "详细地址"]
    assert [r.number for r in parsed.records] == [1, 2]
    assert parsed.records[0].values["详细地址"] == "浮桥镇港城路1号\r\n（东门），二楼"
    assert parsed.records[1].values["企业名称"] == "䶮记化工"


def test_wrong_column_count_is_a_reader_reject():
    parsed = read_delimited((HEADER + "HC000003,only two\r\n").encode("utf-8"))
    assert parsed.records[0].values is None
    assert parsed.records[0].error.startswith("column_count")


def _drop(landing, day: str, body: str, encoding="gb18030", marker=True):
    path = landing / "hazchem" / day / f"QYXX_{day}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((HEADER + body).encode(encoding))
    if marker:
        path.with_name(path.name + ".ok").write_bytes(b"")
    return path


def test_ledger_marker_duplicates_and_rejects(settings, lake):
    con, landing, archive = lake, settings.landing_dir, settings.archive_dir
    _drop(landing, "20261127", ROWS)
    _drop(landing, "20261128", ROWS, marker=False)  # still being copied: not touched
    first = ingest_feed(con, ENTERPRISE, landing, archive_dir=archive)
    assert first.files_loaded == ["hazchem/20261127/QYXX_20261127.csv"] and first.rows_loaded == 2
    assert first.files_waiting == ["hazchem/20261128/QYXX_20261128.csv"]
    assert ingest_feed(con, ENTERPRISE, landing, archive_dir=archive).files_loaded == []  # nothing new
    _drop(landing, "20261128", ROWS)  # same bytes as the 27th, now complete
    bad = _drop(landing, "20261129", "x")
    bad.write_bytes(b"\xff\xfe\x00\x81\x30")
    second = ingest_feed(con, ENTERPRISE, landing, archive_dir=archive)
    assert second.files_duplicate == ["hazchem/20261128/QYXX_20261128.csv"]
    assert second.files_rejected == ["hazchem/20261129/QYXX_20261129.csv"]
    ledger = con.execute(
        "SELECT source_file, status, rows_loaded, reason FROM lake.meta.file_ledger ORDER BY 1"
    ).fetchall()
    raw = con.execute(
        "SELECT _source_file, _record_number, 详细地址 FROM lake.raw.hazchem__enterprise ORDER BY 2"
    ).fetchall()
    assert [(r[1], r[2]) for r in ledger] == [("loaded", 2), ("duplicate", 0), ("rejected", 0)]
    assert ledger[2][3].startswith("encoding: not UTF-8 and not GB18030")
    assert len(raw) == 2 and raw[0][2].endswith("二楼")


def test_bom_and_gb18030_files_load_the_same_rows(settings, lake):
    body = ROWS + "HC000003,㛃𠮷贸易,浏河镇\r\n"
    _drop(settings.landing_dir, "20261127", body, encoding="gb18030")
    path = _drop(settings.landing_dir, "20261128", "", encoding="utf-8")
    path.write_bytes(codecs.BOM_UTF8 + (HEADER + body).encode("utf-8"))
    report = ingest_feed(lake, ENTERPRISE, settings.landing_dir, archive_dir=settings.archive_dir)
    assert report.rows_loaded == 6 and report.rows_rejected == 0
    encodings = lake.execute("SELECT encoding FROM lake.meta.file_ledger ORDER BY source_file").fetchall()
    assert encodings == [("gb18030",), ("utf-8-sig",)]
    by_file = lake.execute(
        "SELECT _source_file, list(企业名称 ORDER BY _record_number) FROM lake.raw.hazchem__enterprise GROUP BY 1"
    ).fetchall()
    names = [r[1] for r in by_file]
    assert names[0] == names[1] == ["太仓市恒泰化工有限公司", "䶮记化工", "㛃𠮷贸易"]
    assert "企业编号" in [c[0] for c in lake.execute("DESCRIBE lake.raw.hazchem__enterprise").fetchall()]


def test_column_count_reject_keeps_the_record_text(settings, lake):
    _drop(settings.landing_dir, "20261127", ROWS + "HC000009,多一列,城厢镇,extra\r\n")
    report = ingest_feed(lake, ENTERPRISE, settings.landing_dir, archive_dir=settings.archive_dir)
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (3, 2, 1)
    rejects = lake.execute("SELECT record_number, rule, content FROM lake.raw.reader_rejects").fetchall()
    assert rejects == [(3, "column_count", "HC000009,多一列,城厢镇,extra")]

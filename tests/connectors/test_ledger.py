"""The file ledger: re-drops, corrections, late files, the archive (real files, a real DuckLake)."""

import os

from connectors import archive
from connectors.construction import PROJECT
from connectors.hazchem import ENTERPRISE
from connectors.landing import ingest_feed

HEADER = "企业编号,企业名称,所属镇区\r\n"


def drop(landing, day: str, body: str):
    path = landing / "hazchem" / day / f"QYXX_{day}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((HEADER + body).encode("gb18030"))
    path.with_name(path.name + ".ok").write_bytes(b"")
    return path


def ingest(settings, con, feed=ENTERPRISE):
    return ingest_feed(con, feed, settings.landing_dir, archive_dir=settings.archive_dir, quiet_seconds=0)


def ledger(con):
    return con.execute(
        "SELECT source_file, status, rows_read, rows_loaded, rows_rejected FROM lake.meta.file_ledger "
        "ORDER BY received_at"
    ).fetchall()


def test_same_file_dropped_twice_is_a_duplicate_that_loads_nothing(settings, lake):
    path = drop(settings.landing_dir, "20261127", "HC000001,恒泰化工,城厢镇\r\n")
    assert ingest(settings, lake).rows_loaded == 1
    assert ingest(settings, lake).files_loaded == []  # still there, unchanged: nothing new, nothing recorded
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 86_400 * 10**9))  # dropped again a day later
    again = ingest(settings, lake)
    assert again.files_duplicate == ["hazchem/20261127/QYXX_20261127.csv"] and again.rows_loaded == 0
    assert ledger(lake) == [
        ("hazchem/20261127/QYXX_20261127.csv", "loaded", 1, 1, 0),
        ("hazchem/20261127/QYXX_20261127.csv", "duplicate", 0, 0, 0),
    ]
    assert lake.execute("SELECT count(*) FROM lake.raw.hazchem__enterprise").fetchone()[0] == 1


def test_corrected_file_supersedes_the_earlier_version(settings, lake):
    drop(settings.landing_dir, "20261127", "HC000001,恒泰化工,城厢镇\r\nHC000002,华信化工,外星镇\r\n")
    first = ingest(settings, lake)
    drop(settings.landing_dir, "20261127", "HC000001,恒泰化工,城厢镇\r\nHC000002,华信化工,浮桥镇\r\n")
    second = ingest(settings, lake)
    assert second.files_superseded == ["hazchem/20261127/QYXX_20261127.csv"]
    assert ledger(lake) == [
        ("hazchem/20261127/QYXX_20261127.csv", "superseded", 2, 2, 0),
        ("hazchem/20261127/QYXX_20261127.csv", "loaded", 2, 2, 0),
    ]
    superseded = lake.execute(
        "SELECT load_id, superseded_by FROM lake.meta.load_log WHERE superseded_by IS NOT NULL"
    ).fetchall()
    assert superseded == [(first.load_ids[0], second.load_ids[0])]
    # Both versions stay in the raw layer for audit; the version in force is the one not superseded.
    current = lake.execute(
        "SELECT 所属镇区 FROM lake.raw.hazchem__enterprise WHERE _load_id NOT IN "
        "(SELECT load_id FROM lake.meta.load_log WHERE superseded_by IS NOT NULL) ORDER BY _record_number"
    ).fetchall()
    assert current == [("城厢镇",), ("浮桥镇",)]
    assert lake.execute("SELECT count(*) FROM lake.raw.hazchem__enterprise").fetchone()[0] == 4


def test_late_file_for_an_earlier_day_loads(settings, lake):
    drop(settings.landing_dir, "20261128", "HC000001,恒泰化工,城厢镇\r\n")
    ingest(settings, lake)
    drop(settings.landing_dir, "20261126", "HC000001,恒泰化工,沙溪镇\r\n")
    late = ingest(settings, lake)
    assert late.files_loaded == ["hazchem/20261126/QYXX_20261126.csv"]
    assert [r[1] for r in ledger(lake)] == ["loaded", "loaded"]


def test_every_received_file_is_archived_and_its_load_can_be_replayed(settings, lake):
    drop(settings.landing_dir, "20261127", "HC000001,恒泰化工,城厢镇\r\n")
    ingest(settings, lake)
    (sha, path) = lake.execute("SELECT sha256, archive_path FROM lake.meta.file_ledger").fetchone()
    data = archive.fetch(settings.archive_dir, sha)
    assert (settings.archive_dir / path).stat().st_mode & 0o222 == 0  # read-only
    replayed = ENTERPRISE.read(data)
    raw = lake.execute(
        "SELECT _record_number, 企业编号, 企业名称, 所属镇区 FROM lake.raw.hazchem__enterprise"
    ).fetchall()
    assert raw == [(r.number, *r.values.values()) for r in replayed.records]


def test_empty_hourly_files_are_not_duplicates_of_each_other(settings, lake):
    folder = settings.landing_dir / "construction"
    folder.mkdir(parents=True)
    for hour in ("2026112801", "2026112802"):
        (folder / f"projects_{hour}.jsonl").write_bytes(b"")
    report = ingest(settings, lake, PROJECT)
    assert len(report.files_loaded) == 2 and report.rows_read == 0
    assert lake.execute("SELECT count(*) FROM lake.raw.construction__project").fetchone()[0] == 0


def test_files_share_a_commit_and_a_failed_write_rolls_back_only_what_was_not_committed(settings, lake, monkeypatch):
    """Three days' files in one lake snapshot; a write failing on the third rolls the batch back whole (nothing
    half-recorded), and the next ingest loads all three."""
    from connectors import landing, raw_layer

    for day in ("20261125", "20261126", "20261127"):
        drop(settings.landing_dir, day, f"HC{day[-2:]}0001,恒泰化工,城厢镇\r\n")
    real = raw_layer.write_load
    calls = []

    def fails_on_the_third(con, load, header, records):
        calls.append(load)
        if len(calls) == 3:
            raise OSError("disk full")
        return real(con, load, header, records)

    monkeypatch.setattr(landing.raw_layer, "write_load", fails_on_the_third)
    try:
        ingest(settings, lake)
    except OSError:
        pass
    else:
        raise AssertionError("the failed write did not stop the ingest")
    assert ledger(lake) == [] and lake.execute("SELECT count(*) FROM lake.meta.load_log").fetchone()[0] == 0

    monkeypatch.setattr(landing.raw_layer, "write_load", real)
    snapshots = lake.execute("SELECT count(*) FROM lake.snapshots()").fetchone()[0]
    assert len(ingest(settings, lake).files_loaded) == 3
    assert [status for _, status, *_ in ledger(lake)] == ["loaded"] * 3
    assert lake.execute("SELECT count(*) FROM lake.snapshots()").fetchone()[0] == snapshots + 1

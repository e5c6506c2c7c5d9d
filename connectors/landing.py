"""Landing-zone ingestion: complete files -> raw tables (text as delivered + lineage), with a file ledger.

Every file version seen is recorded in `lake.meta.file_ledger` with its sha256, size, mtime, when it
was received and what became of it:

- `loaded`     rows (and reader rejects) are in the raw layer;
- `duplicate`  bytes already loaded for this dataset dropped again (same name, or another): nothing loaded;
- `superseded` was loaded, then the same name arrived with new bytes (a correction): its rows stay in
               the raw layer for audit, marked by `superseded_by` here and in `lake.meta.load_log`;
- `rejected`   the file as a whole cannot be read (e.g. `encoding: ...`): nothing loaded.

One file version is loaded in one lake transaction (rows, rejects, load log, ledger, supersession), so
a load killed midway leaves no trace and the next run loads the file again from scratch. The bytes
are archived (content-addressed) before anything is written, so every load can be replayed.
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from connectors import archive, raw_layer
from connectors.feeds import DEFAULT_QUIET_SECONDS, LandingFeed
from connectors.raw_layer import Load
from connectors.records import RejectedFile

LEDGER_DDL = """
CREATE TABLE IF NOT EXISTS lake.meta.file_ledger (
    dataset VARCHAR, source_file VARCHAR, sha256 VARCHAR, size_bytes BIGINT, received_at TIMESTAMPTZ,
    status VARCHAR, reason VARCHAR, encoding VARCHAR, rows_read BIGINT, rows_loaded BIGINT,
    rows_rejected BIGINT, load_id VARCHAR, rows_skipped BIGINT, mtime_ns BIGINT, archive_path VARCHAR,
    superseded_by VARCHAR)
"""


@dataclass
class LoadReport:
    dataset: str
    files_loaded: list[str] = field(default_factory=list)
    files_duplicate: list[str] = field(default_factory=list)
    files_superseded: list[str] = field(default_factory=list)
    files_rejected: list[str] = field(default_factory=list)
    files_waiting: list[str] = field(default_factory=list)
    """Matching files not complete yet (no marker, still changing)."""
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    load_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Seen:
    sha256: str
    mtime_ns: int
    status: str


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(LEDGER_DDL)
    raw_layer.ensure_tables(con)


@dataclass
class _Ledger:
    """What the ledger knows of one dataset: versions per file name, and the bytes in force."""

    by_file: dict[str, list[_Seen]] = field(default_factory=dict)
    loaded: set[str] = field(default_factory=set)

    def add(self, rel: str, seen: _Seen) -> None:
        history = self.by_file.setdefault(rel, [])
        if seen.status == "loaded":
            for i, old in enumerate(history):
                if old.status == "loaded":  # superseded by this version
                    history[i] = _Seen(old.sha256, old.mtime_ns, "superseded")
                    self.loaded.discard(old.sha256)
            self.loaded.add(seen.sha256)
        history.append(seen)


def _read_ledger(con: duckdb.DuckDBPyConnection, dataset: str) -> _Ledger:
    rows = con.execute(
        "SELECT source_file, sha256, mtime_ns, status FROM lake.meta.file_ledger WHERE dataset = ? "
        "ORDER BY received_at",
        [dataset],
    ).fetchall()
    ledger = _Ledger()
    for rel, sha, mtime_ns, status in rows:
        ledger.add(rel, _Seen(sha, mtime_ns, status))
    return ledger


def _current(history: list[_Seen]) -> _Seen | None:
    """The version of a file name now in force: the newest loaded (or rejected) one."""
    return next((s for s in reversed(history) if s.status in ("loaded", "rejected")), None)


def load_file(
    con: duckdb.DuckDBPyConnection,
    feed: LandingFeed,
    landing_dir: Path,
    path: Path,
    report: LoadReport,
    *,
    archive_dir: Path,
    known: _Ledger | None = None,
) -> None:
    rel = path.relative_to(landing_dir).as_posix()
    before = path.stat()
    data = path.read_bytes()
    after = path.stat()
    if _version(before) != _version(after) or len(data) != after.st_size:
        report.files_waiting.append(rel)  # changed while we read it: still being written
        return
    digest = archive.sha256_bytes(data)
    known = known if known is not None else _read_ledger(con, feed.dataset)
    history = known.by_file.get(rel, [])
    if any(s.sha256 == digest and s.mtime_ns == after.st_mtime_ns for s in history):
        return  # this exact delivery is already recorded
    current = _current(history)
    stored = archive.store(archive_dir, data, digest)
    load_id = uuid.uuid4().hex
    now = datetime.now(UTC)
    ledger: dict[str, object] = {
        "dataset": feed.dataset,
        "source_file": rel,
        "sha256": digest,
        "size_bytes": len(data),
        "mtime_ns": after.st_mtime_ns,
        "received_at": now,
        "load_id": load_id,
        "archive_path": stored.relative_to(archive_dir).as_posix(),
        "encoding": None,
        "reason": None,
        "rows_read": 0,
        "rows_loaded": 0,
        "rows_rejected": 0,
        "rows_skipped": 0,
    }
    parsed = None
    # Empty files (an hour with no changes) are all alike, and never a re-delivery of one another.
    if (data and digest in known.loaded) or (current is not None and current.sha256 == digest):
        ledger["status"] = "duplicate"
    else:
        try:
            parsed = feed.read(data)
        except RejectedFile as exc:
            ledger.update(status="rejected", reason=str(exc))
        else:
            ledger.update(status="loaded", encoding=parsed.encoding, rows_skipped=parsed.rows_skipped)
    with raw_layer.transaction(con):
        if parsed is not None:
            load = Load(feed.dataset, feed.source_system, rel, digest, load_id, now)
            counts = raw_layer.write_load(con, load, parsed.header, parsed.records)
            _pause_for_tests()
            ledger.update(
                rows_read=counts.rows_read, rows_loaded=counts.rows_loaded, rows_rejected=counts.rows_rejected
            )
            if current is not None and current.status == "loaded":
                _supersede(con, feed.dataset, rel, load_id)
        cols = list(ledger)
        con.execute(
            f"INSERT INTO lake.meta.file_ledger ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
            [ledger[c] for c in cols],
        )
    status = str(ledger["status"])
    known.add(rel, _Seen(digest, after.st_mtime_ns, status))
    if status == "duplicate":
        report.files_duplicate.append(rel)
    elif status == "rejected":
        report.files_rejected.append(rel)
    else:
        report.files_loaded.append(rel)
        if current is not None and current.status == "loaded":
            report.files_superseded.append(rel)
        report.load_ids.append(load_id)
        report.rows_read += int(ledger["rows_read"])
        report.rows_loaded += int(ledger["rows_loaded"])
        report.rows_rejected += int(ledger["rows_rejected"])


def _version(st: os.stat_result) -> tuple[int, int, int]:
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns


def _supersede(con: duckdb.DuckDBPyConnection, dataset: str, rel: str, by_load_id: str) -> None:
    old = [
        r[0]
        for r in con.execute(
            "SELECT load_id FROM lake.meta.file_ledger WHERE dataset = ? AND source_file = ? AND status = 'loaded'",
            [dataset, rel],
        ).fetchall()
    ]
    con.execute(
        "UPDATE lake.meta.file_ledger SET status = 'superseded', superseded_by = ? "
        "WHERE dataset = ? AND source_file = ? AND status = 'loaded'",
        [by_load_id, dataset, rel],
    )
    con.execute(
        "UPDATE lake.meta.load_log SET superseded_by = ? WHERE dataset = ? AND load_id IN (SELECT unnest(?))",
        [by_load_id, dataset, old],
    )


def _pause_for_tests() -> None:
    # Test hook of the kill-midway test: holds the transaction open with its rows written.
    delay = os.environ.get("SDC_TEST_LOAD_PAUSE_SECONDS")
    if delay:
        time.sleep(float(delay))


def ingest_feed(
    con: duckdb.DuckDBPyConnection,
    feed: LandingFeed,
    landing_dir: Path,
    *,
    archive_dir: Path,
    quiet_seconds: float = DEFAULT_QUIET_SECONDS,
) -> LoadReport:
    """Load every complete file version of this feed that the ledger has not recorded yet."""
    ensure_tables(con)
    report = LoadReport(feed.dataset)
    known = _read_ledger(con, feed.dataset)
    for path in feed.candidates(landing_dir):
        rel = path.relative_to(landing_dir).as_posix()
        if not feed.is_complete(path, quiet_seconds=quiet_seconds):
            report.files_waiting.append(rel)
            continue
        load_file(con, feed, landing_dir, path, report, archive_dir=archive_dir, known=known)
    return report

"""Landing-zone ingestion: complete files -> raw tables (text as delivered + lineage), with a file ledger.

Every file version seen is recorded in `lake.meta.file_ledger` with its sha256, size, mtime, when it
was received and what became of it:

- `loaded`     rows (and reader rejects) are in the raw layer;
- `duplicate`  bytes already loaded for this dataset dropped again (same name, or another): nothing loaded;
- `superseded` was loaded, then the same name arrived with new bytes (a correction): its rows stay in
               the raw layer for audit, marked by `superseded_by` here and in `lake.meta.load_log`;
- `rejected`   the file as a whole cannot be read (e.g. `encoding: ...`) or is not what its name claims
               (`header_mismatch`, `file_too_large`, `connectors/shape.py`): nothing loaded; or the entry
               is not a regular file inside the landing zone (`not_a_regular_file`: a symbolic link, FIFO,
               socket, device or directory; `outside_landing_zone`: a link leading out, a hard link):
               never opened for reading, recorded without sha256, nothing archived.

A file version is loaded whole in one lake transaction (rows, rejects, load log, ledger, supersession), so
a load killed midway leaves no trace of it and the next run loads the file again from scratch. Files share
a transaction up to BATCH_ROWS rows: a commit costs ~75 ms (a catalog write and its fsync) and system C's
hourly files hold a few dozen rows each, 72 of them per feed in three days. The bytes read
are archived (content-addressed, from the very bytes hashed and parsed, never a second read of the path)
before anything is written, so every load can be replayed; a file over its feed's size bound is hashed
but not archived.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
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


BATCH_ROWS = 200_000  # what a kill or an error rolls back at most: the next run loads those files again


class _Batch:
    """The open lake transaction the files of one ingest are written in, committed every BATCH_ROWS rows and at
    the end. An error inside a write rolls back the files not committed yet and stops the ingest."""

    def __init__(self, con: duckdb.DuckDBPyConnection, max_rows: int = BATCH_ROWS):
        self.con, self.max_rows = con, max_rows
        self.rows = 0
        self.open = False

    @contextmanager
    def write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        if not self.open:
            self.con.execute("BEGIN")
            self.open = True
        try:
            yield self.con
        except BaseException:
            self.open = False
            self.con.execute("ROLLBACK")
            raise

    def written(self, rows: int) -> None:
        self.rows += rows
        if self.rows >= self.max_rows:
            self.commit()

    def commit(self) -> None:
        if self.open:
            self.open = False
            self.con.execute("COMMIT")
        self.rows = 0


@dataclass(frozen=True)
class _Seen:
    sha256: str | None
    """None for an entry refused unread (a link, a FIFO, a directory)."""
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


NOT_REGULAR = "not_a_regular_file"
OUTSIDE = "outside_landing_zone"
_KINDS = {
    stat.S_IFDIR: "a directory",
    stat.S_IFIFO: "a FIFO",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
}
_CHUNK = 1 << 20


class _Refused(Exception):
    """The entry is not a regular file inside the landing zone: it is recorded, never read."""


def refusal(landing_dir: Path, path: Path, st: os.stat_result) -> str | None:
    """Why this landing-zone entry must not be read (`st` is its lstat: nothing is opened), or None.

    Only regular files with a single name, reached without a symbolic link, are read: a link (or a hard
    link, whose other name may be anywhere on the file system) would let whoever can write the landing
    zone make us copy any file our service user can read into the warehouse.
    """
    root = landing_dir.resolve()
    real = Path(os.path.realpath(path))
    if stat.S_ISLNK(st.st_mode) or real != root / path.relative_to(landing_dir):
        link = "a symbolic link" if stat.S_ISLNK(st.st_mode) else "reached through a symbolic link"
        if stat.S_ISLNK(st.st_mode):
            link += f" to {os.readlink(path)[:200]!r}"  # the link's own text, as the department wrote it
        if not real.is_relative_to(root):
            return f"{OUTSIDE}: {link} that resolves outside the landing zone"
        return f"{NOT_REGULAR}: {link}; only regular files are read"
    return refusal_of_open(st)


def _open(landing_dir: Path, rel: str) -> int:
    """Open a landing-zone file for reading without following any link below the root, and without
    blocking (a FIFO swapped in after the lstat opens at once instead of waiting for a writer)."""
    dir_fd = os.open(landing_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        *folders, name = rel.split("/")
        for folder in folders:
            inner = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dir_fd)
            os.close(dir_fd)
            dir_fd = inner
        return os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY, dir_fd=dir_fd)
    except FileNotFoundError:
        raise
    except OSError as exc:  # ELOOP: a link swapped in; ENOTDIR, ENXIO: not a file any more
        raise _Refused(f"{NOT_REGULAR}: changed into something else while being opened ({exc.strerror})") from exc
    finally:
        os.close(dir_fd)


def _read(fd: int, bound: int) -> tuple[bytes | None, str, int]:
    """(bytes, sha256, size) of an open file; bytes None when it is larger than `bound` (then only hashed,
    a chunk at a time, so an oversized file never fills memory)."""
    digest, chunks, size = hashlib.sha256(), [], 0
    while chunk := os.read(fd, _CHUNK):
        digest.update(chunk)
        size += len(chunk)
        if size <= bound:
            chunks.append(chunk)
        else:
            chunks.clear()
    return (b"".join(chunks) if size <= bound else None), digest.hexdigest(), size


def load_file(
    con: duckdb.DuckDBPyConnection,
    feed: LandingFeed,
    landing_dir: Path,
    path: Path,
    report: LoadReport,
    *,
    archive_dir: Path,
    known: _Ledger,
    batch: _Batch,
) -> None:
    rel = path.relative_to(landing_dir).as_posix()
    try:
        listed = path.lstat()
        refused = refusal(landing_dir, path, listed)
        if refused:
            raise _Refused(refused)
        fd = _open(landing_dir, rel)
        try:
            before = os.fstat(fd)
            refused = refusal_of_open(before)
            if refused:
                raise _Refused(refused)
            data, digest, size = _read(fd, feed.limits.max_file_bytes)
            after = os.fstat(fd)
        finally:
            os.close(fd)
    except FileNotFoundError:
        return  # gone since it was listed
    except _Refused as exc:
        _record_unread(batch, feed, rel, listed, str(exc), report, known)
        return
    if _version(before) != _version(after) or size != after.st_size:
        report.files_waiting.append(rel)  # changed while we read it: still being written
        return
    history = known.by_file.get(rel, [])
    if any(s.sha256 == digest and s.mtime_ns == after.st_mtime_ns for s in history):
        return  # this exact delivery is already recorded
    current = _current(history)
    previous = next((s for s in reversed(history) if s.status == "loaded"), None)
    # The archive keeps the bytes read here, never a second read of the path; an oversized file is not kept.
    stored = archive.store(archive_dir, data, digest) if data is not None else None
    load_id = uuid.uuid4().hex
    now = datetime.now(UTC)
    ledger: dict[str, object] = {
        "dataset": feed.dataset,
        "source_file": rel,
        "sha256": digest,
        "size_bytes": size,
        "mtime_ns": after.st_mtime_ns,
        "received_at": now,
        "load_id": load_id,
        "archive_path": stored.relative_to(archive_dir).as_posix() if stored else None,
        "encoding": None,
        "reason": None,
        "rows_read": 0,
        "rows_loaded": 0,
        "rows_rejected": 0,
        "rows_skipped": 0,
    }
    parsed = None
    # Empty files (an hour with no changes) are all alike, and never a re-delivery of one another.
    if (size and digest in known.loaded) or (current is not None and current.sha256 == digest):
        ledger["status"] = "duplicate"
    else:
        try:
            feed.limits.check_size(size)
            parsed = feed.read(data or b"")
        except RejectedFile as exc:
            ledger.update(status="rejected", reason=str(exc))
        except Exception as exc:  # a reader bug on one file must not stop the others
            ledger.update(status="rejected", reason=f"reader_error: {type(exc).__name__}: {exc}"[:2000])
        else:
            ledger.update(status="loaded", encoding=parsed.encoding, rows_skipped=parsed.rows_skipped)
    with batch.write():
        if parsed is not None:
            load = Load(feed.dataset, feed.source_system, rel, digest, load_id, now)
            counts = raw_layer.write_load(con, load, parsed.header, parsed.records)
            _pause_for_tests()
            ledger.update(
                rows_read=counts.rows_read, rows_loaded=counts.rows_loaded, rows_rejected=counts.rows_rejected
            )
            if previous is not None:
                _supersede(con, feed.dataset, rel, load_id)
        _insert_ledger(con, ledger)
    batch.written(int(ledger["rows_read"]))
    status = str(ledger["status"])
    known.add(rel, _Seen(digest, after.st_mtime_ns, status))
    if status == "duplicate":
        report.files_duplicate.append(rel)
    elif status == "rejected":
        report.files_rejected.append(rel)
    else:
        report.files_loaded.append(rel)
        if previous is not None:
            report.files_superseded.append(rel)
        report.load_ids.append(load_id)
        report.rows_read += int(ledger["rows_read"])
        report.rows_loaded += int(ledger["rows_loaded"])
        report.rows_rejected += int(ledger["rows_rejected"])


def refusal_of_open(st: os.stat_result) -> str | None:
    """What can be told from the file itself (its lstat, or the fstat of the opened file, in case the
    entry was swapped after it was listed): a regular file with one name, or why not."""
    if not stat.S_ISREG(st.st_mode):
        return f"{NOT_REGULAR}: {_KINDS.get(stat.S_IFMT(st.st_mode), 'not a file')} named like a data file"
    if st.st_nlink > 1:
        return f"{OUTSIDE}: a hard link with {st.st_nlink} names; the others may be outside the landing zone"
    return None


def _record_unread(
    batch: _Batch,
    feed: LandingFeed,
    rel: str,
    listed: os.stat_result,
    reason: str,
    report: LoadReport,
    known: _Ledger,
) -> None:
    """One ledger row for an entry that was not read (no sha256, nothing archived), once per entry version."""
    if any(s.sha256 is None and s.mtime_ns == listed.st_mtime_ns for s in known.by_file.get(rel, [])):
        return
    ledger = {
        "dataset": feed.dataset,
        "source_file": rel,
        "sha256": None,
        "size_bytes": None,
        "mtime_ns": listed.st_mtime_ns,
        "received_at": datetime.now(UTC),
        "status": "rejected",
        "reason": reason,
        "rows_read": 0,
        "rows_loaded": 0,
        "rows_rejected": 0,
        "rows_skipped": 0,
    }
    with batch.write() as con:
        _insert_ledger(con, ledger)
    known.add(rel, _Seen(None, listed.st_mtime_ns, "rejected"))
    report.files_rejected.append(rel)


def _insert_ledger(con: duckdb.DuckDBPyConnection, ledger: dict[str, object]) -> None:
    cols = list(ledger)
    con.execute(
        f"INSERT INTO lake.meta.file_ledger ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
        [ledger[c] for c in cols],
    )


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
    batch = _Batch(con)
    try:
        for path in feed.candidates(landing_dir):
            rel = path.relative_to(landing_dir).as_posix()
            try:
                # An entry that is not a regular file is refused at once: there is nothing to wait for.
                regular = refusal(landing_dir, path, path.lstat()) is None
                if regular and not feed.is_complete(path, quiet_seconds=quiet_seconds):
                    report.files_waiting.append(rel)
                    continue
            except FileNotFoundError:
                continue  # gone since it was listed
            load_file(con, feed, landing_dir, path, report, archive_dir=archive_dir, known=known, batch=batch)
    finally:
        batch.commit()  # what was written before an error outside a write (an error inside one rolled back)
    return report

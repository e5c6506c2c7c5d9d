"""System E — 信用太仓 · 安全生产严重失信主体名单 (市信用办): the full list on every pull, and its history.

The list has no incremental filter: each pull reads every page. A complete snapshot (every page read,
as many distinct entries as `totalCount`) is compared with what we saw last:

- a new entry, or an entry whose content changed, is a new version: its row goes to the raw layer
  (only new versions do: an unchanged entry is not loaded again) and opens a history interval;
- an entry still there unchanged extends its interval (`last_seen_at`);
- an entry gone from the list closes its interval (`ended_at`, `end_reason = 'removed'`).

`lake.raw.credit__dishonest_entry_history` therefore answers "was X on the list on date D":
an open interval of a version with `zt = 有效` on D (see `listed_on`). An incomplete snapshot is an
error and changes nothing: a missing page must never look like a removal.
"""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb

from connectors import api_loads, raw_layer
from connectors.api_client import ApiClient, ApiError, Endpoint, Envelope, Retrying
from connectors.api_loads import PullReport

SOURCE_SYSTEM = "credit"
SYSTEM = "credit API (system E, 信用太仓 严重失信主体名单)"

DISHONEST = Endpoint(
    dataset="credit.dishonest_entry",
    source_system=SOURCE_SYSTEM,
    system=SYSTEM,
    path="/openapi/credit/dishonest",
    envelope=Envelope(
        status_key="success",
        ok_value=True,
        message_key="errorMsg",
        records_path=("result", "records"),
        total_path=("result", "totalCount"),
    ),
    page_param="pageNo",
    size_param="pageSize",
    page_size=100,
    key_field="id",
)
ENDPOINTS = (DISHONEST,)
TITLES = {DISHONEST.dataset: "严重失信主体名单 (dishonest-subject list)"}
HISTORY = "credit__dishonest_entry_history"
HISTORY_DDL = f"""
CREATE TABLE IF NOT EXISTS lake.raw.{HISTORY} (
    entry_id VARCHAR, record_sha256 VARCHAR, first_seen_at TIMESTAMPTZ, last_seen_at TIMESTAMPTZ,
    ended_at TIMESTAMPTZ, end_reason VARCHAR, first_load_id VARCHAR, last_load_id VARCHAR)
"""


def client(base_url: str, api_key: str, *, archive_dir, retrying: Retrying | None = None, **kw) -> ApiClient:
    return ApiClient(base_url, {"X-Api-Key": api_key}, SYSTEM, archive_dir=archive_dir, retrying=retrying, **kw)


def _identity(record) -> str:
    key = (record.values or {}).get(DISHONEST.key_field)
    return key if key else f"sha256:{record.sha256}"  # an entry without id is known by its content


def pull_snapshot(con: duckdb.DuckDBPyConnection, api: ApiClient) -> PullReport:
    api_loads.ensure_tables(con)
    con.execute(HISTORY_DDL)
    pull = api.pull(DISHONEST, {})
    entries = {_identity(r): r for r in pull.records}
    if pull.total is None or len(entries) != pull.total or len(pull.records) != pull.total:
        raise ApiError(
            f"{SYSTEM}: incomplete snapshot ({len(pull.records)} records, {len(entries)} distinct entries, "
            f"totalCount {pull.total}); nothing recorded"
        )
    now = datetime.now(UTC)
    with raw_layer.transaction(con):
        open_versions = dict(
            con.execute(f"SELECT entry_id, record_sha256 FROM lake.raw.{HISTORY} WHERE ended_at IS NULL").fetchall()
        )
        changed = [r for key, r in entries.items() if open_versions.get(key) != r.sha256]
        # Only content never loaded goes to the raw layer; an entry returning to an earlier content opens a
        # new history interval that points at the row already there.
        fresh, already = api_loads.new_records(con, DISHONEST, pull)
        report = api_loads.write_pull(con, DISHONEST, pull, fresh, already, request=f"GET {DISHONEST.path}")
        unchanged = [key for key, r in entries.items() if open_versions.get(key) == r.sha256]
        ended_changed = [key for key in open_versions if key in entries and entries[key].sha256 != open_versions[key]]
        removed = [key for key in open_versions if key not in entries]
        if unchanged:
            con.execute(
                f"UPDATE lake.raw.{HISTORY} SET last_seen_at = ?, last_load_id = ? "
                "WHERE ended_at IS NULL AND entry_id IN (SELECT unnest(?))",
                [now, report.load_id, unchanged],
            )
        for keys, reason in ((ended_changed, "changed"), (removed, "removed")):
            if keys:
                con.execute(
                    f"UPDATE lake.raw.{HISTORY} SET ended_at = ?, end_reason = ? "
                    "WHERE ended_at IS NULL AND entry_id IN (SELECT unnest(?))",
                    [now, reason, keys],
                )
        for r in changed:
            con.execute(
                f"INSERT INTO lake.raw.{HISTORY} VALUES (?, ?, ?, ?, NULL, NULL, ?, ?)",
                [_identity(r), r.sha256, now, now, report.load_id, report.load_id],
            )
    return report


def listed_on(con: duckdb.DuckDBPyConnection, when: datetime) -> list[str]:
    """Entry ids observed on the list (status 有效) at `when` (UTC-aware), from the history."""
    rows = con.execute(
        f"""
        SELECT DISTINCT h.entry_id FROM lake.raw.{HISTORY} h
        JOIN lake.raw.credit__dishonest_entry r ON r._record_sha256 = h.record_sha256
        WHERE h.first_seen_at <= ? AND (h.ended_at IS NULL OR h.ended_at > ?) AND r.zt = '有效'
        ORDER BY 1
        """,
        [when, when],
    ).fetchall()
    return [r[0] for r in rows]

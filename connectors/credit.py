"""System E — 信用太仓 · 安全生产严重失信主体名单 (市信用办): the full list on every pull.

The list has no incremental filter: each pull reads every page. Only a complete snapshot (every page read,
as many distinct entries as `totalCount`) is recorded: an entry's new or changed content goes to the raw
layer (an unchanged entry is not loaded again); an incomplete one is an error and records nothing. The
list's history (which version was in force when) is dbt's `dishonest_entry_history`, from those versions.
"""

from __future__ import annotations

import duckdb

from connectors import api_loads
from connectors.api_client import ApiClient, ApiError, Endpoint, Envelope, Retrying
from connectors.api_loads import PullReport
from warehouse.lake import transaction

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


def client(base_url: str, api_key: str, *, archive_dir, retrying: Retrying | None = None, **kw) -> ApiClient:
    return ApiClient(base_url, {"X-Api-Key": api_key}, SYSTEM, archive_dir=archive_dir, retrying=retrying, **kw)


def _identity(record) -> str:
    key = (record.values or {}).get(DISHONEST.key_field)
    return key if key else f"sha256:{record.sha256}"  # an entry without id is known by its content


def pull_snapshot(con: duckdb.DuckDBPyConnection, api: ApiClient) -> PullReport:
    api_loads.ensure_tables(con)
    pull = api.pull(DISHONEST, {})
    entries = {_identity(r): r for r in pull.records}
    if pull.total is None or len(entries) != pull.total or len(pull.records) != pull.total:
        raise ApiError(
            f"{SYSTEM}: incomplete snapshot ({len(pull.records)} records, {len(entries)} distinct entries, "
            f"totalCount {pull.total}); nothing recorded"
        )
    with transaction(con):
        fresh, already = api_loads.new_records(con, DISHONEST, pull)
        report = api_loads.write_pull(con, DISHONEST, pull, fresh, already, request=f"GET {DISHONEST.path}")
    return report

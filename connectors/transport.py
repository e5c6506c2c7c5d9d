"""System B — 两客一危动态监管平台 (市交通运输局): vehicles (incremental) and alarms (time windows).

Vehicles: `updatedSince` = the persisted cursor (the newest `gxsj` committed so far) minus `overlap`;
the records served again are recognised as loaded. A `gxsj` later than now (a platform
clock or data error) never moves the cursor, or every later change would be skipped.

Alarms: windows `[start, end)` of at most `window` (≤ 31 days, the platform's limit) from the cursor to
now; one load per window, committed with the cursor = its end. Each pull starts `overlap` before the
cursor, because a record can become visible a little after its `gxsj`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import duckdb

from connectors import api_loads
from connectors.api_client import ApiClient, Endpoint, Envelope, Retrying
from connectors.api_loads import PullReport
from warehouse.lake import transaction

SOURCE_SYSTEM = "transport"
SYSTEM = "transport API (system B, 两客一危动态监管平台)"
BEIJING = ZoneInfo("Asia/Shanghai")
TS = "%Y-%m-%d %H:%M:%S"
MAX_WINDOW = timedelta(days=31)

ENVELOPE = Envelope(
    status_key="code", ok_value=0, message_key="message", records_path=("data", "list"), total_path=("data", "total")
)
VEHICLES = Endpoint(
    dataset="transport.vehicle",
    source_system=SOURCE_SYSTEM,
    system=SYSTEM,
    path="/api/v2/vehicles",
    envelope=ENVELOPE,
    page_param="page",
    size_param="size",
    page_size=500,
    key_field="clid",
)
ALARMS = Endpoint(
    dataset="transport.alarm",
    source_system=SOURCE_SYSTEM,
    system=SYSTEM,
    path="/api/v2/alarms",
    envelope=ENVELOPE,
    page_param="page",
    size_param="size",
    page_size=500,
    key_field="bjid",
)
ENDPOINTS = (VEHICLES, ALARMS)
TITLES = {VEHICLES.dataset: "车辆 (transport vehicles)", ALARMS.dataset: "报警 (transport alarms)"}


@dataclass(frozen=True)
class AlarmWindows:
    window: timedelta = timedelta(days=1)
    overlap: timedelta = timedelta(minutes=10)
    default_lookback: timedelta = timedelta(days=30)


def client(base_url: str, token: str, *, archive_dir, retrying: Retrying | None = None, **kw) -> ApiClient:
    return ApiClient(base_url, {"Authorization": f"Bearer {token}"}, SYSTEM, archive_dir=archive_dir,
                     retrying=retrying, **kw)  # fmt: skip


def beijing_now() -> datetime:
    return datetime.now(BEIJING).replace(tzinfo=None, microsecond=0)


def pull_vehicles(
    con: duckdb.DuckDBPyConnection,
    api: ApiClient,
    *,
    now: datetime | None = None,
    overlap: timedelta = timedelta(minutes=10),
) -> PullReport:
    api_loads.ensure_tables(con)
    now = now or beijing_now()
    cursor = api_loads.get_cursor(con, VEHICLES.dataset)
    since = (datetime.strptime(cursor, TS) - overlap).strftime(TS) if cursor else None
    params = {"updatedSince": since} if since else {}
    pull = api.pull(VEHICLES, params)
    stamps = [
        r.values.get("gxsj") for r in pull.records if r.values and _is_ts(r.values.get("gxsj"))
    ]  # only well-formed times can be a cursor
    newest = max((t for t in stamps if t <= now.strftime(TS)), default=None)
    cursor_after = max(filter(None, [cursor, newest]), default=None)
    request = f"GET {VEHICLES.path}" + (f"?updatedSince={since}" if since else "")
    with transaction(con):
        fresh, already = api_loads.new_records(con, VEHICLES, pull)
        return api_loads.write_pull(
            con, VEHICLES, pull, fresh, already, request=request, cursor_before=cursor, cursor_after=cursor_after
        )


def alarm_windows(start: datetime, end: datetime, window: timedelta) -> list[tuple[datetime, datetime]]:
    window = min(window, MAX_WINDOW)
    out = []
    while start < end:
        out.append((start, min(start + window, end)))
        start = out[-1][1]
    return out


def pull_alarms(
    con: duckdb.DuckDBPyConnection,
    api: ApiClient,
    *,
    now: datetime | None = None,
    since: datetime | None = None,
    windows: AlarmWindows | None = None,
) -> list[PullReport]:
    """Every window from the cursor to now; each committed on its own (an interrupted pull resumes there)."""
    api_loads.ensure_tables(con)
    windows = windows or AlarmWindows()
    now = now or beijing_now()
    cursor = api_loads.get_cursor(con, ALARMS.dataset)
    start = datetime.strptime(cursor, TS) - windows.overlap if cursor else (since or now - windows.default_lookback)
    reports = []
    for a, b in alarm_windows(start, now, windows.window):
        before = api_loads.get_cursor(con, ALARMS.dataset)
        params = {"startTime": a.strftime(TS), "endTime": b.strftime(TS)}
        pull = api.pull(ALARMS, params)
        request = f"GET {ALARMS.path}?startTime={params['startTime']}&endTime={params['endTime']}"
        after = max(filter(None, [before, params["endTime"]]))
        with transaction(con):
            fresh, already = api_loads.new_records(con, ALARMS, pull)
            reports.append(
                api_loads.write_pull(
                    con, ALARMS, pull, fresh, already, request=request, cursor_before=before, cursor_after=after
                )
            )
    return reports


def _is_ts(value: str | None) -> bool:
    try:
        datetime.strptime(value or "", TS)
    except ValueError:
        return False
    return True

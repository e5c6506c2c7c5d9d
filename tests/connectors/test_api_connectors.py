"""API connectors for systems B and E against the simulator's HTTP server on loopback."""

import dataclasses
import datetime as dt
import json
from types import SimpleNamespace

import dagster as dg
import httpx
import pytest
from simworld import api_view, window

import simulator
from connectors import api_loads, credit, transport
from connectors.api_client import ApiAuthError, ApiUnavailable, Retrying
from data_contracts.contract import load_contract

FAST = Retrying(backoff_seconds=0.01, max_backoff_seconds=0.05, timeout_seconds=5)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("sim")
    simulator.simulate(root / "landing", root / "world", days=2, scale=0.05, seed=11)
    return root / "world"


@pytest.fixture
def server(world):
    with simulator.serve(world, faults=False) as srv:
        yield srv


class Sleeps(list):
    """Records every wait of the client (and waits for real, so Retry-After is really honoured)."""

    def __call__(self, seconds: float) -> None:
        import time

        self.append(seconds)
        time.sleep(seconds)


def b_client(settings, server, token=None, **kw):
    return transport.client(
        server.base_url, token or server.transport_token, archive_dir=settings.archive_dir, retrying=FAST, **kw
    )


def statuses(server, prefix):
    return [status for _, path, status in server.request_log if path.startswith(prefix)]


def test_429_with_retry_after_is_honoured(settings, lake, server):
    server.script("/api/v2/vehicles", "429", retry_after=1)
    sleeps = Sleeps()
    with b_client(settings, server, sleep=sleeps) as api:
        report = transport.pull_vehicles(lake, api, now=server.now)
    assert statuses(server, "/api/v2/vehicles") == [429, 200]
    assert report.retries == 1 and 1.0 in sleeps
    assert report.rows_loaded == len(api_view(server.world_dir, "transport_vehicles", server.now))


def test_503_then_success_and_the_retry_bound(settings, lake, server):
    server.script("/api/v2/vehicles", "503", times=2)
    server.script("/api/v2/vehicles", "502")
    with b_client(settings, server) as api:
        report = transport.pull_vehicles(lake, api, now=server.now)
    assert statuses(server, "/api/v2/vehicles") == [503, 503, 502, 200]
    assert report.retries == 3 and report.rows_loaded > 0

    server.script("/openapi/credit/dishonest", "503", times=10)
    retrying = dataclasses.replace(FAST, max_attempts=3)
    with (
        credit.client(
            server.base_url, server.credit_api_key, archive_dir=settings.archive_dir, retrying=retrying
        ) as api,
        pytest.raises(ApiUnavailable, match=r"credit API \(system E.*after 3 attempts.*HTTP 503"),
    ):
        credit.pull_snapshot(lake, api)
    assert statuses(server, "/openapi/credit") == [503, 503, 503]


def test_timeouts_are_retried(settings, lake, server):
    server.script("/openapi/credit/dishonest", "slow", delay=1.5)
    retrying = dataclasses.replace(FAST, timeout_seconds=0.5)
    with credit.client(
        server.base_url, server.credit_api_key, archive_dir=settings.archive_dir, retrying=retrying
    ) as api:
        report = credit.pull_snapshot(lake, api)
    assert report.retries == 1 and report.rows_loaded == len(api_view(server.world_dir, "credit_dishonest", server.now))


def test_bad_token_is_a_clear_error_naming_the_system_and_not_retried(settings, lake, server):
    with b_client(settings, server, token="expired") as api, pytest.raises(ApiAuthError) as err:
        transport.pull_vehicles(lake, api, now=server.now)
    assert "transport API (system B" in str(err.value) and "HTTP 401" in str(err.value)
    assert "token invalid" in str(err.value)
    with credit.client(server.base_url, "wrong", archive_dir=settings.archive_dir) as api, pytest.raises(ApiAuthError):
        credit.pull_snapshot(lake, api)
    assert [s for _, _, s in server.request_log] == [401, 401]  # one request each: no retry storm
    assert api_loads.get_cursor(lake, transport.VEHICLES.dataset) is None


def test_page_overlap_is_deduplicated(settings, lake, server):
    start, end = window(server.world_dir)
    server.script("/api/v2/alarms", "slow", delay=0)  # page 1 as usual
    server.script("/api/v2/alarms", "overlap")  # page 2 repeats page 1's last record
    small_pages = dataclasses.replace(transport.ALARMS, page_size=100)
    params = {"startTime": start.strftime("%Y-%m-%d %H:%M:%S"), "endTime": end.strftime("%Y-%m-%d %H:%M:%S")}
    with b_client(settings, server) as api:
        pull = api.pull(small_pages, params)
    assert pull.stats.duplicates_on_pages == 1
    assert pull.stats.records_received == pull.total + 1
    assert len(pull.records) == pull.total == len({r.sha256 for r in pull.records})
    assert pull.stats.pages == -(-pull.total // 100)


def test_vehicles_incremental_pull_advances_the_cursor_only_with_committed_data(settings, lake, server):
    start, end = window(server.world_dir)
    mid = start + dt.timedelta(hours=30)
    server.set_now(mid)
    with b_client(settings, server) as api:
        first = transport.pull_vehicles(lake, api, now=mid)
        assert first.cursor_before is None and first.cursor_after <= mid.strftime("%Y-%m-%d %H:%M:%S")
        server.set_now(end)
        second = transport.pull_vehicles(lake, api, now=end)
    assert second.request == f"GET /api/v2/vehicles?updatedSince={_minus_10min(first.cursor_after)}"
    assert second.cursor_before == first.cursor_after <= second.cursor_after
    raw = lake.execute("SELECT clid, gxsj, _record_sha256 FROM lake.raw.transport__vehicle").fetchall()
    expected = {
        (r["clid"], r["gxsj"])
        for when in (mid, end)
        for r in api_view(server.world_dir, "transport_vehicles", when).values()
    }
    assert {(c, g) for c, g, _ in raw} == expected
    assert len({s for _, _, s in raw}) == len(raw)  # nothing loaded twice
    assert second.rows_loaded < first.rows_loaded


def _minus_10min(ts: str) -> str:
    t = dt.datetime.strptime(ts, "%Y-%m-%d %H:%M:%S") - dt.timedelta(minutes=10)
    return t.strftime("%Y-%m-%d %H:%M:%S")


class PowerCut(httpx.HTTPTransport):
    """Lets `requests` requests through, then the process 'dies' (an exception the client does not retry)."""

    def __init__(self, requests: int):
        super().__init__()
        self.left = requests

    def handle_request(self, request):
        self.left -= 1
        if self.left < 0:
            raise KeyboardInterrupt("power cut")
        return super().handle_request(request)


def test_interrupted_alarm_pull_resumes_without_duplicates_or_gaps(settings, lake, server):
    start, end = window(server.world_dir)
    windows = transport.AlarmWindows(window=dt.timedelta(hours=12))
    with b_client(settings, server, transport=PowerCut(requests=5)) as api, pytest.raises(KeyboardInterrupt):
        transport.pull_alarms(lake, api, now=end, since=start, windows=windows)
    cursor = api_loads.get_cursor(lake, transport.ALARMS.dataset)
    assert start.strftime("%Y-%m-%d %H:%M:%S") < cursor < end.strftime("%Y-%m-%d %H:%M:%S")  # some windows done
    with b_client(settings, server) as api:
        resumed = transport.pull_alarms(lake, api, now=end, since=start, windows=windows)
    assert resumed[0].request.startswith(f"GET /api/v2/alarms?startTime={_minus_10min(cursor)}")
    assert api_loads.get_cursor(lake, transport.ALARMS.dataset) == end.strftime("%Y-%m-%d %H:%M:%S")
    raw = lake.execute("SELECT bjid, gxsj, _record_sha256 FROM lake.raw.transport__alarm").fetchall()
    served = api_view(server.world_dir, "transport_alarms", end).values()
    lo, hi = start.strftime("%Y-%m-%d %H:%M:%S"), end.strftime("%Y-%m-%d %H:%M:%S")
    expected = sorted((r["bjid"], r["gxsj"]) for r in served if lo <= r["gxsj"] < hi)
    assert sorted((b, g) for b, g, _ in raw) == expected  # no gap, no duplicate
    assert len({s for _, _, s in raw}) == len(raw)
    read, loaded, rejected = lake.execute(
        "SELECT sum(rows_read), sum(rows_loaded), sum(rows_rejected) FROM lake.meta.load_log WHERE dataset = ?",
        [transport.ALARMS.dataset],
    ).fetchone()
    assert read == loaded + rejected == len(expected)


@pytest.mark.parametrize("late", [dt.timedelta(0), dt.timedelta(hours=23, minutes=50)])
def test_the_demo_pulls_the_simulated_platform_up_to_its_own_clock(settings, lake, world, late):
    """The simulated days end at midnight before today. Pulled up to the wall clock at 23:50 Beijing, the
    newest window with alarms would add half a day that holds ten minutes of them, and the row-count breaker
    would hold it back, as it should for a real platform gone quiet. The demo (and every test on a simulated
    world) pulls up to the platform's clock instead, whatever the time of day."""
    from sdc.demo import simulated_apis
    from warehouse import holds
    from warehouse.validated import row_count_outliers

    holds.ensure_table(lake)
    end, twelve_hours = window(world)[1], transport.AlarmWindows(window=dt.timedelta(hours=12))
    with simulated_apis(settings, world, faults=False) as at, b_client(settings, SimpleNamespace(
            base_url=at.transport_api_url, transport_token=at.transport_api_token)) as api:  # fmt: skip
        assert at.transport_alarms_until == end.strftime("%Y-%m-%d %H:%M:%S")
        assert at.transport_alarms_since == window(world)[0].strftime("%Y-%m-%d %H:%M:%S")
        since = end + late - dt.timedelta(days=3)  # the simulated two days; windows end at now, as by default
        reports = transport.pull_alarms(lake, api, now=end + late, since=since, windows=twelve_hours)
    assert reports[-1].request.endswith(f"endTime={end + late:%Y-%m-%d %H:%M:%S}")
    loads = [r.load_id for r in reports if r.rows_read]
    tripped = row_count_outliers(lake, load_contract(transport.ALARMS.dataset), loads)
    quiet = f"startTime={end - dt.timedelta(minutes=10):%Y-%m-%d %H:%M:%S}&endTime={end + late - twelve_hours.window}"
    assert [o["source"] for o in tripped] == ([f"GET {transport.ALARMS.path}?{quiet}"] if late else [])


def test_alarm_windows_never_exceed_31_days():
    a = dt.datetime(2026, 1, 1)
    spans = transport.alarm_windows(a, a + dt.timedelta(days=70), dt.timedelta(days=40))
    assert [(y - x).days for x, y in spans] == [31, 31, 8]
    assert spans[0][0] == a and spans[-1][1] == a + dt.timedelta(days=70)


def credit_world(path, versions):
    """A world whose E list is exactly `versions`: (visible_at, id, deleted, {field: value})."""
    (path / "api").mkdir(parents=True)
    meta = {"seed": 1, "window_start": "2026-11-01 00:00:00", "window_end": "2026-11-10 00:00:00"}
    (path / "world.json").write_text(json.dumps(meta), "utf-8")
    lines = []
    for visible_at, entry_id, deleted, fields in versions:
        record = {"id": entry_id, "ztmc": f"主体{entry_id}", "zt": "有效", "ycrq": None, "gxsj": visible_at, **fields}
        lines.append(json.dumps({"visible_at": visible_at, "uid": entry_id, "deleted": deleted, "record": record}))
    (path / "api" / "credit_dishonest.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    return path


def test_each_credit_pull_loads_only_the_entries_new_or_changed_since(settings, lake, tmp_path):
    world = credit_world(
        tmp_path / "e",
        [
            ("2026-11-01 09:00:00", "A", False, {}),
            ("2026-11-01 09:00:00", "B", False, {}),
            ("2026-11-01 09:00:00", "C", False, {}),
            ("2026-11-03 10:00:00", "B", False, {"zt": "已移出", "ycrq": "2026-11-03"}),
            ("2026-11-03 10:00:00", "C", True, {}),
            ("2026-11-05 10:00:00", "D", False, {}),
        ],
    )
    loaded = []
    with (
        simulator.serve(world, faults=False) as srv,
        credit.client(srv.base_url, srv.credit_api_key, archive_dir=settings.archive_dir, retrying=FAST) as api,
    ):
        for day in ("2026-11-02", "2026-11-04", "2026-11-04", "2026-11-06"):
            srv.set_now(f"{day} 00:00:00")
            loaded.append(credit.pull_snapshot(lake, api).rows_loaded)
    assert loaded == [3, 1, 0, 1]  # B changed on the 3rd; the second pull of the 4th saw nothing new
    versions = lake.execute("SELECT id, zt FROM lake.raw.credit__dishonest_entry ORDER BY id, gxsj").fetchall()
    assert versions == [("A", "有效"), ("B", "有效"), ("B", "已移出"), ("C", "有效"), ("D", "有效")]


def test_incomplete_snapshot_records_nothing(settings, lake, tmp_path):
    world = credit_world(tmp_path / "e", [("2026-11-01 09:00:00", k, False, {}) for k in ("A", "A2")])
    # Two versions with one id: the list reports 2 entries but only 1 distinct id -> not a usable snapshot.
    lines = (world / "api" / "credit_dishonest.jsonl").read_text("utf-8").replace('"id": "A2"', '"id": "A"')
    (world / "api" / "credit_dishonest.jsonl").write_text(lines, "utf-8")
    with (
        simulator.serve(world, faults=False) as srv,
        credit.client(srv.base_url, srv.credit_api_key, archive_dir=settings.archive_dir) as api,
        pytest.raises(Exception, match="incomplete snapshot"),
    ):
        credit.pull_snapshot(lake, api)
    assert lake.execute("SELECT count(*) FROM lake.meta.api_pull_log").fetchone()[0] == 0


def _materialize(dataset: str, settings):
    from pipelines.definitions import build_definitions
    from pipelines.defs.ingestion import raw_key
    from pipelines.resources import LakeResource

    asset = build_definitions(settings).get_assets_def(raw_key(dataset))
    result = dg.materialize([asset], resources={"lake": LakeResource.from_settings(settings)})
    (event,) = result.asset_materializations_for_node(asset.op.name)
    return {k: v.value for k, v in event.metadata.items()}


def test_api_assets_skip_when_not_configured_and_pull_when_configured(settings, server):
    assert _materialize("transport.alarm", settings)["skipped"] == "SDC_TRANSPORT_API_URL not set"
    assert _materialize("credit.dishonest_entry", settings)["skipped"] == "SDC_CREDIT_API_URL not set"
    credit = dataclasses.replace(settings, credit_api_url=server.base_url, credit_api_key=server.credit_api_key)
    metadata = _materialize("credit.dishonest_entry", credit)
    assert (
        metadata["rows_loaded"]
        == metadata["rows_read"]
        == len(api_view(server.world_dir, "credit_dishonest", server.now))
    )
    revoked = dataclasses.replace(settings, transport_api_url=server.base_url, transport_api_token="revoked")
    with pytest.raises(dg.Failure, match=r"transport API \(system B.*HTTP 401"):
        _materialize("transport.vehicle", revoked)

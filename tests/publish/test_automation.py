"""Loads that run themselves (issue 12): a stretch of a simulated day played at its cadences — the landing sensors
and the downstream rebuild sensor every simulated minute, the API schedule on its cron ticks, through Dagster's
own evaluation of them, with the sensors' clock frozen at simulated time — on a copy of the shared first-publish
workspace. The test plays the daemon: it runs what the sensors and the schedule request, one run at a time (the
instance's queue), and moves the simulated clock on by each run's real duration.

The window (Beijing time): a few minutes around the delivery of a day's waybills (system A's DZYD, the second
morning at about 01:10). At its start the landing zone holds a day of deliveries (system C's hourly files, A's
enterprise lists, D's workbook), then come the first API pull (B's vehicles and alarms, E's list), the waybills and
the next pulls, each up to the simulated time, with the alarms raised since. Two bursts, two rebuilds: enough to
show batching at the cost of two pipeline rebuilds (CI budget), not a whole day's worth."""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from loopback import WebhookReceiver, serving
from workspace import copy_workspace, days_ago, sdc_env

pytestmark = pytest.mark.integration

BEIJING = ZoneInfo("Asia/Shanghai")
DAY = days_ago(1)  # the simulation's first day (the template's is the day before)
SCALE = 0.02  # the template's
REBUILDS = 2  # the simulation stops after the second (or at WINDOW's end)
WINDOW = timedelta(minutes=40)
API_FILES = {"transport.alarm": "transport_alarms", "transport.vehicle": "transport_vehicles",
             "credit.dishonest_entry": "credit_dishonest"}  # fmt: skip


@dataclass
class Run:
    job: str
    started: datetime
    finished: datetime
    success: bool
    tags: dict


@dataclass
class Day:
    settings: object
    stage: Path
    start: datetime
    end: datetime | None = None
    runs: list[Run] = field(default_factory=list)
    publishes: list[tuple[datetime, set[str]]] = field(default_factory=list)
    """(simulated time the rebuild finished, alert ids then published)"""
    webhook: list[dict] = field(default_factory=list)
    arrivals: dict[str, datetime] = field(default_factory=dict)
    """Alert id -> when the last of its evidence (one row per dataset at least) arrived."""
    skip_reasons: list[str] = field(default_factory=list)


class Daemon:
    """Plays dagster-daemon over simulated time (see the module's docstring)."""

    def __init__(self, defs, instance, settings, stage: Path, server, day: Day):
        import dagster as dg

        from pipelines.resources import LakeResource

        self.defs, self.instance, self.settings, self.stage, self.server, self.day = (
            defs, instance, settings, stage, server, day)  # fmt: skip
        self.resources = {"lake": LakeResource.from_settings(settings)}
        self.sensors = [defs.resolve_sensor_def(s.name) for s in defs.sensors if s.name.endswith("_landing_files")]
        self.sensors.append(defs.resolve_sensor_def("rebuild_after_new_data"))
        self.cursors: dict[str, str | None] = {}
        self.schedule = defs.resolve_schedule_def("api_pull_every_5_minutes")
        self.dg = dg
        self.now = day.start

    def prime(self) -> None:
        """The landing sensors saw the template's files when its run loaded them: their cursors know them."""
        for sensor in self.sensors[:-1]:
            context = self.dg.build_sensor_context(
                instance=self.instance, resources=self.resources, definitions=self.defs
            )
            self.cursors[sensor.name] = sensor.evaluate_tick(context).cursor

    def run_until(self, end: datetime, rebuilds: int) -> None:
        from dagster._core.test_utils import freeze_time
        from dagster._utils.schedules import cron_string_iterator

        from simulator import replay

        ticks = cron_string_iterator(self.now.timestamp(), self.schedule.cron_schedule, "Asia/Shanghai")
        next_pull = next(ticks)
        while self.now <= end and sum(r.job == "rebuild_downstream" for r in self.day.runs) < rebuilds:
            naive = self.now.replace(tzinfo=None)
            replay(self.stage / "landing", self.stage / "world", self.settings.landing_dir, naive)
            self.server.set_now(naive)
            requests = []
            while next_pull <= self.now:
                context = self.dg.build_schedule_context(instance=self.instance, scheduled_execution_time=next_pull)
                requests += [("api_pull", r) for r in self.schedule.evaluate_tick(context).run_requests or []]
                next_pull = next(ticks)
            for sensor in self.sensors:
                with freeze_time(self.now):
                    context = self.dg.build_sensor_context(
                        instance=self.instance,
                        cursor=self.cursors.get(sensor.name),
                        resources=self.resources,
                        definitions=self.defs,
                    )
                    result = sensor.evaluate_tick(context)
                self.cursors[sensor.name] = result.cursor
                rebuild = sensor.name == "rebuild_after_new_data"
                if rebuild and result.skip_message:
                    self.day.skip_reasons.append(f"{naive:%H:%M} {result.skip_message}")
                requests += [("rebuild_downstream" if rebuild else None, r) for r in result.run_requests or []]
                for job, request in requests:  # one run at a time, in request order
                    self.execute(job, request)
                requests = []
            self.now += timedelta(minutes=1)
        self.day.end = self.now

    def execute(self, job_name: str | None, request) -> None:
        from pipelines.definitions import build_definitions

        # the alarm pull ends at the simulated clock, as a run at that time would pull
        defs = build_definitions(replace(self.settings, transport_alarms_until=f"{self.now:%Y-%m-%d %H:%M:%S}"))
        if job_name:
            job, selection = defs.get_job_def(job_name), None
        else:
            job, selection = defs.resolve_implicit_global_asset_job_def(), list(request.asset_selection)
        started, clock = self.now, time.monotonic()
        result = job.execute_in_process(
            instance=self.instance, asset_selection=selection, tags=request.tags, raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
        )  # fmt: skip
        self.now += timedelta(seconds=time.monotonic() - clock)
        self.day.runs.append(Run(job.name, started, self.now, result.success, dict(request.tags)))
        if job_name == "rebuild_downstream":
            from warehouse.lake import lake_connection
            from warehouse.notifications import published_alerts

            with lake_connection(self.settings, read_only=True) as con:
                self.day.publishes.append((self.now, {a["alert_id"] for a in published_alerts(con)[1]}))


def evidence_arrivals(settings, stage: Path, at: datetime) -> dict[str, datetime]:
    """Alert id -> the moment the alert could first be derived: per evidence dataset its first row to arrive,
    the latest of those. A file row arrives with its file (the landing zone's mtime, the simulated delivery
    time), an API record when the platform shows it."""
    from warehouse.lake import lake_connection
    from warehouse.notifications import published_alerts

    visible: dict[tuple[str, str], datetime] = {}
    for dataset, name in API_FILES.items():
        for line in (stage / "world" / "api" / f"{name}.jsonl").read_text("utf-8").splitlines():
            version = json.loads(line)
            record, shown = version["record"], datetime.fromisoformat(version["visible_at"]).replace(tzinfo=BEIJING)
            key = (dataset, str(record.get("bjid") or record.get("clid") or record.get("id")))
            if shown <= at:
                visible[key] = max(visible.get(key, shown), shown)
    from data_contracts.contract import load_contract

    out = {}
    with lake_connection(settings, read_only=True) as con:
        for alert in published_alerts(con)[1]:
            first: dict[str, datetime] = {}
            for ref in alert["evidence"]:
                if (ref["dataset"], ref["record_id"]) in visible:
                    arrived = visible[(ref["dataset"], ref["record_id"])]
                else:
                    contract = load_contract(ref["dataset"])
                    (mtime_ns,) = con.execute(
                        f'SELECT min(f.mtime_ns) FROM lake.validated."{contract.table}" v JOIN lake.meta.file_ledger f '
                        f'ON f.load_id = v._load_id WHERE v."{contract.primary_key[0]}" = ?',
                        [ref["record_id"]],
                    ).fetchone()
                    arrived = datetime.fromtimestamp(mtime_ns / 1e9, BEIJING)
                first[ref["dataset"]] = min(first.get(ref["dataset"], arrived), arrived)
            out[alert["alert_id"]] = max(first.values())
    return out


@pytest.fixture(scope="module")
def day(publish_template, tmp_path_factory) -> Day:
    import dagster as dg

    from pipelines.definitions import build_definitions
    from sdc.runner import prepare_workspace
    from sdc_settings import load_settings
    from simulator import serve, simulate

    base = tmp_path_factory.mktemp("automation")
    home = copy_workspace(publish_template, base / "home")
    stage = base / "stage"
    # three days, so that the platforms go on delivering through the window (the runs pull up to simulated time)
    simulate(stage / "landing", stage / "world", days=3, scale=SCALE, seed=11, start=DAY)
    start = waybills_delivered(stage) - timedelta(minutes=2)
    with serve(stage / "world", faults=False) as server, serving(WebhookReceiver()) as hook:
        settings = load_settings(sdc_env(
            home, SDC_TRANSPORT_API_URL=server.base_url, SDC_TRANSPORT_API_TOKEN=server.transport_token,
            SDC_CREDIT_API_URL=server.base_url, SDC_CREDIT_API_KEY=server.credit_api_key,
            SDC_NOTIFY_WEBHOOK=hook.url, SDC_TRANSPORT_ALARMS_SINCE=f"{DAY:%Y-%m-%d} 00:00:00",
        ))  # fmt: skip
        prepare_workspace(settings)
        record = Day(settings, stage, start)
        with dg.DagsterInstance.from_config(str(settings.dagster_home)) as instance:
            daemon = Daemon(build_definitions(settings), instance, settings, stage, server, record)
            daemon.prime()
            daemon.run_until(start + WINDOW, REBUILDS)
        record.webhook = hook.received
    record.arrivals = evidence_arrivals(settings, stage, record.end)
    return record


def test_every_file_is_loaded_once(day):
    from warehouse.lake import lake_connection

    assert all(r.success for r in day.runs), [r for r in day.runs if not r.success]
    until = day.end.replace(tzinfo=None)
    with lake_connection(day.settings, read_only=True) as con:
        loaded = con.execute(
            "SELECT source_file, count(*) FROM lake.meta.file_ledger WHERE status = 'loaded' GROUP BY dataset, 1"
        ).fetchall()
        api_loads = con.execute("SELECT dataset, count(*) FROM lake.meta.load_log WHERE source_system IN "
                                "('transport', 'credit') GROUP BY 1").fetchall()  # fmt: skip
    assert max(n for _, n in loaded) == 1
    delivered = {p for p in _complete_deliveries(day.stage, until) if not p.endswith(".ok")}
    assert delivered <= {f for f, _ in loaded}, delivered - {f for f, _ in loaded}
    assert {d for d, _ in api_loads} == set(API_FILES)


def waybills_delivered(stage: Path) -> datetime:
    """When the first complete waybill file (DZYD with its .ok marker) is delivered."""
    import pyarrow.parquet as pq

    rows = pq.read_table(stage / "world" / "truth" / "deliveries.parquet").to_pylist()
    at = min(r["delivered_at"] for r in rows if "/DZYD_" in r["path"] and r["path"].endswith(".ok"))
    return at.replace(second=0, tzinfo=BEIJING)


def _complete_deliveries(stage: Path, until: datetime) -> set[str]:
    import pyarrow.parquet as pq

    rows = pq.read_table(stage / "world" / "truth" / "deliveries.parquet").to_pylist()
    return {r["path"] for r in rows if r["delivered_at"] <= until and r["complete"] and r["kind"] != "lock_file"}


def test_the_downstream_is_rebuilt_once_per_burst(day):
    rebuilds = [r for r in day.runs if r.job == "rebuild_downstream"]
    loads = [r for r in day.runs if r.job != "rebuild_downstream"]
    print(f"\nruns: {len(loads)} loads, {len(rebuilds)} rebuilds")
    for r in day.runs:
        print(f"  {r.started:%H:%M:%S}-{r.finished:%H:%M:%S} {r.job} {r.tags.get('sdc/datasets', '')}")
    # the simulation stops after the second rebuild: every rebuild came after a burst of loads, not after each
    assert len(rebuilds) == REBUILDS and len(loads) >= 2 * len(rebuilds)
    # the first burst — the backlog, the first pull, the waybills — is one rebuild after all of them
    waybills = next(r for r in loads if "hazchem.waybill" in r.tags.get("sdc/datasets", ""))
    assert waybills.finished <= rebuilds[0].started
    assert sum(1 for r in loads if r.finished <= rebuilds[0].started) >= 4
    assert any("waiting for the burst to end" in reason for reason in day.skip_reasons)


def test_alerts_are_published_within_minutes_of_arrival(day):
    """Latency = waiting (for a pull, a sensor tick, the end of the burst: simulated, the same on any machine)
    + running (loads and the rebuild: this machine's real durations, reported, never asserted)."""
    first_seen: dict[str, datetime] = {}
    for at, alerts in day.publishes:
        for alert in alerts:
            first_seen.setdefault(alert, at)
    latencies = {a: (first_seen[a] - day.arrivals[a], _running(day, day.arrivals[a], first_seen[a]))
                 for a in first_seen if day.arrivals[a] >= day.start}  # fmt: skip
    print(f"\nalerts published: {len(first_seen)}; from data arriving in the window: {len(latencies)}")
    for (latency, running), n in sorted(Counter(latencies.values()).items()):
        minutes = latency.total_seconds() / 60
        print(f"  {n:4} alert(s): {minutes:4.1f} min, of which running {running.total_seconds() / 60:4.1f}")
    assert latencies, "no alert arose from data that arrived in the window"
    assert max(latency - running for latency, running in latencies.values()) <= timedelta(minutes=10)


def _running(day: Day, since: datetime, until: datetime) -> timedelta:
    return sum((min(r.finished, until) - max(r.started, since) for r in day.runs
                if r.finished > since and r.started < until), timedelta())  # fmt: skip


def test_the_webhook_gets_each_new_alert_once_across_rebuilds(day):
    alerts = [m for m in day.webhook if m["kind"] == "alert"]
    ids = [m["notification_id"] for m in alerts]
    assert len(ids) == len(set(ids))  # once, though the second rebuild published them again
    published = {f"alert:{a}" for _, published in day.publishes for a in published}
    assert set(ids) == published  # the template's were in its log only: the webhook gets them now
    some = alerts[0]
    assert some["department"]["name"].startswith("市") and some["evidence"]
    assert all(e["row"] is not None for e in some["evidence"])
    assert not any("id_number" in k for e in some["evidence"] for k in (e["row"] or {}))  # personal data stays
    log = day.settings.notify_log.read_text("utf-8").splitlines()
    assert {json.loads(line)["notification_id"] for line in log} >= set(ids)

"""Transient or deterministic (issue 12): a pull whose API stays unavailable through the client's own retries is
run again by Dagster and recovers; a response that breaks the API's interface fails the step once, unretried,
and the run failure sensor reports it once with what to do next. Real API servers on loopback, real lake."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dagster as dg
import pytest
from loopback import serving

pytestmark = pytest.mark.integration

VEHICLES = dg.AssetKey(["raw", "transport", "vehicle"])


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from simulator import simulate

    stage = tmp_path_factory.mktemp("world")
    simulate(stage / "landing", stage / "world", days=1, scale=0.01, seed=3)
    return stage / "world"


def _settings(url: str, **extra):
    """On the `workspace` fixture's SDC_HOME (set in the environment)."""
    import os

    from sdc_settings import load_settings

    return load_settings(dict(os.environ) | {
        "SDC_TRANSPORT_API_URL": url, "SDC_TRANSPORT_API_TOKEN": "t0ken", "SDC_RETRY_DELAY_SECONDS": "0.05",
        **extra,
    })  # fmt: skip


def _pull(settings, instance):
    from pipelines.definitions import build_definitions

    job = build_definitions(settings).resolve_implicit_global_asset_job_def()
    return job.execute_in_process(instance=instance, asset_selection=[VEHICLES], raise_on_error=False)


def _events(result, kind: str) -> list:
    return [e for e in result.all_events if e.event_type_value == kind]


def test_an_api_unavailable_through_the_clients_retries_is_retried_and_recovers(workspace, world):
    from simulator import serve
    from warehouse.lake import lake_connection

    with serve(world, faults=False) as server, dg.DagsterInstance.ephemeral() as instance:
        settings = _settings(server.base_url, SDC_TRANSPORT_API_TOKEN=server.transport_token)
        server.script("/api/v2/vehicles", "429", retry_after=0, times=6)  # every attempt of the client's first try
        result = _pull(settings, instance)
    assert result.success
    assert len(_events(result, "STEP_UP_FOR_RETRY")) == 1 and not _events(result, "STEP_FAILURE")
    with lake_connection(settings, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM lake.raw.transport__vehicle").fetchone()[0] > 0


class _BrokenInterface(ThreadingHTTPServer):
    """An API whose answers have the wrong shape: the record list is not a list."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Broken)
        self.requests = 0


class _Broken(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        self.server.requests += 1
        body = json.dumps({"code": 0, "message": "success", "data": {"total": 1, "page": 1, "size": 500,
                                                                     "list": "车辆"}}).encode()  # fmt: skip
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_a_response_breaking_the_interface_fails_once_unretried_and_is_reported_once(workspace):
    from pipelines.defs.notifications import notify_failed_runs
    from pipelines.resources import LakeResource

    with serving(_BrokenInterface()) as api, dg.DagsterInstance.ephemeral() as instance:
        settings = _settings(f"http://127.0.0.1:{api.server_address[1]}")
        result = _pull(settings, instance)
        assert not result.success
        assert api.requests == 1  # neither the client nor Dagster asked again
        assert not _events(result, "STEP_UP_FOR_RETRY") and len(_events(result, "STEP_FAILURE")) == 1
        context = dg.build_run_status_sensor_context(
            sensor_name="notify_failed_runs",
            dagster_instance=instance,
            dagster_run=result.dagster_run,
            dagster_event=result.get_run_failure_event(),
            resources={"lake": LakeResource.from_settings(settings)},
        ).for_run_failure()
        notify_failed_runs(context)
    [sent] = [json.loads(line) for line in settings.notify_log.read_text("utf-8").splitlines()]
    assert sent["kind"] == "failure" and sent["notification_id"] == f"failure:{result.run_id}"
    [step] = sent["failed_steps"]
    assert "wrong shape" in step["error"] or "no record list" in step["error"]
    assert "INTERFACES.md" in step["next_step"]

"""When the downstream rebuild starts (pipelines/defs/automation.py `decide`): after a burst, once; never while
a run is queued or in progress; at the latest after the maximum wait, whatever keeps arriving."""

from pipelines.defs.automation import decide

QUIET, MAX_WAIT = 120.0, 300.0


def step(cursor: dict, pending: str | None, now: float, runs: int = 0):
    return decide(cursor, pending, runs, now, quiet=QUIET, max_wait=MAX_WAIT)


def test_one_rebuild_after_a_burst():
    d = step({}, "v1", 0)  # the first file of a burst validated
    assert not d.rebuild and "burst" in d.reason
    d = step(d.cursor, "v2", 60)  # the next one a minute later: the quiet period starts again
    d = step(d.cursor, "v2", 150)
    assert not d.rebuild
    d = step(d.cursor, "v2", 180)  # quiet for 120 s
    assert d.rebuild
    d = step(d.cursor, "v2", 240)  # requested: not again, while it runs or fails
    assert not d.rebuild and "requested" in d.reason
    d = step(d.cursor, None, 300)  # published
    assert not d.rebuild and d.cursor == {}


def test_nothing_while_a_run_is_queued_or_in_progress():
    d = step({}, "v1", 0)
    d = step(d.cursor, "v1", 500, runs=1)
    assert not d.rebuild and "in progress" in d.reason
    assert step(d.cursor, "v1", 560).rebuild


def test_deliveries_that_never_pause_still_publish():
    d = step({}, "v0", 0)
    for minute in range(1, 5):
        d = step(d.cursor, f"v{minute}", minute * 60)
        assert not d.rebuild
    assert step(d.cursor, "v5", 300).rebuild  # five minutes after the oldest unpublished validation


def test_before_the_first_run_the_sensors_skip_and_create_nothing(workspace):
    import os

    import dagster as dg

    from pipelines.defs.automation import rebuild_after_new_data
    from pipelines.defs.notifications import notify_freshness_breaches
    from pipelines.resources import LakeResource
    from sdc_settings import load_settings

    resources = {"lake": LakeResource.from_settings(load_settings(os.environ))}
    for sensor in (rebuild_after_new_data, notify_freshness_breaches):
        result = sensor(dg.build_sensor_context(resources=resources))
        assert not result.run_requests and result.skip_reason.skip_message == "no workspace yet"
    assert not workspace.exists()

"""A load killed (SIGKILL) inside the publish transaction: readers keep the previous publish, nothing is
left locked, and the next publish commits correctly."""

import os
import signal
import subprocess
import time

import pytest
from reader_loop import read_state
from workspace import SDC, copy_workspace, days_ago, deliver, run_sdc, sdc_env

from sdc_settings import load_settings
from warehouse.publish import publish_history
from warehouse.reader import open_published

pytestmark = pytest.mark.integration  # runs the pipeline (tests/conftest.py: the two tiers)


def state(env, publish_id=None):
    with open_published(load_settings(env), publish_id) as session:
        return session.entry.publish_id, read_state(session)


@pytest.mark.parametrize("catalog", ["sqlite", "postgres"])
def test_load_killed_during_publish_leaves_readers_on_the_previous_state(tmp_path, request, catalog):
    home = tmp_path / "home"
    env = sdc_env(home, request.getfixturevalue("pg_catalog") if catalog == "postgres" else None)
    if catalog == "sqlite":
        copy_workspace(request.getfixturevalue("publish_template"), home)
    else:
        deliver(home, days_ago(2), scale=0.02)
        run_sdc(env, "run")
    before = state(env)
    deliver(home, days_ago(1), scale=0.04)

    marker = tmp_path / "publish-reached"
    frozen = {**env, "SDC_FAILPOINT": "publish.before_commit", "SDC_FAILPOINT_MARKER": str(marker)}
    load = subprocess.Popen([SDC, "run"], env=frozen, start_new_session=True, stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 600
    while not marker.exists() and load.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert marker.exists(), f"the load never reached the publish step:\n{load.communicate(timeout=5)[0]}"

    # The publish transaction is open (its log row written, not committed): readers see the old state.
    assert state(env) == before
    os.killpg(load.pid, signal.SIGKILL)
    load.wait(timeout=60)

    assert state(env) == before
    assert [e.publish_id for e in publish_history(load_settings(env))] == [1]
    shown = run_sdc(env, "sql", "select count(*) as n from hazchem_enterprises").stdout
    assert str(before[1]["hazchem_enterprises"][0]) in shown

    # The killed load had built its marts: publishing them again is what the next run would do last.
    run_sdc(env, "run", "--select", "key:published/marts")
    publish_id, after = state(env)
    assert publish_id == 2
    assert after["hazchem_enterprises"][0] > before[1]["hazchem_enterprises"][0]
    assert state(env, 1) == before

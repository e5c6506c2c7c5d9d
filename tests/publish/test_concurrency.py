"""A full load runs in one process while other processes read the published marts in a loop, exactly as
`sdc sql` does: no reader ever fails, and every read equals the old or the new published state, never a
mix. The same with the lake's catalog in PostgreSQL (DuckLake's multi-user option)."""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from reader_loop import read_state
from workspace import SDC, copy_workspace, days_ago, deliver, run_sdc, sdc_env

from sdc_settings import load_settings
from warehouse.publish import publish_history
from warehouse.reader import open_published

pytestmark = pytest.mark.integration  # runs the pipeline (tests/conftest.py: the two tiers)

READER = str(Path(__file__).with_name("reader_loop.py"))
READERS = 2
# Between reads, as a polling dashboard: the readers read most of the time (a read takes longer) and still leave the
# load, which shares the two cores with them and another test, room to finish.
PAUSE_SECONDS = "0.2"


def records(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.endswith("}")]


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def published_state(env: dict[str, str], publish_id: int) -> dict:
    with open_published(load_settings(env), publish_id) as session:
        return read_state(session)


def load_while_reading(tmp_path: Path, env: dict[str, str]) -> tuple[list[dict], float, float]:
    """Run `sdc run` while READERS reader processes loop; returns every read and the load's start and end."""
    stop = tmp_path / "stop-readers"
    outs = [tmp_path / f"reader-{i}.jsonl" for i in range(READERS)]
    readers = [
        subprocess.Popen([sys.executable, READER, str(o), str(stop), "masked", PAUSE_SECONDS], env=env) for o in outs
    ]
    try:
        wait_for(lambda: all(records(o) for o in outs), 120, "every reader's first read")
        started = time.time()
        load = subprocess.run([SDC, "run"], env=env, capture_output=True, text=True, timeout=900)
        ended = time.time()
        assert load.returncode == 0, f"the load failed while readers read:\n{load.stdout}\n{load.stderr}"
        wait_for(lambda: all(any(r["at"] > ended for r in records(o)) for o in outs), 120, "reads after the load")
    finally:
        stop.touch()
        for r in readers:
            r.wait(timeout=60)
    return [r for o in outs for r in records(o)], started, ended


@pytest.mark.parametrize("catalog", ["sqlite", "postgres"])
def test_readers_see_the_old_or_the_new_publish_never_a_mix(tmp_path, request, catalog):
    extra = {}
    lake_catalog = None
    if catalog == "postgres":
        # Configured as production is: SDC_ENV=prod (dbt target prod), lake and Iceberg catalogs in PostgreSQL.
        lake_catalog = request.getfixturevalue("pg_catalog")
        server = request.getfixturevalue("postgres")
        extra["SDC_ENV"] = "prod"
        extra["SDC_ICEBERG_CATALOG_URI"] = server.sqlalchemy_url(lake_catalog.split("dbname=")[1].split()[0])
    home = tmp_path / "home"
    env = sdc_env(home, lake_catalog, **extra)
    if catalog == "sqlite":
        copy_workspace(request.getfixturevalue("publish_template"), home)
    else:
        deliver(home, days_ago(2), scale=0.02)
        run_sdc(env, "run")
    deliver(home, days_ago(1), scale=0.04)

    reads, started, ended = load_while_reading(tmp_path, env)

    assert [r["error"] for r in reads if "error" in r] == []
    assert [e.publish_id for e in publish_history(load_settings(env))] == [1, 2]
    old, new = published_state(env, 1), published_state(env, 2)
    # The second day changes most marts (not all: this test serves no API, and a delivery may lack its marker),
    # so a read that mixed the two publishes would match neither state.
    changed = [t for t in old if old[t] != new[t]]
    assert len(changed) >= len(old) // 2, f"the second load changed only {changed}"
    seen = {r["publish_id"] for r in reads}
    assert seen == {1, 2}, "the readers never saw the publish switch"
    for r in reads:
        assert r["state"] == (old if r["publish_id"] == 1 else new), f"a read mixed states: {r}"
        assert r["state"][next(iter(old))][0] in (old[next(iter(old))][0], new[next(iter(new))][0])
    during = [r for r in reads if started <= r["at"] <= ended]
    assert len(during) >= 2 * READERS, f"only {len(during)} reads overlapped the load"

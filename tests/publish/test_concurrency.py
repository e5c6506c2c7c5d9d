"""Readers of the published marts in other processes, exactly as `sdc sql` reads them, while a full load runs, is
killed (SIGKILL) inside its publish transaction, and its publish is then run again: no reader ever fails, every read
equals the old or the new published state (never a mix), the killed publish leaves nothing behind and nothing
locked, and the publish run after it commits. The same with the lake's catalog in PostgreSQL (DuckLake's multi-user
option, configured as production is), where each publish is also served in PostgreSQL (warehouse/serving.py): a BI
reader logged in with the analyst role, looping over the served masked marts, sees no error and no mix either."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest
from reader_loop import read_state
from workspace import SDC, copy_workspace, days_ago, deliver, run_sdc, sdc_env

from sdc_settings import load_settings
from warehouse.publish import publish_history
from warehouse.reader import open_published
from warehouse.serving import PUBLISH_TABLE, SCHEMAS

pytestmark = pytest.mark.integration  # runs the pipeline (tests/conftest.py: the two tiers)

READER = str(Path(__file__).with_name("reader_loop.py"))
READERS = 2
# Between reads, as a polling dashboard. A read of every mart takes 1.0-1.4 s beside a load and another test on two
# cores: with 0.2 s the two readers were busy 85-89 % of the time and took most of a core from the load and the
# other CI worker. A second still gives each reader dozens of reads over the load, the kill and the publish after.
PAUSE_SECONDS = "1.0"


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


def published_state(env: dict[str, str], publish_id: int | None = None) -> tuple[int, dict]:
    with open_published(load_settings(env), publish_id) as session:
        return session.entry.publish_id, read_state(session)


def served_state_sql(tables: list[str]) -> str:
    """One statement (one snapshot) reading the served publish's id, and the rows and a content fingerprint of every
    masked mart: as a dashboard's query over several marts would."""
    schema = SCHEMAS["masked"]
    parts = [f"(SELECT publish_id FROM {schema}.{PUBLISH_TABLE})"] + [
        f"(SELECT count(*) || ':' || coalesce(sum(hashtext(t::text)::bigint), 0) FROM {schema}.\"{table}\" t)"
        for table in tables
    ]
    return "SELECT " + ", ".join(parts)


class ServedReader(threading.Thread):
    """A BI tool's connection as a member of the analyst role, reading the served masked marts over and over."""

    def __init__(self, dsn: str, tables: list[str]) -> None:
        super().__init__(daemon=True)
        self.dsn, self.tables, self.query = dsn, tables, served_state_sql(tables)
        self.reads: list[dict] = []
        self.stop = threading.Event()

    def read(self, con: psycopg.Connection) -> dict:
        publish_id, *states = con.execute(self.query).fetchone()
        return {"publish_id": publish_id, "state": dict(zip(self.tables, states, strict=True)), "at": time.time()}

    def run(self) -> None:
        with psycopg.connect(self.dsn, autocommit=True) as con:
            while not self.stop.is_set():
                try:
                    self.reads.append(self.read(con))
                except psycopg.Error as exc:
                    self.reads.append({"error": f"{type(exc).__name__}: {exc}", "at": time.time()})
                self.stop.wait(float(PAUSE_SECONDS))


def kill_inside_the_publish(tmp_path: Path, env: dict[str, str]) -> tuple[float, float]:
    """`sdc run` stopped by SIGKILL with its publish transaction open (its log row written, not committed); returns
    when the load started and when it was killed. While it is held open, a reader still sees the previous publish."""
    marker = tmp_path / "publish-reached"
    frozen = {**env, "SDC_FAILPOINT": "publish.before_commit", "SDC_FAILPOINT_MARKER": str(marker)}
    started = time.time()
    load = subprocess.Popen([SDC, "run"], env=frozen, start_new_session=True, stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 600
    while not marker.exists() and load.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert marker.exists(), f"the load never reached the publish step:\n{load.communicate(timeout=5)[0]}"
    assert published_state(env)[0] == 1
    os.killpg(load.pid, signal.SIGKILL)
    load.wait(timeout=60)
    return started, time.time()


@pytest.mark.parametrize("catalog", ["sqlite", "postgres"])
def test_readers_see_the_old_or_the_new_publish_through_a_killed_load_and_the_publish_after_it(
    tmp_path, request, catalog
):
    extra = {}
    lake_catalog = None
    served = None
    if catalog == "postgres":
        # Configured as production is: SDC_ENV=prod (dbt target prod), lake and Iceberg catalogs in PostgreSQL,
        # every publish served in PostgreSQL.
        lake_catalog = request.getfixturevalue("pg_catalog")
        server = request.getfixturevalue("postgres")
        extra["SDC_ENV"] = "prod"
        extra["SDC_ICEBERG_CATALOG_URI"] = server.sqlalchemy_url(lake_catalog.split("dbname=")[1].split()[0])
        server.create_database("serving_concurrency")
        extra["SDC_SERVE_DSN"] = server.dsn_for("serving_concurrency")
    home = tmp_path / "home"
    env = sdc_env(home, lake_catalog, **extra)
    if catalog == "sqlite":
        copy_workspace(request.getfixturevalue("publish_template"), home)
    else:
        deliver(home, days_ago(2), scale=0.02)
        run_sdc(env, "run")
    old = published_state(env)
    deliver(home, days_ago(1), scale=0.04)
    if catalog == "postgres":
        with psycopg.connect(extra["SDC_SERVE_DSN"], autocommit=True) as admin:  # a dashboard's login
            admin.execute("DROP ROLE IF EXISTS dashboard")
            admin.execute(f"CREATE ROLE dashboard LOGIN IN ROLE {load_settings(env).serve_analyst_role}")
        served = ServedReader(extra["SDC_SERVE_DSN"].replace("user=sdc", "user=dashboard"), sorted(old[1]))
        with psycopg.connect(served.dsn, autocommit=True) as con:
            served_states = {1: served.read(con)["state"]}
        served.start()

    stop = tmp_path / "stop-readers"
    outs = [tmp_path / f"reader-{i}.jsonl" for i in range(READERS)]
    readers = [
        subprocess.Popen([sys.executable, READER, str(o), str(stop), "masked", PAUSE_SECONDS], env=env) for o in outs
    ]
    try:
        wait_for(lambda: all(records(o) for o in outs), 120, "every reader's first read")
        load_started, killed = kill_inside_the_publish(tmp_path, env)
        assert published_state(env) == old, "the killed publish is visible"
        if served:
            assert served.reads and served.reads[-1].get("publish_id") == 1
        assert [e.publish_id for e in publish_history(load_settings(env))] == [1]
        shown = run_sdc(env, "sql", "select count(*) as n from hazchem_enterprises").stdout
        assert str(old[1]["hazchem_enterprises"][0]) in shown

        # The killed load had built its marts: publishing (and serving) them is what the next run does last.
        select = "key:published/marts" + (" or key:published/postgres" if served else "")
        run_sdc(env, "run", "--select", select)
        republished = time.time()
        wait_for(lambda: all(any(r["at"] > republished for r in records(o)) for o in outs), 120, "reads after it")
        if served:
            wait_for(lambda: any(r["at"] > republished for r in served.reads), 120, "served reads after it")
    finally:
        stop.touch()
        for r in readers:
            r.wait(timeout=60)
        if served:
            served.stop.set()
            served.join(timeout=60)
    reads = [r for o in outs for r in records(o)]

    assert [r["error"] for r in reads if "error" in r] == []
    assert [e.publish_id for e in publish_history(load_settings(env))] == [1, 2]
    assert published_state(env, 1) == old
    states = {1: old[1], 2: published_state(env, 2)[1]}
    # The second day changes most marts (not all: this test serves no API, and a delivery may lack its marker),
    # so a read that mixed the two publishes would match neither state.
    changed = [t for t in states[1] if states[1][t] != states[2][t]]
    assert len(changed) >= len(states[1]) // 2, f"the second load changed only {changed}"
    assert states[2]["hazchem_enterprises"][0] > states[1]["hazchem_enterprises"][0]
    assert {r["publish_id"] for r in reads} == {1, 2}, "the readers never saw the publish switch"
    for r in reads:
        assert r["state"] == states[r["publish_id"]], f"a read mixed states: {r}"
    during = [r for r in reads if load_started <= r["at"] <= killed]
    assert len(during) >= 2 * READERS, f"only {len(during)} reads overlapped the load"
    assert {r["publish_id"] for r in during} == {1}
    if served:
        assert [r["error"] for r in served.reads if "error" in r] == []
        with psycopg.connect(served.dsn, autocommit=True) as con:
            served_states[2] = served.read(con)["state"]
        for publish_id, state in served_states.items():  # the counts of the DuckLake publish
            counts = {t: int(v.split(":")[0]) for t, v in state.items()}
            assert counts == {t: v[0] for t, v in states[publish_id].items()}
        assert {r["publish_id"] for r in served.reads} == {1, 2}, "the served reader never saw the switch"
        for r in served.reads:
            assert r["state"] == served_states[r["publish_id"]], f"a served read mixed publishes: {r}"

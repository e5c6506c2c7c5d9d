"""Every file and API record accounted for, against the simulator's realistic profile and its ground truth.

The landing zone is replayed as it looked every 12 simulated hours (re-drops, corrections and late files
arrive in their order), with a load after each step; the APIs are pulled at three moments of their clock.
"""

import datetime as dt
import os
import threading
import time
from contextlib import contextmanager

import duckdb
import pytest
from simworld import api_view

import simulator
from connectors import construction, credit, hazchem, special_equipment, transport
from connectors.api_client import Retrying
from connectors.landing import ingest_feed

FEEDS = (*hazchem.FEEDS, *construction.FEEDS, *special_equipment.FEEDS)
QUIET = 0.5
TS = "%Y-%m-%d %H:%M:%S"


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    root = tmp_path_factory.mktemp("realistic")
    summary = simulator.simulate(root / "final", root / "world", days=3, scale=0.1, seed=7, profile="realistic")
    return summary


def truth_tables(world):
    con = duckdb.connect()
    con.execute(f"CREATE TABLE rows AS SELECT * FROM '{world / 'truth' / 'rows.parquet'}'")
    con.execute(f"CREATE TABLE deliveries AS SELECT * FROM '{world / 'truth' / 'deliveries.parquet'}'")
    # The same bytes under the same name delivered again carry the same records: count them once.
    con.execute(
        "CREATE VIEW versions AS SELECT * FROM deliveries "
        "QUALIFY row_number() OVER (PARTITION BY path, sha256 ORDER BY delivery_id) = 1"
    )
    return con


@contextmanager
def still_writing(paths):
    """The vendor keeps writing these files: they change every few milliseconds until we leave."""
    stop = threading.Event()

    def touch():
        while not stop.is_set():
            for path in paths:
                if path.exists():
                    os.utime(path)
            stop.wait(0.02)

    thread = threading.Thread(target=touch, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def replay_and_load(sim, settings, lake):
    deliveries = truth_tables(sim.world_dir).execute("SELECT path, complete FROM deliveries").fetchall()
    growing = [settings.landing_dir / p for p, complete in deliveries if not complete and p.startswith("construction/")]
    start = dt.datetime.combine(sim.start, dt.time())
    steps = [start + dt.timedelta(hours=12 * k) for k in range(1, 2 * sim.days + 1)]
    for until in [*steps, start + dt.timedelta(days=sim.days + 10)]:
        simulator.replay(sim.landing_dir, sim.world_dir, settings.landing_dir, until)
        with still_writing(growing):
            time.sleep(QUIET + 0.05)  # everything else copied is quiet now
            for feed in FEEDS:
                ingest_feed(lake, feed, settings.landing_dir, archive_dir=settings.archive_dir, quiet_seconds=QUIET)


def test_every_landing_record_is_accounted_for(sim, settings, lake):
    replay_and_load(sim, settings, lake)
    truth = truth_tables(sim.world_dir)
    ledger = lake.execute(
        "SELECT dataset, source_file, sha256, status, rows_read, rows_loaded, rows_rejected FROM lake.meta.file_ledger"
    ).fetchall()
    truth.execute(
        "CREATE TABLE ledger (dataset VARCHAR, path VARCHAR, sha256 VARCHAR, status VARCHAR, rows_read BIGINT, "
        "rows_loaded BIGINT, rows_rejected BIGINT)"
    )
    truth.executemany("INSERT INTO ledger VALUES (?, ?, ?, ?, ?, ?, ?)", ledger)

    # Every complete delivery of a record-carrying file is in the ledger with the right status.
    missing = truth.execute(
        """
        SELECT d.path, d.kind FROM deliveries d
        WHERE d.channel = 'file' AND d.kind <> 'lock_file' AND d.complete
          AND NOT EXISTS (SELECT 1 FROM ledger l WHERE l.path = d.path AND l.sha256 = d.sha256)
          AND d.delivery_id NOT IN (SELECT supersedes FROM deliveries WHERE supersedes IS NOT NULL)
        """
    ).fetchall()
    assert missing == []  # (a superseded version may be replaced before anyone could see it)
    assert truth.execute("SELECT count(*) FROM ledger WHERE path LIKE '%~$%'").fetchone()[0] == 0
    incomplete = truth.execute(
        "SELECT count(*) FROM deliveries d JOIN ledger l ON l.path = d.path WHERE NOT d.complete"
    ).fetchone()[0]
    assert incomplete == 0  # no .ok marker yet / still being written: not touched
    statuses = dict(truth.execute("SELECT status, count(*) FROM ledger GROUP BY 1").fetchall())
    assert statuses.get("duplicate", 0) >= 1 and "rejected" not in statuses
    # A correction with new bytes supersedes the version it replaces (an identical "correction" is a re-drop).
    corrected = truth.execute(
        """
        SELECT DISTINCT l.dataset, o.path FROM deliveries c JOIN deliveries o ON c.supersedes = o.delivery_id
        JOIN ledger l ON l.path = o.path AND l.sha256 = o.sha256
        WHERE c.sha256 <> o.sha256
        """
    ).fetchall()
    superseded = truth.execute("SELECT DISTINCT dataset, path FROM ledger WHERE status = 'superseded'").fetchall()
    assert sorted(superseded) == sorted(corrected)  # (test_ledger.py covers a correction deterministically)

    # Per dataset: records delivered (truth, for the file versions loaded) = rows loaded + rows rejected.
    per_dataset = truth.execute(
        """
        WITH loaded AS (SELECT * FROM ledger WHERE status IN ('loaded', 'superseded')),
        delivered AS (
            SELECT r.dataset, count(*) AS delivered, count(*) FILTER (r.expected = 'reader_reject') AS rejects
            FROM rows r JOIN versions d USING (delivery_id)
            JOIN loaded l ON l.dataset = r.dataset AND l.path = d.path AND l.sha256 = d.sha256
            GROUP BY 1)
        SELECT l.dataset, sum(l.rows_read), sum(l.rows_loaded), sum(l.rows_rejected),
               any_value(d.delivered), any_value(d.rejects)
        FROM loaded l LEFT JOIN delivered d USING (dataset) GROUP BY 1 ORDER BY 1
        """
    ).fetchall()
    assert [r[0] for r in per_dataset] == sorted(f.dataset for f in FEEDS)
    for dataset, read, loaded, rejected, delivered, expected_rejects in per_dataset:
        assert read == loaded + rejected == delivered, dataset
        assert rejected == expected_rejects, dataset

    # Record by record: raw rows and reader rejects are exactly the truth's records of those file versions.
    raw = []
    for feed in FEEDS:
        raw += [
            (feed.dataset, *r)
            for r in lake.execute(
                f"SELECT _source_file, _source_sha256, _record_number FROM lake.raw.{feed.raw_table}"
            ).fetchall()
        ]
    rejects = lake.execute(
        "SELECT dataset, source_file, source_sha256, record_number, rule FROM lake.raw.reader_rejects"
    )
    expected = truth.execute(
        """
        SELECT r.dataset, d.path, d.sha256, r.record_number, r.expected, r.reasons[1]
        FROM rows r JOIN versions d USING (delivery_id)
        JOIN ledger l ON l.dataset = r.dataset AND l.path = d.path AND l.sha256 = d.sha256
        WHERE l.status IN ('loaded', 'superseded')
        """
    ).fetchall()
    assert sorted(raw) == sorted(e[:4] for e in expected if e[4] != "reader_reject")
    assert sorted(rejects.fetchall()) == sorted((*e[:4], e[5]) for e in expected if e[4] == "reader_reject")


def test_every_api_record_is_accounted_for(sim, settings, lake):
    retrying = Retrying(backoff_seconds=0.05, max_backoff_seconds=0.5, timeout_seconds=2)
    start = dt.datetime.combine(sim.start, dt.time())
    moments = [start + dt.timedelta(hours=h) for h in (20, 44, 24 * sim.days)]
    with simulator.serve(sim.world_dir, slow_delay_s=2.5) as srv:
        # The realistic profile's faults, more often than it draws them, so that this short test meets them all.
        srv.set_rates(api_429=0.05, api_502=0.05, api_503=0.05, api_slow=0.03, api_page_overlap=0.3)
        b = transport.client(srv.base_url, srv.transport_token, archive_dir=settings.archive_dir, retrying=retrying)
        e = credit.client(srv.base_url, srv.credit_api_key, archive_dir=settings.archive_dir, retrying=retrying)
        with b, e:
            for now in moments:
                srv.set_now(now)
                transport.pull_vehicles(lake, b, now=now)
                transport.pull_alarms(lake, b, now=now, since=start)
                credit.pull_snapshot(lake, e)
    world = sim.world_dir
    for dataset, table, key, name in (
        ("transport.vehicle", "transport__vehicle", "clid", "transport_vehicles"),
        ("transport.alarm", "transport__alarm", "bjid", "transport_alarms"),
        ("credit.dishonest_entry", "credit__dishonest_entry", "id", "credit_dishonest"),
    ):
        read, loaded, rejected = lake.execute(
            "SELECT sum(rows_read), sum(rows_loaded), sum(rows_rejected) FROM lake.meta.load_log WHERE dataset = ?",
            [dataset],
        ).fetchone()
        received, twice, already, pulled = lake.execute(
            "SELECT sum(records_received), sum(records_served_twice), sum(records_already_loaded), sum(rows_read) "
            "FROM lake.meta.api_pull_log WHERE dataset = ?",
            [dataset],
        ).fetchone()
        assert read == loaded + rejected == pulled, dataset
        assert received == twice + already + read, dataset
        raw = lake.execute(f"SELECT {key}, gxsj, _record_sha256 FROM lake.raw.{table}").fetchall()
        assert len({r[2] for r in raw}) == len(raw) == loaded, dataset
        served = set()
        for now in moments:
            for record in api_view(world, name, now).values():
                in_window = dataset != "transport.alarm" or start.strftime(TS) <= record["gxsj"] < now.strftime(TS)
                if in_window:
                    served.add((record[key], record["gxsj"]))
        assert {(k, g) for k, g, _ in raw} == served, dataset
        versions = set(
            truth_tables(world).execute("SELECT record_key, gxsj FROM rows WHERE dataset = ?", [dataset]).fetchall()
        )
        assert {(k, g) for k, g, _ in raw} <= versions, dataset
    retries, twice = lake.execute(
        "SELECT sum(retries), sum(records_served_twice) FROM lake.meta.api_pull_log"
    ).fetchone()
    assert retries >= 1 and twice >= 1

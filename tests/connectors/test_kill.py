"""A load killed midway (SIGKILL) and run again leaves the raw layer exactly as one clean run would."""

import os
import signal
import subprocess
import sys
import time

import pytest

import simulator
from connectors import construction, hazchem, special_equipment
from sdc_settings import load_settings
from warehouse.lake import lake_connection, table_exists

pytestmark = pytest.mark.integration  # loads in killed subprocesses (tests/conftest.py: the two tiers)

FEEDS = (*hazchem.FEEDS, *construction.FEEDS, *special_equipment.FEEDS)
LOAD = """
import os

from connectors import construction, hazchem, special_equipment
from connectors.landing import ingest_feed
from sdc_settings import load_settings
from warehouse.lake import lake_connection, table_exists

settings = load_settings(os.environ)
with lake_connection(settings) as con:
    for feed in (*hazchem.FEEDS, *construction.FEEDS, *special_equipment.FEEDS):
        ingest_feed(con, feed, settings.landing_dir, archive_dir=settings.archive_dir, quiet_seconds=0)
"""


def environment(home, landing, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SDC_")}
    return {**env, "SDC_ENV": "ci", "SDC_HOME": str(home), "SDC_LANDING_DIR": str(landing), **extra}


def load(env) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", LOAD], env=env)


def files_recorded(env) -> int:
    try:
        with lake_connection(load_settings(env), read_only=True) as con:
            return con.execute("SELECT count(*) FROM lake.meta.file_ledger").fetchone()[0]
    except Exception:  # no catalog or ledger yet
        return 0


def snapshot(env) -> dict[str, list]:
    """The raw layer and its bookkeeping without what differs between runs (load ids, load times)."""
    out = {}
    with lake_connection(load_settings(env), read_only=True) as con:
        for feed in FEEDS:
            if not table_exists(con, "raw", feed.raw_table):
                out[feed.dataset] = []
                continue
            cols = [
                c[0] for c in con.execute(f"DESCRIBE lake.raw.{feed.raw_table}").fetchall()
                if c[0] not in ("_load_id", "_loaded_at")
            ]  # fmt: skip
            out[feed.dataset] = sorted(
                con.execute(f"SELECT {', '.join(repr(c).replace(chr(39), chr(34)) for c in cols)} "
                            f"FROM lake.raw.{feed.raw_table}").fetchall(), key=repr
            )  # fmt: skip
        out["rejects"] = sorted(
            con.execute("SELECT dataset, source_file, source_sha256, record_number, rule, content "
                        "FROM lake.raw.reader_rejects").fetchall(), key=repr
        )  # fmt: skip
        out["ledger"] = sorted(
            con.execute("SELECT dataset, source_file, sha256, size_bytes, status, reason, encoding, rows_read, "
                        "rows_loaded, rows_rejected, rows_skipped FROM lake.meta.file_ledger").fetchall(), key=repr
        )  # fmt: skip
        out["load_log"] = sorted(
            con.execute("SELECT dataset, source, source_sha256, rows_read, rows_loaded, rows_rejected "
                        "FROM lake.meta.load_log").fetchall(), key=repr
        )  # fmt: skip
    return out


def test_sigkill_midway_then_rerun_equals_one_clean_run(tmp_path):
    landing = tmp_path / "landing"
    simulator.simulate(landing, tmp_path / "world", days=1, scale=0.05, seed=5)
    clean = environment(tmp_path / "clean", landing)
    assert load(clean).wait(timeout=300) == 0
    total = files_recorded(clean)

    killed = environment(tmp_path / "killed", landing, SDC_TEST_LOAD_PAUSE_SECONDS="0.3")
    proc = load(killed)
    deadline = time.monotonic() + 120
    while files_recorded(killed) < 5:
        assert proc.poll() is None and time.monotonic() < deadline, "the load ended before it could be killed"
        time.sleep(0.1)
    proc.send_signal(signal.SIGKILL)  # most likely inside a file's transaction (rows written, not committed)
    assert proc.wait(timeout=30) == -signal.SIGKILL
    done = files_recorded(killed)
    assert 5 <= done < total
    partial = snapshot(killed)
    # Nothing of the file being loaded when the process died: raw rows are exactly the committed files' rows.
    committed = {(r[1], r[2]) for r in partial["ledger"] if r[4] == "loaded"}
    for feed in FEEDS:
        assert {(row[1], row[2]) for row in partial[feed.dataset]} <= committed

    rerun = dict(killed)
    del rerun["SDC_TEST_LOAD_PAUSE_SECONDS"]
    assert load(rerun).wait(timeout=300) == 0
    assert snapshot(rerun) == snapshot(clean)

"""The lake as production runs it (`SDC_ENV=prod`): catalog in PostgreSQL, data on S3-compatible storage — here
moto's S3 server and a PostgreSQL server, both throw-away instances on loopback. One pipeline run loads and
publishes with every Parquet file on the object store (the lake's and the Iceberg export's); `sdc sql` reads the
publish, `--as-of` finds it by id and by date, and lake maintenance on the object store leaves it (and a reader
pinned across it) reading as before."""

import csv
import io

import pytest
from s3_server import S3Server
from workspace import days_ago, deliver, run_sdc, sdc_env

from sdc_settings import load_settings
from warehouse.beijing import beijing
from warehouse.exports import iceberg_catalog
from warehouse.publish import publish_history
from warehouse.reader import open_published

pytestmark = pytest.mark.integration  # runs the pipeline (tests/conftest.py: the two tiers)

BUCKET, PREFIX = "sdc-lake", "taicang/lake"
MART = "hazchem_enterprises"


@pytest.fixture(scope="module")
def s3():
    server = S3Server().start()
    yield server
    server.stop()


def read_all(session) -> dict[str, tuple]:
    """Every published view's row count and content hash."""
    return {v: session.execute(f'SELECT count(*), sum(hash(t)) FROM "{v}" t').fetchone() for v in session.views}


def sql_count(env, *args: str) -> int:
    out = run_sdc(env, "sql", "--format", "csv", *args, f"select count(*) as n from {MART}").stdout
    return int(next(csv.DictReader(io.StringIO(out)))["n"])


def test_a_prod_lake_on_s3_loads_publishes_and_reads_back_across_maintenance(tmp_path, s3, pg_catalog):
    s3.create_bucket(BUCKET)
    home = tmp_path / "home"
    deliver(home, days_ago(2), scale=0.02)
    env = sdc_env(home, pg_catalog, SDC_ENV="prod", **s3.environment(f"s3://{BUCKET}/{PREFIX}"))
    env["SDC_ICEBERG_WAREHOUSE"] = f"s3://{BUCKET}/iceberg"  # the export for Spark & co. on the same store
    env["SDC_SERVE_DSN"] = "off"  # prod serves to PostgreSQL by default; serving is tested in test_serving.py
    settings = load_settings(env)

    run_sdc(env, "run")
    assert any(k.endswith(".parquet") for k in s3.keys(BUCKET, f"{PREFIX}/marts/"))
    assert not (home / "warehouse" / "lake_data").exists()  # nothing of the lake's data in the workspace
    exported = iceberg_catalog(settings).load_table(("sdc_published", MART))
    assert exported.metadata_location.startswith(f"s3://{BUCKET}/iceberg/")
    (entry,) = publish_history(settings)
    assert sql_count(env) == entry.row_counts[MART] > 0
    today = beijing(entry.published_at, "%Y-%m-%d")
    assert sql_count(env, "--as-of", "1") == sql_count(env, "--as-of", today) == entry.row_counts[MART]
    with open_published(settings, 1) as session:
        published = read_all(session)
    assert {v: n for v, (n, _) in published.items()} == entry.row_counts
    assert exported.scan().to_arrow().num_rows == entry.row_counts[MART]

    pinned = open_published(settings)  # a reader session, open across the maintenance
    done = run_sdc(env, "publish", "maintain", "--grace-minutes", "0")
    assert "expired 0 publish(es)" in done.stdout
    assert read_all(pinned) == published
    pinned.close()
    with open_published(settings, 1) as session:
        assert read_all(session) == published

"""Two publishes on two days through the real pipeline: "as of" queries, the masked view scanned for ID
and phone numbers, the Parquet export for BI tools and the Iceberg export read back by two engines."""

import hashlib
import json
import re
from datetime import UTC, datetime, time, timedelta

import duckdb
import pytest
from reader_loop import read_state
from typer.testing import CliRunner
from workspace import copy_workspace, days_ago, deliver, run_sdc, sdc_env

from sdc.cli import app
from sdc_settings import load_settings
from warehouse.beijing import BEIJING
from warehouse.exports import ICEBERG_NAMESPACES, export_iceberg, export_parquet, iceberg_catalog
from warehouse.extensions import connection_config
from warehouse.lake import lake_connection
from warehouse.masking import find_leaks
from warehouse.publish import publish_history
from warehouse.reader import open_published

pytestmark = pytest.mark.integration  # runs the pipeline (tests/conftest.py: the two tiers)

MART = "hazchem_enterprises"


@pytest.fixture(scope="module")
def published(tmp_path_factory, publish_template):
    """Publish 1 'yesterday' (day-2 deliveries), publish 2 today (day-1 deliveries, more enterprises)."""
    home = copy_workspace(publish_template, tmp_path_factory.mktemp("history") / "home")
    env = sdc_env(home)
    settings = load_settings(env)
    export_iceberg(settings, 1)  # the template's Iceberg export stayed with the template (absolute paths)
    # The first publish happened yesterday evening (Beijing time): it is data in the log.
    yesterday_evening = datetime.combine(days_ago(1), time(18, 0), BEIJING)
    with lake_connection(settings) as con:
        con.execute("UPDATE lake.meta.publish_log SET published_at = ? WHERE publish_id = 1", [yesterday_evening])
    deliver(home, days_ago(1), scale=0.04)
    run_sdc(env, "run")
    return env, settings


def sql(env, *args):
    result = CliRunner().invoke(app, ["sql", *args], env=env)
    return result.exit_code, result.output


def count(env, *args) -> int:
    code, out = sql(env, f"select count(*) as n from {MART}", *args)
    assert code == 0, out
    return int(next(line for line in out.splitlines() if line.strip("│ ").isdigit()).strip("│ "))


def test_as_of_an_earlier_publish_gives_that_days_numbers(published):
    env, settings = published
    history = publish_history(settings)
    assert [e.publish_id for e in history] == [1, 2]
    yesterday, today = history[0].row_counts[MART], history[1].row_counts[MART]
    assert yesterday < today
    assert count(env) == today
    assert count(env, "--as-of", str(days_ago(1))) == yesterday  # as of yesterday (end of day, Beijing)
    assert count(env, "--as-of", "1") == yesterday
    assert count(env, "--as-of", f"{days_ago(1)}T20:00") == yesterday
    assert count(env, "--as-of", str(datetime.now(BEIJING).date())) == today
    code, out = sql(env, "select 1", "--as-of", str(days_ago(2)))
    assert code == 1 and "nothing had been published as of" in out


def test_publish_history_command_lists_every_publish(published):
    env, _ = published
    result = CliRunner().invoke(app, ["publish", "history"], env=env)
    assert result.exit_code == 0, result.output
    lines = [line.split() for line in result.output.splitlines()[1:]]
    assert [line[0] for line in lines] == ["1", "2"] and all("live" in line for line in lines)


def all_leaks(session) -> list:
    leaks = []
    for view in session.views:
        cols = [r[0] for r in session.execute(f'DESCRIBE "{view}"').fetchall()]
        leaks += find_leaks(session.connection, view, f'SELECT * FROM main."{view}"', cols)
    return leaks


@pytest.mark.parametrize("publish_id", [1, 2])
def test_no_unmasked_id_or_phone_number_in_any_column_of_any_published_table(published, publish_id):
    _, settings = published
    with open_published(settings, publish_id) as masked:
        assert masked.views  # every published table
        assert all_leaks(masked) == []
    with open_published(settings, publish_id, audience="full") as full:
        assert {x.kind for x in all_leaks(full)} == {"phone"}  # the scanner does see them where they are


def test_masked_view_reduces_names_and_refuses_writes(published):
    env, _ = published
    # a mobile number (some principals give a landline, which keeps the same shape but not this length)
    query = f"select principal_name, principal_phone from {MART} where principal_phone like '1%' limit 1"
    code, out = sql(env, query)
    # a person's name keeps its first character only; a phone keeps its first 3 and last 4 digits
    assert code == 0 and re.search(r"│ [\u4e00-\u9fff]\*", out) and re.search(r"1\d\d\*{4}\d{4}", out), out
    code, out = sql(env, f"delete from {MART}")
    assert code == 1 and "read-only" in out
    code, out = sql(env, f"select * from lake.marts.{MART}")
    assert code == 1 and "shows only the published tables" in out


def test_parquet_export_holds_the_masked_published_marts_with_a_manifest(published):
    _, settings = published
    folder = settings.export_dir / MART
    manifest = json.loads((folder / "_manifest.json").read_text(encoding="utf-8"))
    latest = publish_history(settings)[-1]
    assert (manifest["publish_id"], manifest["lake_snapshot_id"]) == (latest.publish_id, latest.snapshot_id)
    assert manifest["audience"] == "masked" and manifest["rows"] == latest.row_counts[MART]
    con = duckdb.connect()
    data = f"read_parquet('{folder / manifest['file']}')"
    cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {data}").fetchall()]
    assert find_leaks(con, MART, f"SELECT * FROM {data}", cols) == []
    with open_published(settings) as masked:
        expected = read_state(masked)[MART]
        masked.connection.execute(f"CREATE VIEW exported AS SELECT * FROM {data}")
        exported = masked.connection.execute("SELECT count(*), bit_xor(hash(t)) FROM exported t").fetchone()
        assert list(exported) == expected


def test_the_parquet_export_copies_the_masked_iceberg_file_of_its_publish(published, tmp_path):
    """A run exports to Iceberg first: the Parquet export copies each masked table's Iceberg data file of the same
    publish rather than writing it again (DuckDB would write the same bytes: the test reorders the Iceberg file's rows
    to tell a copy); for another publish it writes its own, with that publish's rows."""
    _, settings = published
    history = publish_history(settings)
    table = iceberg_catalog(settings).load_table((ICEBERG_NAMESPACES["masked"], MART))
    (path,) = table.inspect.files()["file_path"].to_pylist()
    with table.io.new_input(path).open() as data:
        original = data.read()
    (tmp_path / "original.parquet").write_bytes(original)
    reordered = tmp_path / "reordered.parquet"
    duckdb.connect().execute(
        f"COPY (SELECT * FROM read_parquet('{tmp_path / 'original.parquet'}') ORDER BY enterprise_code DESC) "
        f"TO '{reordered}' (FORMAT parquet)"
    )
    manifest_path = settings.export_dir / MART / "_manifest.json"
    try:
        with table.io.new_output(path).create(overwrite=True) as data:
            data.write(reordered.read_bytes())
        export_parquet(settings)
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        assert manifest["publish_id"] == history[-1].publish_id
        assert manifest["sha256"] == hashlib.sha256(reordered.read_bytes()).hexdigest()

        export_parquet(settings, history[0].publish_id)  # not the publish the Iceberg export holds: written anew
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        assert manifest["publish_id"] == history[0].publish_id
        with open_published(settings, history[0].publish_id) as masked:
            expected = read_state(masked)[MART]
            data = f"read_parquet('{settings.export_dir / MART / manifest['file']}')"
            exported = masked.connection.execute(f"SELECT count(*), bit_xor(hash(t)) FROM {data} t").fetchone()
            assert list(exported) == expected
    finally:
        with table.io.new_output(path).create(overwrite=True) as data:
            data.write(original)
        export_parquet(settings)  # the newest publish again, as the run left it


def test_iceberg_export_reads_back_through_pyiceberg_and_duckdb(published):
    _, settings = published
    catalog = iceberg_catalog(settings)
    history = publish_history(settings)
    for audience, namespace in ICEBERG_NAMESPACES.items():
        table = catalog.load_table((namespace, MART))
        with open_published(settings, audience=audience) as session:
            lake_rows = session.connection.execute(f"SELECT * FROM {MART} ORDER BY enterprise_code").fetchall()
        # second engine 1: pyiceberg's own scan
        scanned = table.scan().to_arrow().sort_by("enterprise_code")
        assert [tuple(r.values()) for r in scanned.to_pylist()] == [
            tuple(v.astimezone(UTC) if isinstance(v, datetime) and v.tzinfo else v for v in r) for r in lake_rows
        ]
        # second engine 2: DuckDB's iceberg extension on the table's metadata
        con = duckdb.connect(config=connection_config(settings.extension_dir))
        n = con.execute("SELECT count(*) FROM iceberg_scan(?)", [table.metadata_location]).fetchone()[0]
        assert n == history[-1].row_counts[MART]
        # every publish is an Iceberg snapshot too: the first one still reads as publish 1
        first = max(
            (s for s in table.snapshots() if s.summary and s.summary["sdc.publish_id"] == "1"),
            key=lambda s: s.sequence_number,
        )
        assert len(table.scan(snapshot_id=first.snapshot_id).to_arrow()) == history[0].row_counts[MART]


def test_retention_from_the_command_line(published, tmp_path):
    env, settings = published
    result = CliRunner().invoke(app, ["publish", "expire", "--keep", "1"], env=env)
    assert result.exit_code == 0 and "expired 1 publish(es)" in result.output, result.output
    code, out = sql(env, "select 1", "--as-of", "1")
    assert code == 1 and "expired" in out
    assert count(env) == publish_history(settings)[-1].row_counts[MART]
    assert (datetime.now(UTC) - publish_history(settings)[0].expired_at) < timedelta(minutes=5)


def test_a_mart_whose_latest_dbt_test_failed_stays_at_its_last_good_publish(published):
    """A run that selects only `published/marts` holds back a mart whose latest dbt test failed (it stays at
    its last good publish) and publishes the others; once the test passes again the mart is published fresh."""
    import dagster as dg

    from pipelines.defs.dbt.assets import sdc_dbt_models

    env, settings = published
    check = next(s.key for s in sdc_dbt_models.check_specs if s.asset_key.path[-1] == MART)

    def report(passed: bool) -> None:
        with dg.DagsterInstance.from_config(str(settings.dagster_home)) as instance:
            instance.report_runless_asset_event(
                dg.AssetCheckEvaluation(asset_key=check.asset_key, check_name=check.name, passed=passed)
            )

    before = publish_history(settings)[-1]
    report(False)
    run_sdc(env, "run", "--select", "key:published/marts")
    held = publish_history(settings)[-1]
    assert held.held_back == {MART: f"dbt test {check.name} failed on {MART}"}
    assert held.mart_snapshots[MART] == before.snapshot_of(MART) != held.snapshot_id
    assert all(held.mart_snapshots[m] == held.snapshot_id for m in held.marts if m != MART)
    assert count(env) == before.row_counts[MART]
    report(True)
    run_sdc(env, "run", "--select", "key:published/marts")
    fresh = publish_history(settings)[-1]
    assert fresh.held_back == {} and fresh.mart_snapshots[MART] == fresh.snapshot_id

"""The publish served in PostgreSQL, read as BI tools and psql read it: by psycopg and by the `psql` binary, logged in
as a member of each role. The analyst role gets the masked rows (exactly `sdc sql`'s) and "permission denied" on the
full schema; the restricted role reads both; row counts equal the DuckLake publish; the columns carry the dbt docs;
serving again keeps roles and grants. (The switch under readers that loop through a publish is in
test_concurrency.py's PostgreSQL flow.)"""

from __future__ import annotations

import json
import socket
import subprocess

import psycopg
import pytest
from postgres_server import PostgresServer
from workspace import copy_workspace, run_sdc, sdc_env

from sdc_settings import load_settings
from warehouse.publish import publish_history
from warehouse.reader import open_published
from warehouse.serving import PUBLISH_TABLE, SCHEMAS, serve

pytestmark = pytest.mark.integration  # the first-publish workspace runs the pipeline once per session

MASKED, FULL = SCHEMAS["masked"], SCHEMAS["full"]
UNMASKED_PHONES = "SELECT count(*) FROM {}.hazchem_enterprises WHERE principal_phone NOT LIKE '%*%'"


@pytest.fixture(scope="module")
def served(tmp_path_factory, publish_template, postgres: PostgresServer):
    """The first-publish workspace served twice (the second time over the first) to a database of its own, and
    one login user per role."""
    database = "serving_roles"
    postgres.create_database(database)
    home = copy_workspace(publish_template, tmp_path_factory.mktemp("serving") / "home")
    settings = load_settings(sdc_env(home, SDC_SERVE_DSN=postgres.dsn_for(database)))
    serve(settings)
    report = serve(settings)
    with psycopg.connect(postgres.dsn_for(database), autocommit=True) as admin:
        for user, role in (("ana", settings.serve_analyst_role), ("rex", settings.serve_restricted_role)):
            admin.execute(f"DROP ROLE IF EXISTS {user}")
            admin.execute(f"CREATE ROLE {user} LOGIN IN ROLE {role}")
    return settings, report, database


def _text(row: tuple) -> tuple:
    """A row as text, the same whichever engine read it (lists, JSON and timestamps print differently)."""
    return tuple(None if v is None else str(v) for v in row)


def _connect(postgres: PostgresServer, database: str, user: str) -> psycopg.Connection:
    return psycopg.connect(f"dbname={database} host=127.0.0.1 port={postgres.port} user={user}", autocommit=True)


def _psql(postgres: PostgresServer, database: str, user: str, sql: str) -> subprocess.CompletedProcess:
    cmd = [str(postgres.bin / "psql"), "-h", "127.0.0.1", "-p", str(postgres.port), "-U", user, "-d", database,
           "-v", "ON_ERROR_STOP=1", "-At", "-c", sql]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


def _string_columns(con: psycopg.Connection, schema: str, table: str) -> list[str]:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = %s "
        "AND data_type IN ('character varying', 'text') ORDER BY ordinal_position",
        [schema, table],
    ).fetchall()
    return [r[0] for r in rows]


def test_the_analyst_reads_the_masked_marts_and_is_refused_the_full_ones(served, postgres):
    settings, report, database = served
    with _connect(postgres, database, "ana") as con:
        assert con.execute(f"SELECT publish_id FROM {MASKED}.{PUBLISH_TABLE}").fetchone()[0] == report.publish_id
        for table, rows in report.rows.items():
            assert con.execute(f'SELECT count(*) FROM {MASKED}."{table}"').fetchone()[0] == rows, table
            # the served text columns hold exactly what `sdc sql` shows (masked)
            columns = _string_columns(con, MASKED, table)
            served_rows = con.execute(f'SELECT {", ".join(columns)} FROM {MASKED}."{table}"').fetchall()
            with open_published(settings) as session:
                shown = session.execute(f'SELECT {", ".join(columns)} FROM "{table}"').fetchall()
            assert sorted(map(_text, served_rows)) == sorted(map(_text, shown)), table
        assert con.execute(UNMASKED_PHONES.format(MASKED)).fetchone()[0] == 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
            con.execute(f"SELECT count(*) FROM {FULL}.hazchem_enterprises")


def test_the_restricted_role_reads_both_schemas(served, postgres):
    _, report, database = served
    with _connect(postgres, database, "rex") as con:
        for table, rows in report.rows.items():
            assert con.execute(f'SELECT count(*) FROM {MASKED}."{table}"').fetchone()[0] == rows, table
            assert con.execute(f'SELECT count(*) FROM {FULL}."{table}"').fetchone()[0] == rows, table
        assert con.execute(UNMASKED_PHONES.format(FULL)).fetchone()[0] > 0


def test_psql_as_each_role(served, postgres):
    _, report, database = served
    count = "SELECT count(*) FROM {}.hazchem_enterprises"
    expected = str(report.rows["hazchem_enterprises"])
    analyst = _psql(postgres, database, "ana", count.format(MASKED))
    assert (analyst.returncode, analyst.stdout.strip()) == (0, expected), analyst.stderr
    refused = _psql(postgres, database, "ana", count.format(FULL))
    assert refused.returncode != 0 and "permission denied for schema marts_full" in refused.stderr
    for schema in (MASKED, FULL):
        restricted = _psql(postgres, database, "rex", count.format(schema))
        assert (restricted.returncode, restricted.stdout.strip()) == (0, expected), restricted.stderr


def test_columns_carry_the_dbt_docs_and_the_published_counts(served, postgres):
    settings, report, database = served
    with open_published(settings) as session:
        entry = session.entry
    assert report.rows == entry.row_counts and report.publish_id == entry.publish_id
    # what `\d+` shows: the column meanings of the dbt docs, in both schemas
    described = _psql(postgres, database, "ana", rf"\d+ {MASKED}.hazchem_enterprises")
    meanings = entry.descriptions["hazchem_enterprises"]["columns"]
    assert described.returncode == 0, described.stderr
    assert meanings["town"] and meanings["town"] in described.stdout
    with _connect(postgres, database, "rex") as con:
        for schema in (MASKED, FULL):
            comment = con.execute(
                "SELECT col_description(%s::regclass, a.attnum) FROM pg_attribute a "
                "WHERE a.attrelid = %s::regclass AND a.attname = 'town'",
                [f"{schema}.hazchem_enterprises"] * 2,
            ).fetchone()[0]
            assert comment == meanings["town"]


def test_every_published_mart_has_column_types_bi_tools_read(served, postgres):
    """No 128-bit integers (DuckDB's sum() of integers): BI tools and drivers read HUGEINT as text or not at all, and
    PostgreSQL would hold it as numeric. Sums are cast to bigint in the models."""
    settings, _, database = served
    with open_published(settings, audience="full") as session:
        types = {
            (view, column): kind
            for view in session.views
            for column, kind, *_ in session.connection.execute(f'DESCRIBE main."{view}"').fetchall()
        }
    assert len({view for view, _ in types}) >= 10
    assert {k: t for k, t in types.items() if "HUGEINT" in t or "INT128" in t} == {}
    with _connect(postgres, database, "rex") as con:
        served_types = con.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = %s",
            [FULL],
        ).fetchall()
    assert [c for c in served_types if c[2] == "numeric"] == []


def test_serving_again_keeps_one_set_of_schemas_and_the_grants(served, postgres):
    settings, _, database = served
    with _connect(postgres, database, "rex") as con:
        schemas = {r[0] for r in con.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'marts%'")}
        assert schemas == {MASKED, FULL}  # no staging or old schema left behind
        roles = con.execute(
            "SELECT rolname FROM pg_roles WHERE rolname IN (%s, %s) AND NOT rolcanlogin",
            [settings.serve_analyst_role, settings.serve_restricted_role],
        ).fetchall()
        assert len(roles) == 2


def test_a_serving_failure_leaves_the_publish_and_the_exports_in_place(publish_template, tmp_path):
    with socket.socket() as s:  # a port nothing listens on: PostgreSQL unreachable
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    home = copy_workspace(publish_template, tmp_path / "home")
    dsn = f"dbname=sdc host=127.0.0.1 port={port} user=sdc password=never-shown connect_timeout=5"
    env = sdc_env(home, SDC_SERVE_DSN=dsn)
    select = "key:published/marts or key:published/parquet_export or key:published/postgres"
    done = run_sdc(env, "run", "--select", select, check=False)
    assert done.returncode != 0
    assert "failed step: published__postgres" in done.stderr
    assert "cannot connect to the serving database (SDC_SERVE_DSN)" in done.stderr + done.stdout
    assert "never-shown" not in done.stderr + done.stdout
    settings = load_settings(env)
    assert [e.publish_id for e in publish_history(settings)] == [1, 2]  # the publish stands
    manifest = json.loads((settings.export_dir / "overdue_equipment" / "_manifest.json").read_text("utf-8"))
    assert manifest["publish_id"] == 2  # and so does the export beside the serving

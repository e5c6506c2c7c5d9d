"""`sdc sql` as people and scripts use it: the real CLI in subprocesses (and a pty for the shell) on a copy of
the first-publish workspace."""

from __future__ import annotations

import json
import time
from pathlib import Path

import duckdb
import pytest
from terminal import Terminal
from workspace import SDC, copy_of_first_publish, run_sdc

from warehouse.beijing import beijing
from warehouse.full_view import login_name
from warehouse.publish import publish_history

pytestmark = pytest.mark.integration  # the first-publish workspace runs the pipeline once per session

MART = "hazchem_enterprises"


@pytest.fixture(scope="module")
def ws(publish_template, tmp_path_factory):
    history = tmp_path_factory.mktemp("sql-history") / "history"
    return copy_of_first_publish(publish_template, tmp_path_factory, "sql", SDC_SQL_HISTORY=str(history))


def sql(env, *args: str, stdin: str | None = None):
    import subprocess

    return subprocess.run([SDC, "sql", *args], env=env, input=stdin or "", capture_output=True, text=True, timeout=120)


def test_every_statement_is_printed_and_piped_statements_run_without_a_final_semicolon(ws):
    env, _ = ws
    done = sql(env, "select 1 as first_one; select 2 as second_one")
    assert done.returncode == 0 and "first_one" in done.stdout and "second_one" in done.stdout
    piped = sql(env, stdin=f"select count(*) as n from {MART};\nselect 'last' as tail_one")
    assert piped.returncode == 0 and "tail_one" in piped.stdout and "last" in piped.stdout, piped.stderr


def test_any_error_exits_non_zero_and_a_script_stops_at_it(ws):
    env, _ = ws
    done = sql(
        env, stdin="select 1 as before_it;\nselect * from lake.marts.hazchem_enterprises;\nselect 3 as after_it;"
    )
    assert done.returncode == 1
    assert "before_it" in done.stdout and "after_it" not in done.stdout
    assert "only the published tables" in done.stderr
    assert sql(env, "selec 1").returncode == 1
    assert sql(env, f"copy {MART} to '/tmp/out.csv'").returncode == 1  # no way out of the session but --output


def test_no_statement_writes(ws):
    env, _ = ws
    count = f"select count(*) as n from {MART}"
    before = sql(env, "--format", "csv", count).stdout
    for write in (
        f"insert into {MART} (enterprise_code) values ('x')",
        "insert into lake.marts.hazchem_enterprises (enterprise_code) values ('x')",
        f"delete from {MART}",
        f"create table t as select * from {MART}",
    ):
        refused = sql(env, write)
        assert refused.returncode == 1 and refused.stderr.strip(), write
    assert sql(env, "--format", "csv", count).stdout == before


def test_formats_files_and_row_limits(ws, tmp_path):
    env, settings = ws
    rows = publish_history(settings)[-1].row_counts[MART]
    csv = sql(env, "--format", "csv", f"select enterprise_code, principal_phone from {MART} order by 1")
    lines = csv.stdout.splitlines()
    assert lines[0] == "enterprise_code,principal_phone" and len(lines) == rows + 1
    assert all("****" in line.split(",")[1] for line in lines[1:] if line.split(",")[1])  # masked
    as_json = json.loads(sql(env, "--format", "json", "--max-rows", "2", f"select * from {MART}").stdout)
    assert len(as_json) == 2 and "enterprise_code" in as_json[0]
    target = tmp_path / "out.parquet"
    assert sql(env, "--format", "parquet", "-o", str(target), f"select * from {MART}").returncode == 0
    assert duckdb.connect().execute(f"select count(*) from '{target}'").fetchone()[0] == rows
    refused = sql(env, "--format", "parquet", "select 1")
    assert refused.returncode == 2 and "--output" in refused.stderr
    two = sql(env, "-o", str(tmp_path / "two.txt"), "select 1; select 2")
    assert two.returncode == 1 and "one result" in two.stderr
    table = sql(env, "--max-rows", "5", f"select enterprise_code from {MART}").stdout
    assert f"{rows} rows" in table and "(5 shown)" in table


def test_describe_lists_the_views_and_what_their_columns_mean(ws):
    env, _ = ws
    listed = sql(env, "describe").stdout
    assert MART in listed and "Hazardous-chemical enterprise register" in listed and "data_freshness" in listed
    columns = sql(env, "\\d " + MART).stdout
    assert "principal_phone" in columns and "Principal's phone (masked for analysts)" in columns


def test_full_view_is_refused_unless_configured_and_every_use_is_audited(ws):
    env, settings = ws
    log = settings.full_view_audit_log
    refused = sql(env, "--full", f"select principal_phone from {MART}")
    assert refused.returncode == 1 and "authorised operators only" in refused.stderr and refused.stdout == ""
    assert json.loads(log.read_text().splitlines()[-1])["event"] == "refused"

    operator = {**env, "SDC_FULL_VIEW_OPERATORS": f"someone_else,{login_name()}"}
    query = f"select principal_phone from {MART} where principal_phone is not null limit 1"
    phone = sql(operator, "--full", "--format", "csv", query).stdout.splitlines()[1]
    assert "*" not in phone and phone == phone.strip()
    events = [json.loads(line) for line in log.read_text().splitlines()]
    assert events[-1]["event"] == "query" and events[-1]["statement"] == query
    assert events[-1]["user"] == login_name() and events[-1]["at"].endswith("+08:00")
    # the full view is read-only over its views too: no lake tables, no quarantine
    assert sql(operator, "--full", "select * from lake.quarantine.rows").returncode == 1


def test_as_of_and_history_answer_in_beijing_time(ws):
    env, settings = ws
    first = publish_history(settings)[0].published_at
    before = sql(env, "--as-of", "2000-01-01", "select 1")
    assert before.returncode == 1 and f"the first publish was {beijing(first)} (Beijing)" in before.stderr
    history = run_sdc(env, "publish", "history").stdout
    assert "(Beijing)" in history and beijing(first, "%Y-%m-%d %H:%M:%S") in history


def test_a_query_imports_nothing_it_does_not_need(ws):
    """No pandas (DuckDB's first bound parameter imports it), no simulator, no Dagster."""
    import subprocess

    env, _ = ws
    probe = (
        "import sys\nfrom sdc.cli import app\n"
        "try:\n    app(['sql', 'select 1'])\nexcept SystemExit:\n    pass\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'pandas', 'pyarrow', 'simulator', 'dagster'}))\n"
    )
    out = subprocess.run([str(Path(SDC).with_name("python")), "-c", probe], env=env, capture_output=True, text=True)
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stderr


def test_interactive_shell_edits_lines_keeps_history_and_ctrl_c_cancels_the_statement(ws):
    env, settings = ws
    t = Terminal([SDC, "sql"], env)
    assert "masked view of publish" in t.expect("sdc> ")
    t.type("select 40 +\n")
    t.expect("...> ")
    t.type("2 as answer;\n")
    assert "42" in t.expect("sdc> ")
    five = ", ".join(f"{MART} {x}" for x in "abcde")  # a hash of every row of a five-way cross join: minutes
    codes = ", ".join(f"{x}.enterprise_code" for x in "abcde")
    t.type(f"select count(*) from {five} where hash({codes}) % 7 = 0;\n")
    t.expect("% 7 = 0;")  # echoed: the line has reached the shell, which runs it for minutes
    time.sleep(3)
    t.type("\x03")  # Ctrl-C while it runs: the statement is cancelled, the shell stays
    assert "cancelled" in t.expect("sdc> ")
    t.type("select 'half typed")  # Ctrl-C while typing: the line is dropped (tests/test_sql_shell.py: at once)
    t.expect("half typed")
    t.type("\x03")
    t.expect("sdc> ")
    t.type("select 7 as sevn\x1b[De\x05;\n")  # left arrow, insert, Ctrl-E to the end: "seven"
    assert "│ seven │" in t.expect("int32")
    t.expect("sdc> ")
    t.type("\\d\n")  # a meta-command needs no ';'
    assert MART in t.expect("sdc> ")
    t.type("\x04")
    assert t.exit_code() == 1  # a statement was cancelled
    history = settings.sql_history.read_text()
    assert "2 as answer;" in history and "half typed" not in history

"""The `sdc` command's structure: every subcommand group listed and working, heavy modules loaded only by
the commands that use them."""

import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from sdc.cli import SUBCOMMANDS, app

HEAVY = ("simulator", "dagster", "great_expectations", "pandas", "pyarrow", "dbt")


def test_help_lists_every_command_and_group():
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0, result.output
    for name in ("run", "demo", "setup", "ui", "sql", *SUBCOMMANDS):
        assert name in result.output


def test_each_group_mounts_as_a_group_with_its_commands():
    for name, (_, help_text) in SUBCOMMANDS.items():
        result = CliRunner().invoke(app, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)
        assert help_text.split(":")[0] in result.output
    assert "generate" in CliRunner().invoke(app, ["contracts", "--help"]).output


def test_help_and_sql_start_without_heavy_modules():
    probe = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from sdc.cli import app\n"
        "CliRunner().invoke(app, ['--help'])\n"
        "CliRunner().invoke(app, ['sql', '--help'])\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_run_names_its_warning_checks_and_still_succeeds(capsys):
    from sdc.cli import _print_run
    from sdc.runner import RunOutcome

    _print_run(RunOutcome(True, "r1", ["raw/hazchem/waybill"], warned_checks=["validated/hazchem/waybill:row_count"]))
    out = capsys.readouterr()
    assert "succeeded" in out.out
    assert "warning: validated/hazchem/waybill:row_count" in out.err and "sdc status" in out.err


def test_read_only_commands_on_an_empty_path_create_nothing_and_say_there_is_no_workspace(tmp_path):
    home = tmp_path / "mistyped"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SDC_")} | {"SDC_HOME": str(home)}
    sdc = str(Path(sys.executable).with_name("sdc"))
    for command in (["quarantine", "list"], ["status"], ["publish", "history"], ["hold", "list"], ["sql", "select 1"]):
        done = subprocess.run([sdc, *command], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 2 and f"no workspace at {home}" in done.stderr, (command, done.stderr)
    assert not home.exists()

"""`sdc`: the one command-line tool for operators, analysts and the demo."""

from __future__ import annotations

import importlib
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperCommand, TyperGroup

from sdc.invocation import invocation_settings
from sdc_settings import ConfigError, NoWorkspace

# Subcommand groups by module, imported only when one of them runs: `sdc --help` or `sdc sql` must not pay
# for the simulator's pyarrow and numpy. A new group is one module with a Typer `app` and one line here.
SUBCOMMANDS = {
    "simulate": ("simulator.cli", "Simulate the five departmental systems (deliveries + APIs)."),
    "contracts": ("sdc.contracts", "Data contracts: generated artefacts."),
    "quarantine": ("sdc.quarantine", "Quarantined rows: counts by dataset and reason; replay after a fix."),
    "publish": ("sdc.publish", "Published states of the warehouse: history, retention, lake maintenance."),
    "review": ("sdc.review", "Review queue of enterprise resolution: list uncertain pairs, record verdicts."),
    "hold": ("sdc.hold", "Deliveries a circuit breaker held back: list them, release one after review."),
}


class _Commands(TyperGroup):
    """The top-level group: its own commands plus SUBCOMMANDS, each loaded when it is invoked."""

    def list_commands(self, ctx) -> list[str]:
        return [*super().list_commands(ctx), *(name for name in SUBCOMMANDS if name not in self.commands)]

    def get_command(self, ctx, cmd_name: str):
        if cmd_name in self.commands or cmd_name not in SUBCOMMANDS:
            return super().get_command(ctx, cmd_name)
        return TyperCommand(name=cmd_name, help=SUBCOMMANDS[cmd_name][1])  # listed in help, not loaded

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except NoWorkspace as exc:  # a read-only command on a mistyped SDC_HOME: said plainly, nothing created
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc

    def resolve_command(self, ctx, args: list[str]):
        if args and args[0] in SUBCOMMANDS and args[0] not in self.commands:
            module, help_text = SUBCOMMANDS[args[0]]
            # Mounted as in add_typer: a group of one command stays a group, and it has no completion options.
            parent = typer.Typer(add_completion=False)
            parent.add_typer(importlib.import_module(module).app, name=args[0], help=help_text)
            self.add_command(typer.main.get_command(parent).commands[args[0]], args[0])
        return super().resolve_command(ctx, args)


app = typer.Typer(
    cls=_Commands,
    help="Taicang safety data centre: load departmental feeds, validate, model, publish, query.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _print_run(outcome) -> None:
    typer.echo(f"run {outcome.run_id}: {'succeeded' if outcome.success else 'FAILED'}")
    typer.echo(f"  assets materialized: {len(outcome.materialized)}")
    for step in outcome.failed_steps:
        typer.echo(f"  failed step: {step}", err=True)
    for check in outcome.failed_checks:
        typer.echo(f"  failed check: {check}", err=True)
    for check in outcome.warned_checks:  # fail nothing, but someone must look: `sdc status` says which file
        typer.echo(f"  warning: {check} (a delivery held back or a late source: see `sdc status`)", err=True)
    if outcome.log_file:
        typer.echo(f"  full log: {outcome.log_file}")


@app.command()
def run(
    ctx: typer.Context,
    select: Annotated[
        str | None,
        typer.Option("--select", "-s", help="Dagster asset selection, e.g. 'group:hazchem' or 'key:marts/*'."),
    ] = None,
    full_refresh: Annotated[
        bool,
        typer.Option(
            "--full-refresh",
            help="Rebuild the incremental dbt models from all their inputs (after validated rows were changed by "
            "hand); they are rebuilt by themselves when their definition changes.",
        ),
    ] = False,
) -> None:
    """Materialize assets against the configured sources (all by default). Non-zero exit when anything failed."""
    from sdc.runner import run_assets

    settings = invocation_settings(ctx)
    if full_refresh:
        from pipelines.defs.dbt.incremental import forget_builds
        from warehouse.lake import lake_connection

        with lake_connection(settings) as con:
            forget_builds(con)
    outcome = run_assets(settings, select, progress=sys.stdout, trigger="cli")
    _print_run(outcome)
    raise typer.Exit(0 if outcome.success else 1)


@app.command()
def demo(
    ctx: typer.Context,
    days: Annotated[int, typer.Option(help="Days of departmental deliveries to simulate.")] = 3,
    seed: Annotated[int, typer.Option(help="Simulator seed (same seed, same data).")] = 1,
    scale: Annotated[float, typer.Option(help="Size relative to Taicang (1 = about 3,000 enterprises).")] = 0.2,
) -> None:
    """Simulate N days of deliveries into a fresh workspace ($SDC_HOME), run everything, print a summary."""
    from sdc.demo import WorkspaceInUse, dataset_counts, reset_workspace, simulate_into, simulated_apis
    from sdc.runner import run_assets
    from warehouse.publish import publish_history

    settings = invocation_settings(ctx)
    started = time.monotonic()
    try:
        reset_workspace(settings)
    except (WorkspaceInUse, ConfigError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"workspace: {settings.home} (fresh)")
    world = simulate_into(settings, days, seed, scale)
    typer.echo(f"simulated {days} day(s) of deliveries into {settings.landing_dir}")
    # The simulator has finished writing: no need to wait out system C's quiet period.
    with simulated_apis(replace(settings, landing_quiet_seconds=0), world) as api_settings:
        typer.echo(f"systems B and E served at {api_settings.transport_api_url}")
        outcome = run_assets(api_settings, progress=sys.stdout, trigger="demo")
    _print_run(outcome)
    typer.echo("\nrows per dataset:")
    typer.echo(f"  {'dataset':<32}{'delivered':>10}{'accepted':>10}{'quarantined':>13}{'rejected':>10}")
    for c in dataset_counts(settings):
        typer.echo(f"  {c.dataset:<32}{c.delivered:>10}{c.accepted:>10}{c.quarantined:>13}{c.reader_rejected:>10}")
    history = publish_history(settings)
    if history:
        last = history[-1]
        typer.echo(f"\nmarts published (snapshot {last.snapshot_id}): {', '.join(last.marts)}")
    typer.echo(f"warehouse: {settings.warehouse_dir} (catalog {settings.lake_catalog})")
    typer.echo('try:  uv run sdc sql "select town, count(*) from hazchem_enterprises group by town order by 2 desc"')
    typer.echo('      uv run sdc sql "select alert_type, count(*) from cross_department_alerts group by 1"')
    typer.echo(f"demo finished in {time.monotonic() - started:.0f} s")
    raise typer.Exit(0 if outcome.success else 1)


@app.command()
def setup(ctx: typer.Context) -> None:
    """Install the DuckDB extensions from their PyPI wheels (offline) and prepare the dbt manifest."""
    from sdc.runner import prepare_workspace

    settings = invocation_settings(ctx)
    prepare_workspace(settings)
    typer.echo(f"DuckDB extensions ready in {settings.extension_dir}; dbt manifest prepared")


@app.command()
def ui(ctx: typer.Context, port: Annotated[int, typer.Option(help="Port of the Dagster UI.")] = 3000) -> None:
    """Start the Dagster UI (dagster dev) on this code location."""
    from sdc.runner import dagster_ui_command, dagster_ui_environment, prepare_workspace

    settings = invocation_settings(ctx)
    prepare_workspace(settings)
    raise typer.Exit(subprocess.call(dagster_ui_command(port), env=dagster_ui_environment(settings)))


@app.command()
def sql(
    ctx: typer.Context,
    query: Annotated[
        str | None, typer.Argument(help="SQL to run (several statements: each result is printed); omit for a shell.")
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", help="An earlier publish: its id, a date (as published by that day's end) or a time, Beijing."
        ),
    ] = None,
    full: Annotated[
        bool,
        typer.Option("--full", help="The restricted, unmasked view: authorised operators only, every use audited."),
    ] = False,
    fmt: Annotated[str, typer.Option("--format", help="table, csv, json or parquet (parquet: --output).")] = "table",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the result to FILE.")] = None,
    max_rows: Annotated[
        int | None, typer.Option("--max-rows", min=0, help="At most N rows (0: all; a table shows 100 by default).")
    ] = None,
) -> None:
    """Query the published marts, read-only: the masked view by default. Statements come from QUERY, from standard
    input when it is piped, or from the interactive shell. Exit code 1 on any error."""
    from sdc.results import Output, OutputError
    from sdc.sql import SqlRun, open_session

    settings = invocation_settings(ctx)
    out = Output(fmt, output, max_rows)
    interactive = query is None and sys.stdin.isatty()
    try:
        out.check()
        if interactive and output is not None:
            raise OutputError("--output needs a QUERY (or statements piped in)")
    except OutputError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    audit = _full_view_audit(settings, as_of, out) if full else None
    session = open_session(settings, as_of, full)
    if session is None:
        raise typer.Exit(1)
    with session:
        run = SqlRun(session, out, audit and (lambda statement: audit(session, statement)))
        if not interactive:
            raise typer.Exit(0 if run.run(query if query is not None else sys.stdin.read()) else 1)
        from sdc.shell import interactive as shell
        from sdc.sql import is_command

        typer.echo(run.banner())
        raise typer.Exit(0 if shell(run.run, is_command, settings.sql_history) else 1)


def _full_view_audit(settings, as_of: str | None, out):
    """Refuses --full to anyone not configured as an operator (exit 1); for an operator, the function that
    records each statement in the audit log before it runs."""
    from warehouse.full_view import FullViewRefused, authorise, login_name, record

    user = login_name()
    try:
        authorise(settings, user)
    except FullViewRefused as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc

    def audit(session, statement: str) -> None:
        record(settings, user, "query", publish_id=session.entry.publish_id, as_of=as_of, statement=statement,
               format=out.format, output=str(out.file) if out.file else None)  # fmt: skip

    return audit


@app.command()
def dashboard(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0: any free port).")] = 8050,
) -> None:
    """Serve the dashboard (总览, 一张图, 一企一档, 数据质量) on 127.0.0.1 over the masked published marts."""
    from dashboard.server import serve
    from warehouse.publish import NothingPublished

    def ready(url: str) -> None:
        typer.echo(f"dashboard of the newest publish at {url} (Ctrl-C stops it)")

    def stop(*_) -> None:
        raise KeyboardInterrupt

    # A service manager stops it with SIGTERM. The handler also undoes a SIGTERM ignored by whatever started the
    # process (an ignored signal is inherited: a dashboard started from such a shell could not be stopped).
    signal.signal(signal.SIGTERM, stop)
    try:
        serve(invocation_settings(ctx), port, ready)
    except NothingPublished as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    except OSError as exc:  # the port is taken
        typer.echo(f"error: cannot serve on 127.0.0.1:{port}: {exc.strerror or exc}", err=True)
        raise typer.Exit(2) from exc
    except KeyboardInterrupt:
        pass


@app.command()
def status(ctx: typer.Context) -> None:
    """Per source dataset: last delivery and load, age against the contract's freshness SLA, rows accepted and
    quarantined today (Beijing), held deliveries, rejected files; the last publish and what it waits for. Read only.
    Exit code 1 when something needs attention."""
    from warehouse.lake import lake_connection
    from warehouse.status import lake_status, status_lines

    with lake_connection(invocation_settings(ctx), read_only=True) as con:
        report = lake_status(con)
    for line in status_lines(report):
        typer.echo(line)
    raise typer.Exit(1 if report.attention else 0)


def main() -> None:  # pragma: no cover
    app()

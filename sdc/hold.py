"""`sdc hold`: deliveries a circuit breaker held back — list them, release one after review."""

from __future__ import annotations

from typing import Annotated

import typer

from sdc.invocation import invocation_settings

app = typer.Typer(no_args_is_help=True)


@app.command("list")
def hold_list(ctx: typer.Context) -> None:
    """Open holds: one line per load and breaker that tripped, with the file and the reason."""
    from warehouse.beijing import labelled
    from warehouse.holds import open_holds
    from warehouse.lake import lake_connection

    with lake_connection(invocation_settings(ctx), read_only=True) as con:
        holds = open_holds(con)
    if not holds:
        typer.echo("no delivery held back")
    for h in holds:
        typer.echo(f"{h['load_id']}  {h['dataset']:<30} {h['check_name']:<13} {h['source']}: {h['reason']} "
                   f"(held {labelled(h['held_at'])})")  # fmt: skip


@app.command("release")
def hold_release(
    ctx: typer.Context,
    load_id: Annotated[str, typer.Argument(help="Load id from `sdc hold list`.")],
    by: Annotated[str | None, typer.Option(help="Who reviewed it (default: the current user).")] = None,
) -> None:
    """Release a held delivery after review: its rows are validated and flow on at the next run."""
    import getpass

    from warehouse.holds import NoOpenHold, release
    from warehouse.lake import lake_connection

    with lake_connection(invocation_settings(ctx)) as con:
        try:
            released = release(con, load_id, by or getpass.getuser())
        except NoOpenHold as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from exc
    checks = ", ".join(h["check_name"] for h in released)
    typer.echo(f"released load {load_id} of {released[0]['dataset']} ({released[0]['source']}; held by {checks}): "
               "its rows flow on at the next run")  # fmt: skip

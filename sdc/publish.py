"""`sdc publish`: the history of published states and its retention."""

from __future__ import annotations

from typing import Annotated

import typer

from sdc.invocation import invocation_settings

app = typer.Typer(no_args_is_help=True)


@app.command("history")
def history(ctx: typer.Context) -> None:
    """Every publish: id, lake snapshot, time (Beijing), rows per mart, marts held back and why; expired ones
    are marked."""
    from warehouse.beijing import beijing
    from warehouse.publish import publish_history

    entries = publish_history(invocation_settings(ctx))
    if not entries:
        typer.echo("nothing has been published yet")
        return
    typer.echo(f"{'publish':>7}  {'snapshot':>8}  {'published (Beijing)':<19}  {'state':<8}  rows per mart")
    for e in entries:
        when = beijing(e.published_at, "%Y-%m-%d %H:%M:%S")
        rows = ", ".join(f"{m} {n}" for m, n in e.row_counts.items())
        rows += "".join(f"; held back: {m} ({why})" for m, why in sorted(e.held_back.items()))
        typer.echo(
            f"{e.publish_id:>7}  {e.snapshot_id:>8}  {when:<19}  {'expired' if e.expired else 'live':<8}  {rows}"
        )


@app.command("expire")
def expire(
    ctx: typer.Context,
    keep: Annotated[
        int | None, typer.Option("--keep", min=1, help="Publishes to keep queryable (default SDC_PUBLISH_KEEP).")
    ] = None,
) -> None:
    """Expire lake snapshots outside the retention window and delete files only they used."""
    from warehouse.lake import lake_connection
    from warehouse.publish import expire_publishes

    settings = invocation_settings(ctx)
    with lake_connection(settings) as con:
        result = expire_publishes(con, keep or settings.publish_keep)
    typer.echo(f"expired {len(result.publishes)} publish(es) and {len(result.snapshots)} lake snapshot(s)")

"""`sdc publish`: the history of published states, its retention, and lake maintenance."""

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


@app.command("maintain")
def maintain(
    ctx: typer.Context,
    keep: Annotated[
        int | None, typer.Option("--keep", min=2, help="Publishes to keep queryable (default SDC_PUBLISH_KEEP).")
    ] = None,
    grace_minutes: Annotated[
        int, typer.Option("--grace-minutes", min=0, help="Delete replaced files only once unused this long.")
    ] = 60,
) -> None:
    """Lake maintenance (the `lake_maintenance` job does it nightly): merge small data files, expire snapshots
    no retained publish reads, delete files unused for the grace period. Run it when no load is running."""
    from datetime import timedelta

    from warehouse.lake import lake_connection
    from warehouse.maintenance import maintain as maintain_lake

    settings = invocation_settings(ctx)
    with lake_connection(settings) as con:
        r = maintain_lake(con, keep or settings.publish_keep, grace=timedelta(minutes=grace_minutes))
    typer.echo(
        f"data files {r.files_before} -> {r.files_after} (merged {r.files_merged} into {r.files_created}); "
        f"expired {len(r.publishes_expired)} publish(es) and {len(r.snapshots_expired)} lake snapshot(s); "
        f"deleted {r.files_deleted} file(s)"
    )

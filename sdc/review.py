"""`sdc review`: the enterprise pairs entity resolution would not decide alone, and a reviewer's verdicts.

A verdict is stored in `lake.resolution.enterprise_review_decisions` and applied as a must-link or
cannot-link on the next run; it moves no other enterprise's id."""

from __future__ import annotations

from typing import Annotated

import typer

from sdc.invocation import invocation_settings

app = typer.Typer(no_args_is_help=True)


SHOWN = ("mention_id", "dataset", "name", "identifier", "town")  # per mention of a pair


@app.command("list")
def list_pairs(
    ctx: typer.Context,
    reason: Annotated[
        str | None, typer.Option(help="Only this reason: uncertain, ambiguous or refused_<constraint>.")
    ] = None,
    limit: Annotated[int, typer.Option(help="How many pairs, most probable first.")] = 20,
) -> None:
    """Queued pairs with both mentions (dataset, name, identifier, town) side by side."""
    from entity_resolution.lake import review_queue
    from warehouse.lake import lake_connection

    with lake_connection(invocation_settings(ctx), read_only=True) as con:
        pairs = review_queue(con, reason, limit)
    if not pairs:
        typer.echo("no queued pairs" + (f" with reason {reason}" if reason else ""))
        return
    for pair in pairs:
        typer.echo(f"{pair['reason']}  p={pair['probability']}")
        for side in ("l", "r"):
            shown = [pair[f"{field}_{side}"] or "-" for field in SHOWN]
            typer.echo("  " + "  ".join(shown))
    typer.echo("\nrecord a verdict (quote the ids): sdc review decide 'ID_L' 'ID_R' --same|--different --by NAME")


@app.command("decide")
def decide(
    ctx: typer.Context,
    mention_l: Annotated[str, typer.Argument(help="One mention id (from `sdc review list`).")],
    mention_r: Annotated[str, typer.Argument(help="The other mention id.")],
    same: Annotated[
        bool, typer.Option("--same/--different", help="The same enterprise (must-link) or not (cannot-link).")
    ],
    by: Annotated[str, typer.Option("--by", help="Who decided (kept with the verdict).")],
    note: Annotated[str, typer.Option(help="Why, for the next reviewer.")] = "",
) -> None:
    """Record a verdict on two mentions; the next run applies it (the latest verdict per pair wins)."""
    from entity_resolution.lake import record_decision
    from warehouse.lake import lake_connection

    decision = "must_link" if same else "cannot_link"
    with lake_connection(invocation_settings(ctx)) as con:
        try:
            record_decision(con, mention_l, mention_r, decision, decided_by=by, note=note)
        except (KeyError, ValueError) as exc:
            typer.echo(f"error: {exc.args[0]}", err=True)
            raise typer.Exit(2) from exc
    typer.echo(f"{decision} {mention_l} ~ {mention_r} recorded; applied on the next run (sdc run)")

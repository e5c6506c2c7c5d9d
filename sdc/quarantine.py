"""`sdc quarantine`: what validation set aside, and replaying it after a contract fix or a corrected delivery."""

from __future__ import annotations

from typing import Annotated

import typer

from sdc.invocation import invocation_settings

app = typer.Typer(no_args_is_help=True)


@app.command("list")
def list_quarantine(ctx: typer.Context) -> None:
    """Open quarantined rows by dataset and reason (a row with two reasons counts under both)."""
    from warehouse.lake import lake_connection
    from warehouse.validated import quarantine_summary, quarantine_totals

    with lake_connection(invocation_settings(ctx), read_only=True) as con:
        totals, reasons = quarantine_totals(con), quarantine_summary(con)
    if not totals:
        typer.echo("nothing quarantined")
        return
    typer.echo(f"{'dataset':<32}{'open':>8}{'released':>10}{'superseded':>12}")
    for dataset, open_rows, released, superseded in totals:
        typer.echo(f"{dataset:<32}{open_rows:>8}{released:>10}{superseded:>12}")
    typer.echo(f"\n{'dataset':<32}{'reason':<22}{'rows':>8}")
    for dataset, reason, rows in reasons:
        typer.echo(f"{dataset:<32}{reason:<22}{rows:>8}")


@app.command("replay")
def replay(
    ctx: typer.Context,
    dataset: Annotated[str, typer.Option("--dataset", "-d", help="Dataset id, e.g. hazchem.waybill.")],
) -> None:
    """Re-validate the open quarantined rows of DATASET with its current contract; move the ones that pass.

    Rows of a file replaced by a corrected delivery are marked superseded. Running it again changes nothing.
    """
    from data_contracts.contract import load_contract
    from data_contracts.validation import validate_batch
    from warehouse.lake import lake_connection
    from warehouse.validated import replay as replay_rows

    try:
        contract = load_contract(dataset)
    except KeyError as exc:
        typer.echo(f"error: {exc.args[0]}", err=True)
        raise typer.Exit(2) from exc
    with lake_connection(invocation_settings(ctx)) as con:
        outcome = replay_rows(con, contract, validate_batch)
    typer.echo(
        f"{dataset} (contract {contract.version}): {outcome.rows_checked} open rows re-validated, "
        f"{outcome.rows_released} released to the validated table, {outcome.rows_superseded} superseded by a "
        f"corrected delivery, {outcome.rows_still_quarantined} still quarantined"
    )

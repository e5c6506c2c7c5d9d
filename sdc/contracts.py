"""`sdc contracts`: files derived from the data contracts."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True)


@app.command("generate")
def contracts_generate() -> None:
    """Regenerate the files derived from the contracts (GX suites, typed schemas, dbt sources)."""
    from data_contracts.codegen import write_generated

    for path in write_generated():
        typer.echo(f"wrote {path}")

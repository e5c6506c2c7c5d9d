"""The settings of one `sdc` invocation: read from the environment once, at the first command that needs
them; a configuration error ends the command with exit code 2 and the message, not a traceback."""

from __future__ import annotations

import os

import typer

from sdc_settings import ConfigError, Settings, load_settings


def invocation_settings(ctx: typer.Context) -> Settings:
    """Kept on the invocation's root context: subcommand groups share it, and each invocation reads its own."""
    root = ctx.find_root()
    if not isinstance(root.obj, Settings):
        try:
            root.obj = load_settings(os.environ)
        except ConfigError as exc:
            typer.echo(f"configuration error: {exc}", err=True)
            raise typer.Exit(2) from exc
    return root.obj

"""``sdc simulate`` (generate deliveries + ground truth) and ``sdc simulate serve`` (APIs)."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import typer

from .profile import PROFILES

app = typer.Typer(
    help="Departmental simulator: a synthetic Taicang delivered like the five systems.",
    invoke_without_command=True,
    no_args_is_help=False,
    add_completion=False,
)


def _parse_overrides(values: list[str] | None) -> dict[str, float]:
    out: dict[str, float] = {}
    for v in values or []:
        k, _, rate = v.partition("=")
        if not rate:
            raise typer.BadParameter(f"--rate expects QUIRK=RATE, got {v!r}")
        out[k.strip()] = float(rate)
    return out


@app.callback()
def simulate_cmd(
    ctx: typer.Context,
    days: int = typer.Option(3, "--days", help="number of simulated days"),
    scale: float = typer.Option(1.0, "--scale", help="1 = about the size of Taicang"),
    seed: int = typer.Option(1, "--seed"),
    out: Path = typer.Option(Path(".sdc/sim"), "--out", help="writes OUT/landing and OUT/world"),  # noqa: B008
    profile: str = typer.Option("realistic", "--profile", help=" | ".join(PROFILES)),
    start: str | None = typer.Option(None, "--start", help="first day YYYY-MM-DD (default: today - days)"),
    rate: list[str] | None = typer.Option(  # noqa: B008
        None, "--rate", help="override a quirk rate: QUIRK[@dataset]=RATE"
    ),
) -> None:
    """Generate deliveries (OUT/landing) and ground truth + API data (OUT/world)."""
    if ctx.invoked_subcommand is not None:
        return
    from .core import simulate

    if profile not in PROFILES:
        raise typer.BadParameter(f"--profile must be one of {', '.join(PROFILES)}")
    start_d = dt.date.fromisoformat(start) if start else None
    t = time.perf_counter()
    s = simulate(
        out / "landing",
        out / "world",
        days=days,
        scale=scale,
        seed=seed,
        profile=profile,
        start=start_d,
        overrides=_parse_overrides(rate),
    )
    typer.echo(f"simulated {s.days} day(s) from {s.start} at scale {s.scale}, seed {s.seed}, profile {s.profile}")
    typer.echo(f"landing: {s.landing_dir}  ({len(s.files)} files, {s.landing_bytes / 1e6:.1f} MB)")
    typer.echo(f"world:   {s.world_dir}  (truth: {', '.join(sorted(s.truth_files))})")
    typer.echo(json.dumps(s.counts, ensure_ascii=False, indent=1))
    typer.echo(f"took {time.perf_counter() - t:.1f}s")


@app.command("serve")
def serve_cmd(
    world: Path = typer.Option(Path(".sdc/sim/world"), "--world", help="the world dir written by simulate"),  # noqa: B008
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8765, "--port"),
    faults: bool = typer.Option(True, "--faults/--no-faults", help="random faults per the profile"),
    now: str | None = typer.Option(None, "--now", help="simulated clock, 'YYYY-MM-DD HH:MM:SS' (default: end)"),
    slow_delay: float | None = typer.Option(None, "--slow-delay", help="seconds for a slow response"),
) -> None:
    """Run the B (transport) and E (credit) APIs in the foreground until Ctrl-C."""
    from .server import serve

    srv = serve(world, host=host, port=port, faults=faults, slow_delay_s=slow_delay)
    if now:
        srv.set_now(now)
    typer.echo(f"base URL:        {srv.base_url}")
    typer.echo(f"B transport:     {srv.base_url}/api/v2/vehicles , /api/v2/alarms")
    typer.echo(f"  token:         Authorization: Bearer {srv.transport_token}")
    typer.echo(f"E credit:        {srv.base_url}/openapi/credit/dishonest")
    typer.echo(f"  api key:       X-Api-Key: {srv.credit_api_key}")
    typer.echo(f"simulated now:   {srv.now}  (GET/POST {srv.base_url}/_sim/now?value=...)")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        typer.echo("stopping")
    finally:
        srv.stop()


if __name__ == "__main__":
    app()

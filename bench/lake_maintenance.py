"""Lake maintenance over simulated days: data files and read latency, with and without it.

    uv run python bench/lake_maintenance.py [--days 30] [--scale 0.05] [--every 5] [--reads 9]

One workspace (SQLite catalog, files in the workspace) loads the simulated days one `sdc run` per day, as the
daily schedule would (file deliveries; the API systems are not served). After every `--every`th day and the
last, it is measured as it is ("without") and a copy of it after `sdc publish maintain` ("with"): one
maintenance over all the days so far stands for the nightly job (merging is cumulative: the nightly job would
have merged the same files, a day at a time). Measured on each:

  files     data files the catalog lists (every retained snapshot's) and Parquet files on disk, with their bytes
  reader    one `sdc sql`-style session on the newest publish: open, count and hash every published view, close
  layers    what the staging models read each run: count and hash every table of raw and validated

Latencies are medians of `--reads` (in this process, after one warm-up). Prints a table and writes
bench/results/lake_maintenance.json. The machine is shared: the load average is recorded beside the numbers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.workload import delivery_day  # noqa: E402

SDC = str(Path(sys.executable).with_name("sdc"))
LAYERS = ("raw", "validated")


def env_for(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SDC_", "DAGSTER_"))}
    env.update(SDC_HOME=str(home), SDC_ENV="ci", SDC_LANDING_QUIET_SECONDS="0", DO_NOT_TRACK="1",
               GX_ANALYTICS_ENABLED="false", DAGSTER_DISABLE_TELEMETRY="1")  # fmt: skip
    return env


def sdc(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([SDC, *args], env=env, capture_output=True, text=True)
    if done.returncode not in (0, 1):  # 1: a check failed somewhere (still published); anything else is a crash
        raise RuntimeError(f"sdc {' '.join(args)}: {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return done.stdout


def deliver_day(staged: Path, landing: Path, day: dt.date, first: bool) -> None:
    for path in sorted(staged.rglob("*")):
        if not path.is_file():
            continue
        dated = delivery_day(path.relative_to(staged))
        if dated == day or (dated is None and first):
            target = landing / path.relative_to(staged)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)


def _median_ms(action, reads: int) -> float:
    action()  # warm-up: extensions loaded, files in the page cache
    times = []
    for _ in range(reads):
        t = time.perf_counter()
        action()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def measure(home: Path, reads: int) -> dict:
    from sdc_settings import load_settings
    from warehouse.lake import lake_connection
    from warehouse.maintenance import data_file_count
    from warehouse.reader import open_published

    settings = load_settings(env_for(home))
    on_disk = list(settings.lake_data_path.rglob("*.parquet"))

    def reader() -> None:
        with open_published(settings) as session:
            for view in session.views:
                session.execute(f'SELECT count(*), sum(hash(t)) FROM "{view}" t').fetchall()

    def layers() -> None:
        with lake_connection(settings, read_only=True) as con:
            tables = con.execute(
                "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'lake' "
                f"AND schema_name IN {LAYERS}"
            ).fetchall()
            for schema, table in tables:
                con.execute(f'SELECT count(*), sum(hash(t)) FROM lake.{schema}."{table}" t').fetchall()

    with lake_connection(settings, read_only=True) as con:
        catalog_files = data_file_count(con)
        live = con.execute(
            "SELECT count(*) FROM __ducklake_metadata_lake.ducklake_data_file WHERE end_snapshot IS NULL"
        ).fetchone()[0]
    return {
        "catalog_files": catalog_files,
        "current_files": int(live),
        "parquet_on_disk": len(on_disk),
        "mib_on_disk": round(sum(p.stat().st_size for p in on_disk) / 2**20, 2),
        "reader_ms": round(_median_ms(reader, reads), 1),
        "layers_ms": round(_median_ms(layers, reads), 1),
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--scale", type=float, default=0.05)
    ap.add_argument("--every", type=int, default=5, help="measure after every N-th day (and the last)")
    ap.add_argument("--reads", type=int, default=9)
    ap.add_argument("--work", type=Path, default=Path("/tmp/sdc-bench-maintenance"), help="scratch folder (wiped)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "lake_maintenance.json")
    args = ap.parse_args(argv)
    from simulator import simulate

    shutil.rmtree(args.work, ignore_errors=True)
    start = dt.date.today() - dt.timedelta(days=args.days)
    staged = args.work / "staged"
    simulate(staged, args.work / "world", days=args.days, scale=args.scale, seed=3, start=start, profile="realistic")
    home = args.work / "home"
    env = env_for(home)
    points = []
    for i in range(args.days):
        day = start + dt.timedelta(days=i)
        deliver_day(staged, home / "landing", day, first=i == 0)
        t = time.perf_counter()
        sdc(env, "run")
        run_s = time.perf_counter() - t
        print(f"day {i + 1}/{args.days}: sdc run {run_s:.0f} s (load {os.getloadavg()[0]:.1f})", flush=True)
        if (i + 1) % args.every and i + 1 != args.days:
            continue
        point = {"day": i + 1, "run_s": round(run_s, 1), "load_average": round(os.getloadavg()[0], 1)}
        point["without"] = measure(home, args.reads)
        maintained = args.work / "maintained"
        shutil.rmtree(maintained, ignore_errors=True)
        shutil.copytree(home, maintained, symlinks=True)
        t = time.perf_counter()
        report = sdc(env_for(maintained), "publish", "maintain", "--grace-minutes", "0").strip()
        point["maintain_s"] = round(time.perf_counter() - t, 1)
        point["maintain_report"] = report
        point["with"] = measure(maintained, args.reads)
        points.append(point)
        print(json.dumps(point), flush=True)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"scale": args.scale, "days": args.days, "points": points}, indent=2) + "\n")
    print(f"{'day':>4} {'files w/o':>9} {'files w/':>8} {'disk w/o':>8} {'disk w/':>7} "
          f"{'reader w/o':>10} {'reader w/':>9} {'layers w/o':>10} {'layers w/':>9}")  # fmt: skip
    for p in points:
        a, b = p["without"], p["with"]
        print(f"{p['day']:>4} {a['catalog_files']:>9} {b['catalog_files']:>8} {a['parquet_on_disk']:>8} "
              f"{b['parquet_on_disk']:>7} {a['reader_ms']:>10} {b['reader_ms']:>9} {a['layers_ms']:>10} "
              f"{b['layers_ms']:>9}")  # fmt: skip


if __name__ == "__main__":
    main()

"""Reader latency on the published marts, with and without a concurrent full load, per catalog.

A reader here is one `sdc sql`-style session: attach the lake read-only, read the publish log, pin to
the publish, create the (masked) views, count and fingerprint every published table, close — the
loop in tests/publish/reader_loop.py. Two reader processes run:

  idle — for IDLE_SECONDS with nothing else writing;
  load — while `sdc run` loads a new day of deliveries and publishes.

    uv run python bench/reader_latency.py [--catalogs sqlite,postgres] [--scale 0.05] [--idle 30]

Prints a table and writes bench/results/reader_latency.json. Numbers depend on the machine and on
what else runs on it: the load average is recorded beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "publish"))

from postgres_server import PostgresServer  # noqa: E402

READER = ROOT / "tests" / "publish" / "reader_loop.py"
SDC = str(Path(sys.executable).with_name("sdc"))


def deliver(home: Path, day: date, scale: float) -> None:
    import shutil

    from simulator import simulate

    stage = home.parent / f"stage-{day}"
    simulate(stage / "landing", stage / "world", days=1, scale=scale, seed=5, start=day)
    shutil.copytree(stage / "landing", home / "landing", dirs_exist_ok=True)


def env_for(home: Path, catalog: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SDC_", "DAGSTER_"))}
    env.update({"SDC_HOME": str(home), "SDC_ENV": "ci", "DO_NOT_TRACK": "1", "GX_ANALYTICS_ENABLED": "false"})
    if catalog:
        env["SDC_LAKE_CATALOG"] = catalog
    return env


def readers(env: dict[str, str], folder: Path, n: int, action) -> tuple[list[dict], float, float]:
    stop = folder / "stop"
    stop.unlink(missing_ok=True)
    outs = [folder / f"r{i}.jsonl" for i in range(n)]
    for o in outs:
        o.unlink(missing_ok=True)
    procs = [subprocess.Popen([sys.executable, str(READER), str(o), str(stop)], env=env) for o in outs]
    while not all(o.exists() and o.stat().st_size for o in outs):
        time.sleep(0.1)
    started = time.time()
    action()
    ended = time.time()
    stop.touch()
    for p in procs:
        p.wait()
    reads = [json.loads(line) for o in outs for line in o.read_text().splitlines()]
    return [r for r in reads if started <= r["at"] <= ended], started, ended


def summary(reads: list[dict]) -> dict:
    ms = sorted(r["latency_ms"] for r in reads if "error" not in r)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))] if ms else None
    return {
        "reads": len(reads),
        "errors": sum("error" in r for r in reads),
        "median_ms": round(statistics.median(ms), 1) if ms else None,
        "p95_ms": round(p95, 1) if p95 is not None else None,
        "publishes_seen": sorted({r["publish_id"] for r in reads if "publish_id" in r}),
    }


def bench(catalog_kind: str, scale: float, idle: float, n_readers: int) -> dict:
    folder = Path(tempfile.mkdtemp(prefix=f"sdc-bench-{catalog_kind}-"))
    server = PostgresServer().start() if catalog_kind == "postgres" else None
    try:
        env = env_for(folder / "home", f"postgres:{server.dsn}" if server else None)
        deliver(folder / "home", date.today() - timedelta(days=2), scale)
        subprocess.run([SDC, "run"], env=env, check=True, capture_output=True)
        idle_reads, *_ = readers(env, folder, n_readers, lambda: time.sleep(idle))
        deliver(folder / "home", date.today() - timedelta(days=1), scale * 2)
        load_result = {}

        def load() -> None:
            t = time.perf_counter()
            done = subprocess.run([SDC, "run"], env=env, capture_output=True, text=True)
            load_result.update(returncode=done.returncode, seconds=round(time.perf_counter() - t, 1))

        load_reads, *_ = readers(env, folder, n_readers, load)
        return {
            "catalog": catalog_kind,
            "idle": summary(idle_reads),
            "load": summary(load_reads),
            "load_run": load_result,
            "loadavg_after": os.getloadavg(),
        }
    finally:
        if server:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--catalogs", default="sqlite,postgres")
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--idle", type=float, default=30.0)
    parser.add_argument("--readers", type=int, default=2)
    args = parser.parse_args()
    results = [bench(c, args.scale, args.idle, args.readers) for c in args.catalogs.split(",")]
    out = ROOT / "bench" / "results" / "reader_latency.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"args": vars(args), "cpus": os.cpu_count(), "results": results}, indent=2))
    print(f"{'catalog':<9} {'phase':<5} {'reads':>6} {'errors':>6} {'median ms':>10} {'p95 ms':>8}  load run")
    for r in results:
        for phase in ("idle", "load"):
            s = r[phase]
            run = f"{r['load_run']['seconds']} s, exit {r['load_run']['returncode']}" if phase == "load" else ""
            cells = f"{s['reads']:>6} {s['errors']:>6} {s['median_ms']:>10} {s['p95_ms']:>8}"
            print(f"{r['catalog']:<9} {phase:<5} {cells}  {run}")
    print(f"load average afterwards: {[round(x, 1) for x in results[-1]['loadavg_after']]} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()

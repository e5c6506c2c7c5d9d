"""The pipeline benchmark (`make bench`): end-to-end loads against the floor, per stage, and the fixed costs.

    uv run python -m bench                 # everything: 3 repetitions, all four scenarios
    uv run python -m bench --quick         # 1 repetition of fresh-3d and day-on-7d; no 90 days, no scale 10
    uv run python -m bench --scenarios fresh_3d_s1 --repeat 5

Scenarios (realistic profile, seed 1; simulation and history loads are not timed):
  fresh_3d_s1   a fresh workspace loads 3 days at scale 1
  day_on_7d_s1  one day's load on top of 7 days of history at scale 1
  day_on_90d_s1 one day's load on top of 90 days of history at scale 1
  day_s10       a fresh workspace loads one day at scale 10

Each repetition is one `sdc run` in its own process (bench/measure.py); the history is loaded once, the lake
maintained as the nightly `lake_maintenance` job would have kept it (`sdc publish maintain`: the history comes in
one run, thousands of small files a deployment never accumulates), and its workspace restored before each
repetition. The floor (bench/workload.py) reads the same delivery with plain
DuckDB in the same run, beside each repetition. Writes bench/results.json and bench/RESULTS.md.
On fresh_3d_s1's last publish, each dashboard page is also rendered in headless Chromium (bench/dashboard_render.py).
The other scripts in bench/ are focused studies (readers, validation, resolution accuracy, reader latency, lake
maintenance: bench/lake_maintenance.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import sys
import time
from dataclasses import asdict
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

from bench import dashboard_render, overheads  # noqa: E402
from bench.measure import AFTER, BEFORE, BETWEEN, RunMeasure, maintain, timed_run  # noqa: E402
from bench.workload import World, deliver, floor_seconds, serve_apis, simulate_world, warm_up  # noqa: E402

SCENARIOS = {  # name: (days simulated, days under test, scale)
    "fresh_3d_s1": (3, 3, 1.0),
    "day_on_7d_s1": (8, 1, 1.0),
    "day_on_90d_s1": (91, 1, 1.0),
    "day_s10": (1, 1, 10.0),
}
QUICK = ("fresh_3d_s1", "day_on_7d_s1")
DASHBOARD_SCENARIOS = ("fresh_3d_s1",)  # each dashboard page rendered in Chromium on its last publish (scale 1)
SEED = 1


def _env(home: Path, w: World, server, *, history: bool) -> dict[str, str]:
    """The run's environment; the alarm pull ends at the clock the APIs show (the cut for the history load)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SDC_")}
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",  # dbt, as under `uv run`
        DO_NOT_TRACK="1",
        GX_ANALYTICS_ENABLED="false",
        DAGSTER_DISABLE_TELEMETRY="1",
        SDC_HOME=str(home),
        SDC_ENV="ci",
        SDC_LANDING_QUIET_SECONDS="0",
        SDC_TRANSPORT_ALARMS_SINCE=dt.datetime.combine(w.start, dt.time()).strftime("%Y-%m-%d %H:%M:%S"),
        SDC_TRANSPORT_ALARMS_UNTIL=w.clock(history).strftime("%Y-%m-%d %H:%M:%S"),
        SDC_TRANSPORT_API_URL=server.base_url,
        SDC_TRANSPORT_API_TOKEN=server.transport_token,
        SDC_CREDIT_API_URL=server.base_url,
        SDC_CREDIT_API_KEY=server.credit_api_key,
    )
    return env


def _summary(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def run_scenario(name: str, work: Path, repeat: int, floor_repeat: int, scale_factor: float = 1.0) -> dict:
    days, new_days, scale = SCENARIOS[name]
    scale *= scale_factor
    root = work / name
    print(f"[{name}] simulating {days} day(s) at scale {scale:g}", flush=True)
    t = time.perf_counter()
    w = simulate_world(root / "sim", days=days, new_days=new_days, scale=scale, seed=SEED)
    result: dict = {"days_simulated": days, "days_loaded": new_days, "scale": scale}
    result["simulate_s"] = time.perf_counter() - t
    home, saved = root / "sdc_home", root / "history_home"
    with serve_apis(w) as server:
        env = _env(home, w, server, history=False)
        shutil.rmtree(home, ignore_errors=True)
        if new_days < days:
            server.set_now(w.clock(history=True))
            deliver(w, home / "landing", history=True)
            print(f"[{name}] loading {days - new_days} day(s) of history (not timed)", flush=True)
            history = timed_run(_env(home, w, server, history=True), root / "history.log")
            # A failed step (it is in the log) still leaves the loaded history: measure the day on top of it.
            result["history_load"] = {
                "wall_s": history.wall,
                "peak_rss_mib": history.peak_rss_mib,
                "success": history.success,
                "failed": [line.strip() for line in history.output_tail.splitlines() if "failed" in line],
                "maintenance_s": maintain(_env(home, w, server, history=True), root / "maintenance.log"),
            }
            shutil.rmtree(saved, ignore_errors=True)
            shutil.copytree(home, saved, symlinks=True)
        runs: list[RunMeasure] = []
        floors: list[float] = []
        rows = 0
        for i in range(repeat):
            if home.exists():
                shutil.rmtree(home)
            if new_days < days:
                shutil.copytree(saved, home, symlinks=True)
            server.set_now(w.clock(history=False))
            warm_up(server, w.clock(history=False))  # the simulator's own index build is no cost of the pipeline's
            delivered = deliver(w, home / "landing", history=False)
            for _ in range(floor_repeat):
                seconds, rows = floor_seconds(w, history=False)
                floors.append(seconds)
            print(f"[{name}] run {i + 1}/{repeat}", flush=True)
            m = timed_run(env, root / f"run{i + 1}.log")
            print(f"[{name}]   {m.wall:.1f} s, peak {m.peak_rss_mib:.0f} MiB, success={m.success}", flush=True)
            runs.append(m)
        result["sql_select_1_s"] = _summary(overheads.sql_select_1(env, 5))  # on the last run's publish
        if name in DASHBOARD_SCENARIOS:
            result["dashboard_s"] = dashboard_render.measure_if_possible(home, 3)
    floor = statistics.median(floors)
    # Stages in the order the run reached them; the time outside steps last.
    stage_names = [BEFORE, *dict.fromkeys(stage for m in runs for _, stage, _ in m.steps), BETWEEN, AFTER]
    result.update(
        bytes_delivered=delivered,
        rows=rows,
        success=all(m.success for m in runs),
        floor_s=_summary(floors),
        wall_s=_summary([m.wall for m in runs]),
        peak_rss_mib=_summary([m.peak_rss_mib for m in runs]),
        ratio_to_floor=statistics.median(m.wall for m in runs) / floor,
        stages={
            s: {
                **_summary([m.stages.get(s, 0.0) for m in runs]),
                "ratio_to_floor": statistics.median(m.stages.get(s, 0.0) for m in runs) / floor,
                "rows_per_s": rows / max(statistics.median(m.stages.get(s, 0.0) for m in runs), 1e-9),
                "peak_rss_mib": max(m.stage_rss_mib.get(s, 0.0) for m in runs),
            }
            for s in stage_names
        },
        runs=[{k: v for k, v in asdict(m).items() if k != "output_tail"} for m in runs],
    )
    return result


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f} / {five:.1f} / {fifteen:.1f}"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="1 repetition; fresh_3d_s1 and day_on_7d_s1 only")
    ap.add_argument("--scenarios", nargs="+", choices=list(SCENARIOS))
    ap.add_argument("--repeat", type=int, help="runs per scenario (default 3, quick 1)")
    ap.add_argument("--overheads-repeat", type=int, help="repetitions of each fixed cost (default 5, quick 3)")
    ap.add_argument("--no-overheads", action="store_true")
    ap.add_argument("--work", type=Path, default=Path("/tmp/sdc-bench"), help="scratch folder (wiped)")
    ap.add_argument("--out", type=Path, default=BENCH, help="where results.json and RESULTS.md go")
    ap.add_argument("--scale-factor", type=float, default=1.0, help="shrink every scenario (a smoke run)")
    ap.add_argument("--update", action="store_true", help="keep what OUT/results.json has and this run skips")
    ap.add_argument("--note", default="", help="what else ran on the machine, for RESULTS.md")
    args = ap.parse_args(argv)
    scenarios = args.scenarios or (list(QUICK) if args.quick else list(SCENARIOS))
    repeat = args.repeat or (1 if args.quick else 3)
    overheads_repeat = args.overheads_repeat or (3 if args.quick else 5)
    args.work.mkdir(parents=True, exist_ok=True)
    results: dict = {
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "load_average_start": _load(),
        "note": args.note,
        "repeat": repeat,
        "scale_factor": args.scale_factor,
        "scenarios": {},
    }
    previous = args.out / "results.json"
    if args.update and previous.exists():
        kept = json.loads(previous.read_text(encoding="utf-8"))
        results["scenarios"] = {k: v for k, v in kept.get("scenarios", {}).items() if k not in scenarios}
        if args.no_overheads and "overheads_s" in kept:
            results["overheads_s"] = kept["overheads_s"]
    if not args.no_overheads:
        print("fixed overheads", flush=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SDC_")}
        env.update(
            PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            DO_NOT_TRACK="1",
            GX_ANALYTICS_ENABLED="false",
            DAGSTER_DISABLE_TELEMETRY="1",
            SDC_HOME=str(args.work / "overheads_home"),
        )
        results["overheads_s"] = {k: _summary(v) for k, v in overheads.measure(env, overheads_repeat).items()}
    for name in scenarios:
        started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        load_before = _load()
        results["scenarios"][name] = run_scenario(name, args.work, repeat, 3, args.scale_factor)
        results["scenarios"][name].update(
            measured_at=started, load_average_before=load_before, load_average_after=_load(), note=args.note
        )
        _write(results, args.out)  # partial results survive a later failure
    results["load_average_end"] = _load()
    results["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    _write(results, args.out)
    print((args.out / "RESULTS.md").read_text(encoding="utf-8"))


def _write(results: dict, out: Path) -> None:
    from bench.report import render

    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "RESULTS.md").write_text(render(results), encoding="utf-8")


if __name__ == "__main__":
    main()

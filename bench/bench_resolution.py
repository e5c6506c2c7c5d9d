"""Entity resolution at scale: simulate, run every asset, time the enterprise resolution, and score
enterprises, vehicles and cranes from the *_xref marts against the simulator's ground truth.

uv run python bench/bench_resolution.py [--scale 1] [--days 3] [--profile realistic] [--seed 1]
                                        [--out bench/results/resolution] [--train]

--train re-estimates the Splink model on this run's mentions and writes
entity_resolution/models/enterprise_splink.json (review the diff before committing it).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--days", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--profile", default="realistic")
    ap.add_argument("--out", type=Path, default=Path("bench/results/resolution"))
    ap.add_argument("--train", action="store_true")
    args = ap.parse_args()

    out = args.out.resolve()
    if out.exists():
        shutil.rmtree(out)
    home, world = out / "sdc_home", out / "world"
    environ = {k: v for k, v in os.environ.items() if k not in ("SDC_LANDING_DIR", "SDC_LAKE_CATALOG")}

    from entity_resolution import enterprises, evaluation
    from entity_resolution.lake import MENTIONS, resolve_in_lake
    from sdc.demo import simulated_apis
    from sdc.runner import run_assets
    from sdc_settings import load_settings
    from simulator import simulate
    from warehouse.lake import lake_connection

    base = load_settings({**environ, "SDC_HOME": str(home), "SDC_ENV": "ci", "SDC_LANDING_QUIET_SECONDS": "0"})
    started = time.perf_counter()
    simulate(base.landing_dir, world, days=args.days, scale=args.scale, seed=args.seed, profile=args.profile)
    simulated = time.perf_counter() - started
    with simulated_apis(base, world, faults=False) as settings:
        started = time.perf_counter()
        outcome = run_assets(settings, log_level="WARNING")
        pipeline = time.perf_counter() - started
    print(f"simulate {simulated:.1f} s; pipeline (all assets) {pipeline:.1f} s; success {outcome.success}")

    settings = base
    with lake_connection(settings) as con:
        if args.train:
            enterprises.train_model(con.execute(f"SELECT * FROM {MENTIONS}").df())
            print("trained", enterprises.matching.MODEL_PATH)
        started = time.perf_counter()
        result = resolve_in_lake(con)
        resolution = time.perf_counter() - started
    print(f"enterprise resolution {resolution:.1f} s (peak RSS of this process {_rss_mb():.0f} MB): {result.stats}")

    truth = world / "truth"
    with lake_connection(settings, read_only=True) as con:
        print("enterprise ", evaluation.score(con, truth, "enterprise"))
        print("vehicle    ", evaluation.score(con, truth, "vehicle"))
        print("crane/hoist", evaluation.crane_score(con, truth))
        print("  linkable  ", evaluation.crane_score(con, truth, linkable_only=True))
        print("equipment  ", evaluation.score(con, truth, "equipment"))
        print("branches merged with their head office:", evaluation.branches_merged_with_head_office(con, truth))


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    main()

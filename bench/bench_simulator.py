"""Time simulator generation at scale 1 and 10 (1 day) and report output sizes.

uv run python bench/bench_simulator.py [--scales 1 10] [--days 1] [--out bench/results/sim]
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import shutil
import time
from pathlib import Path

from simulator import simulate


def _size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scales", type=float, nargs="+", default=[1.0, 10.0])
    ap.add_argument("--days", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--profile", default="realistic")
    ap.add_argument("--out", type=Path, default=Path("bench/results/sim"))
    ap.add_argument("--keep", action="store_true", help="keep the generated trees")
    args = ap.parse_args()
    start = dt.date(2026, 11, 23)
    print(
        f"{'scale':>6} {'days':>4} {'seconds':>8} {'landing MB':>10} {'world MB':>9} "
        f"{'files':>6} {'records':>9}"
    )
    for scale in args.scales:
        out = args.out / f"scale{scale:g}"
        shutil.rmtree(out, ignore_errors=True)
        t = time.perf_counter()
        s = simulate(
            out / "landing",
            out / "world",
            days=args.days,
            scale=scale,
            seed=args.seed,
            profile=args.profile,
            start=start,
        )
        secs = time.perf_counter() - t
        lmb, wmb = _size(out / "landing") / 1e6, _size(out / "world") / 1e6
        print(
            f"{scale:>6g} {args.days:>4} {secs:>8.1f} {lmb:>10.1f} {wmb:>9.1f} {len(s.files):>6} "
            f"{sum(s.counts.values()):>9}"
        )
        print("       " + ", ".join(f"{k}={v}" for k, v in s.counts.items()))
        if not args.keep:
            shutil.rmtree(out, ignore_errors=True)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {rss:.0f} MB")


if __name__ == "__main__":
    main()

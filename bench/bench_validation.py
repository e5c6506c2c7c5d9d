"""Validation throughput: the contract path (derived columns + Great Expectations + routing) against the same
rules as one hand-written DuckDB SQL pass (bench/validation_sql.py), on the simulator's realistic profile.

    uv run python bench/bench_validation.py --scale 1 --scale 10

Simulates one day per scale, builds the raw-shaped frames of hazchem.waybill (CSV) and transport.alarm (API),
validates them both ways, checks that both give every row the same reasons and warnings, and prints rows/s.
GX's import (5-7 s, once per process) is measured separately and excluded from the rates.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "contracts"), str(ROOT / "bench")]

from delivered import raw_frame  # noqa: E402
from validation_sql import MACROS, QUERIES  # noqa: E402

from data_contracts.contract import load_contract  # noqa: E402
from simulator import simulate  # noqa: E402


def best_of(n: int, fn):
    times, result = [], None
    for _ in range(n):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return min(times), result


def gx_outcomes(result) -> dict:
    out = {(f, int(n)): (tuple(r), tuple(w)) for f, n, r, w in zip(
        result.quarantined["_source_file"], result.quarantined["_record_number"], result.quarantined["reasons"],
        result.quarantined["warnings"], strict=True)}  # fmt: skip
    for f, n, w in zip(result.accepted["_source_file"], result.accepted["_record_number"], result.accepted["_warnings"],
                       strict=True):  # fmt: skip
        out[(f, int(n))] = ((), tuple(w))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, action="append", help="simulator scale (repeatable); default 1 and 10")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    t = time.perf_counter()
    from data_contracts.gx_suite import run_suite
    from data_contracts.validation import prepare, validate_batch

    print(f"import great_expectations + validation: {time.perf_counter() - t:.1f} s (once per process)")
    con = duckdb.connect()
    con.execute(MACROS)
    print(f"{'scale':>6} {'dataset':<18}{'rows':>9}{'quarantined':>12}{'GX path s':>11}{'(derive':>9}{'GX':>7}"
          f"{' rest)':>7}{'GX rows/s':>11}{'SQL s':>8}{'SQL rows/s':>12}{'GX/SQL':>8}")  # fmt: skip
    for scale in args.scale or [1.0, 10.0]:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            simulate(root / "landing", root / "world", days=1, scale=scale, seed=1, profile="realistic")
            for dataset, query in QUERIES.items():
                contract = load_contract(dataset)
                raw = raw_frame(root / "landing", root / "world", dataset)
                validate_batch(raw.head(50), contract)  # warm-up
                gx_s, result = best_of(args.repeat, lambda raw=raw, c=contract: validate_batch(raw, c))
                received = pd.to_datetime(raw["_loaded_at"], utc=True)
                derive_s, batch = best_of(1, lambda raw=raw, c=contract, r=received: prepare(raw, c, r))
                suite_s, _ = best_of(1, lambda b=batch, c=contract: run_suite(b.text, c))
                con.register("raw_batch", raw)
                sql_s, rows = best_of(args.repeat, lambda q=query: con.execute(q("raw_batch")).fetchall())
                con.unregister("raw_batch")
                sql = {(f, int(n)): (tuple(r), tuple(w)) for f, n, r, w in rows}
                gx = gx_outcomes(result)
                diff = [k for k in gx if gx[k] != sql.get(k)]
                assert not diff, f"{dataset}: GX and SQL disagree on {len(diff)} rows, e.g. {diff[:3]}"
                n = len(raw)
                print(f"{scale:>6g} {dataset:<18}{n:>9}{len(result.quarantined):>12}{gx_s:>11.2f}{derive_s:>9.2f}"
                      f"{suite_s:>7.2f}{gx_s - derive_s - suite_s:>7.2f}{n / gx_s:>11,.0f}{sql_s:>8.2f}"
                      f"{n / sql_s:>12,.0f}{gx_s / sql_s:>8.1f}")  # fmt: skip


if __name__ == "__main__":
    main()

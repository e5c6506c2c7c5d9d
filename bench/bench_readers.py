"""Throughput of each reader (rows/s) on simulated deliveries at scale 1 and 10 (one day, a Monday).

uv run python bench/bench_readers.py [--scales 1 10] [--out /tmp/sdc-bench]

Per landing feed: `parse` = decode + parse only (the reader), `load` = the whole landing load (ledger,
archive, raw insert in one DuckLake transaction per file). Per API dataset: `load` = pages pulled from the
simulator's loopback server (no faults, no client rate limit) into the raw layer.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import time
from pathlib import Path

from connectors import construction, credit, hazchem, special_equipment, transport
from connectors.api_client import Retrying
from connectors.landing import ingest_feed
from sdc_settings import load_settings
from simulator import serve, simulate
from warehouse.lake import lake_connection

FEEDS = (*hazchem.FEEDS, *construction.FEEDS, *special_equipment.FEEDS)
UNTHROTTLED = Retrying(max_requests_per_second=10_000, backoff_seconds=0.05)


def bench_scale(scale: float, out: Path) -> list[tuple]:
    shutil.rmtree(out, ignore_errors=True)
    landing, world = out / "landing", out / "world"
    simulate(landing, world, days=1, scale=scale, seed=1, start=dt.date(2026, 11, 23))
    settings = load_settings(
        {**os.environ, "SDC_HOME": str(out / "home"), "SDC_LANDING_DIR": str(landing), "SDC_ENV": "ci"}
    )
    for data in landing.rglob("*.csv"):  # the last day's waybills wait for their marker: benchmark them too
        data.with_name(data.name + ".ok").touch()
    results = []
    with lake_connection(settings) as con:
        for feed in FEEDS:
            files = [p for p in feed.candidates(landing) if feed.is_complete(p, quiet_seconds=0)]
            t = time.perf_counter()
            rows = sum(len(feed.read(p.read_bytes()).records) for p in files)
            parse = time.perf_counter() - t
            t = time.perf_counter()
            report = ingest_feed(con, feed, landing, archive_dir=settings.archive_dir, quiet_seconds=0)
            load = time.perf_counter() - t
            assert report.rows_read == rows
            results.append((scale, feed.dataset, feed.format.value, len(files), rows, rows / parse, rows / load))
        with serve(world, faults=False) as srv:
            start, end = srv.window_start, srv.window_end
            b = transport.client(srv.base_url, srv.transport_token, archive_dir=settings.archive_dir,
                                 retrying=UNTHROTTLED)  # fmt: skip
            e = credit.client(srv.base_url, srv.credit_api_key, archive_dir=settings.archive_dir, retrying=UNTHROTTLED)
            with b, e:
                for dataset, pull in (
                    ("transport.vehicle", lambda: [transport.pull_vehicles(con, b, now=end)]),
                    ("transport.alarm", lambda: transport.pull_alarms(con, b, now=end, since=start)),
                    ("credit.dishonest_entry", lambda: [credit.pull_snapshot(con, e)]),
                ):
                    t = time.perf_counter()
                    reports = pull()
                    load = time.perf_counter() - t
                    rows = sum(r.rows_read for r in reports)
                    pages = sum(r.requests for r in reports)
                    results.append((scale, dataset, "api", pages, rows, None, rows / load))
    return results


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scales", type=float, nargs="+", default=[1.0, 10.0])
    ap.add_argument("--out", type=Path, default=Path("/tmp/sdc-bench-readers"))
    args = ap.parse_args()
    print("| scale | dataset | reader | files/requests | rows | parse rows/s | load rows/s |")
    print("|---:|---|---|---:|---:|---:|---:|")
    for scale in args.scales:
        for s, dataset, reader, n, rows, parse, load in bench_scale(scale, args.out / f"scale{scale:g}"):
            p = f"{parse:,.0f}" if parse else "—"
            print(f"| {s:g} | {dataset} | {reader} | {n} | {rows:,} | {p} | {load:,.0f} |", flush=True)
        shutil.rmtree(args.out / f"scale{scale:g}", ignore_errors=True)


if __name__ == "__main__":
    main()

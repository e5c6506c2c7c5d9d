"""How long each dashboard page takes to render in a browser, at scale 1 (target: 2 s a page).

A workspace with 3 days of realistic deliveries at scale 1 (all five systems, the APIs served by the
simulator) is loaded once with `sdc run` (not timed), or `--home` names one already published. Then the real
`sdc dashboard` serves it and Debian's headless Chromium (Playwright) opens each page REPEAT times in a new
tab: the time from navigation to the page having drawn its data (the page marks `main[aria-busy=false]`),
the page's own HTML, script and JSON requests included. The server computes 总览, 一张图 and the 数据质量 summary
before it prints its URL (its start-up time is reported too) and answers them from its per-publish cache;
一企一档 and 数据质量 open a different enterprise or department each time: never from the cache. The first open of
each page is reported apart (the browser's first page, DuckDB reading those parts of the lake cold).

    uv run python bench/dashboard_render.py [--home WORKSPACE] [--repeat 5] [--work /tmp/sdc-bench-dashboard]

Prints a table and writes bench/results/dashboard.json; numbers depend on what else runs on the machine
(the load average is recorded beside them).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.workload import deliver, serve_apis, simulate_world  # noqa: E402

SDC = str(Path(sys.executable).with_name("sdc"))
DAYS, SCALE, SEED = 3, 1.0, 1
TARGET_S = 2.0
RENDERED = (
    "() => { const m = document.querySelector('main');"
    " return m.getAttribute('aria-busy') === 'false' && m.dataset.rendered === location.hash; }"
)


def env_for(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SDC_", "DAGSTER_"))}
    env.update(PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}", SDC_HOME=str(home),
               SDC_ENV="ci", SDC_LANDING_QUIET_SECONDS="0", DO_NOT_TRACK="1", GX_ANALYTICS_ENABLED="false",
               DAGSTER_DISABLE_TELEMETRY="1", **(extra or {}))  # fmt: skip
    return env


def build_workspace(work: Path) -> Path:
    """3 days at scale 1, every source, loaded and published by one `sdc run` (as the fresh_3d_s1 scenario)."""
    import datetime as dt

    home = work / "sdc_home"
    shutil.rmtree(home, ignore_errors=True)
    print(f"simulating {DAYS} days at scale {SCALE:g}", flush=True)
    w = simulate_world(work / "sim", days=DAYS, new_days=DAYS, scale=SCALE, seed=SEED)
    with serve_apis(w) as server:
        server.set_now(w.clock(history=False))
        deliver(w, home / "landing", history=False)
        since = dt.datetime.combine(w.start, dt.time()).strftime("%Y-%m-%d %H:%M:%S")
        until = f"{w.clock(history=False):%Y-%m-%d %H:%M:%S}"
        env = env_for(home, {"SDC_TRANSPORT_ALARMS_SINCE": since, "SDC_TRANSPORT_ALARMS_UNTIL": until,
                             "SDC_TRANSPORT_API_URL": server.base_url,
                             "SDC_TRANSPORT_API_TOKEN": server.transport_token, "SDC_CREDIT_API_URL": server.base_url,
                             "SDC_CREDIT_API_KEY": server.credit_api_key})  # fmt: skip
        print("loading with sdc run (not timed)", flush=True)
        done = subprocess.run([SDC, "run"], env=env, capture_output=True, text=True)
        print(done.stdout[-2000:], done.stderr[-2000:] if done.returncode else "", flush=True)
    return home


def pages(home: Path, n: int) -> dict[str, list[str]]:
    """The pages measured, n fragments each: every view; for 一企一档 the n enterprises with the most records
    (their file, and the search for a variant of each name) and for 数据质量 the departments in turn, so that
    no open of those is answered from the server's per-publish cache."""
    from sdc_settings import load_settings
    from warehouse.reader import open_published

    with open_published(load_settings(env_for(home))) as s:
        top = s.sql(f"select enterprise_id, name from enterprise_profile order by mention_count desc limit {n}")
        enterprises = top.fetchall()
        departments = [r[0] for r in s.connection.execute(
            "select split_part(dataset, '.', 1) from lake.meta.validation_log group by 1 "
            "order by sum(rows_quarantined + rows_warned) desc"
        ).fetchall()]  # fmt: skip
    return {
        "总览": ["#overview"] * n,
        "一张图": ["#map"] * n,
        "一企一档 (search)": [f"#enterprise?q=江苏省{n.replace('有限公司', ' 有限责任公司')}" for _, n in enterprises],
        "一企一档 (file)": [f"#enterprise/{eid}" for eid, _ in enterprises],
        "数据质量": [f"#quality/{departments[i % len(departments)]}" for i in range(n)],
    }


def measure(home: Path, repeat: int) -> dict:
    from playwright.sync_api import sync_playwright

    started = time.perf_counter()
    server = subprocess.Popen([SDC, "dashboard", "--port", "0"], env=env_for(home), stdout=subprocess.PIPE, text=True)
    try:
        url = re.search(r"http://127\.0\.0\.1:\d+/", server.stdout.readline()).group(0)
        start_s = time.perf_counter() - started
        print(f"sdc dashboard ready (URL printed) after {start_s:.2f} s", flush=True)
        out: dict = {}
        print(f"{'page':<20}{'first s':>8}{'median s':>10}{'max s':>8}", flush=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=os.environ.get("SDC_TEST_CHROMIUM") or shutil.which("chromium"))
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            for label, fragments in pages(home, repeat + 1).items():
                times = []
                for fragment in fragments:
                    page = context.new_page()
                    started = time.perf_counter()
                    page.goto(url + fragment)
                    page.wait_for_function(RENDERED, timeout=60_000)
                    times.append(time.perf_counter() - started)
                    page.close()
                rest = times[1:]
                out[label] = {"first_s": times[0], "median_s": statistics.median(rest), "max_s": max(rest),
                              "n": len(rest)}  # fmt: skip
                print(f"{label:<20}{times[0]:>8.2f}{statistics.median(rest):>10.2f}{max(rest):>8.2f}", flush=True)
            browser.close()
        return {"start_s": start_s, "pages": out}
    finally:
        server.terminate()
        server.wait(timeout=30)


def measure_if_possible(home: Path, repeat: int) -> dict:
    """`measure`, or why not (no Chromium on this machine): for `python -m bench`."""
    if not (os.environ.get("SDC_TEST_CHROMIUM") or shutil.which("chromium")):
        return {"skipped": "no chromium (apt-get install chromium fonts-wqy-zenhei)"}
    return {"load_average_before": [round(x, 1) for x in os.getloadavg()], **measure(home, repeat)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--home", type=Path, help="a published workspace (default: build one at scale 1)")
    ap.add_argument("--work", type=Path, default=Path("/tmp/sdc-bench-dashboard"), help="scratch folder")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    home = args.home or build_workspace(args.work)
    load_before = os.getloadavg()
    results = measure(home, args.repeat)
    with_rows = subprocess.run([SDC, "sql", "--format", "csv", "select count(*) from map_points; "
                                "select count(*) from enterprise_profile"],
                               env=env_for(home), capture_output=True, text=True).stdout  # fmt: skip
    report = {
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "workspace": str(home),
        "published_rows": with_rows.split(),
        "load_average_before": [round(x, 1) for x in load_before],
        "load_average_after": [round(x, 1) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "target_s": TARGET_S,
        **results,
        "all_within_target": all(max(r["first_s"], r["max_s"]) <= TARGET_S for r in results["pages"].values()),
    }
    folder = ROOT / "bench" / "results"
    folder.mkdir(exist_ok=True)
    (folder / "dashboard.json").write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in report.items() if k != "pages"}, ensure_ascii=False))


if __name__ == "__main__":
    main()

"""One timed `sdc run` in its own process: wall time and peak RSS from outside, per-stage times from the run's
Dagster event log (step start to step end), and the memory of the process tree sampled per stage."""

from __future__ import annotations

import os
import re
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

SDC = Path(os.sys.executable).with_name("sdc")
RUN_LINE = re.compile(r"^run (\S+): (succeeded|FAILED)", re.MULTILINE)
SAMPLE_SECONDS = 0.25

# Stage of a step, from the first asset key it materializes (or only checks: its own stage).
STAGES = (
    ("raw/", "raw loads"),
    ("validated/", "validation"),
    ("intermediate/enterprise_resolution", "resolution"),
    ("intermediate/vehicle_resolution", "resolution"),
    ("intermediate/equipment_resolution", "resolution"),
    ("published/", "publish + exports"),
)
BEFORE, BETWEEN, AFTER = "start until first step", "between steps", "after last step"


@dataclass
class RunMeasure:
    run_id: str
    success: bool
    wall: float
    # The most the run's process tree held at once, sampled every SAMPLE_SECONDS. Not the child's ru_maxrss: Linux
    # counts in it the bench process's own pages at the exec (a 90-day simulator world: 9.9 GB for any run).
    peak_rss_mib: float
    stages: dict[str, float] = field(default_factory=dict)  # seconds per stage
    stage_rss_mib: dict[str, float] = field(default_factory=dict)  # peak RSS of the process tree per stage
    steps: list[tuple[str, str, float]] = field(default_factory=list)  # (step key, stage, seconds)
    output_tail: str = ""


def stage_of(step_key: str, materialized: list[str], checked_only: bool) -> str:
    if "dbt" in step_key:
        return f"dbt ({step_key})"
    for key in materialized:
        for prefix, stage in STAGES:
            if key.startswith(prefix):
                return stage
    if checked_only:
        return "asset checks (own steps)"
    return "other steps"


def _tree_rss_kib(root: int) -> int:
    """Resident memory of `root` and its descendants (dbt runs as a subprocess of the run)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            parents[int(entry.name)] = int(fields[1])
            rss[int(entry.name)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE") // 1024
        except (OSError, IndexError, ValueError):
            continue
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(p for p, pp in parents.items() if pp == pid)
    return total


def maintain(env: dict[str, str], log: Path) -> float:
    """`sdc publish maintain` on env's workspace (the nightly lake maintenance, no grace period); its seconds."""
    started = time.perf_counter()
    with open(log, "w", encoding="utf-8") as out:
        subprocess.run([str(SDC), "publish", "maintain", "--grace-minutes", "0"], env=env, stdout=out,
                       stderr=subprocess.STDOUT, check=True)  # fmt: skip
    return time.perf_counter() - started


def timed_run(env: dict[str, str], log: Path) -> RunMeasure:
    """`sdc run` in a child process; its event log is read from env's SDC_HOME."""
    samples: list[tuple[float, int]] = []
    stop = threading.Event()
    with open(log, "w", encoding="utf-8") as out:
        started = time.time()
        proc = subprocess.Popen([str(SDC), "run"], env=env, stdout=out, stderr=subprocess.STDOUT)

        def sample() -> None:
            while not stop.wait(SAMPLE_SECONDS):
                samples.append((time.time(), _tree_rss_kib(proc.pid)))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, _ = os.wait4(proc.pid, 0)
        ended = time.time()
        proc.returncode = os.waitstatus_to_exitcode(status)
        stop.set()
        sampler.join()
    text = log.read_text(encoding="utf-8", errors="replace")
    match = RUN_LINE.search(text)
    if match is None:
        raise RuntimeError(f"sdc run printed no run id (exit {proc.returncode}); see {log}")
    m = RunMeasure(
        run_id=match.group(1),
        success=match.group(2) == "succeeded" and proc.returncode == 0,
        wall=ended - started,
        peak_rss_mib=max((kib for _, kib in samples), default=0) / 1024,
        output_tail=text[-2000:],
    )
    _stages_from_event_log(m, Path(env["SDC_HOME"]) / "dagster", started, ended, samples)
    return m


def _stages_from_event_log(m: RunMeasure, dagster_home: Path, started: float, ended: float, samples) -> None:
    import dagster as dg

    begun: dict[str, float] = {}
    finished: dict[str, float] = {}
    materialized: dict[str, list[str]] = {}
    checked: set[str] = set()
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        for entry in instance.all_logs(m.run_id):
            event = entry.dagster_event
            if event is None or event.step_key is None:
                continue
            kind = event.event_type_value
            if kind == "STEP_START":
                begun[event.step_key] = entry.timestamp
            elif kind in ("STEP_SUCCESS", "STEP_FAILURE"):
                finished[event.step_key] = entry.timestamp
            elif kind == "ASSET_MATERIALIZATION":
                materialized.setdefault(event.step_key, []).append(event.asset_key.to_user_string())
            elif kind == "ASSET_CHECK_EVALUATION":
                checked.add(event.step_key)
    windows: list[tuple[float, float, str]] = []
    for key, t0 in begun.items():
        t1 = finished.get(key, t0)
        keys = materialized.get(key, [])
        stage = stage_of(key, keys, key in checked and not keys)
        m.steps.append((key, stage, t1 - t0))
        m.stages[stage] = m.stages.get(stage, 0.0) + (t1 - t0)
        windows.append((t0, t1, stage))
    first = min(begun.values(), default=ended)
    last = max(finished.values(), default=ended)
    m.stages[BEFORE] = first - started
    m.stages[AFTER] = ended - last
    m.stages[BETWEEN] = max(0.0, (last - first) - sum(t1 - t0 for t0, t1, _ in windows))
    windows += [(started, first, BEFORE), (last, ended, AFTER)]
    for t, kib in samples:
        for t0, t1, stage in windows:
            if t0 <= t <= t1:
                m.stage_rss_mib[stage] = max(m.stage_rss_mib.get(stage, 0.0), kib / 1024)

"""The deliveries a benchmark run loads: simulated days split into history (already loaded) and the day
under test, the APIs of systems B and E served with a clock, and the floor — the same bytes read by plain
DuckDB."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

DAY_IN_NAME = re.compile(r"(20\d{6})")


@dataclass(frozen=True)
class World:
    """A simulation of `days` days; the last `new_days` of them are the deliveries under test."""

    root: Path
    start: dt.date
    days: int
    new_days: int

    @property
    def staged(self) -> Path:  # every landing file, before delivery
        return self.root / "staged"

    @property
    def world(self) -> Path:
        return self.root / "world"

    @property
    def cut(self) -> dt.date:
        """First day under test."""
        return self.start + dt.timedelta(days=self.days - self.new_days)

    def clock(self, history: bool) -> dt.datetime:
        """What the APIs show: up to the cut for the history load, everything for the day under test."""
        end = self.cut if history else self.start + dt.timedelta(days=self.days)
        return dt.datetime.combine(end, dt.time())


def simulate_world(root: Path, *, days: int, new_days: int, scale: float, seed: int) -> World:
    from simulator import simulate

    start = dt.date.today() - dt.timedelta(days=days)
    if root.exists():
        shutil.rmtree(root)
    w = World(root, start, days, new_days)
    simulate(w.staged, w.world, days=days, scale=scale, seed=seed, start=start, profile="realistic")
    return w


def delivery_day(path: Path) -> dt.date | None:
    match = DAY_IN_NAME.search(path.as_posix())
    return dt.datetime.strptime(match.group(1), "%Y%m%d").date() if match else None


def files_of(w: World, *, history: bool) -> list[Path]:
    """Landing files (relative) of the history or of the days under test; undated files go with the first load."""
    out = []
    for p in sorted(w.staged.rglob("*")):
        if not p.is_file():
            continue
        day = delivery_day(p.relative_to(w.staged))
        in_history = day is None or day < w.cut
        if in_history == history:
            out.append(p.relative_to(w.staged))
    return out


def deliver(w: World, landing: Path, *, history: bool) -> int:
    """Copy the files into the landing zone as a department would drop them; returns bytes delivered."""
    total = 0
    for rel in files_of(w, history=history):
        dest = landing / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(w.staged / rel, dest)
        total += dest.stat().st_size
    return total


def api_records(w: World, *, history: bool) -> dict[str, list[str]]:
    """JSON lines of each API file that become visible in the load: (previous clock, clock]."""
    lo = None if history else w.clock(history=True)
    hi = w.clock(history)
    out: dict[str, list[str]] = {}
    for f in sorted((w.world / "api").glob("*.jsonl")):
        keep = []
        for line in f.read_text(encoding="utf-8").splitlines():
            seen = dt.datetime.fromisoformat(json.loads(line)["visible_at"])
            if seen <= hi and (lo is None or seen > lo):
                keep.append(line)
        out[f.stem] = keep
    return out


def floor_seconds(w: World, *, history: bool) -> tuple[float, int]:
    """Decode and parse the load's landing files and API records with plain DuckDB (no lake, no checks);
    returns (seconds, rows). Spreadsheets go through calamine, as the reader's cells do (DuckDB reads no .xlsx
    without an extension);
    non-UTF-8 text is decoded by Python first. Selecting the records of the window is not timed."""
    with tempfile.TemporaryDirectory(prefix="sdc-floor-") as tmp:
        api_files = []
        for name, lines in api_records(w, history=history).items():
            if lines:
                f = Path(tmp) / f"{name}.jsonl"
                f.write_text("\n".join(lines) + "\n", encoding="utf-8")
                api_files.append(f)
        landing = [w.staged / rel for rel in files_of(w, history=history)]
        started = time.perf_counter()
        rows = 0
        con = duckdb.connect()
        for path in landing:
            rows += _parse(con, path, Path(tmp))
        for path in api_files:
            rows += con.execute(f"SELECT count(*) FROM read_json('{path}', format='newline_delimited')").fetchone()[0]
        con.close()
        return time.perf_counter() - started, rows


def _parse(con: duckdb.DuckDBPyConnection, path: Path, tmp: Path) -> int:
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        if path.name.startswith("~$"):  # Excel's lock file, no data
            return 0
        from python_calamine import CalamineWorkbook

        book = CalamineWorkbook.from_path(str(path))
        return sum(max(book.get_sheet_by_name(name).height - 1, 0) for name in book.sheet_names)
    if suffix not in (".csv", ".jsonl", ".json", ".txt"):
        return 0  # .ok markers and the like
    data = path.read_bytes()
    try:
        data.decode("utf-8")
        source = path
    except UnicodeDecodeError:
        source = tmp / (path.stem + ".utf8" + suffix)
        source.write_text(data.decode("gb18030", errors="replace"), encoding="utf-8")
    if suffix == ".csv":
        sql = f"SELECT count(*) FROM read_csv('{source}', all_varchar=true, header=true)"
    else:
        sql = f"SELECT count(*) FROM read_json('{source}', format='newline_delimited')"
    try:
        return con.execute(sql).fetchone()[0]
    except duckdb.Error:  # a deliberately broken delivery: the parse attempt is the cost
        return 0


def serve_apis(w: World):
    """Systems B and E on loopback, without random faults (a measurement, not a robustness test)."""
    from simulator import serve

    return serve(w.world, faults=False, slow_delay_s=0.0)


def warm_up(server, now: dt.datetime) -> None:
    """One alarm page from the simulated platform at its clock `now`. The simulator builds its view of the alarms at
    the first request after a clock change (6.8 s with 91 days of alarms, 0.7 s with 8): a department's own server
    has its index already, so a timed run must not wait for ours."""
    import httpx

    from connectors.transport import ALARMS, TS

    day = {"startTime": (now - dt.timedelta(days=1)).strftime(TS), "endTime": now.strftime(TS)}
    with httpx.Client(base_url=server.base_url, timeout=600) as client:
        response = client.get(
            ALARMS.path,
            params={**day, ALARMS.page_param: 1, ALARMS.size_param: 1},
            headers={"Authorization": f"Bearer {server.transport_token}"},
        )
        response.raise_for_status()

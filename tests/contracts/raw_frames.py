"""Raw-layer frames built from the simulator's deliveries, named exactly as docs/data_flow.md names raw columns.

Until every connector has landed, the contract tests read the simulator's files themselves: CSV through the
project's delimited reader; JSON Lines and API records flattened with dots, numbers kept as their text; XLSX
with a two-level header joined `level1/level2`, data from the row after the header, blank and 合计 rows skipped.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import date, datetime, time
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook

from connectors.delimited import read_delimited

CSV_DATASETS = {"hazchem.enterprise": "QYXX_", "hazchem.waybill": "DZYD_"}
JSONL_DATASETS = {
    "construction.project": "projects_",
    "construction.device": "devices_",
    "construction.alarm": "alarms_",
}
XLSX_DATASETS = {"special_equipment.equipment": "设备台账", "special_equipment.inspection": "检验记录"}
API_DATASETS = {
    "transport.vehicle": "transport_vehicles.jsonl",
    "transport.alarm": "transport_alarms.jsonl",
    "credit.dishonest_entry": "credit_dishonest.jsonl",
}


def flatten(obj: dict, prefix: str = "") -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for key, value in obj.items():
        if isinstance(value, dict):
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _json_object(line: str) -> dict | None:
    try:
        value = json.loads(line, parse_float=str, parse_int=str)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _lineage(records: list[dict], system: str, source: str, sha: str, numbers: Iterable[int], load_id: str):
    frame = pd.DataFrame.from_records(records) if records else pd.DataFrame()
    frame["_source_system"] = system
    frame["_source_file"] = source
    frame["_source_sha256"] = sha
    frame["_record_number"] = list(numbers)
    frame["_load_id"] = load_id
    frame["_loaded_at"] = pd.Timestamp.now(tz="UTC")
    return frame


def _xlsx_records(path: Path, sheet: str) -> tuple[list[int], list[dict]]:
    book = load_workbook(path, read_only=True, data_only=True)
    rows = [list(r) for r in book[sheet].iter_rows(values_only=True)]
    book.close()
    two_level = sheet == "设备台账"
    if two_level:
        top, sub, first = rows[1], rows[2], 3
        names, group = [], None
        for i, sub_name in enumerate(sub):
            group = top[i] if i < len(top) and top[i] else (group if sub_name else None)
            names.append(f"{group}/{sub_name}" if sub_name else top[i])
    else:
        names, first = rows[0], 1
    numbers, records = [], []
    for r, row in enumerate(rows[first:], start=first + 1):
        cells = [v for v in row if v not in (None, "")]
        if not cells or (isinstance(cells[0], str) and cells[0].startswith("合计")):
            continue
        numbers.append(r)
        records.append({n: _cell_text(v) for n, v in zip(names, row, strict=False) if n})
    return numbers, records


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def landing_frames(landing: Path, dataset: str) -> pd.DataFrame:
    """Every record of `dataset` in the landing zone, one load per file."""
    system = dataset.split(".")[0]
    frames = []
    for path in sorted((landing / system).rglob("*")):
        rel = path.relative_to(landing).as_posix()
        if not path.is_file() or path.name.endswith(".ok") or path.name.startswith("~$"):
            continue
        data = path.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        if dataset in CSV_DATASETS and path.name.startswith(CSV_DATASETS[dataset]):
            parsed = read_delimited(data)
            good = [r for r in parsed.records if r.values is not None]
            frames.append(_lineage([r.values for r in good], system, rel, sha, [r.number for r in good], rel))
        elif dataset in JSONL_DATASETS and path.name.startswith(JSONL_DATASETS[dataset]):
            numbered = [(i, _json_object(line)) for i, line in enumerate(data.decode("utf-8").split("\n"), 1)]
            good = [(i, flatten(o)) for i, o in numbered if o is not None]
            frames.append(_lineage([o for _, o in good], system, rel, sha, [i for i, _ in good], rel))
        elif dataset in XLSX_DATASETS and path.suffix == ".xlsx":
            numbers, records = _xlsx_records(path, XLSX_DATASETS[dataset])
            frames.append(_lineage(records, system, rel, sha, numbers, rel))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def api_frame(world: Path, dataset: str) -> pd.DataFrame:
    """Every version of every API record the simulated platform ever showed, as one load."""
    lines = (world / "api" / API_DATASETS[dataset]).read_text(encoding="utf-8").splitlines()
    versions = [json.loads(line, parse_float=str, parse_int=str) for line in lines]
    records = [flatten(v["record"]) for v in versions if v.get("record")]  # a deleted version carries none
    sha = hashlib.sha256("\n".join(lines).encode()).hexdigest()
    return _lineage(records, dataset.split(".")[0], f"api:{dataset}", sha, range(1, len(records) + 1), dataset)


def raw_frame(landing: Path, world: Path, dataset: str) -> pd.DataFrame:
    return api_frame(world, dataset) if dataset in API_DATASETS else landing_frames(landing, dataset)

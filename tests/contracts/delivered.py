"""Raw-layer frames of the simulator's deliveries, read by the connectors' own readers (`LandingFeed.read`, the
API records flattened as the API client flattens them): what validation gets from the raw layer, without a lake.

Landing datasets: every file of the dataset, one load per file. API datasets: every version of every
record the simulated platform ever showed (its world file), as one load.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pandas as pd

from connectors import construction, credit, hazchem, special_equipment, transport
from connectors.archive import sha256_bytes
from connectors.jsonl import flatten

FEEDS = {f.dataset: f for f in (*hazchem.FEEDS, *construction.FEEDS, *special_equipment.FEEDS)}
API_DATASETS = {e.dataset for e in (*transport.ENDPOINTS, *credit.ENDPOINTS)}
# The simulated platform's record versions (simulator/server.py serves them).
API_WORLD_FILES = {
    "transport.vehicle": "transport_vehicles.jsonl",
    "transport.alarm": "transport_alarms.jsonl",
    "credit.dishonest_entry": "credit_dishonest.jsonl",
}


def _with_lineage(records: list[dict], source: str, numbers: list[int], sha256: str) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records) if records else pd.DataFrame()
    frame["_source_system"] = source.removeprefix("api:").split("/")[0].split(".")[0]
    frame["_source_file"] = source
    frame["_source_sha256"] = sha256
    frame["_record_number"] = numbers
    frame["_load_id"] = source
    frame["_loaded_at"] = pd.Timestamp.now(tz="UTC")
    return frame


def landing_frame(landing: Path, dataset: str) -> pd.DataFrame:
    feed = FEEDS[dataset]
    frames = []
    for path in feed.candidates(landing):  # complete or not: the truth lists a file still waiting for its marker
        data = path.read_bytes()
        good = [r for r in feed.read(data).records if r.values is not None]
        rel = path.relative_to(landing).as_posix()
        frames.append(_with_lineage([r.values for r in good], rel, [r.number for r in good], sha256_bytes(data)))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def api_frame(world: Path, dataset: str) -> pd.DataFrame:
    lines = (world / "api" / API_WORLD_FILES[dataset]).read_text(encoding="utf-8").splitlines()
    versions = [json.loads(line, parse_float=Decimal) for line in lines]  # as the API client parses a page
    records = [flatten(v["record"]) for v in versions if v.get("record")]  # a deleted version carries none
    sha = sha256_bytes("\n".join(lines).encode("utf-8"))
    return _with_lineage(records, f"api:{dataset}", list(range(1, len(records) + 1)), sha)


def raw_frame(landing: Path, world: Path, dataset: str) -> pd.DataFrame:
    return api_frame(world, dataset) if dataset in API_DATASETS else landing_frame(landing, dataset)

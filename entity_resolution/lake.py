"""Reading mentions from and writing resolutions to the lake (`lake.resolution.*`).

Tables:
- `enterprise_mention_map`: mention_id -> enterprise_id, with the rule that joined it (the marts read it);
- `enterprise_review_queue`: candidate pairs not merged automatically (uncertain, ambiguous, refused);
- `enterprise_review_decisions`: a reviewer's verdict per pair (`must_link` / `cannot_link`), applied on
  the next run. Decisions are never overwritten by the pipeline; `record_decision` appends one;
- `vehicle_mention_map`, `equipment_mention_map`: mention_id -> vehicle / equipment id, with the natural
  key SQL resolved it to (int_vehicle_mentions, int_equipment_resolution);
- `id_changes`: append-only, every id that moved for a mention resolved before (merged or split), per
  entity type; each map is also last run's ids for the next run (`ids`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from entity_resolution import enterprises, ids, matching

MENTIONS = "lake.intermediate.int_enterprise_mentions"
DDL = [
    "CREATE SCHEMA IF NOT EXISTS lake.resolution",
    """CREATE TABLE IF NOT EXISTS lake.resolution.enterprise_mention_map (
        mention_id VARCHAR, enterprise_id VARCHAR, profile_id VARCHAR, match_rule VARCHAR,
        match_probability DOUBLE, resolved_at TIMESTAMPTZ)""",
    """CREATE TABLE IF NOT EXISTS lake.resolution.enterprise_review_queue (
        pair_id VARCHAR, mention_id_l VARCHAR, mention_id_r VARCHAR, enterprise_id_l VARCHAR,
        enterprise_id_r VARCHAR, match_probability DOUBLE, reason VARCHAR, queued_at TIMESTAMPTZ)""",
    """CREATE TABLE IF NOT EXISTS lake.resolution.enterprise_review_decisions (
        mention_id_l VARCHAR, mention_id_r VARCHAR, decision VARCHAR, decided_by VARCHAR, note VARCHAR,
        decided_at TIMESTAMPTZ)""",
    """CREATE TABLE IF NOT EXISTS lake.resolution.vehicle_mention_map (
        mention_id VARCHAR, vehicle_id VARCHAR, vehicle_key VARCHAR, resolved_at TIMESTAMPTZ)""",
    """CREATE TABLE IF NOT EXISTS lake.resolution.equipment_mention_map (
        mention_id VARCHAR, equipment_id VARCHAR, machine_key VARCHAR, resolved_at TIMESTAMPTZ)""",
    """CREATE TABLE IF NOT EXISTS lake.resolution.id_changes (
        entity_type VARCHAR, old_id VARCHAR, new_id VARCHAR, reason VARCHAR, mention_count BIGINT,
        changed_at TIMESTAMPTZ)""",
]
# entity type -> (the model giving each mention its natural key, the key column, id prefix)
KEYED_ENTITIES = {
    "vehicle": ("lake.intermediate.int_vehicle_mentions", "vehicle_key", "VEH-"),
    "equipment": ("lake.intermediate.int_equipment_resolution", "machine_key", "EQ-"),
}
DECISIONS = ("must_link", "cannot_link")


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    for statement in DDL:
        con.execute(statement)


def record_decision(
    con: duckdb.DuckDBPyConnection, mention_id_l: str, mention_id_r: str, decision: str, decided_by: str, note: str = ""
) -> None:
    """Store a reviewer's decision on a pair of mentions; the next resolution run applies it."""
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {DECISIONS}, not {decision!r}")
    if mention_id_l == mention_id_r:
        raise ValueError(f"a decision needs two different mentions, got {mention_id_l!r} twice")
    ensure_tables(con)
    try:
        pair = [mention_id_l, mention_id_r]
        found = con.execute(f"SELECT mention_id FROM {MENTIONS} WHERE mention_id IN (?, ?)", pair)
        known = {m for (m,) in found.fetchall()}
    except duckdb.CatalogException:
        known = set()  # nothing modelled yet
    unknown = [m for m in (mention_id_l, mention_id_r) if m not in known]
    if unknown:
        raise KeyError(f"no enterprise mention {', '.join(unknown)} (ids are listed by `sdc review list`)")
    con.execute(
        "INSERT INTO lake.resolution.enterprise_review_decisions VALUES (?, ?, ?, ?, ?, ?)",
        [mention_id_l, mention_id_r, decision, decided_by, note, datetime.now(UTC)],
    )


REVIEW_QUEUE = f"""
    SELECT q.reason, round(q.match_probability, 3) AS probability,
           q.mention_id_l, l.dataset AS dataset_l, l.name AS name_l, l.identifier AS identifier_l, l.town AS town_l,
           q.mention_id_r, r.dataset AS dataset_r, r.name AS name_r, r.identifier AS identifier_r, r.town AS town_r
    FROM lake.resolution.enterprise_review_queue q
    JOIN {MENTIONS} l ON l.mention_id = q.mention_id_l
    JOIN {MENTIONS} r ON r.mention_id = q.mention_id_r
    WHERE ? IS NULL OR q.reason = ?
    ORDER BY q.match_probability DESC NULLS LAST, q.pair_id
    LIMIT ?"""


def review_queue(con: duckdb.DuckDBPyConnection, reason: str | None = None, limit: int = 20) -> list[dict]:
    """Queued pairs, most probable first, with what a reviewer needs to judge them (both mentions);
    empty before the first resolution run."""
    try:
        found = con.execute(REVIEW_QUEUE, [reason, reason, limit])
    except duckdb.CatalogException:
        return []
    columns = [d[0] for d in found.description]
    return [dict(zip(columns, row, strict=True)) for row in found.fetchall()]


def resolve_in_lake(
    con: duckdb.DuckDBPyConnection, model_path: Path = matching.MODEL_PATH
) -> enterprises.EnterpriseResolution:
    """Resolve the current mentions and replace the map and the queue in one lake transaction."""
    ensure_tables(con)
    mentions = con.execute(f"SELECT * FROM {MENTIONS}").df()
    # the latest decision per pair wins
    decisions = con.execute(
        """SELECT mention_id_l, mention_id_r, decision FROM lake.resolution.enterprise_review_decisions
           QUALIFY row_number() OVER (
               PARTITION BY least(mention_id_l, mention_id_r), greatest(mention_id_l, mention_id_r)
               ORDER BY decided_at DESC) = 1"""
    ).df()
    previous = con.execute("SELECT mention_id, enterprise_id FROM lake.resolution.enterprise_mention_map").df()
    result = enterprises.resolve(mentions, decisions=decisions, previous_ids=previous, model_path=model_path)
    now = datetime.now(UTC)
    mapping = result.mentions.assign(resolved_at=now)  # noqa: F841 (read by DuckDB by name)
    queue = result.review_queue.assign(queued_at=now)  # noqa: F841
    changes = _changes_frame(  # noqa: F841
        "enterprise",
        ids.id_changes(
            dict(zip(previous["mention_id"], previous["enterprise_id"], strict=True)),
            dict(zip(result.mentions["mention_id"], result.mentions["enterprise_id"], strict=True)),
        ),
        now,
    )
    con.execute("BEGIN")
    try:
        con.execute("DELETE FROM lake.resolution.enterprise_mention_map")
        con.execute("INSERT INTO lake.resolution.enterprise_mention_map BY NAME SELECT * FROM mapping")
        con.execute("DELETE FROM lake.resolution.enterprise_review_queue")
        con.execute("INSERT INTO lake.resolution.enterprise_review_queue BY NAME SELECT * FROM queue")
        con.execute("INSERT INTO lake.resolution.id_changes BY NAME SELECT * FROM changes")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return result


def _changes_frame(entity_type: str, changes: list[ids.IdChange], now: datetime) -> pd.DataFrame:
    frame = pd.DataFrame(changes, columns=list(ids.IdChange._fields)).astype({"mention_count": "int64"})
    return frame.assign(entity_type=entity_type, changed_at=now)


def resolve_keyed_in_lake(con: duckdb.DuckDBPyConnection, entity_type: str) -> dict:
    """Give the vehicles or the equipment (`KEYED_ENTITIES`) their ids, carried over from the previous run,
    and record the ids that moved; the map is replaced and the changes appended in one lake transaction."""
    model, key, prefix = KEYED_ENTITIES[entity_type]
    ensure_tables(con)
    keys = dict(con.execute(f"SELECT mention_id, {key} FROM {model}").fetchall())
    table = f"lake.resolution.{entity_type}_mention_map"
    previous = dict(con.execute(f"SELECT mention_id, {entity_type}_id FROM {table}").fetchall())
    current = ids.carry_over(keys, previous, prefix)
    found = ids.id_changes(previous, current)
    now = datetime.now(UTC)
    mapping = pd.DataFrame(  # noqa: F841 (read by DuckDB by name)
        {"mention_id": list(current), f"{entity_type}_id": list(current.values()), key: list(keys.values())}
    ).assign(resolved_at=now)
    changes = _changes_frame(entity_type, found, now)  # noqa: F841
    con.execute("BEGIN")
    try:
        con.execute(f"DELETE FROM {table}")
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM mapping")
        con.execute("INSERT INTO lake.resolution.id_changes BY NAME SELECT * FROM changes")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return {
        "mentions": len(current),
        f"{entity_type}s": len(set(current.values())),
        "ids_carried_over": len(set(previous.values()) & set(current.values())),
        "ids_merged": sum(c.reason == "merged" for c in found),
        "ids_split": sum(c.reason == "split" for c in found),
    }

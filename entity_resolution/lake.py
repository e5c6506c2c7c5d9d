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
from warehouse.lake import transaction

MENTIONS = "lake.intermediate.int_enterprise_mentions"
# The columns of each mention map besides mention_id and resolved_at: its DDL and its change-only write.
MAP_COLUMNS = {
    "enterprise": {"enterprise_id": "VARCHAR", "profile_id": "VARCHAR", "match_rule": "VARCHAR",
                   "match_probability": "DOUBLE"},
    "vehicle": {"vehicle_id": "VARCHAR", "vehicle_key": "VARCHAR"},
    "equipment": {"equipment_id": "VARCHAR", "machine_key": "VARCHAR"},
}  # fmt: skip
DDL = [
    "CREATE SCHEMA IF NOT EXISTS lake.resolution",
    *(
        f"CREATE TABLE IF NOT EXISTS lake.resolution.{entity}_mention_map (mention_id VARCHAR, "
        + "".join(f"{name} {kind}, " for name, kind in columns.items())
        + "resolved_at TIMESTAMPTZ)"
        for entity, columns in MAP_COLUMNS.items()
    ),
    """CREATE TABLE IF NOT EXISTS lake.resolution.enterprise_review_queue (
        pair_id VARCHAR, mention_id_l VARCHAR, mention_id_r VARCHAR, enterprise_id_l VARCHAR,
        enterprise_id_r VARCHAR, match_probability DOUBLE, reason VARCHAR, queued_at TIMESTAMPTZ)""",
    """CREATE TABLE IF NOT EXISTS lake.resolution.enterprise_review_decisions (
        mention_id_l VARCHAR, mention_id_r VARCHAR, decision VARCHAR, decided_by VARCHAR, note VARCHAR,
        decided_at TIMESTAMPTZ)""",
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
    """Resolve the current mentions; write the map's changes, the ids that moved and the new queue in one lake
    transaction."""
    ensure_tables(con)
    with transaction(con):
        mentions = con.execute(f"SELECT * FROM {MENTIONS}").df()
        # the latest decision per pair wins
        decisions = con.execute(
            """SELECT mention_id_l, mention_id_r, decision FROM lake.resolution.enterprise_review_decisions
               QUALIFY row_number() OVER (
                   PARTITION BY least(mention_id_l, mention_id_r), greatest(mention_id_l, mention_id_r)
                   ORDER BY decided_at DESC) = 1"""
        ).df()
        _last_run(con, "enterprise")
        previous = con.execute("SELECT mention_id, enterprise_id FROM last_run").df()
        result = enterprises.resolve(mentions, decisions=decisions, previous_ids=previous, model_path=model_path)
        mapping = result.mentions  # noqa: F841 (read by DuckDB by name)
        con.execute("CREATE OR REPLACE TEMP TABLE resolved AS SELECT * FROM mapping")
        now = datetime.now(UTC)
        _record_changes(con, "enterprise", now)
        queue = result.review_queue.assign(queued_at=now)  # noqa: F841
        con.execute("DELETE FROM lake.resolution.enterprise_review_queue")
        con.execute("INSERT INTO lake.resolution.enterprise_review_queue BY NAME SELECT * FROM queue")
    return result


def _last_run(con: duckdb.DuckDBPyConnection, entity_type: str) -> None:
    """The map as the last run left it, as the temp table `last_run`."""
    columns = ", ".join(MAP_COLUMNS[entity_type])
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE last_run AS SELECT mention_id, {columns} "
        f"FROM lake.resolution.{entity_type}_mention_map"
    )


def _record_changes(con: duckdb.DuckDBPyConnection, entity_type: str, now: datetime) -> list[ids.IdChange]:
    """Bring the map from `last_run` to `resolved` (temp tables, the map's columns) and append the ids that moved
    (`ids.id_changes`' rule). Only the rows that differ are written: after months of alarms and waybills the maps
    hold millions of mentions and a day changes few; the others keep their `resolved_at`, when the mention got
    what it has. The temp tables are dropped."""
    id_column = f"{entity_type}_id"
    moved = con.execute(
        f"""SELECT p.{id_column}, r.{id_column}, count(*) FROM last_run p JOIN resolved r USING (mention_id)
            WHERE p.{id_column} <> r.{id_column} GROUP BY ALL ORDER BY ALL"""
    ).fetchall()
    in_use = {i for (i,) in con.execute(f"SELECT DISTINCT {id_column} FROM resolved").fetchall()}
    found = [ids.IdChange(old, new, "split" if old in in_use else "merged", n) for old, new, n in moved]
    columns = MAP_COLUMNS[entity_type]
    differs = " OR ".join(
        ["p.mention_id IS NULL", "r.mention_id IS NULL", *(f"r.{c} IS DISTINCT FROM p.{c}" for c in columns)]
    )
    table = f"lake.resolution.{entity_type}_mention_map"
    con.execute(
        f"""DELETE FROM {table} WHERE mention_id IN (
                SELECT p.mention_id FROM last_run p LEFT JOIN resolved r USING (mention_id) WHERE {differs})"""
    )
    con.execute(
        f"""INSERT INTO {table} (mention_id, {", ".join(columns)}, resolved_at)
            SELECT r.mention_id, {", ".join(f"r.{c}" for c in columns)}, ?
            FROM resolved r LEFT JOIN last_run p USING (mention_id) WHERE {differs}""",
        [now],
    )
    changes = pd.DataFrame(found, columns=list(ids.IdChange._fields)).astype({"mention_count": "int64"})  # noqa: F841
    con.execute(
        "INSERT INTO lake.resolution.id_changes BY NAME SELECT *, ? AS entity_type, ? AS changed_at FROM changes",
        [entity_type, now],
    )
    con.execute("DROP TABLE last_run")
    con.execute("DROP TABLE resolved")
    return found


def resolve_keyed_in_lake(con: duckdb.DuckDBPyConnection, entity_type: str) -> dict:
    """Give the vehicles or the equipment (`KEYED_ENTITIES`) their ids, carried over from the previous run,
    and record the ids that moved; in one lake transaction.

    The rule is `ids.carry_over`'s; the mentions stay in DuckDB (every alarm is a vehicle mention: millions
    after months), only the keys and their claims to last run's ids come to Python."""
    model, key, prefix = KEYED_ENTITIES[entity_type]
    id_column = f"{entity_type}_id"
    ensure_tables(con)
    with transaction(con):
        con.execute(f"CREATE OR REPLACE TEMP TABLE keyed AS SELECT mention_id, {key} FROM {model}")
        _last_run(con, entity_type)
        keys = [k for (k,) in con.execute(f"SELECT DISTINCT {key} FROM keyed").fetchall()]
        if None in keys:
            raise ValueError(f"{model} has mentions without a {key}: its not_null test should have stopped the run")
        claims = con.execute(
            f"SELECT k.{key}, p.{id_column}, count(*) FROM keyed k JOIN last_run p USING (mention_id) GROUP BY ALL"
        ).fetchall()
        previous_ids = {i for (i,) in con.execute(f"SELECT DISTINCT {id_column} FROM last_run").fetchall()}
        id_of = ids.key_ids(keys, claims, prefix)
        key_id = pd.DataFrame({key: list(id_of), id_column: list(id_of.values())}, dtype="string")  # noqa: F841
        con.execute(f"CREATE OR REPLACE TEMP TABLE resolved AS SELECT * FROM keyed JOIN key_id USING ({key})")
        mentions = con.execute("SELECT count(*) FROM resolved").fetchone()[0]
        con.execute("DROP TABLE keyed")
        found = _record_changes(con, entity_type, datetime.now(UTC))
    in_use = set(id_of.values())
    return {
        "mentions": mentions,
        f"{entity_type}s": len(in_use),
        "ids_carried_over": len(previous_ids & in_use),
        "ids_merged": sum(c.reason == "merged" for c in found),
        "ids_split": sum(c.reason == "split" for c in found),
    }

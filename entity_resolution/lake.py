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
    """Resolve the current mentions (they stay in DuckDB, `enterprises.resolve_in`); write the map's changes, the ids
    that moved and the new queue in one lake transaction."""
    ensure_tables(con)
    with transaction(con):
        # the latest decision per pair wins
        decisions = con.execute(
            """SELECT mention_id_l, mention_id_r, decision FROM lake.resolution.enterprise_review_decisions
               QUALIFY row_number() OVER (
                   PARTITION BY least(mention_id_l, mention_id_r), greatest(mention_id_l, mention_id_r)
                   ORDER BY decided_at DESC) = 1"""
        ).df()
        result = enterprises.resolve_in(con, MENTIONS, decisions, _map_table("enterprise"), model_path)
        now = datetime.now(UTC)
        in_use = {i for (i,) in con.execute("SELECT DISTINCT enterprise_id FROM resolved").fetchall()}
        _record_changes(con, "enterprise", _paired("enterprise", "resolved"), in_use, now)
        con.execute("DROP TABLE resolved")
        queue = result.review_queue.assign(queued_at=now)  # noqa: F841
        con.execute("DELETE FROM lake.resolution.enterprise_review_queue")
        con.execute("INSERT INTO lake.resolution.enterprise_review_queue BY NAME SELECT * FROM queue")
    return result


def _map_table(entity_type: str) -> str:
    return f"lake.resolution.{entity_type}_mention_map"


def _paired(entity_type: str, resolved: str) -> str:
    """Each mention of the map or of relation `resolved` (the map's columns): as `_record_changes` takes them."""
    columns = MAP_COLUMNS[entity_type]
    return (
        "SELECT mention_id, p.mention_id IS NOT NULL AS was, r.mention_id IS NOT NULL AS is_now, "
        + "".join(f"r.{c}, p.{c} AS {c}_before, " for c in columns).removesuffix(", ")
        + f" FROM {_map_table(entity_type)} p FULL JOIN {resolved} r USING (mention_id)"
    )


def _record_changes(
    con: duckdb.DuckDBPyConnection, entity_type: str, paired: str, in_use: set[str], now: datetime
) -> list[ids.IdChange]:
    """Bring the map to its mentions' resolution now and append the ids that moved (`ids.id_changes`' rule).
    paired: a query of every mention in the map or resolved now, with `was` and `is_now` (in the map, resolved now)
    and each map column as now and as `<column>_before`; in_use: every id given now. Only the rows that differ are
    written: after months of alarms and waybills the maps hold millions of mentions and a day changes few; the
    others keep their `resolved_at`, when the mention got what it has. The pairing is the one join over all
    mentions (each such join is ≈ 0.5 s on 2 M vehicle mentions)."""
    id_column = f"{entity_type}_id"
    columns = MAP_COLUMNS[entity_type]
    differs = " OR ".join(["NOT was", "NOT is_now", *(f"{c} IS DISTINCT FROM {c}_before" for c in columns)])
    con.execute(f"CREATE OR REPLACE TEMP TABLE changed AS SELECT * FROM ({paired}) WHERE {differs}")
    moved = con.execute(
        f"""SELECT {id_column}_before, {id_column}, count(*) FROM changed
            WHERE was AND is_now AND {id_column} <> {id_column}_before GROUP BY ALL ORDER BY ALL"""
    ).fetchall()
    found = [ids.IdChange(old, new, "split" if old in in_use else "merged", n) for old, new, n in moved]
    table = _map_table(entity_type)
    con.execute(f"DELETE FROM {table} WHERE mention_id IN (SELECT mention_id FROM changed WHERE was)")
    con.execute(
        f"""INSERT INTO {table} (mention_id, {", ".join(columns)}, resolved_at)
            SELECT mention_id, {", ".join(columns)}, ? FROM changed WHERE is_now""",
        [now],
    )
    changes = pd.DataFrame(found, columns=list(ids.IdChange._fields)).astype({"mention_count": "int64"})  # noqa: F841
    con.execute(
        "INSERT INTO lake.resolution.id_changes BY NAME SELECT *, ? AS entity_type, ? AS changed_at FROM changes",
        [entity_type, now],
    )
    con.execute("DROP TABLE changed")
    return found


def resolve_keyed_in_lake(con: duckdb.DuckDBPyConnection, entity_type: str) -> dict:
    """Give the vehicles or the equipment (`KEYED_ENTITIES`) their ids, carried over from the previous run,
    and record the ids that moved; in one lake transaction.

    The rule is `ids.carry_over`'s; the mentions stay in DuckDB (every alarm is a vehicle mention: millions
    after months), only the keys and their claims to last run's ids come to Python. Each mention is paired with its
    row in the map once; the claims and the changes are read from that pairing."""
    model, key, prefix = KEYED_ENTITIES[entity_type]
    id_column = f"{entity_type}_id"
    ensure_tables(con)
    with transaction(con):
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE keyed AS
                SELECT mention_id, p.mention_id IS NOT NULL AS was, k.mention_id IS NOT NULL AS is_now, k.{key},
                       p.{id_column} AS {id_column}_before, p.{key} AS {key}_before
                FROM {model} k FULL JOIN {_map_table(entity_type)} p USING (mention_id)"""
        )
        if con.execute(f"SELECT count(*) FROM keyed WHERE is_now AND {key} IS NULL").fetchone()[0]:
            raise ValueError(f"{model} has mentions without a {key}: its not_null test should have stopped the run")
        keys = [k for (k,) in con.execute(f"SELECT DISTINCT {key} FROM keyed WHERE is_now").fetchall()]
        claims = con.execute(
            f"SELECT {key}, {id_column}_before, count(*) FROM keyed WHERE is_now AND was GROUP BY ALL"
        ).fetchall()
        previous = con.execute(f"SELECT DISTINCT {id_column}_before FROM keyed WHERE was").fetchall()
        previous_ids = {i for (i,) in previous}
        id_of = ids.key_ids(keys, claims, prefix)
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE key_id AS
                SELECT unnest(?::VARCHAR[]) AS {key}, unnest(?::VARCHAR[]) AS {id_column}""",
            [list(id_of), list(id_of.values())],
        )
        # A mention that keeps its key, on a key that keeps the id its mentions had (the claims tell), keeps its row:
        # only the others meet the new ids (a join over every mention was 0.3 s of 1 s at 90 days).
        moved = sorted({k for k, old_id, _ in claims if id_of[k] != old_id})
        con.execute(f"CREATE OR REPLACE TEMP TABLE moved_keys AS SELECT unnest(?::VARCHAR[]) AS {key}", [moved])
        unsettled = f"""SELECT * FROM keyed WHERE NOT was OR NOT is_now OR {key} IS DISTINCT FROM {key}_before
                        OR {key} IN (SELECT {key} FROM moved_keys)"""
        mentions = con.execute("SELECT count(*) FROM keyed WHERE is_now").fetchone()[0]
        in_use = set(id_of.values())
        found = _record_changes(
            con, entity_type, f"SELECT * FROM ({unsettled}) LEFT JOIN key_id USING ({key})", in_use, datetime.now(UTC)
        )
        for table in ("keyed", "key_id", "moved_keys"):
            con.execute(f"DROP TABLE {table}")
    return {
        "mentions": mentions,
        f"{entity_type}s": len(in_use),
        "ids_carried_over": len(previous_ids & in_use),
        "ids_merged": sum(c.reason == "merged" for c in found),
        "ids_split": sum(c.reason == "split" for c in found),
    }

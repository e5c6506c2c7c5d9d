"""Accuracy of the resolution against a ground truth of mentions (the simulator's `world/truth`).

Used by the accuracy test and by bench/bench_resolution.py. A mention is matched to the truth by
(dataset, record key, role); keys the truth attributes to more than one entity (rows without a usable
key) are left out.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from entity_resolution.metrics import PairwiseScore, pairwise

XREFS = {
    "enterprise": ("lake.marts.enterprise_xref", "enterprise_id", "entity_type = 'enterprise'"),
    "vehicle": ("lake.marts.vehicle_xref", "vehicle_id", "entity_type = 'vehicle'"),
    "equipment": ("lake.marts.equipment_xref", "equipment_id", "entity_type = 'equipment'"),
}


def labelled(con: duckdb.DuckDBPyConnection, truth_dir: Path, kind: str, extra_where: str = "") -> list[tuple]:
    table, id_column, truth_filter = XREFS[kind]
    mentions = truth_dir / "mentions.parquet"
    return con.execute(
        f"""
        WITH truth AS (
            SELECT dataset, record_key, role, any_value(entity_id) AS entity_id
            FROM read_parquet('{mentions}') WHERE {truth_filter}
            GROUP BY ALL HAVING count(DISTINCT entity_id) = 1)
        SELECT x.{id_column}, t.entity_id, x.dataset, x.role
        FROM {table} AS x
        JOIN truth AS t ON t.dataset = x.dataset AND t.record_key = x.record_id AND t.role = x.role
        {extra_where}
        """
    ).fetchall()


def score(con: duckdb.DuckDBPyConnection, truth_dir: Path, kind: str, extra_where: str = "") -> PairwiseScore:
    return pairwise((row[0], row[1]) for row in labelled(con, truth_dir, kind, extra_where))


# Mentions whose linking record never passed validation (a crane alarm whose device row, or an inspection
# whose ledger row, was quarantined upstream): no resolution can link them from accepted data.
UNLINKABLE = "WHERE x.match_rule NOT IN ('unknown_device', 'unregistered_report')"


def crane_score(con: duckdb.DuckDBPyConnection, truth_dir: Path, linkable_only: bool = False) -> PairwiseScore:
    """Equipment mentions of cranes and hoists (the machines the construction feed reports)."""
    equipment = truth_dir / "equipment.parquet"
    rows = labelled(con, truth_dir, "equipment", UNLINKABLE if linkable_only else "")
    return pairwise((row[0], row[1]) for row in rows if row[1] in _site_devices(con, equipment))


_SITE: dict[str, set] = {}


def _site_devices(con: duckdb.DuckDBPyConnection, equipment: Path) -> set:
    key = str(equipment)
    if key not in _SITE:
        _SITE[key] = {
            r[0]
            for r in con.execute(
                f"SELECT equipment_id FROM read_parquet('{equipment}') WHERE is_site_device"
            ).fetchall()
        }
    return _SITE[key]


def branches_merged_with_head_office(con: duckdb.DuckDBPyConnection, truth_dir: Path) -> int:
    """Resolved enterprises that hold mentions of a branch and of its head office."""
    rows = labelled(con, truth_dir, "enterprise")
    enterprises = truth_dir / "enterprises.parquet"
    head_of = dict(
        con.execute(
            f"SELECT enterprise_id, head_office_id FROM read_parquet('{enterprises}') WHERE is_branch"
        ).fetchall()
    )
    members: dict[str, set] = {}
    for resolved, true_id, _, _ in rows:
        members.setdefault(resolved, set()).add(true_id)
    return sum(1 for ids in members.values() for e in ids if e in head_of and head_of[e] in ids)


# Equipment mention columns that name a machine (dictionary §8.3): two mentions sharing one are linkable.
EQUIPMENT_LINKS = ("equipment_code", "reg_code", "use_cert_no", "device_sn", "manufacturer_key || '|' || factory_no")


def equipment_link_ceiling(con: duckdb.DuckDBPyConnection, truth_dir: Path) -> PairwiseScore:
    """The best any resolution can do from what was delivered: mentions joined whenever they share any
    identifier of EQUIPMENT_LINKS (transitively). A machine whose every link a department left blank, or
    whose code lost its digits in a numeric cell, cannot be joined, and this score says how much that is."""
    columns = ", ".join(f"{c} AS k{i}" for i, c in enumerate(EQUIPMENT_LINKS))
    mentions = con.execute(
        f"SELECT dataset, record_id, role, {columns} FROM lake.intermediate.int_equipment_mentions"
    ).fetchall()
    parent: dict = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for dataset, record_id, role, *keys in mentions:
        mention = (dataset, record_id, role)
        find(mention)
        for i, key in enumerate(keys):
            if key is not None:
                parent[find(mention)] = find((i, key))
    truth = con.execute(
        f"""SELECT dataset, record_key, role, any_value(entity_id) FROM read_parquet('{truth_dir / "mentions.parquet"}')
            WHERE entity_type = 'equipment' GROUP BY ALL HAVING count(DISTINCT entity_id) = 1"""
    ).fetchall()
    seen = {(d, r, role) for d, r, role, *_ in mentions}
    return pairwise((find((d, k, r)), e) for d, k, r, e in truth if (d, k, r) in seen)

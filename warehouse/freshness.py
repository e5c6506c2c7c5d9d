"""How fresh each published mart is: per mart and source dataset feeding it, up to when its data is and
whether a newer delivery is held back and why. Computed once per publish (warehouse/publish.py), from the
lake at the snapshot each mart is published at; readers show it as the view `data_freshness`.

- up to when: the newest delivery (load) of the dataset in the validated layer at the mart's snapshot, its
  load time, and the data's own newest time — the dataset's past-event column, the one its contract
  forbids in the future (rule `date_in_future`: 更新时间, 报警时间, 检验日期, ...);
- held back: a delivery a circuit breaker holds (`lake.meta.delivery_holds`), and, for a mart held at an
  earlier publish because a dbt test failed, every delivery accepted since that publish.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import cache

import duckdb

from warehouse.holds import open_holds
from warehouse.lake import LAKE, sql_literal

# The view's columns, in order: type and meaning (the publish log stores the rows as JSON; `sdc sql` describes them).
FRESHNESS_COLUMNS = {
    "mart": ("VARCHAR", "published mart"),
    "dataset": ("VARCHAR", "source dataset feeding the mart"),
    "mart_snapshot": ("BIGINT", "lake snapshot the mart is read at"),
    "mart_held_back_by": ("VARCHAR", "why the mart stays at an earlier publish (a failed dbt test), if it does"),
    "newest_load_id": ("VARCHAR", "newest load of the dataset in the mart"),
    "newest_delivery": ("VARCHAR", "its file or API request"),
    "loaded_at": ("TIMESTAMPTZ", "when that delivery was loaded"),
    "data_until": ("TIMESTAMP", "the data's own newest time (Beijing), e.g. the latest alarm or update"),
    "newer_delivery_held_back": ("BOOLEAN", "a newer delivery exists that the mart does not show"),
    "held_back_reason": ("VARCHAR", "why that delivery is held back"),
}
FRESHNESS_DESCRIPTION = "How fresh each mart is, per source dataset: up to when its data is, and what is held back."
EVENT_RULE = "date_in_future"


@cache
def event_column(dataset: str) -> str | None:
    """The dataset's own "as of" column: the past-event time its contract forbids in the future."""
    from data_contracts.contract import contract_exists, load_contract

    if not contract_exists(dataset):
        return None
    return next((r.column for r in load_contract(dataset).rules if r.name == EVENT_RULE), None)


def validated_table(dataset: str) -> str:
    return f'{LAKE}.validated."{dataset.replace(".", "__")}"'


def _newest_delivery(con: duckdb.DuckDBPyConnection, dataset: str, snapshot: int) -> dict:
    event = event_column(dataset)
    data_until = f'max("{event}")::TIMESTAMP' if event else "NULL::TIMESTAMP"
    try:
        row = con.execute(
            f"SELECT arg_max(_load_id, _loaded_at), arg_max(_source_file, _loaded_at), max(_loaded_at), {data_until} "
            f"FROM {validated_table(dataset)} AT (VERSION => {int(snapshot)})"
        ).fetchone()
    except duckdb.CatalogException:  # nothing of this dataset had been accepted yet at that snapshot
        row = (None, None, None, None)
    return dict(zip(("newest_load_id", "newest_delivery", "loaded_at", "data_until"), row, strict=True))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def freshness_rows(
    con: duckdb.DuckDBPyConnection,
    mart_snapshots: Mapping[str, int],
    sources: Mapping[str, list[str]],
    held_back: Mapping[str, str],
    head: int,
) -> list[dict]:
    """One row per published mart × source dataset (JSON-ready). `head` is the snapshot of this publish:
    what a held-back mart would have had; every distinct (dataset, snapshot) is read once."""
    holds: dict[str, list[str]] = {}
    for h in open_holds(con):
        holds.setdefault(h["dataset"], []).append(f"{h['check_name']}: {h['reason']} ({h['source']})")
    newest: dict[tuple[str, int], dict] = {}

    def at(dataset: str, snapshot: int) -> dict:
        if (dataset, snapshot) not in newest:
            newest[(dataset, snapshot)] = _newest_delivery(con, dataset, snapshot)
        return newest[(dataset, snapshot)]

    rows = []
    for mart, snapshot in mart_snapshots.items():
        for dataset in sources.get(mart, []):
            data = at(dataset, snapshot)
            reasons = [f"held by breaker {r}" for r in holds.get(dataset, [])]
            if mart in held_back:
                current = at(dataset, head)
                if current["loaded_at"] is not None and current["loaded_at"] != data["loaded_at"]:
                    reasons.append(f"delivery {current['newest_delivery']} not in this mart: {held_back[mart]}")
            rows.append(
                {
                    "mart": mart,
                    "dataset": dataset,
                    "mart_snapshot": snapshot,
                    "mart_held_back_by": held_back.get(mart),
                    **data,
                    "loaded_at": _iso(data["loaded_at"]),
                    "data_until": _iso(data["data_until"]),
                    "newer_delivery_held_back": bool(reasons),
                    "held_back_reason": "; ".join(reasons) or None,
                }
            )
    return rows


def create_freshness_table(con: duckdb.DuckDBPyConnection, rows: list[dict], name: str) -> None:
    """The freshness rows of a publish as a table `name` in the reader's own in-memory database."""
    columns = ", ".join(f'"{c}" {t}' for c, (t, _) in FRESHNESS_COLUMNS.items())
    con.execute(f'CREATE TABLE main."{name}" ({columns})')
    if rows:  # one statement of literals: a reader session pays for it on every open
        values = ", ".join("(" + ", ".join(sql_literal(r.get(c)) for c in FRESHNESS_COLUMNS) + ")" for r in rows)
        con.execute(f'INSERT INTO main."{name}" VALUES {values}')

"""Reader sessions on a published state: one view per published table, for one of two audiences.

- `masked` (analysts, dashboards; the default of `sdc sql`): ID numbers and phones masked, private
  persons' names reduced, restricted columns withheld, as the publish recorded from the contracts'
  classifications. Only SELECTs over those views are accepted: no writes, no table functions, no
  path into the lake itself.
- `full` (restricted): the published marts as they are.

A session attaches the lake read-only at the publish's snapshot, from its own in-memory DuckDB: a
running load never blocks it and it never sees anything but complete, audited marts. A mart the publish
held back is read at the snapshot of its last good publish (time travel within the same attach). Beside
the marts, both audiences get `data_freshness`: per mart and source dataset, up to when its data is and
whether a newer delivery is held back and why (warehouse/freshness.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import duckdb

from sdc_settings import Settings
from warehouse.freshness import create_freshness_table
from warehouse.lake import LAKE, _attach, attach_sql, open_lake
from warehouse.masking import masked_select
from warehouse.publish import NothingPublished, PublishEntry, mart_sql, no_lake_yet, read_log, table_columns

Audience = Literal["masked", "full"]
BEIJING = ZoneInfo("Asia/Shanghai")
FRESHNESS_VIEW = "data_freshness"


class PublishNotFound(NothingPublished):
    """No (unexpired) publish matches the requested --as-of."""


class QueryNotAllowed(PermissionError):
    """The masked view accepts SELECT queries over its views only."""


def resolve_as_of(history: list[PublishEntry], as_of: str | int | None) -> PublishEntry:
    """The publish a reader sees: the newest, a publish id, or the newest published by a date / time
    (a date means the end of that day, Beijing time; a time without zone is Beijing time)."""
    if not history:
        raise NothingPublished("nothing has been published yet: run `sdc run` (or `sdc demo`) first")
    if as_of is None:
        live = [e for e in history if not e.expired]
        if not live:
            raise PublishNotFound("every publish has expired")
        return live[-1]
    text = str(as_of).strip()
    if text.isdigit():
        chosen = next((e for e in history if e.publish_id == int(text)), None)
        if chosen is None:
            raise PublishNotFound(f"no publish {text}; `sdc publish history` lists them")
    else:
        try:
            if len(text) == 10:
                cutoff = datetime.combine(date.fromisoformat(text) + timedelta(days=1), time(), BEIJING)
                inclusive = False
            else:
                cutoff = datetime.fromisoformat(text)
                cutoff = cutoff if cutoff.tzinfo else cutoff.replace(tzinfo=BEIJING)
                inclusive = True
        except ValueError:
            raise PublishNotFound(
                f"--as-of {text!r}: give a publish id, a date (2026-05-01) or a time (2026-05-01T18:00)"
            ) from None
        before = [e for e in history if (e.published_at <= cutoff if inclusive else e.published_at < cutoff)]
        if not before:
            raise PublishNotFound(f"nothing had been published as of {text} (first publish: {history[0].published_at})")
        chosen = before[-1]
    if chosen.expired:
        raise PublishNotFound(f"publish {chosen.publish_id} has expired (retention); `sdc publish history`")
    return chosen


# Table references a masked query may use besides its views (CTEs are checked by name).
_FORBIDDEN_REFS = {"TABLE_FUNCTION", "COLUMN_DATA", "DELIM_GET"}


def check_masked_query(con: duckdb.DuckDBPyConnection, query: str, views: set[str]) -> None:
    doc = json.loads(con.execute("SELECT json_serialize_sql(?)", [query]).fetchone()[0])
    if doc.get("error"):
        if "Only SELECT" in str(doc.get("error_message")):
            raise QueryNotAllowed("the masked view is read-only: only SELECT queries on the published marts")
        raise QueryNotAllowed(str(doc.get("error_message")))
    ctes: set[str] = set()
    refs: list[dict] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for item in (node.get("cte_map") or {}).get("map", []) if isinstance(node.get("cte_map"), dict) else []:
                ctes.add(str(item.get("key", "")).lower())
            kind = node.get("type") if isinstance(node.get("type"), str) else None
            if kind == "BASE_TABLE" and "table_name" in node:
                refs.append(node)
            elif kind in _FORBIDDEN_REFS:
                raise QueryNotAllowed("the masked view allows no table functions or file reads; query the views")
            elif kind == "SHOW_REF" and node.get("query") is None and node.get("table_name") != '"tables"':
                raise QueryNotAllowed("the masked view lists only its own tables: SHOW TABLES, DESCRIBE <view>")
            # DESCRIBE / SUMMARIZE carry their query: its table references are checked like any other.
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc["statements"])
    allowed = {v.lower() for v in views}
    for ref in refs:
        name = str(ref["table_name"]).lower()
        qualified = ref.get("catalog_name") or ref.get("schema_name")
        if qualified or ref.get("at_clause") or (name not in allowed and name not in ctes):
            shown = ".".join(p for p in (ref.get("catalog_name"), ref.get("schema_name"), ref["table_name"]) if p)
            raise QueryNotAllowed(
                f"{shown}: the masked view shows only the published tables ({', '.join(sorted(views))}); "
                "use --as-of for an earlier publish"
            )


@dataclass
class PublishedSession:
    """A read-only session on one publish. `sql()` / `execute()` run queries over the views (the published
    marts, `views`, and `data_freshness`)."""

    entry: PublishEntry
    audience: Audience
    _con: duckdb.DuckDBPyConnection
    views: list[str] = field(default_factory=list)

    def _check(self, query: str) -> None:
        if self.audience == "masked":
            check_masked_query(self._con, query, {*self.views, FRESHNESS_VIEW})

    def sql(self, query: str) -> duckdb.DuckDBPyRelation | None:
        self._check(query)
        return self._con.sql(query)

    def execute(self, query: str, params: list | None = None) -> duckdb.DuckDBPyConnection:
        self._check(query)
        return self._con.execute(query, params or [])

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The session's DuckDB connection without the masked view's query check: for trusted code (exports)."""
        return self._con

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> PublishedSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_published(
    settings: Settings, as_of: str | int | None = None, *, audience: Audience = "masked"
) -> PublishedSession:
    """A read-only session on the newest publish (or the one `as_of` names), one view per published table."""
    if no_lake_yet(settings):
        raise NothingPublished("nothing has been published yet: run `sdc run` (or `sdc demo`) first")
    con = open_lake(settings, read_only=True)
    try:
        entry = resolve_as_of(read_log(con, newest_live_only=as_of is None) or read_log(con), as_of)
        # Re-attach pinned to the publish: the session cannot see anything newer, even by name.
        con.execute(f"DETACH {LAKE}")
        _attach(con, attach_sql(settings, read_only=True, snapshot=entry.snapshot_id))
        views = []
        for mart in entry.marts:
            # the session is pinned at the publish: only a held-back mart needs time travel
            at = entry.snapshot_of(mart) if entry.snapshot_of(mart) != entry.snapshot_id else None
            columns = table_columns(con, mart, at)
            if audience == "masked":
                plan = entry.classifications[mart]
                select = masked_select(mart_sql(mart, at), {c: plan[c] for c in columns if c in plan}, columns)
            else:
                select = f"SELECT * FROM {mart_sql(mart, at)}"
            con.execute(f'CREATE VIEW main."{mart}" AS {select}')
            views.append(mart)
        create_freshness_table(con, entry.freshness, FRESHNESS_VIEW)  # no personal data: the same for both audiences
    except BaseException:
        con.close()
        raise
    return PublishedSession(entry, audience, con, views)

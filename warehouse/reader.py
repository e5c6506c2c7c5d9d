"""Reader sessions on a published state: one view per published table, for one of two audiences.

- `masked` (analysts, dashboards; the default of `sdc sql`): ID numbers and phones masked, private
  persons' names reduced, restricted columns withheld, as the publish recorded from the contracts'
  classifications.
- `full` (restricted): the published marts as they are.

Both accept only SELECTs over their views: no writes, no `COPY`, no table functions, no path into the lake
itself (the unmasked view leaves the session only through `sdc sql`'s audited output). Times are shown in
Beijing time.

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

import duckdb

from sdc_settings import Settings
from warehouse.beijing import BEIJING, labelled
from warehouse.freshness import FRESHNESS_COLUMNS, FRESHNESS_DESCRIPTION, create_freshness_table
from warehouse.lake import LAKE, _attach, attach_sql, open_lake, sql_literal
from warehouse.masking import masked_select
from warehouse.publish import NothingPublished, PublishEntry, mart_sql, read_log

Audience = Literal["masked", "full"]
FRESHNESS_VIEW = "data_freshness"


class PublishNotFound(NothingPublished):
    """No (unexpired) publish matches the requested --as-of."""


class QueryNotAllowed(PermissionError):
    """A reader session accepts SELECT queries over its views only."""


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
            first = labelled(history[0].published_at)
            raise PublishNotFound(f"nothing had been published as of {text} (Beijing); the first publish was {first}")
        chosen = before[-1]
    if chosen.expired:
        raise PublishNotFound(f"publish {chosen.publish_id} has expired (retention); `sdc publish history`")
    return chosen


# Table references a reader's query may use besides its views (CTEs are checked by name).
_FORBIDDEN_REFS = {"TABLE_FUNCTION", "COLUMN_DATA", "DELIM_GET"}


def check_reader_query(con: duckdb.DuckDBPyConnection, query: str, views: set[str]) -> None:
    doc = json.loads(con.execute(f"SELECT json_serialize_sql({sql_literal(query)})").fetchone()[0])
    if doc.get("error"):
        if "Only SELECT" in str(doc.get("error_message")):
            raise QueryNotAllowed("sdc sql is read-only: only SELECT queries on the published marts")
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
                raise QueryNotAllowed("sdc sql allows no table functions or file reads; query the views")
            elif kind == "SHOW_REF" and node.get("query") is None and node.get("table_name") != '"tables"':
                raise QueryNotAllowed("sdc sql lists only its own tables: SHOW TABLES, DESCRIBE <view>")
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
                f"{shown}: sdc sql shows only the published tables ({', '.join(sorted(views))}); "
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
        check_reader_query(self._con, query, {*self.views, FRESHNESS_VIEW})

    def statements(self, text: str) -> list[str]:
        """The statements of `text`, split at `;` (the last may end without one); duckdb.ParserException
        when it cannot be parsed."""
        return [s.query.strip() for s in self._con.extract_statements(text)]

    @property
    def docs(self) -> dict[str, dict]:
        """{view: {"description", "columns": {column: meaning}}}: the publish's dbt docs, and data_freshness's."""
        return {**self.entry.descriptions, FRESHNESS_VIEW: {"description": FRESHNESS_DESCRIPTION,
                "columns": {c: meaning for c, (_, meaning) in FRESHNESS_COLUMNS.items()}}}  # fmt: skip

    def describe(self, view: str | None = None) -> duckdb.DuckDBPyRelation:
        """The views with what they hold (no `view`), or one view's columns: name, type and meaning, as the
        publish recorded them from the dbt docs."""
        docs = self.docs
        if view is None:
            listed = [(v, self.entry.row_counts.get(v), docs.get(v, {}).get("description")) for v in self.views]
            listed.append((FRESHNESS_VIEW, len(self.entry.freshness), FRESHNESS_DESCRIPTION))
            return self._con.sql(f"SELECT * FROM {_values(listed, ('view', 'rows', 'description'))} ORDER BY 1")
        name = view.strip('"').lower()
        if name not in {*self.views, FRESHNESS_VIEW}:
            raise QueryNotAllowed(f"{view}: no such view here; `describe` lists them")
        meanings = _values(docs.get(name, {}).get("columns", {}).items(), ("column_name", "meaning"), "m")
        return self._con.sql(
            f"""SELECT d.column_name AS "column", d.column_type AS "type", m.meaning
                FROM (SELECT column_name, column_type, row_number() OVER () AS pos FROM (DESCRIBE main."{name}")) d
                LEFT JOIN {meanings} USING (column_name) ORDER BY d.pos"""
        )

    def sql(self, query: str) -> duckdb.DuckDBPyRelation | None:
        self._check(query)
        return self._con.sql(query)

    def execute(self, query: str, params: list | None = None) -> duckdb.DuckDBPyConnection:
        self._check(query)
        return self._con.execute(query, params or [])

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The session's DuckDB connection without the query check: for trusted code (exports)."""
        return self._con

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> PublishedSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _values(rows, names: tuple[str, ...], alias: str = "t") -> str:
    """Rows as an inline table of literals (a reader session binds no parameters: see `sql_literal`)."""
    listed = [f"({', '.join(sql_literal(v) for v in row)})" for row in rows]
    if not listed:
        return f"(SELECT {', '.join(f'NULL::VARCHAR AS {n}' for n in names)} WHERE false) AS {alias}"
    return f"(VALUES {', '.join(listed)}) AS {alias}({', '.join(names)})"


def open_published(
    settings: Settings, as_of: str | int | None = None, *, audience: Audience = "masked"
) -> PublishedSession:
    """A read-only session on the newest publish (or the one `as_of` names), one view per published table."""
    con = open_lake(settings, read_only=True)
    try:
        con.execute(f"SET TimeZone = '{BEIJING.key}'")  # timestamps with a zone show as Beijing time
        entry = resolve_as_of(read_log(con, newest_live_only=as_of is None) or read_log(con), as_of)
        # Re-attach pinned to the publish: the session cannot see anything newer, even by name.
        con.execute(f"DETACH {LAKE}")
        _attach(con, attach_sql(settings, read_only=True, snapshot=entry.snapshot_id))
        views = []
        for mart in entry.marts:
            # the session is pinned at the publish: only a held-back mart needs time travel
            at = entry.snapshot_of(mart) if entry.snapshot_of(mart) != entry.snapshot_id else None
            if audience == "masked":  # the publish's classifications name every column, in table order
                select = masked_select(mart_sql(mart, at), entry.classifications[mart])
            else:
                select = f"SELECT * FROM {mart_sql(mart, at)}"
            con.execute(f'CREATE VIEW main."{mart}" AS {select}')
            views.append(mart)
        create_freshness_table(con, entry.freshness, FRESHNESS_VIEW)  # no personal data: the same for both audiences
    except BaseException:
        con.close()
        raise
    return PublishedSession(entry, audience, con, views)

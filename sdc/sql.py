"""`sdc sql`: read-only SQL on the published marts for people (an interactive shell) and scripts (a query
argument, or statements piped in). Every statement's result is printed; any error makes the exit code 1 (a
script stops at its first error); `--full` is for the configured operators and recorded in the audit log."""

from __future__ import annotations

import contextlib
import re
import signal
import sys
import threading
from dataclasses import dataclass

import duckdb

from sdc.results import Output, OutputError
from sdc_settings import Settings
from warehouse.beijing import labelled
from warehouse.publish import NothingPublished
from warehouse.reader import PublishedSession, QueryNotAllowed, open_published

# `describe` / `\d` alone lists the views, with a view name its columns (what they mean, from the dbt docs).
DESCRIBE = re.compile(r'^\s*(?:\\d|describe)(?:\s+"?(?P<view>[A-Za-z_][A-Za-z0-9_]*)"?)?\s*;?\s*$', re.IGNORECASE)


def is_command(line: str) -> bool:
    return line.lstrip().startswith("\\") or bool(DESCRIBE.match(line))


@dataclass
class SqlRun:
    """One `sdc sql` invocation's session and how it writes results; `audit(statement)` records a --full use."""

    session: PublishedSession
    output: Output
    audit: object = None

    def run(self, text: str) -> bool:
        """Run every statement of `text` in order, printing each result; stop at the first error (printed)."""
        try:
            pieces = list(_pieces(self.session, text))
        except duckdb.Error as exc:
            return _failed(exc)
        if self.output.file is not None and len(pieces) != 1:
            return _failed(OutputError(f"--output writes one result; {len(pieces)} statements were given"))
        with _ctrl_c_interrupts(self.session.connection):
            for statement in pieces:
                if self.audit is not None:
                    self.audit(statement)
                try:
                    described = DESCRIBE.match(statement)
                    if described:
                        rel = self.session.describe(described["view"])
                    elif statement.startswith("\\"):
                        raise QueryNotAllowed(f"{statement.split()[0]}: unknown command (\\d [VIEW]; \\q quits)")
                    else:
                        rel = self.session.sql(statement)
                    if rel is not None:
                        self.output.write(self.session.connection, rel)
                except duckdb.InterruptException:
                    print("cancelled", file=sys.stderr)
                    return False
                except (duckdb.Error, QueryNotAllowed, OSError) as exc:
                    return _failed(exc)
        return True

    def banner(self) -> str:
        e = self.session.entry
        return (
            f"read-only {self.session.audience} view of publish {e.publish_id} (published {labelled(e.published_at)}), "
            f"{len(self.session.views) + 1} views: `describe` or \\d lists them, \\d VIEW its columns.\n"
            "End statements with ';'. Ctrl-C cancels a statement, Ctrl-D or \\q quits."
        )


def _pieces(session: PublishedSession, text: str):
    """SQL statements and meta-commands (a line of their own between statements), in order."""
    sql: list[str] = []
    for line in text.splitlines():
        pending = "\n".join(sql).strip()
        if is_command(line) and (not pending or pending.endswith(";")):
            yield from session.statements(pending)
            sql = []
            yield line.strip()
        else:
            sql.append(line)
    yield from session.statements("\n".join(sql))


@contextlib.contextmanager
def _ctrl_c_interrupts(con: duckdb.DuckDBPyConnection):
    """Ctrl-C while statements run interrupts DuckDB (InterruptException) instead of raising KeyboardInterrupt:
    DuckDB's own KeyboardInterrupt path leaves the connection hanging on the next statement once readline is
    loaded. (Only the main thread may set a signal handler; elsewhere Ctrl-C stays Python's.)"""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, lambda *_: con.interrupt())
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _failed(exc: Exception) -> bool:
    print(f"error: {exc}", file=sys.stderr)
    return False


def open_session(settings: Settings, as_of: str | None, full: bool) -> PublishedSession | None:
    """The session, or None when nothing (matching --as-of) is published (the reason printed)."""
    try:
        return open_published(settings, as_of, audience="full" if full else "masked")
    except NothingPublished as exc:
        print(str(exc), file=sys.stderr)
        return None

"""How `sdc sql` writes a result: a table for people, CSV, JSON or Parquet for tools, to the terminal or a file."""

from __future__ import annotations

import contextlib
import io
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from warehouse.lake import sql_literal

FORMATS = ("table", "csv", "json", "parquet")
TABLE_ROWS = 100
"""Rows a table shows unless --max-rows says otherwise (the footer gives the full count)."""
# DuckDB writes the files: every type as DuckDB renders it (decimals, nested values, times in the session's zone).
COPY_OPTIONS = {"csv": "FORMAT csv, HEADER true", "json": "FORMAT json, ARRAY true", "parquet": "FORMAT parquet"}
RESULT_VIEW = "sdc_result"


class OutputError(ValueError):
    """Options that cannot go together (Parquet to a terminal, one file for several results)."""


@dataclass(frozen=True)
class Output:
    format: str = "table"
    file: Path | None = None
    max_rows: int | None = None
    """At most this many rows (0: all); a table shows TABLE_ROWS by default, the other formats everything."""

    def check(self) -> None:
        if self.format not in FORMATS:
            raise OutputError(f"--format {self.format!r}: one of {', '.join(FORMATS)}")
        if self.format == "parquet" and self.file is None:
            raise OutputError("--format parquet writes a file: give --output FILE")

    def write(self, con: duckdb.DuckDBPyConnection, rel: duckdb.DuckDBPyRelation) -> None:
        """Write `rel` (a relation of `con`) to the file, or to standard output."""
        limit = self.max_rows if self.max_rows is not None else (TABLE_ROWS if self.format == "table" else 0)
        if self.format == "table":
            self._emit(_table(rel, limit or 2**31 - 1, self.file is None and sys.stdout.isatty()).encode())
            return
        if limit:
            rel = rel.limit(limit)
        with tempfile.TemporaryDirectory(prefix="sdc-sql-") as tmp:
            target = self.file or Path(tmp) / f"result.{self.format}"
            rel.create_view(RESULT_VIEW, replace=True)
            try:
                con.execute(f"COPY {RESULT_VIEW} TO {sql_literal(str(target))} ({COPY_OPTIONS[self.format]})")
            finally:
                con.execute(f"DROP VIEW IF EXISTS {RESULT_VIEW}")
            if self.file is None:
                self._emit(target.read_bytes())

    def _emit(self, data: bytes) -> None:
        if self.file is not None:
            self.file.write_bytes(data)
            return
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()


def _table(rel: duckdb.DuckDBPyRelation, max_rows: int, terminal: bool) -> str:
    # as wide as the terminal; every column in full when the table goes to a file or a pipe
    width = shutil.get_terminal_size().columns if terminal else 1_000_000
    shown = io.StringIO()
    with contextlib.redirect_stdout(shown):  # DuckDB prints the table through Python's print
        rel.show(max_rows=max_rows, max_width=width)
    return shown.getvalue()

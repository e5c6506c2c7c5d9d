"""What a landing-zone feed is: where a department drops it, how a file is known complete, how it is parsed.

Departments differ only in data: the folder and file-name pattern, the completeness rule, the file
format and its parameters. One reader per format (`read`) serves every department.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from connectors.delimited import read_delimited
from connectors.jsonl import read_jsonl
from connectors.records import ParsedFile
from connectors.spreadsheet import SheetLayout, read_sheet


class Completeness(StrEnum):
    MARKER = "marker"  # NAME is complete once NAME.ok exists (system A)
    QUIET = "quiet"  # complete once unchanged (ctime) for the quiet period (system C writes in place)
    VISIBLE = "visible"  # dropped by rename: a visible file is complete (system D)


class FileFormat(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"
    XLSX = "xlsx"


DEFAULT_QUIET_SECONDS = 300.0


@dataclass(frozen=True)
class LandingFeed:
    dataset: str
    """Dataset id, `<system>.<entity>`, shared with the data contracts."""
    source_system: str
    folder: str
    pattern: re.Pattern[str]
    """Matched against the path relative to the department folder."""
    completeness: Completeness
    format: FileFormat = FileFormat.CSV
    delimiter: str = ","
    sheet: SheetLayout | None = None
    ignore_prefixes: tuple[str, ...] = ()
    """File names to ignore even when they match (Office lock files `~$...`)."""

    @property
    def raw_table(self) -> str:
        return self.dataset.replace(".", "__")

    def matches(self, landing_dir: Path, path: Path) -> bool:
        root = landing_dir / self.folder
        try:
            rel = path.relative_to(root).as_posix()
        except ValueError:
            return False
        return not path.name.startswith(self.ignore_prefixes) and bool(self.pattern.fullmatch(rel))

    def candidates(self, landing_dir: Path) -> list[Path]:
        root = landing_dir / self.folder
        if not root.is_dir():
            return []
        return sorted(p for p in root.rglob("*") if p.is_file() and self.matches(landing_dir, p))

    def is_complete(
        self, path: Path, *, quiet_seconds: float = DEFAULT_QUIET_SECONDS, now: float | None = None
    ) -> bool:
        if self.completeness is Completeness.MARKER:
            return path.with_name(path.name + ".ok").exists()
        if self.completeness is Completeness.QUIET:
            # ctime, not mtime: the local kernel sets it on every write, while a copy tool may set
            # mtime to anything (the sender's clock, the original file's time).
            now = time.time() if now is None else now
            return now - path.stat().st_ctime >= quiet_seconds
        return self.completeness is Completeness.VISIBLE

    def read(self, data: bytes) -> ParsedFile:
        """Parse one delivered file; raises RejectedFile when the file as a whole cannot be read."""
        if self.format is FileFormat.CSV:
            return read_delimited(data, self.delimiter)
        if self.format is FileFormat.JSONL:
            return read_jsonl(data)
        if self.sheet is None:
            raise ValueError(f"{self.dataset}: an XLSX feed needs a sheet layout")
        return read_sheet(data, self.sheet)

"""What a landing-zone feed is: where a department drops it, how a file is known complete, how it is parsed.

Departments differ only in data: the folder and file-name pattern, the completeness rule, the file
format and its parameters. One reader per format (`read`) serves every department.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from pathlib import Path

from connectors.delimited import read_delimited
from connectors.jsonl import read_jsonl
from connectors.records import ParsedFile
from connectors.shape import HeaderLayout, Limits
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
    limits: Limits = field(default_factory=Limits)

    @cached_property
    def layout(self) -> HeaderLayout:
        """The columns this feed's files are expected to carry: the dataset's data contract."""
        return HeaderLayout.of_dataset(self.dataset)

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
        """Every entry whose name matches, whatever it is (file, link, FIFO, directory): the landing
        load judges what it is. Symbolic links to directories are listed, never walked into."""
        root = landing_dir / self.folder
        if not root.is_dir():
            return []
        found = []
        for folder, dirs, files in os.walk(root, followlinks=False):
            for name in (*dirs, *files):
                path = Path(folder) / name
                if self.matches(landing_dir, path):
                    found.append(path)
        return sorted(found)

    def is_complete(
        self, path: Path, *, quiet_seconds: float = DEFAULT_QUIET_SECONDS, now: float | None = None
    ) -> bool:
        if self.completeness is Completeness.MARKER:
            return path.with_name(path.name + ".ok").exists()
        if self.completeness is Completeness.QUIET:
            # ctime, not mtime: the local kernel sets it on every write, while a copy tool may set
            # mtime to anything (the sender's clock, the original file's time).
            now = time.time() if now is None else now
            return now - path.lstat().st_ctime >= quiet_seconds  # lstat: a link is never followed
        return self.completeness is Completeness.VISIBLE

    def read(self, data: bytes) -> ParsedFile:
        """Parse one delivered file; raises RejectedFile when the file as a whole cannot be read or is
        not what its name claims (its header does not match the feed's layout)."""
        if self.format is FileFormat.XLSX:
            if self.sheet is None:
                raise ValueError(f"{self.dataset}: an XLSX feed needs a sheet layout")
            parsed = read_sheet(data, self.sheet)
        else:
            self.limits.check_lines(data)
            parsed = read_delimited(data, self.delimiter) if self.format is FileFormat.CSV else read_jsonl(data)
        self.layout.check(parsed.header)
        return parsed

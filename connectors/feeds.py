"""What a landing-zone feed is: where a department drops it, how a file is known complete, how it is parsed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class Completeness(StrEnum):
    MARKER = "marker"  # NAME is complete once NAME.ok exists (system A)


@dataclass(frozen=True)
class LandingFeed:
    dataset: str
    """Dataset id, `<system>.<entity>`, shared with the data contracts."""
    source_system: str
    folder: str
    pattern: re.Pattern[str]
    """Matched against the path relative to the department folder."""
    completeness: Completeness
    delimiter: str = ","

    @property
    def raw_table(self) -> str:
        return self.dataset.replace(".", "__")

    def candidates(self, landing_dir: Path) -> list[Path]:
        root = landing_dir / self.folder
        if not root.is_dir():
            return []
        found = [p for p in root.rglob("*") if p.is_file() and self.pattern.fullmatch(p.relative_to(root).as_posix())]
        return sorted(found)

    def is_complete(self, path: Path) -> bool:
        if self.completeness is Completeness.MARKER:
            return path.with_name(path.name + ".ok").exists()
        raise NotImplementedError(self.completeness)

"""What every reader returns: records as delivered (text) or the reason the reader could not read them."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Record:
    number: int
    """Position in the delivery: CSV record after the header, JSONL line, Excel row, API position in the page."""
    values: dict[str, str | None] | None
    """Column -> delivered value as text (None = empty / null); None when the reader rejected the record."""
    error: str | None = None
    """`<rule id>: <detail>` when rejected (rule ids: column_count, invalid_json, truncated_line)."""
    content: str | None = None
    """The rejected record's text as delivered, so a reject never loses what was sent."""

    @property
    def rule(self) -> str | None:
        return self.error.split(":", 1)[0] if self.error else None


@dataclass(frozen=True)
class ParsedFile:
    encoding: str
    header: list[str]
    records: list[Record]
    rows_skipped: int = 0
    """Rows that are layout, not records (XLSX titles, 合计 rows, blank continuation rows)."""
    notes: list[str] = field(default_factory=list)


class RejectedFile(ValueError):
    """The whole delivery cannot be read; the message starts with the rule id (e.g. `encoding: ...`)."""

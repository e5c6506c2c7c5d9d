"""Reader for delimited text files (system A's CSV): decoded, parsed with quoting, one record per row."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

from connectors.decoding import decode_text


@dataclass(frozen=True)
class Record:
    number: int
    """1-based index of the data record after the header (a quoted line break does not start a new one)."""
    values: dict[str, str] | None
    error: str | None = None


@dataclass(frozen=True)
class ParsedFile:
    encoding: str
    header: list[str]
    records: list[Record]


def read_delimited(data: bytes, delimiter: str = ",") -> ParsedFile:
    text, encoding = decode_text(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"')
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        return ParsedFile(encoding, [], [])
    return ParsedFile(encoding, header, list(_records(reader, header)))


def _records(reader: Iterator[list[str]], header: list[str]) -> Iterator[Record]:
    for number, row in enumerate(reader, start=1):
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            yield Record(number, None, f"column_count: expected {len(header)} fields, found {len(row)}")
            continue
        yield Record(number, dict(zip(header, row, strict=True)))

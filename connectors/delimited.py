"""Reader for delimited text files (system A's CSV): decoded, parsed with quoting, one record per row.

A header cell without a name becomes `column_<n>` (its values are kept, validation reports the drift).
Text the csv parser cannot split into records (a field running past the parser's bound after an unclosed
quote, a bare carriage return inside a field) rejects the file whole as `malformed_csv`: past that point
the record boundaries are a guess.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from connectors.decoding import decode_text
from connectors.records import ParsedFile, Record, RejectedFile


def read_delimited(data: bytes, delimiter: str = ",") -> ParsedFile:
    text, encoding = decode_text(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"')
    try:
        try:
            first = next(reader)
        except StopIteration:
            return ParsedFile(encoding, [], [])
        header = [h.strip() or f"column_{i}" for i, h in enumerate(first, start=1)]
        return ParsedFile(encoding, header, list(_records(reader, header, delimiter)))
    except csv.Error as exc:
        raise RejectedFile(f"malformed_csv: {exc} (at line {reader.line_num} of the file)") from exc


def _records(reader: Iterator[list[str]], header: list[str], delimiter: str) -> Iterator[Record]:
    for number, row in enumerate(reader, start=1):
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            content = _unparse(row, delimiter)
            yield Record(number, None, f"column_count: expected {len(header)} fields, found {len(row)}", content)
            continue
        yield Record(number, dict(zip(header, row, strict=True)))


def _unparse(row: list[str], delimiter: str) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="").writerow(row)
    return out.getvalue()

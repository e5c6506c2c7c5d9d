"""Reader for XLSX workbooks (system D): one sheet -> records, header block found, layout rows dropped.

A government workbook is laid out for print: a merged title row, a two-level merged header, blank
continuation rows under vertically merged cells, and a `合计：N台` line. This reader finds the header
block (the first row with more than one value after the title, extended while its cells are merged
into the next row), joins the levels as `level1/level2`, and keeps only data rows. Date columns (named
in the feed's layout) become ISO text whether they arrive as date cells, text (`2026.3.5`,
`2026年3月5日`) or Excel serial numbers; every other value stays as delivered, as text.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from xml.etree import ElementTree

from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string, get_column_letter

from connectors.records import ParsedFile, Record, RejectedFile

EXCEL_EPOCH = date(1899, 12, 30)
SERIAL_RANGE = (20000, 80000)  # 1954-10-03 .. 2119-01-10: numbers here in a date column are serials
TEXT_DATE = re.compile(r"\s*(\d{4})\s*(?:[./-]|年)\s*(\d{1,2})\s*(?:[./-]|月)\s*(\d{1,2})\s*日?\s*")
MERGE_REF = re.compile(rb'<(?:\w+:)?mergeCell ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')
_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}
MAX_HEADER_ROWS = 3


@dataclass(frozen=True)
class SheetLayout:
    """How one sheet of a department's workbook is laid out (data, per feed)."""

    sheet: str
    date_columns: frozenset[str] = frozenset()
    """Joined header names whose values are dates."""
    summary_prefixes: tuple[str, ...] = ("合计", "小计", "总计")


@dataclass(frozen=True)
class _Merge:
    min_col: int
    min_row: int
    max_col: int
    max_row: int


def _merges(archive: zipfile.ZipFile, sheet: str) -> list[_Merge]:
    """Merged ranges of one sheet, read from its XML (openpyxl's streaming mode does not expose them)."""
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    rel_id = next(
        (s.get(f"{{{_NS['r']}}}id") for s in workbook.iterfind("m:sheets/m:sheet", _NS) if s.get("name") == sheet),
        None,
    )
    target = next((r.get("Target") for r in rels.iterfind("rel:Relationship", _NS) if r.get("Id") == rel_id), None)
    if target is None:
        return []
    path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    xml = archive.read(path)
    tail = xml[xml.rfind(b"</sheetData>") :] if b"</sheetData>" in xml else xml
    return [
        _Merge(column_index_from_string(a.decode()), int(b), column_index_from_string(c.decode()), int(d))
        for a, b, c, d in MERGE_REF.findall(tail)
    ]


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def _date_text(value: object) -> str | None:
    """A date column's value as ISO text when it is unambiguously a date; else as delivered."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and SERIAL_RANGE[0] <= value <= SERIAL_RANGE[1]:
        day = EXCEL_EPOCH + timedelta(days=int(value))
        return day.isoformat()
    if isinstance(value, str) and (m := TEXT_DATE.fullmatch(value)):
        try:
            return date(int(m[1]), int(m[2]), int(m[3])).isoformat()
        except ValueError:
            return value  # 2026.2.30 stays as delivered: validation reports it
    return _text(value)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read_sheet(data: bytes, layout: SheetLayout) -> ParsedFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        merges = _merges(archive, layout.sheet)
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, OSError) as exc:
        raise RejectedFile(f"not_xlsx: not a readable XLSX workbook ({exc})") from exc
    try:
        if layout.sheet not in workbook.sheetnames:
            raise RejectedFile(f"sheet_missing: no sheet {layout.sheet!r} (sheets: {', '.join(workbook.sheetnames)})")
        rows = [list(r) for r in workbook[layout.sheet].iter_rows(values_only=True)]
    finally:
        workbook.close()
    width = max((len(r) for r in rows), default=0)
    rows = [r + [None] * (width - len(r)) for r in rows]
    covered: dict[tuple[int, int], tuple[int, int]] = {}  # (row, col) -> top-left of its merge, 1-based
    for m in merges:
        for r in range(m.min_row, m.max_row + 1):
            for c in range(m.min_col, m.max_col + 1):
                if (r, c) != (m.min_row, m.min_col):
                    covered[(r, c)] = (m.min_row, m.min_col)

    def resolved(r: int, c: int) -> object:
        r0, c0 = covered.get((r, c), (r, c))
        return rows[r0 - 1][c0 - 1] if r0 - 1 < len(rows) and c0 - 1 < width else None

    def distinct_values(r: int) -> int:
        return len({str(v) for v in rows[r - 1] if not _blank(v)})

    # Title lines (one value, however wide) and empty lines before the header.
    first = 1
    while first <= len(rows) and distinct_values(first) <= 1:
        first += 1
    if first > len(rows):
        return ParsedFile("xlsx", [], [], rows_skipped=len(rows))
    # The header block grows while a cell of its last row is merged into the row below (a group label
    # over several columns, or a single-level name spanning both header rows).
    last = first
    while last - first + 1 < MAX_HEADER_ROWS and any(
        m.min_row <= last < m.max_row or (m.min_row == last and m.max_col > m.min_col and m.max_row == last)
        for m in merges
        if m.min_row >= first
    ):
        last += 1
    header: list[str | None] = []
    for c in range(1, width + 1):
        parts: list[str] = []
        for r in range(first, last + 1):
            v = _text(resolved(r, c))
            if v and v.strip() and (not parts or parts[-1] != v.strip()):
                parts.append(v.strip())
        header.append("/".join(parts) or None)
    names = [h or f"column_{get_column_letter(i + 1)}" for i, h in enumerate(header)]
    if len(set(names)) != len(names):
        dupes = sorted({n for n in names if names.count(n) > 1})
        raise RejectedFile(f"header_duplicate: sheet {layout.sheet!r} repeats header {', '.join(dupes)}")
    used = [i for i, h in enumerate(header) if h is not None]
    records: list[Record] = []
    skipped = last  # title, blank lines and the header block
    for r in range(last + 1, len(rows) + 1):
        row = rows[r - 1]
        # Cells covered by a merge repeat their top-left neighbour; as data they are blank.
        own = [None if (r, c + 1) in covered else v for c, v in enumerate(row)]
        filled = [v for v in own if not _blank(v)]
        if not filled or (isinstance(filled[0], str) and filled[0].strip().startswith(layout.summary_prefixes)):
            skipped += 1
            continue
        extra = [i for i, v in enumerate(own) if not _blank(v) and header[i] is None]
        used_here = used + [i for i in extra if i not in used]
        values = {
            names[i]: (_date_text(own[i]) if names[i] in layout.date_columns else _text(own[i])) for i in used_here
        }
        records.append(Record(r, values))
    columns = [names[i] for i in used] + sorted(
        {k for rec in records for k in rec.values or {}} - {names[i] for i in used}
    )
    return ParsedFile("xlsx", columns, records, rows_skipped=skipped)

"""Reader for XLSX workbooks (system D): one sheet -> records, header block found, layout rows dropped.

A government workbook is laid out for print (INTERFACES.md D, domain dictionary §9.2): a merged title
row, perhaps `填报单位：…` lines, a two-level merged header, vertically merged cells over the rows of
one use unit, a `合计：N台` line and `填表人：…` / `注：…` footers. This reader

- skips title and `label：value` lines, finds the header block (the first row with more than one
  value, extended while its cells are merged into the next row) and joins its levels as
  `level1/level2`;
- forward-fills a vertically merged data cell over the rows of its merged range (the ranges are read
  from the workbook: Excel stores the value in the top-left cell only);
- drops layout rows: blank rows (a row whose only values come from a merge above is blank too),
  合计/小计/总计 rows and lines made only of `label：value` cells;
- writes every number of up to 15 digits without `.0` or exponent: an identifier typed as a numeric
  cell (a short 注册号, a phone number) keeps exactly its digits. A numeric cell of 16 digits or more
  cannot hold an identifier exactly (Excel keeps 15 significant digits: dictionary §9, the 18-digit
  设备代码 / 统一社会信用代码 / ID number typed as a number), so it is written as Excel shows it
  (`3.20585198503071E+17`), never as digits that would pass for a real code (`320585198503071000`
  is a well-formed 设备代码): every identifier rule then sees the damage. No list of ID-like columns
  is needed: the rule is right for every column;
- turns date cells, text dates (`2026.3.5`, `2026年3月5日`) and Excel serials into ISO text in the
  feed's date columns (serials counted from the workbook's own epoch, 1900 or 1904);
- rejects, with a reason and before inflating anything, a workbook beyond its feed's shape limits
  (`too_large`, `too_many_rows`, `too_many_columns`), and anything that is not an XLSX workbook
  (`not_xlsx`, `sheet_missing`, `header_duplicate`).

Cells are read by calamine (Rust; about 7 times openpyxl's speed on the weekly workbook). calamine builds
the sheet's whole rectangle in memory and aborts the process when that cannot be allocated, and it trusts
the zip's declared sizes, so nothing reaches it before one byte scan of the sheet (`_scan_sheet`) has
bounded its shape and every member has inflated to its declared size with a good CRC. The same scan reads
the merged ranges, and the cells calamine would change: an integer of 16 digits or more written out in full
by another tool (calamine reads it as a double), and error cells (`#N/A`, which calamine reads as empty).
"""

from __future__ import annotations

import io
import lzma
import re
import struct
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from xml.etree import ElementTree

from python_calamine import CalamineWorkbook

from connectors.records import ParsedFile, Record, RejectedFile

SERIAL_RANGE = (20000, 80000)  # 1954-10-03 .. 2119-01-10: numbers here in a date column are serials
TEXT_DATE = re.compile(r"\s*(\d{4})\s*(?:[./-]|年)\s*(\d{1,2})\s*(?:[./-]|月)\s*(\d{1,2})\s*日?\s*")
# `填报单位（盖章）：浮桥镇安监办`, `填表人：李娜`, `注：1. …`, `合计：12台` — a label, then a colon.
LABEL_LINE = re.compile(r"\s*[\u3400-\u9fff（）()]{1,12}\s*[：:]")
# The sheet XML's `row`, `c` and `mergeCell` tags, and the `<v>` right after a cell's tag. An attribute value
# may hold `>` but never `<`, so no tag contains `<`: a match cannot swallow a real tag, and text that looks
# like a tag (in a comment) only adds a cell, which can reject but never admit a workbook.
SHEET_TAG = re.compile(
    rb"<(?:[A-Za-z_][\w.-]{0,15}:)?(row|c|mergeCell)(?=[\s/>])((?:[^<>\"']|\"[^\"<]*\"|'[^'<]*')*)>"
    rb"(?:<(?:[A-Za-z_][\w.-]{0,15}:)?v>([^<]{0,64})</)?"
)
ATTRIBUTE = re.compile(rb"(?:^|\s)(r|ref|t)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
CELL_REF = re.compile(rb"([A-Z]{1,3})(\d{1,7})")
LONG_INTEGER = re.compile(rb"\s*-?\d{16,}\s*")
# The tags as Excel and openpyxl write them, for the bulk pass; anything else goes tag by tag.
PLAIN_ROW = re.compile(rb'<row r="(\d{1,7})"')
PLAIN_CELL = re.compile(rb'<c r="([A-Z]{1,3})(\d{1,7})"')
ANY_ROW = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,15}:)?row[\s/>]")
ANY_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,15}:)?c[\s/>]")
SPECIAL = re.compile(rb"""t\s*=\s*["']e|<(?:[\w.-]{1,16}:)?v>\s*-?\d{16}|mergeCell""")
TAG_LOOKAHEAD = 4096  # a tag starting this close to the end of what has been read waits for the next chunk
MAX_UNMARKED_BYTES = 1 << 20  # a sheet's XML has markup every few hundred bytes (Excel caps a cell at 32,767)
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# An XLSX has a dozen members: its central directory is a few KB. Bounding it bounds what zipfile
# allocates for member entries before any size of ours can be checked.
MAX_CENTRAL_DIRECTORY_BYTES = 1 << 20
RATIO_FLOOR_BYTES = 1 << 20  # small members compress at any ratio; the ratio bound applies above this
MAX_HEADER_ROWS = 3
_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}
# What our own reads of the archive can raise on damaged bytes (calamine's calls are caught whole).
_UNREADABLE = (
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    KeyError,
    ElementTree.ParseError,
    RuntimeError,
    NotImplementedError,
    ValueError,
    OSError,
)


@dataclass(frozen=True)
class WorkbookLimits:
    """Shape bounds of one feed's workbooks; the values, and why, are with the feed."""

    max_uncompressed_bytes: int
    max_compression_ratio: int
    max_rows: int
    """Highest row number a sheet may reach, blank rows included."""
    max_columns: int
    max_merged_ranges: int


@dataclass(frozen=True)
class SheetLayout:
    """How one sheet of a department's workbook is laid out (data, per feed)."""

    sheet: str
    limits: WorkbookLimits
    date_columns: frozenset[str] = frozenset()
    """Joined header names whose values are dates."""
    summary_prefixes: tuple[str, ...] = ("合计", "小计", "总计")


@dataclass(frozen=True)
class _Merge:
    min_col: int
    min_row: int
    max_col: int
    max_row: int


# A numeric cell from here on has lost digits: Excel (and a double) keeps 15 significant digits.
PRECISION_LOST_FROM = 1e15


def read_sheet(data: bytes, layout: SheetLayout) -> ParsedFile:
    archive = _open_archive(data, layout.limits)
    try:
        workbook = CalamineWorkbook.from_object(io.BytesIO(data))
        names = workbook.sheet_names
    except Exception as exc:  # calamine raises whatever its parsers meet in damaged bytes
        raise RejectedFile(f"not_xlsx: not a readable XLSX workbook ({type(exc).__name__}: {exc})") from exc
    sheet = _sheet_name(names, layout.sheet)
    try:
        epoch = _epoch(archive)
        sheet_parts = _sheet_parts(archive)
        path = sheet_parts.get(sheet)
        if path is None:
            raise KeyError(f"no part for sheet {sheet!r}")
        scan = _scan_sheet(archive, path, sheet, layout.limits)
        _check_members(archive, set(sheet_parts.values()))
    except RejectedFile:
        raise
    except _UNREADABLE as exc:
        raise RejectedFile(f"not_xlsx: sheet {sheet!r} cannot be read ({type(exc).__name__}: {exc})") from exc
    try:
        cells = workbook.get_sheet_by_name(sheet)
    except Exception as exc:
        raise RejectedFile(f"not_xlsx: sheet {sheet!r} cannot be read ({type(exc).__name__}: {exc})") from exc
    return _parse(_rows(cells, scan, sheet, layout.limits), scan.merges, layout, epoch)


# -- the archive ---------------------------------------------------------------------------------


def _open_archive(data: bytes, limits: WorkbookLimits) -> zipfile.ZipFile:
    """The workbook's zip, once its declared sizes are within bounds (nothing inflated yet).

    zipfile never inflates a member past its declared size (a member that lies fails its CRC), so
    checking declared sizes bounds what any later read can allocate."""
    if data.startswith(OLE2_MAGIC):
        raise RejectedFile("not_xlsx: an OLE2 compound file (a legacy .xls or a password-protected workbook)")
    directory = _central_directory_size(data)
    if directory > MAX_CENTRAL_DIRECTORY_BYTES:
        raise RejectedFile(f"too_large: zip directory of {directory:,} bytes (an XLSX has a few KB)")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except _UNREADABLE as exc:
        raise RejectedFile(f"not_xlsx: not a readable XLSX workbook ({type(exc).__name__}: {exc})") from exc
    total = sum(m.file_size for m in members)
    if total > limits.max_uncompressed_bytes:
        limit = limits.max_uncompressed_bytes
        raise RejectedFile(f"too_large: the workbook inflates to {total:,} bytes (limit {limit:,})")
    for m in members:
        if m.file_size > RATIO_FLOOR_BYTES and m.file_size > limits.max_compression_ratio * max(m.compress_size, 1):
            raise RejectedFile(
                f"too_large: member {m.filename!r} inflates {m.file_size // max(m.compress_size, 1):,}-fold "
                f"(limit {limits.max_compression_ratio}; a zip bomb?)"
            )
    return archive


def _central_directory_size(data: bytes) -> int:
    """Size of the zip's central directory as zipfile will read it (0 when there is no end record)."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 22 - 0xFFFF))
    if end < 0 or end + 22 > len(data):
        return 0
    size = struct.unpack_from("<I", data, end + 12)[0]
    locator = end - 20  # a ZIP64 end record (56 bytes) sits before its locator (20), as zipfile reads it
    record = locator - 56
    if record >= 0 and data[locator : locator + 4] == b"PK\x06\x07" and data[record : record + 4] == b"PK\x06\x06":
        size = max(size, struct.unpack_from("<Q", data, record + 40)[0])
    return size


def _sheet_name(names: list[str], wanted: str) -> str:
    """The sheet called `wanted`, allowing for width and spacing (`设备台账 `); hidden sheets count."""
    if wanted in names:
        return wanted
    key = _name_key(wanted)
    matches = [n for n in names if _name_key(n) == key]
    if len(matches) == 1:
        return matches[0]
    raise RejectedFile(f"sheet_missing: no sheet {wanted!r} (sheets: {', '.join(names)})")


def _name_key(name: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name))


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Each sheet's name -> its part in the zip, found through the workbook's relationships as calamine finds it
    (Excel names the parts `xl/worksheets/sheetN.xml`; other tools may not)."""
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets: dict[str | None, str | None] = {}
    for r in rels.iterfind("rel:Relationship", _NS):
        targets.setdefault(r.get("Id"), r.get("Target"))
    parts: dict[str, str] = {}
    for s in workbook.iterfind("m:sheets/m:sheet", _NS):
        target = targets.get(s.get(f"{{{_NS['r']}}}id"))
        if target is not None:
            parts.setdefault(s.get("name", ""), target.lstrip("/") if target.startswith("/") else f"xl/{target}")
    return parts


@dataclass
class _SheetScan:
    merges: list[_Merge]
    exact: dict[int, dict[int, object]]
    """Row -> column -> value (1-based): what the cell holds where calamine would read it otherwise."""
    last_row: int = 0
    """The last row in the XML, blank (styled) or not: calamine stops at the last value."""


def _scan_sheet(archive: zipfile.ZipFile, path: str, sheet: str, limits: WorkbookLimits) -> _SheetScan:
    """One pass over the sheet's XML in chunks: its shape checked against the feed's limits (rows and cells
    without an `r` attribute follow the one before, as Excel places them), its merged ranges, and its cells
    that calamine would read otherwise. Each chunk is cut before its last `<row`, so a region holds whole
    rows (or, past the rows, whole tags)."""
    scanner = _SheetScanner(sheet, limits)
    carry = b""
    with archive.open(path) as stream:
        while chunk := stream.read(1 << 20):
            buf = carry + chunk
            cut = buf.rfind(b"<row")
            if cut <= 0:
                cut = max(buf.rfind(b"<", 0, len(buf) - TAG_LOOKAHEAD), 0)
            scanner.region(buf[:cut])
            carry = buf[cut:]
            if len(carry) > MAX_UNMARKED_BYTES:
                raise RejectedFile(f"not_xlsx: sheet {sheet!r} has a row of over {MAX_UNMARKED_BYTES:,} bytes")
        scanner.region(carry)
    return scanner.scan


class _SheetScanner:
    def __init__(self, sheet: str, limits: WorkbookLimits):
        self.sheet, self.limits = sheet, limits
        self.scan = _SheetScan([], {})
        self.row = self.column = 0

    def region(self, xml: bytes) -> None:
        if not self._plain_region(xml):
            self._tag_by_tag(xml)

    def _plain_region(self, xml: bytes) -> bool:
        """The common case in bulk: every row and cell tag written as Excel and openpyxl write them (`r` first),
        no cell calamine would read otherwise, nothing out of bounds. False when the region needs a closer look."""
        rows, cells = PLAIN_ROW.findall(xml), PLAIN_CELL.findall(xml)
        if len(rows) != len(ANY_ROW.findall(xml)) or len(cells) != len(ANY_CELL.findall(xml)) or SPECIAL.search(xml):
            return False
        last_row = max(max(map(int, rows), default=0), max((int(r) for _, r in cells), default=0))
        widest = max((_column(c) for c in {c for c, _ in cells}), default=0)
        if last_row > self.limits.max_rows or widest > self.limits.max_columns:
            return False  # the tag-by-tag pass names the cell (and lets styled empty cells far right pass)
        if rows:
            self.row, self.column = int(rows[-1]), 0
        self.scan.last_row = max(self.scan.last_row, last_row)
        return True

    def _tag_by_tag(self, xml: bytes) -> None:
        scan, limits = self.scan, self.limits
        for m in SHEET_TAG.finditer(xml):
            tag, attrs, value = m.groups()
            found = {a: b if b is not None else c for a, b, c in ATTRIBUTE.findall(attrs)}
            if tag == b"mergeCell":
                if (ref := found.get(b"ref")) is not None:
                    scan.merges.append(_merge_ref(ref))
                    if len(scan.merges) > limits.max_merged_ranges:
                        raise RejectedFile(
                            f"too_large: sheet {self.sheet!r} has more than {limits.max_merged_ranges:,} merged ranges"
                        )
                continue
            ref = found.get(b"r")
            if tag == b"row":
                self.row, self.column = (int(ref) if ref and ref.isdigit() else self.row + 1), 0
                self._check_row(self.row)
            elif (cell := CELL_REF.fullmatch(ref or b"")) is not None:
                self.column = _column(cell[1])
                self._cell(int(cell[2]), self.column, attrs, found.get(b"t"), value)
            else:
                self.column += 1
                self._cell(self.row, self.column, attrs, found.get(b"t"), value)

    def _check_row(self, row: int) -> None:
        if row > self.limits.max_rows:
            raise RejectedFile(f"too_many_rows: sheet {self.sheet!r} goes past row {self.limits.max_rows:,}")
        self.scan.last_row = max(self.scan.last_row, row)

    def _cell(self, row: int, column: int, attrs: bytes, kind: bytes | None, value: bytes | None) -> None:
        self._check_row(row)
        if attrs.rstrip().endswith(b"/"):
            return  # `<c r="XFD2" s="3"/>`: a styled empty cell, no value
        if column > self.limits.max_columns:
            raise RejectedFile(
                f"too_many_columns: sheet {self.sheet!r} row {row} has a value in column "
                f"{_column_letter(column)} (limit {self.limits.max_columns})"
            )
        if value is None:
            return
        if kind == b"e":
            self.scan.exact.setdefault(row, {})[column] = value.decode("utf-8", "replace")
        elif kind in (None, b"n") and LONG_INTEGER.fullmatch(value):
            self.scan.exact.setdefault(row, {})[column] = int(value)  # every digit as written: a double rounds


def _merge_ref(ref: bytes) -> _Merge:
    first, _, last = ref.partition(b":")
    a, b = _cell(first)
    c, d = _cell(last) if last else (a, b)
    return _Merge(min(a, c), min(b, d), max(a, c), max(b, d))


def _cell(ref: bytes) -> tuple[int, int]:
    """(column, row) of `AB12`."""
    m = CELL_REF.fullmatch(ref.strip())
    if m is None:
        raise ValueError(f"not a cell reference: {ref[:32]!r}")
    return _column(m[1]), int(m[2])


def _column_letter(n: int) -> str:
    letters = ""
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _epoch(archive: zipfile.ZipFile) -> date:
    """Day 0 of the workbook's serial dates: 1899-12-30, or 1904-01-01 for a workbook saved with the 1904 system."""
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    properties = workbook.find("m:workbookPr", _NS)
    flag = properties.get("date1904", "") if properties is not None else ""
    return date(1904, 1, 1) if flag.lower() in {"1", "true"} else date(1899, 12, 30)


def _check_members(archive: zipfile.ZipFile, sheet_parts: set[str]) -> None:
    """Inflate every member calamine may read to its end: zipfile stops at the declared size and checks the CRC,
    so a member that lies about its size fails here rather than inside calamine, which trusts the headers. The
    sheets are left out: the scanned one was inflated whole by the scan, and calamine never opens the others."""
    for member in archive.infolist():
        if member.filename in sheet_parts:
            continue
        with archive.open(member) as stream:
            while stream.read(1 << 20):
                pass


def _column(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _rows(cells, scan: _SheetScan, sheet: str, limits: WorkbookLimits) -> Iterator[tuple[int, list[object]]]:
    """(Excel row number, values) for every row from the first that has a value to the last in the XML."""
    first_row, first_column = cells.start or (0, 0)
    number = first_row
    for raw in cells.iter_rows() if cells.start is not None else ():
        number += 1
        if number > limits.max_rows:
            raise RejectedFile(f"too_many_rows: sheet {sheet!r} goes past row {limits.max_rows:,}")
        values: list[object] = [None] * first_column + [None if v == "" else v for v in raw]
        for column, exact in scan.exact.get(number, {}).items():
            values.extend([None] * (column - len(values)))
            values[column - 1] = exact
        while values and values[-1] is None:  # an empty cell that only stretched the sheet's rectangle
            values.pop()
        if len(values) > limits.max_columns:
            raise RejectedFile(
                f"too_many_columns: sheet {sheet!r} row {number} has a value in column "
                f"{_column_letter(len(values))} (limit {limits.max_columns})"
            )
        yield number, values
    for blank in range(number + 1, scan.last_row + 1):  # blank rows at the end: layout, counted as skipped
        yield blank, []


# -- cell values ---------------------------------------------------------------------------------


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
    if isinstance(value, float):
        if value.is_integer() and abs(value) >= PRECISION_LOST_FROM:
            return f"{value:.15G}"  # Excel's 15 digits and exponent: the digits after them are gone
        if value.is_integer():
            # repr is the shortest text that reads back as this float: the digits the cell holds,
            # never the binary expansion (`320585198503071232`) a plain int() would print
            return str(int(Decimal(repr(value))))
        return repr(value)
    return str(value)


def _date_text(value: object, epoch: date) -> str | None:
    """A date column's value as ISO text when it is unambiguously a date; else as delivered."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and SERIAL_RANGE[0] <= value <= SERIAL_RANGE[1]:
        return (epoch + timedelta(days=int(value))).isoformat()
    if isinstance(value, str) and (m := TEXT_DATE.fullmatch(value)):
        try:
            return date(int(m[1]), int(m[2]), int(m[3])).isoformat()
        except ValueError:
            return value  # 2026.2.30 stays as delivered: validation reports it
    return _text(value)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _is_label_line(values: list[object]) -> bool:
    return bool(values) and all(isinstance(v, str) and LABEL_LINE.match(v) for v in values)


def _header_name(value: object) -> str | None:
    text = _text(value)
    if text is None:
        return None
    return re.sub(r"\s+", "", text) or None  # wrapped header text: `统一社会\n信用代码`


# -- the sheet -----------------------------------------------------------------------------------


class _Merges:
    """The merged ranges covering the current row, advanced row by row (rows arrive in order)."""

    def __init__(self, merges: list[_Merge], max_columns: int):
        # a range starting right of the widest allowed row covers nothing that can hold a value
        self._pending = sorted((m for m in merges if m.min_col <= max_columns), key=lambda m: m.min_row, reverse=True)
        self._max_columns = max_columns
        self._active: list[_Merge] = []
        self._top: dict[_Merge, object] = {}

    def row(self, number: int, values: list[object]) -> tuple[dict[int, object], dict[int, object]]:
        """(covered, filled) for this row, 0-based columns: covered cells with their range's top-left
        value (the header reads those), and the cells a vertical range fills (its first column)."""
        while self._pending and self._pending[-1].min_row <= number:
            m = self._pending.pop()
            if m.min_row == number:
                self._top[m] = values[m.min_col - 1] if m.min_col <= len(values) else None
            self._active.append(m)
        for m in [m for m in self._active if m.max_row < number]:
            self._active.remove(m)
            self._top.pop(m, None)
        covered: dict[int, object] = {}
        filled: dict[int, object] = {}
        for m in self._active:
            top = self._top.get(m)
            for c in range(m.min_col, min(m.max_col, self._max_columns) + 1):
                if (number, c) != (m.min_row, m.min_col):
                    covered.setdefault(c - 1, top)
            if number > m.min_row:
                filled.setdefault(m.min_col - 1, top)
        return covered, filled


def _parse(rows: Iterator[tuple[int, list[object]]], merges: list[_Merge], layout: SheetLayout, epoch: date):
    index = _Merges(merges, layout.limits.max_columns)
    header_rows: list[list[object]] = []
    first = last = 0
    header: list[str | None] | None = None
    names: list[str] = []
    records: list[Record] = []
    extra: set[int] = set()
    seen = 0
    for number, values in rows:
        seen = number
        covered, filled = index.row(number, values)
        own = [None if c in covered else v for c, v in enumerate(values)]
        present = [v for v in own if not _blank(v)]
        if header is None:
            if not header_rows:
                if len({str(v) for v in present}) <= 1 or _is_label_line(present):
                    continue  # title, `填报单位：…` line, blank line
                first = number
            width = max(len(values), max(covered, default=-1) + 1)
            header_rows.append([covered.get(c, values[c] if c < len(values) else None) for c in range(width)])
            last = number
            if last - first + 1 < MAX_HEADER_ROWS and _merged_into_next(merges, first, last):
                continue
            header, names = _header(header_rows, layout.sheet)
            continue
        if not present or _is_layout(present, layout):
            continue
        row = dict(enumerate(own))
        row.update(filled)
        values_out: dict[str, str | None] = {}
        for c in sorted(set(range(len(names))) | {c for c, v in row.items() if not _blank(v)}):
            if c < len(header) and header[c] is None and _blank(row.get(c)):
                continue  # an unnamed, empty column
            name = names[c] if c < len(names) else f"column_{_column_letter(c + 1)}"
            if c >= len(header) or header[c] is None:
                extra.add(c)
            value = row.get(c)
            values_out[name] = _date_text(value, epoch) if name in layout.date_columns else _text(value)
        records.append(Record(number, values_out))
    if header is None:
        if not header_rows:
            return ParsedFile("xlsx", [], [], rows_skipped=seen)
        header, names = _header(header_rows, layout.sheet)
    columns = [n for c, n in enumerate(names) if header[c] is not None] + [
        names[c] if c < len(names) else f"column_{_column_letter(c + 1)}" for c in sorted(extra)
    ]
    return ParsedFile("xlsx", columns, records, rows_skipped=seen - len(records))


def _merged_into_next(merges: list[_Merge], first: int, last: int) -> bool:
    """A header row continues below while one of its cells is merged into the next row (a name spanning
    both levels) or spans several columns (a group label over level-2 names)."""
    return any(
        m.min_row <= last < m.max_row or (m.min_row == last == m.max_row and m.max_col > m.min_col)
        for m in merges
        if first <= m.min_row <= last
    )


def _header(rows: list[list[object]], sheet: str) -> tuple[list[str | None], list[str]]:
    width = max(len(r) for r in rows)
    header: list[str | None] = []
    for c in range(width):
        parts: list[str] = []
        for r in rows:
            part = _header_name(r[c]) if c < len(r) else None
            if part and (not parts or parts[-1] != part):
                parts.append(part)
        header.append("/".join(parts) or None)
    names = [h or f"column_{_column_letter(i + 1)}" for i, h in enumerate(header)]
    if len(set(names)) != len(names):
        dupes = sorted({n for n in names if names.count(n) > 1})
        raise RejectedFile(f"header_duplicate: sheet {sheet!r} repeats header {', '.join(dupes)}")
    return header, names


def _is_layout(present: list[object], layout: SheetLayout) -> bool:
    """合计/小计 rows and `填表人：…` / `注：…` footers: print layout, not records."""
    head = present[0]
    return (isinstance(head, str) and head.strip().startswith(layout.summary_prefixes)) or _is_label_line(present)

"""Workbooks that are not what they claim (issue 17): each is read or rejected with a reason, never a
crash, a hang or exhausted memory."""

import io
import json
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from connectors.records import ParsedFile, RejectedFile
from connectors.special_equipment import INSPECTION, LIMITS

ROOT = Path(__file__).resolve().parents[2]
HEADER = ["报告编号", "注册代码", "检验类别", "检验日期", "检验结论", "下次检验日期", "检验机构"]
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def parts(sheet_xml: bytes, shared: bytes | None = None) -> dict[str, bytes]:
    """The members of a one-sheet workbook (sheet 检验记录) around the given sheet XML."""
    out = {
        "[Content_Types].xml": (
            b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            b'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            b'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override '
            b'PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
            b'sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
            b'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            f'package/2006/relationships"><Relationship Id="rId1" Type="{REL}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'
        ).encode(),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
            '<sheet name="检验记录" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ).encode(),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            f'package/2006/relationships"><Relationship Id="rId1" Type="{REL}/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>'
        ).encode(),
        "xl/worksheets/sheet1.xml": sheet_xml,
    }
    if shared is not None:
        out["xl/sharedStrings.xml"] = shared
    return out


def zipped(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def sheet(rows_xml: str, tail: str = "") -> bytes:
    body = f"<sheetData>{rows_xml}</sheetData>{tail}"
    return f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">{body}</worksheet>'.encode()


def header_row() -> str:
    cells = "".join(f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{h}</t></is></c>' for i, h in enumerate(HEADER))
    return f'<row r="1">{cells}</row>'


def small_workbook() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "检验记录"
    ws.append(HEADER)
    ws.append(["JY000001", "31103205852023010001", "定期检验", 45356, "合格", "2027.3.5", "苏检院"])
    ws.merge_cells("F3:G3")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


BASE = small_workbook()  # once: openpyxl stamps the time into a workbook, and hypothesis needs one base


def reads_or_rejects(data: bytes) -> ParsedFile | RejectedFile:
    """What the landing load needs of a reader: rows, or a reason with its rule id — nothing else."""
    try:
        parsed = INSPECTION.read(data)
    except RejectedFile as exc:
        assert str(exc).split(":", 1)[0] in {
            "not_xlsx",
            "sheet_missing",
            "header_duplicate",
            "too_large",
            "too_many_rows",
            "too_many_columns",
        }, exc
        return exc
    for record in parsed.records:
        assert record.number >= 1 and record.values is not None
        assert all(v is None or isinstance(v, str) for v in record.values.values())
    return parsed


def test_long_integer_cells_keep_every_digit_and_a_rounded_one_shows_its_damage():
    """Another tool's numeric cell (`<v>` with all 20 digits) is exact; Excel's rounded one (`E+19`) is written as
    Excel shows it, never as digits that would pass for a real code."""
    cells = (
        '<row r="2"><c r="A2" t="inlineStr"><is><t>JY1</t></is></c><c r="B2"><v>31103205852023010001</v></c></row>'
        '<row r="3"><c r="A3" t="inlineStr"><is><t>JY2</t></is></c><c r="B3"><v>3.11032058520230E+19</v></c>'
        '<c r="G3"><v>320585198503071233</v></c></row>'
    )
    parsed = INSPECTION.read(zipped(parts(sheet(header_row() + cells))))
    first, second = (r.values for r in parsed.records)
    assert first["注册代码"] == "31103205852023010001"
    assert second["注册代码"] == "3.1103205852023E+19"  # what Excel kept, not 31103205852023000000 nor …22999040
    assert second["检验机构"] == "320585198503071233"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4096))
def test_arbitrary_bytes_are_read_or_rejected(data):
    reads_or_rejects(data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_near_valid_workbooks_are_read_or_rejected(draw):
    """A real workbook truncated, with bytes flipped, or with one member replaced by junk or near-XML."""
    base = BASE
    how = draw.draw(st.sampled_from(["truncate", "flip", "member"]))
    if how == "truncate":
        data = base[: draw.draw(st.integers(0, len(base)))]
    elif how == "flip":
        data = bytearray(base)
        for i in draw.draw(st.lists(st.integers(0, len(base) - 1), min_size=1, max_size=8)):
            data[i] ^= draw.draw(st.integers(1, 255))
        data = bytes(data)
    else:
        with zipfile.ZipFile(io.BytesIO(base)) as z:
            members = {n: z.read(n) for n in z.namelist()}
        name = draw.draw(st.sampled_from(sorted(members)))
        junk = draw.draw(
            st.one_of(
                st.binary(max_size=512),
                st.builds(lambda b, i: b[:i], st.just(members[name]), st.integers(0, len(members[name]))),
                st.sampled_from([b"", b"<worksheet/>", b"<?xml version='1.0'?><x>", "<t>\u0000</t>".encode()]),
            )
        )
        data = zipped({**members, name: junk})
    reads_or_rejects(data)


def test_xml_entity_bomb_is_rejected():
    laughs = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    shared = (
        f'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY l0 "lol">{laughs}]>'
        f'<sst xmlns="{MAIN}"><si><t>&l9;</t></si></sst>'
    ).encode()
    rows = header_row() + '<row r="2"><c r="A2" t="s"><v>0</v></c></row>'
    assert str(reads_or_rejects(zipped(parts(sheet(rows), shared)))).startswith("not_xlsx")


def test_legacy_xls_is_named():
    assert "OLE2" in str(reads_or_rejects(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)))


@pytest.mark.parametrize(
    ("rows", "rule"),
    [
        ('<row r="2"><c r="A2"><v>1</v></c></row><row r="1048576"><c r="A1048576"><v>1</v></c></row>', "too_many_rows"),
        ("".join(f'<row r="{r}"/>' for r in range(2, LIMITS.max_rows + 10)), "too_many_rows"),
        ('<row r="2"><c r="XFD2"><v>1</v></c></row>', "too_many_columns"),
    ],
    ids=["stray-cell-at-the-last-row", "300k-empty-rows", "value-in-column-XFD"],
)
def test_sheet_shape_beyond_the_feeds_limits_is_rejected(rows, rule):
    assert str(reads_or_rejects(zipped(parts(sheet(header_row() + rows))))).startswith(rule)


def test_styled_empty_cells_far_right_are_not_columns():
    rows = '<row r="2"><c r="A2" t="inlineStr"><is><t>JY1</t></is></c><c r="XFD2" s="0"/></row>'
    (record,) = INSPECTION.read(zipped(parts(sheet(header_row() + rows)))).records
    assert record.values["报告编号"] == "JY1"


def test_too_many_merged_ranges_is_rejected():
    merge = '<mergeCell ref="A2:A3"/>'
    tail = f"<mergeCells>{merge * (LIMITS.max_merged_ranges + 1)}</mergeCells>"
    assert str(reads_or_rejects(zipped(parts(sheet(header_row(), tail))))).startswith("too_large")


# -- zip bombs: measured in a subprocess, so the peak memory is the reader's alone ------------------

BLOCK = 1 << 20


def bomb_member(inflated: int) -> tuple[bytes, int]:
    """A raw deflate stream of `inflated` spaces (~1 KB per MB: independent full-flush blocks) and its CRC."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = c.compress(b" " * BLOCK) + c.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    chunk = b" " * BLOCK
    for _ in range(inflated // BLOCK):
        crc = zlib.crc32(chunk, crc)
    return block * (inflated // BLOCK) + b"\x03\x00", crc


def bomb_workbook(inflated: int, declared: int) -> bytes:
    """The small workbook with its sheet replaced by a bomb; `declared` is the size its headers claim."""
    stream, crc = bomb_member(inflated)
    with zipfile.ZipFile(io.BytesIO(small_workbook())) as z:
        others = [deflated(n, z.read(n)) for n in z.namelist() if n != "xl/worksheets/sheet1.xml"]
    return raw_zip([*others, ("xl/worksheets/sheet1.xml", stream, crc, declared)])


def deflated(name: str, data: bytes, crc_xor: int = 0, size_delta: int = 0) -> tuple[str, bytes, int, int]:
    """A member as raw_zip writes it; `crc_xor` and `size_delta` make its headers lie about its CRC and size."""
    return name, zlib.compress(data, 9)[2:-4], zlib.crc32(data) ^ crc_xor, len(data) + size_delta


def raw_zip(members: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip of (name, raw deflate stream, CRC, declared size) members, headers written as given (zipfile would
    write the true ones)."""
    out = io.BytesIO()
    central = []
    for name, body, crc, size in members:
        raw_name = name.encode()
        offset = out.tell()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(body), size, len(raw_name), 0))
        out.write(raw_name + body)
        central.append(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0,
                8,
                0,
                0,
                crc,
                len(body),
                size,
                len(raw_name),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + raw_name
        )
    start = out.tell()
    out.write(b"".join(central))
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), out.tell() - start, start, 0))
    return out.getvalue()


READER = """
import sys
from connectors.records import RejectedFile
from connectors.special_equipment import INSPECTION
try:
    INSPECTION.read(open(sys.argv[1], "rb").read())
    print("read")
except RejectedFile as exc:
    print(exc)
"""
# Linux carries a process's peak RSS across fork and exec, so a child of pytest would report pytest's
# own peak: a small launcher starts the reader and reports its child's peak alone (RUSAGE_CHILDREN).
LAUNCHER = """
import json, resource, subprocess, sys
done = subprocess.run([sys.executable, "-c", sys.argv[1], sys.argv[2]], capture_output=True, text=True, check=True)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"outcome": done.stdout.strip(), "peak_mb": peak}))
"""


def read_in_subprocess(path: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", LAUNCHER, READER, str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return json.loads(done.stdout)


def test_zip_bomb_of_a_gigabyte_is_rejected_before_inflating(tmp_path):
    path = tmp_path / "特种设备台账_20261130.xlsx"
    path.write_bytes(bomb_workbook(inflated=1 << 30, declared=1 << 30))
    assert path.stat().st_size < 2 << 20  # ~1 MB on disk, 1 GiB inflated
    result = read_in_subprocess(path)
    assert result["outcome"].startswith("too_large: the workbook inflates to 1,073,7"), result
    assert result["peak_mb"] < 300, result  # interpreter + openpyxl ≈ 40 MB; inflating would be > 1,000


def test_zip_bomb_that_lies_about_its_size_is_cut_at_the_declared_size(tmp_path):
    """zipfile stops a member at its declared size and then fails its CRC: memory stays bounded."""
    path = tmp_path / "特种设备台账_20261130.xlsx"
    path.write_bytes(bomb_workbook(inflated=1 << 30, declared=8 << 20))
    result = read_in_subprocess(path)
    assert result["outcome"].startswith("not_xlsx"), result
    assert result["peak_mb"] < 300, result


# -- a damaged member in a sheet the layout does not read: the workbook's other sheets (a notes sheet, one sheet
# per town) are never opened, by calamine or by the member check, so their damage costs no row of the layout's sheet;
# the layout's own sheet damaged is a named rejection ------------------------------------------------------------

# How a member's headers lie: a CRC that its bytes fail, or an uncompressed size below the bytes it inflates to.
DAMAGE = st.one_of(
    st.builds(lambda x: {"crc_xor": x}, st.integers(1, 0xFFFFFFFF)),
    st.builds(lambda d: {"size_delta": -d}, st.integers(1, 200)),
)


def inspection_rows(n: int) -> str:
    return header_row() + "".join(
        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>JY{r:06d}</t></is></c>'
        f'<c r="B{r}" t="inlineStr"><is><t>3110320585202301{r:04d}</t></is></c></row>'
        for r in range(2, n + 2)
    )


def two_sheet_workbook(rows: int, other_part: str, other_first: bool, damaged: str, damage: dict) -> bytes:
    """A workbook with the layout's sheet 检验记录 (`rows` records, part xl/worksheets/sheet1.xml) and a notes sheet
    说明 of 300 rows (part `other_part`, before or after it in the workbook); the member `damaged` lies as `damage`
    says."""
    notes = sheet(
        "".join(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>注{r}</t></is></c></row>' for r in range(1, 301))
    )
    entries = [("检验记录", "rId1", "worksheets/sheet1.xml"), ("说明", "rId2", other_part.removeprefix("xl/"))]
    if other_first:
        entries.reverse()
    members = {
        **parts(sheet(inspection_rows(rows))),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
            + "".join(
                f'<sheet name="{name}" sheetId="{i}" r:id="{rid}"/>' for i, (name, rid, _) in enumerate(entries, 1)
            )
            + "</sheets></workbook>"
        ).encode(),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            'package/2006/relationships">'
            + "".join(f'<Relationship Id="{rid}" Type="{REL}/worksheet" Target="{t}"/>' for _, rid, t in entries)
            + "</Relationships>"
        ).encode(),
        other_part: notes,
    }
    return raw_zip([deflated(name, data, **(damage if name == damaged else {})) for name, data in members.items()])


def calamine_reads(data: bytes, sheet_name: str) -> bool:
    from python_calamine import CalamineWorkbook

    try:
        CalamineWorkbook.from_object(io.BytesIO(data)).get_sheet_by_name(sheet_name).to_python()
    except Exception:
        return False
    return True


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.integers(1, 40),
    other_part=st.sampled_from(["xl/worksheets/sheet2.xml", "xl/worksheets/notes.xml", "xl/notes/sheet.xml"]),
    other_first=st.booleans(),
    damage=DAMAGE,
)
def test_a_damaged_sheet_the_layout_does_not_read_costs_no_row(rows, other_part, other_first, damage):
    data = two_sheet_workbook(rows, other_part, other_first, damaged=other_part, damage=damage)
    parsed = INSPECTION.read(data)
    assert [(r.number, r.values["报告编号"]) for r in parsed.records] == [(n, f"JY{n:06d}") for n in range(2, rows + 2)]
    # the damage is real: calamine fails on the notes sheet when asked for it, so the read above never opened it
    assert not calamine_reads(data, "说明")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.integers(1, 40), other_first=st.booleans(), damage=DAMAGE)
def test_a_damaged_layout_sheet_is_rejected_naming_the_sheet_and_its_member(rows, other_first, damage):
    data = two_sheet_workbook(
        rows, "xl/worksheets/sheet2.xml", other_first, damaged="xl/worksheets/sheet1.xml", damage=damage
    )
    reason = str(reads_or_rejects(data))
    assert reason.startswith("not_xlsx: sheet '检验记录' cannot be read"), reason
    assert "'xl/worksheets/sheet1.xml'" in reason, reason


# -- the shape scan guards calamine, which builds a sheet's whole rectangle and aborts the process when it
# cannot: every spelling of a far-away cell is found before calamine reads the sheet ------------------------


@pytest.mark.parametrize(
    ("rows", "rule"),
    [
        ('<row r="2">' + "<c><v>1</v></c>" * (LIMITS.max_columns + 1) + "</row>", "too_many_columns"),
        ('<row r="2"><c s="1" foo=">" r="XFD2"><v>1</v></c></row>', "too_many_columns"),
        (  # each row tag unlike the last, or the sheet would compress past the zip-bomb ratio
            '<row r="2"><c r="A2"><v>1</v></c></row>' + "".join(f'<row spans="{i}"/>' for i in range(LIMITS.max_rows)),
            "too_many_rows",
        ),
        ('<row r="2"><c r="A1048576"><v>1</v></c></row>', "too_many_rows"),
    ],
    ids=[
        "cells-without-references",
        "reference-after-a-quoted-bracket",
        "rows-without-references",
        "cell-below-its-row",
    ],
)
def test_far_cells_in_any_spelling_are_rejected_before_the_sheet_is_built(rows, rule):
    assert str(reads_or_rejects(zipped(parts(sheet(header_row() + rows))))).startswith(rule)


def test_prefixed_unreferenced_and_reordered_tags_read_as_the_plain_ones():
    """The same two records written three ways: as Excel does, with a namespace prefix and `r` last, and with no
    `r` at all (each row and cell follows the one before)."""
    values = [["JY1", "31103205852023010001", "定期检验"], ["JY2", "31103205852023010002", "首次检验"]]

    def spelled(how: str) -> bytes:
        rows = []
        for n, row in enumerate(values, start=2):
            cells = []
            for c, v in enumerate(row):
                ref = f"{chr(65 + c)}{n}"
                text = f"<is><t>{v}</t></is>" if how != "prefixed" else f"<x:is><x:t>{v}</x:t></x:is>"
                cells.append(
                    {
                        "plain": f'<c r="{ref}" t="inlineStr">{text}</c>',
                        "prefixed": f'<x:c t="inlineStr" s="0" r="{ref}">{text}</x:c>',
                        "unreferenced": f'<c t="inlineStr">{text}</c>',
                    }[how]
                )
            tag = "x:row" if how == "prefixed" else "row"
            attrs = "" if how == "unreferenced" else f' r="{n}"'
            rows.append(f"<{tag}{attrs}>{''.join(cells)}</{tag}>")
        body = "".join(rows)
        if how == "prefixed":
            head = header_row().replace("<row", "<x:row").replace("</row>", "</x:row>")
            head = head.replace("<c ", "<x:c ").replace("</c>", "</x:c>")
            head = head.replace("<is><t>", "<x:is><x:t>").replace("</t></is>", "</x:t></x:is>")
            return (
                f'<?xml version="1.0" encoding="UTF-8"?><x:worksheet xmlns:x="{MAIN}"><x:sheetData>{head}{body}'
                "</x:sheetData></x:worksheet>"
            ).encode()
        head = header_row() if how == "plain" else header_row().replace(' r="1"', "").replace(' r="', ' x="')
        return sheet(head + body)

    read = {how: INSPECTION.read(zipped(parts(spelled(how)))) for how in ("plain", "prefixed", "unreferenced")}
    assert [{k: v for k, v in r.values.items() if v is not None} for r in read["plain"].records] == [
        {"报告编号": "JY1", "注册代码": "31103205852023010001", "检验类别": "定期检验"},
        {"报告编号": "JY2", "注册代码": "31103205852023010002", "检验类别": "首次检验"},
    ]
    for how in ("prefixed", "unreferenced"):
        assert [(r.number, r.values) for r in read[how].records] == [
            (r.number, r.values) for r in read["plain"].records
        ]


def test_an_error_cell_is_kept_as_the_workbook_shows_it():
    rows = '<row r="2"><c r="A2" t="inlineStr"><is><t>JY1</t></is></c><c r="D2" t="e"><v>#N/A</v></c></row>'
    (record,) = INSPECTION.read(zipped(parts(sheet(header_row() + rows)))).records
    assert record.values["检验日期"] == "#N/A"

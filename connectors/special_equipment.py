"""System D — 特种设备安全监管平台 (市市场监督管理局): weekly XLSX workbook in `special_equipment/`.

Dropped by rename, so a visible workbook is complete; Office lock files `~$*.xlsx` are ignored. One
workbook carries two datasets, one per sheet.
"""

from __future__ import annotations

import re

from connectors.feeds import Completeness, FileFormat, LandingFeed
from connectors.spreadsheet import SheetLayout, WorkbookLimits

SOURCE_SYSTEM = "special_equipment"
WORKBOOK = re.compile(r"特种设备台账_\d{8}\.xlsx")

# Taicang's whole register is ~15,000 devices and ~18,000 inspections: a weekly workbook of ~2.4 MB that
# inflates to ~18 MB of XML (about 9-fold). The bounds leave more than tenfold room for growth, yet keep
# the worst workbook they admit within a few hundred MB of memory; past them the file is rejected whole
# with its reason (a zip bomb, a sheet with a million empty rows), before anything is inflated.
LIMITS = WorkbookLimits(
    max_uncompressed_bytes=256 * 2**20,
    max_compression_ratio=200,  # sheet XML deflates 5-20-fold, repetitive sheets ~100; zeros ~1000
    max_rows=300_000,  # blank rows count: they cost parsing time all the same
    max_columns=64,  # 15 documented columns + room for added ones
    max_merged_ranges=600_000,  # two per device at most (单位名称, 统一社会信用代码)
)


def _feed(entity: str, sheet: SheetLayout) -> LandingFeed:
    return LandingFeed(
        dataset=f"{SOURCE_SYSTEM}.{entity}",
        source_system=SOURCE_SYSTEM,
        folder="special_equipment",
        pattern=WORKBOOK,
        completeness=Completeness.VISIBLE,
        format=FileFormat.XLSX,
        sheet=sheet,
        ignore_prefixes=("~$",),
    )


EQUIPMENT = _feed(
    "equipment",
    SheetLayout(
        sheet="设备台账", limits=LIMITS, date_columns=frozenset({"检验信息/上次检验日期", "检验信息/下次检验日期"})
    ),
)
INSPECTION = _feed(
    "inspection", SheetLayout(sheet="检验记录", limits=LIMITS, date_columns=frozenset({"检验日期", "下次检验日期"}))
)

FEEDS = (EQUIPMENT, INSPECTION)
TITLES = {EQUIPMENT.dataset: "设备台账 (special equipment register)", INSPECTION.dataset: "检验记录 (inspections)"}

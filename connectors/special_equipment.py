"""System D — 特种设备安全监管平台 (市市场监督管理局): weekly XLSX workbook in `special_equipment/`.

Dropped by rename, so a visible workbook is complete; Office lock files `~$*.xlsx` are ignored. One
workbook carries two datasets, one per sheet.
"""

from __future__ import annotations

import re

from connectors.feeds import Completeness, FileFormat, LandingFeed
from connectors.spreadsheet import SheetLayout

SOURCE_SYSTEM = "special_equipment"
WORKBOOK = re.compile(r"特种设备台账_\d{8}\.xlsx")


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
    SheetLayout(sheet="设备台账", date_columns=frozenset({"检验信息/上次检验日期", "检验信息/下次检验日期"})),
)
INSPECTION = _feed("inspection", SheetLayout(sheet="检验记录", date_columns=frozenset({"检验日期", "下次检验日期"})))

FEEDS = (EQUIPMENT, INSPECTION)
TITLES = {EQUIPMENT.dataset: "设备台账 (special equipment register)", INSPECTION.dataset: "检验记录 (inspections)"}

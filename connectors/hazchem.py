"""System A — 危险化学品全流程监管系统 (市应急管理局): daily CSV files in `hazchem/YYYYMMDD/`.

GB18030 (some days UTF-8 with BOM), comma-separated, `"` quoting; each file is complete once its
`NAME.ok` marker exists.
"""

from __future__ import annotations

import re

from connectors.feeds import Completeness, FileFormat, LandingFeed

SOURCE_SYSTEM = "hazchem"

ENTERPRISE = LandingFeed(
    dataset="hazchem.enterprise",
    source_system=SOURCE_SYSTEM,
    folder="hazchem",
    pattern=re.compile(r"\d{8}/QYXX_\d{8}\.csv"),
    completeness=Completeness.MARKER,
    format=FileFormat.CSV,
)

WAYBILL = LandingFeed(
    dataset="hazchem.waybill",
    source_system=SOURCE_SYSTEM,
    folder="hazchem",
    pattern=re.compile(r"\d{8}/DZYD_\d{8}\.csv"),
    completeness=Completeness.MARKER,
    format=FileFormat.CSV,
)

FEEDS = (ENTERPRISE, WAYBILL)
TITLES = {ENTERPRISE.dataset: "企业信息 (hazchem enterprises)", WAYBILL.dataset: "电子运单 (hazchem waybills)"}

"""System A — 危险化学品全流程监管系统 (市应急管理局): daily CSV files in `hazchem/YYYYMMDD/`."""

from __future__ import annotations

import re

from connectors.feeds import Completeness, LandingFeed

SOURCE_SYSTEM = "hazchem"

ENTERPRISE = LandingFeed(
    dataset="hazchem.enterprise",
    source_system=SOURCE_SYSTEM,
    folder="hazchem",
    pattern=re.compile(r"\d{8}/QYXX_\d{8}\.csv"),
    completeness=Completeness.MARKER,
)

FEEDS = (ENTERPRISE,)

"""System C — 智慧工地监管平台 (市住房和城乡建设局): hourly JSON Lines in `construction/`.

The vendor writes files in place with no marker: a file is complete once it has not changed for the
quiet period (SDC_LANDING_QUIET_SECONDS).
"""

from __future__ import annotations

import re

from connectors.feeds import Completeness, FileFormat, LandingFeed

SOURCE_SYSTEM = "construction"


def _feed(entity: str, prefix: str) -> LandingFeed:
    return LandingFeed(
        dataset=f"{SOURCE_SYSTEM}.{entity}",
        source_system=SOURCE_SYSTEM,
        folder="construction",
        pattern=re.compile(rf"{prefix}_\d{{10}}\.jsonl"),
        completeness=Completeness.QUIET,
        format=FileFormat.JSONL,
    )


PROJECT = _feed("project", "projects")
DEVICE = _feed("device", "devices")
ALARM = _feed("alarm", "alarms")

FEEDS = (PROJECT, DEVICE, ALARM)
TITLES = {
    PROJECT.dataset: "在建项目 (construction projects)",
    DEVICE.dataset: "塔吊/升降机设备 (site cranes and hoists)",
    ALARM.dataset: "设备报警 (site device alarms)",
}

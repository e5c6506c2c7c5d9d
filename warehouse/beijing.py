"""Times shown to people are Beijing time, and say so. The lake stores instants (TIMESTAMPTZ); every listing and
message converts them here, whatever zone the machine or the DuckDB session is in."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")


def beijing(at: datetime, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """`at` as Beijing wall-clock time (a naive value is an instant in UTC, as the lake's logs write them)."""
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(BEIJING).strftime(fmt)


def labelled(at: datetime, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """`at` in Beijing time with its label, for a message: 2026-05-01 18:00 (Beijing)."""
    return f"{beijing(at, fmt)} (Beijing)"

"""Text as delivered -> typed values, tolerant of the formats departments actually send (domain_dictionary §9)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta

NULL_TOKENS = frozenset({"", "无", "暂无", "/", "-", "—", "null", "NULL", "None", "N/A", "不详", "未知"})

_DATETIME = re.compile(
    r"(?P<y>\d{4})[-/.年](?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})日?"
    r"(?:[ T](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?)?"
)
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")
_INTEGER = re.compile(r"[-+]?\d+")
EXCEL_EPOCH = date(1899, 12, 30)


def clean_text(value: object, keep: frozenset[str] = frozenset()) -> str | None:
    """Trimmed text, or None for an empty / null token (unless the token is a real code, e.g. 无)."""
    if value is None:
        return None
    text = str(value).strip().strip("\u3000")
    if text in keep:
        return text
    return None if text in NULL_TOKENS else text


def parse_datetime(text: str) -> datetime | None:
    m = _DATETIME.fullmatch(unicodedata.normalize("NFKC", text).strip())
    if not m:
        return None
    try:
        return datetime(int(m["y"]), int(m["m"]), int(m["d"]), int(m["H"] or 0), int(m["M"] or 0), int(m["S"] or 0))
    except ValueError:
        return None


def parse_date(text: str) -> date | None:
    text = unicodedata.normalize("NFKC", text).strip()
    if re.fullmatch(r"\d{5}(?:\.0+)?", text):  # Excel serial day number
        serial = int(float(text))
        return EXCEL_EPOCH + timedelta(days=serial) if 20000 <= serial <= 80000 else None
    if re.fullmatch(r"\d{8}", text):
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    parsed = parse_datetime(text)
    return parsed.date() if parsed else None


def _numeric_text(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip().replace(",", "")
    return re.sub(r"\s*(吨|t|T|kg|公斤)$", "", text)


def parse_number(text: str) -> float | None:
    text = _numeric_text(text)
    return float(text) if _NUMBER.fullmatch(text) else None


def parse_integer(text: str) -> int | None:
    text = _numeric_text(text)
    if _INTEGER.fullmatch(text):
        return int(text)
    if _NUMBER.fullmatch(text) and float(text).is_integer():
        return int(float(text))
    return None


PARSERS = {
    "integer": parse_integer,
    "number": parse_number,
    "date": parse_date,
    "timestamp": parse_datetime,
}

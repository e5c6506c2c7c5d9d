"""Text as delivered -> typed values, tolerant of the formats departments actually send (domain_dictionary §9).

Scalar parsers are the specification (unit-tested on every observed format); the column functions
apply them to a whole batch: a vectorised fast path for the canonical format of the column, and the
scalar parser once per distinct leftover value.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone

import numpy as np
import pandas as pd

NULL_TOKENS = frozenset({"", "无", "暂无", "/", "-", "—", "null", "NULL", "None", "N/A", "不详", "未知"})
BEIJING_TZ = timezone(timedelta(hours=8))

_DATETIME = re.compile(
    r"(?P<y>\d{4})[-/.年](?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})日?"
    r"(?:[ T](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?)?"
    r"(?P<tz>Z|[+-]\d{2}:?\d{2})?"
)
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")
_INTEGER = re.compile(r"[-+]?\d+")
_HAS_TIME = re.compile(r"\d:\d\d")
EXCEL_EPOCH = date(1899, 12, 30)


def clean_text(value: object, keep: frozenset[str] = frozenset()) -> str | None:
    """Trimmed text, or None for an empty / null token (unless the token is a real code, e.g. 无)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = str(value).strip()
    if text in keep:
        return text
    return None if text in NULL_TOKENS else text


def parse_datetime(text: str) -> datetime | None:
    """Naive for a wall-clock value; aware (fixed offset) when the text carries Z or an offset."""
    m = _DATETIME.fullmatch(unicodedata.normalize("NFKC", text).strip())
    if not m:
        return None
    try:
        value = datetime(int(m["y"]), int(m["m"]), int(m["d"]), int(m["H"] or 0), int(m["M"] or 0), int(m["S"] or 0))
    except ValueError:
        return None
    if m["tz"]:
        if m["tz"] == "Z":
            return value.replace(tzinfo=UTC)
        sign = 1 if m["tz"][0] == "+" else -1
        digits = m["tz"][1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        return value.replace(tzinfo=timezone(sign * offset))
    return value


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


# -- whole columns ---------------------------------------------------------------------------------------------


def clean_column(raw: pd.Series, keep: frozenset[str] = frozenset()) -> pd.Series:
    """Object Series of trimmed text, None for missing values and null tokens."""
    out = pd.Series(None, index=raw.index, dtype=object)
    present = raw.notna()
    if present.any():
        text = raw[present].astype(str).str.strip()
        null = text.isin(NULL_TOKENS - keep)
        out[present] = text.where(~null, None).astype(object)
    return out


def per_value(text: pd.Series, fn: Callable[[str], object]) -> pd.Series:
    """fn applied once per distinct non-null value; None where the text is None."""
    out = pd.Series(None, index=text.index, dtype=object)
    present = text.dropna()
    if len(present):
        results = {v: fn(v) for v in pd.unique(present)}
        out[present.index] = np.array([results[v] for v in present], dtype=object)
    return out


def has_time(text: pd.Series) -> pd.Series:
    """True where a timestamp was delivered with a time of day (not just a date)."""
    return text.fillna("").astype(str).str.contains(_HAS_TIME)


def _with_fallback(text: pd.Series, fast: pd.Series, slow: Callable[[str], object]) -> pd.Series:
    leftover = text.notna() & fast.isna()
    if leftover.any():
        fast = fast.astype(object)
        fast[leftover] = per_value(text[leftover], slow)
    return fast


def _to_utc(value: datetime | None) -> pd.Timestamp | None:
    if value is None:
        return None
    return pd.Timestamp(value if value.tzinfo else value.replace(tzinfo=UTC)).tz_convert("UTC")


def _to_beijing_wallclock(value: datetime | None) -> pd.Timestamp | None:
    if value is None:
        return None
    return pd.Timestamp(value.astimezone(BEIJING_TZ).replace(tzinfo=None) if value.tzinfo else value)


def parse_column(text: pd.Series, logical_type: str, timezone_name: str = "Asia/Shanghai") -> pd.Series:
    """Typed values of one cleaned text column (None / NaN / NaT where the text is missing or unparseable)."""
    if logical_type in ("integer", "number"):
        fast = pd.to_numeric(text, errors="coerce")
        if logical_type == "integer":
            fast = fast.where(fast.isna() | (fast % 1 == 0))
        slow = parse_integer if logical_type == "integer" else parse_number
        values = pd.to_numeric(_with_fallback(text, fast, slow), errors="coerce")
        return values.astype("Int64") if logical_type == "integer" else values.astype("float64")
    if logical_type == "date":
        fast = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
        values = _with_fallback(text, fast, parse_date)
        return pd.to_datetime(values, errors="coerce").dt.normalize()
    if logical_type == "timestamp":
        if timezone_name == "UTC":
            fast = pd.to_datetime(text, format="%Y-%m-%dT%H:%M:%SZ", errors="coerce", utc=True)
            values = _with_fallback(text, fast, lambda v: _to_utc(parse_datetime(v)))
            return pd.to_datetime(values, errors="coerce", utc=True)
        fast = pd.to_datetime(text, format="%Y-%m-%d %H:%M:%S", errors="coerce")
        values = _with_fallback(text, fast, lambda v: _to_beijing_wallclock(parse_datetime(v)))
        return pd.to_datetime(values, errors="coerce")
    if logical_type == "boolean":
        return per_value(text, lambda v: {"是": True, "否": False, "true": True, "false": False}.get(v.lower()))
    return text

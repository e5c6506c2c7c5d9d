"""Domain checks behind the contracts' custom rules: identifiers with check characters, towns, coordinates.

Pure functions over one normalised value (None means "not applicable", never a failure); the
validator turns each into a derived boolean column that a stock GX expectation checks.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: no I O S V Z
USCC_WEIGHTS = [pow(3, i, 31) for i in range(17)]
USCC_SHAPE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}")
ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]
ID_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]

TAICANG_BOX = {"lon": (120.97, 121.33), "lat": (31.33, 31.75)}

# Town names as written by the departments -> the canonical town (domain_dictionary §2.10).
TOWNS = (
    "城厢镇", "沙溪镇", "浏河镇", "浮桥镇", "璜泾镇", "双凤镇",
    "娄东街道", "陆渡街道", "太仓港经济技术开发区", "科教新城", "高新区",
)  # fmt: skip
TOWN_ALIASES = {"港区": "太仓港经济技术开发区", "新区": "高新区", "城厢": "城厢镇"}


def normalize_code(value: str) -> str:
    """NFKC (full-width -> half-width), upper case, no spaces or hyphens: how identifiers are compared."""
    return unicodedata.normalize("NFKC", value).strip().upper().replace("-", "").replace(" ", "")


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31]


def is_uscc_shape(code: str) -> bool:
    return len(code) == 18 and bool(USCC_SHAPE.fullmatch(code))


def uscc_valid(code: str) -> bool:
    code = normalize_code(code)
    return is_uscc_shape(code) and uscc_check_char(code[:17]) == code[17]


def org_check_char(body8: str) -> str:
    total = sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(body8, ORG_WEIGHTS, strict=True))
    r = 11 - total % 11
    return {10: "X", 11: "0"}.get(r, str(r))


def org_code_valid(code: str) -> bool:
    code = normalize_code(code)
    return bool(re.fullmatch(r"[0-9A-Z]{8}[0-9X]", code)) and org_check_char(code[:8]) == code[8]


def regno15_check_digit(first14: str) -> str:
    p = 10
    for ch in first14:
        s = (int(ch) + p) % 10 or 10
        p = (s * 2) % 11
    return str((11 - p) % 10)


def regno15_valid(code: str) -> bool:
    code = normalize_code(code)
    return bool(re.fullmatch(r"\d{15}", code)) and regno15_check_digit(code[:14]) == code[14]


def id_check_char(first17: str) -> str:
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def id_number_valid(code: str) -> bool:
    code = normalize_code(code)
    if not re.fullmatch(r"\d{17}[\dX]", code) or id_check_char(code[:17]) != code[17]:
        return False
    try:
        born = date(int(code[6:10]), int(code[10:12]), int(code[12:14]))
    except ValueError:
        return False
    return born <= date.today()


def cas_valid(cas: str) -> bool:
    m = re.fullmatch(r"(\d{2,7})-(\d{2})-(\d)", unicodedata.normalize("NFKC", cas).strip())
    if not m:
        return False
    digits = (m.group(1) + m.group(2))[::-1]
    return sum(int(d) * (i + 1) for i, d in enumerate(digits)) % 10 == int(m.group(3))


def classify_enterprise_identifier(value: str) -> str:
    """Shape of what sits in a USCC column: uscc, regno15, org_code or unknown."""
    code = normalize_code(value)
    if len(code) == 18 and is_uscc_shape(code):
        return "uscc"
    if re.fullmatch(r"\d{15}", code):
        return "regno15"
    if re.fullmatch(r"[0-9A-Z]{8}[0-9X]", code):
        return "org_code"
    return "unknown"


def canonical_town(value: str) -> str | None:
    name = unicodedata.normalize("NFKC", value).strip()
    if name in TOWNS:
        return name
    return TOWN_ALIASES.get(name)


def in_taicang(lon: float, lat: float) -> bool:
    (lon_lo, lon_hi), (lat_lo, lat_hi) = TAICANG_BOX["lon"], TAICANG_BOX["lat"]
    return lon_lo <= lon <= lon_hi and lat_lo <= lat <= lat_hi


def fix_coordinates(lon: float, lat: float) -> tuple[float, float, bool] | None:
    """(lon, lat, swapped) inside Taicang, swapping a swapped pair back; None when neither order fits."""
    if in_taicang(lon, lat):
        return lon, lat, False
    if in_taicang(lat, lon):
        return lat, lon, True
    return None


def not_in_future(value: datetime | date, now: datetime) -> bool:
    if isinstance(value, datetime):
        return value <= now
    return value <= now.date()

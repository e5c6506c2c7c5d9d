"""Domain checks behind the contracts' custom rules: identifiers with check characters, towns, coordinates.

Pure functions over one value (None means "not applicable", never a failure): an identifier or a plate as
data_contracts.normalise made it, which validation does once per value; the validator turns each into a derived
boolean column that a stock GX expectation checks.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from datetime import date
from pathlib import Path

import numpy as np

from data_contracts.normalise import NEV_PLATE_RE, PLATE_RE, PROVINCELESS_RE, PROVINCES

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: no I O S V Z
USCC_WEIGHTS = [pow(3, i, 31) for i in range(17)]
USCC_SHAPE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}")
ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]
ID_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]

TAICANG_BOX = {"lon": (120.97, 121.33), "lat": (31.33, 31.75)}

# The canonical towns (domain_dictionary §2.10) are the dbt seed the models' relationships tests use; the
# names departments also write for them are mapped here, at validation, once.
TOWNS_SEED = Path(__file__).resolve().parents[1] / "dbt_project" / "seeds" / "towns.csv"
with TOWNS_SEED.open(encoding="utf-8", newline="") as _seed:
    TOWNS = tuple(row["town"] for row in csv.DictReader(_seed))
TOWN_ALIASES = {"港区": "太仓港经济技术开发区", "新区": "高新区", "城厢": "城厢镇"}


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31]


def is_uscc_shape(code: str) -> bool:
    return len(code) == 18 and bool(USCC_SHAPE.fullmatch(code))


def uscc_valid(code: str) -> bool:
    return is_uscc_shape(code) and uscc_check_char(code[:17]) == code[17]


def org_check_char(body8: str) -> str:
    total = sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(body8, ORG_WEIGHTS, strict=True))
    r = 11 - total % 11
    return {10: "X", 11: "0"}.get(r, str(r))


def org_code_valid(code: str) -> bool:
    return bool(re.fullmatch(r"[0-9A-Z]{8}[0-9X]", code)) and org_check_char(code[:8]) == code[8]


def regno15_check_digit(first14: str) -> str:
    p = 10
    for ch in first14:
        s = (int(ch) + p) % 10 or 10
        p = (s * 2) % 11
    return str((11 - p) % 10)


def regno15_valid(code: str) -> bool:
    return bool(re.fullmatch(r"\d{15}", code)) and regno15_check_digit(code[:14]) == code[14]


def id_check_char(first17: str) -> str:
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def id_number_valid(code: str) -> bool:
    if not re.fullmatch(r"\d{17}[\dX]", code) or id_check_char(code[:17]) != code[17]:
        return False
    try:
        born = date(int(code[6:10]), int(code[10:12]), int(code[12:14]))
    except ValueError:
        return False
    return born <= date.today()


def one_character_apart(a: str, b: str) -> bool:
    return len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) == 1


def cas_valid(cas: str) -> bool:
    m = re.fullmatch(r"(\d{2,7})-(\d{2})-(\d)", unicodedata.normalize("NFKC", cas).strip())
    if not m:
        return False
    digits = (m.group(1) + m.group(2))[::-1]
    return sum(int(d) * (i + 1) for i, d in enumerate(digits)) % 10 == int(m.group(3))


def canonical_town(value: str) -> str | None:
    name = unicodedata.normalize("NFKC", value).strip()
    if name in TOWNS:
        return name
    return TOWN_ALIASES.get(name)


# --- vehicle plates (GA 36-2018; domain_dictionary §2.5, Appendix A; shapes in data_contracts.normalise) ------
def plate_valid(plate: str) -> bool:
    return bool(PLATE_RE.fullmatch(plate) or NEV_PLATE_RE.fullmatch(plate))


def plate_without_province(plate: str) -> bool:
    """A normalised plate that is a GA 36 plate but for its missing province character (`E6B123`)."""
    return bool(PROVINCELESS_RE.fullmatch(plate))


def plate_has_province(plate: str) -> bool:
    """False only for a readable plate that lacks its province character (plate_format judges the rest)."""
    return not plate_without_province(plate)


# --- 特种设备目录 (2014) category codes and the three device numbers (domain_dictionary §2.8, §2.9) -------------
# code -> official name; 种类 end in 000, 类别 in 00. Abbreviated names used in some exports are aliases.
SE_CATALOGUE = {
    "1000": "锅炉", "1100": "承压蒸汽锅炉", "1200": "承压热水锅炉", "1300": "有机热载体锅炉",
    "1310": "有机热载体气相炉", "1320": "有机热载体液相炉",
    "2000": "压力容器", "2100": "固定式压力容器", "2110": "超高压容器", "2130": "第三类压力容器",
    "2150": "第二类压力容器", "2170": "第一类压力容器", "2200": "移动式压力容器", "2210": "铁路罐车",
    "2220": "汽车罐车", "2230": "长管拖车", "2240": "罐式集装箱", "2250": "管束式集装箱", "2300": "气瓶",
    "2310": "无缝气瓶", "2320": "焊接气瓶", "23T0": "特种气瓶", "2400": "氧舱", "2410": "医用氧舱",
    "2420": "高气压舱",
    "3000": "电梯", "3100": "曳引与强制驱动电梯", "3110": "曳引驱动乘客电梯", "3120": "曳引驱动载货电梯",
    "3130": "强制驱动载货电梯", "3200": "液压驱动电梯", "3210": "液压乘客电梯", "3220": "液压载货电梯",
    "3300": "自动扶梯与自动人行道", "3310": "自动扶梯", "3320": "自动人行道", "3400": "其它类型电梯",
    "3410": "防爆电梯", "3420": "消防员电梯", "3430": "杂物电梯",
    "4000": "起重机械", "4100": "桥式起重机", "4110": "通用桥式起重机", "4130": "防爆桥式起重机",
    "4140": "绝缘桥式起重机", "4150": "冶金桥式起重机", "4170": "电动单梁起重机", "4190": "电动葫芦桥式起重机",
    "4200": "门式起重机", "4210": "通用门式起重机", "4220": "防爆门式起重机", "4230": "轨道式集装箱门式起重机",
    "4240": "轮胎式集装箱门式起重机", "4250": "岸边集装箱起重机", "4260": "造船门式起重机",
    "4270": "电动葫芦门式起重机", "4280": "装卸桥", "4290": "架桥机", "4300": "塔式起重机",
    "4310": "普通塔式起重机", "4320": "电站塔式起重机", "4400": "流动式起重机", "4410": "轮胎起重机",
    "4420": "履带起重机", "4440": "集装箱正面吊运起重机", "4450": "铁路起重机", "4700": "门座式起重机",
    "4710": "门座起重机", "4760": "固定式起重机", "4800": "升降机", "4860": "施工升降机", "4870": "简易升降机",
    "4900": "缆索式起重机", "4A00": "桅杆式起重机", "4D00": "机械式停车设备",
    "5000": "场（厂）内专用机动车辆", "5100": "机动工业车辆", "5110": "叉车", "5200": "非公路用旅游观光车辆",
    "6000": "大型游乐设施", "7000": "压力管道元件", "8000": "压力管道", "8100": "长输管道", "8200": "公用管道",
    "8300": "工业管道", "9000": "客运索道", "9100": "客运架空索道", "9200": "客运缆车", "9300": "客运拖牵索道",
    "F000": "安全附件",
}  # fmt: skip
SE_NAME_ALIASES = {
    "通用桥式": "4110", "通用门式": "4210", "防爆桥式": "4130", "绝缘桥式": "4140", "冶金桥式": "4150",
    "电动单梁": "4170", "电动葫芦桥式": "4190", "防爆门式": "4220", "场(厂)内专用机动车辆": "5000",
    "场内专用机动车辆": "5000", "其他类型电梯": "3400",
}  # fmt: skip
SE_CODE_BY_NAME = {name: code for code, name in SE_CATALOGUE.items()} | SE_NAME_ALIASES
USE_CERT_CHARS = "梯起车锅容瓶管索游"
USE_CERT_RE = re.compile(rf"[{USE_CERT_CHARS}]\d{{2}}[{PROVINCES}][A-Z]\d{{4,5}}\(\d{{2}}\)")


def se_category_code(value: str) -> str | None:
    """Catalogue code of `3110 曳引驱动乘客电梯`, `3110` or `曳引驱动乘客电梯`; None if unknown or inconsistent."""
    text = unicodedata.normalize("NFKC", value).strip()
    m = re.fullmatch(r"([0-9][0-9A-Z]{3})\s*(.*)", text)
    code, name = (m.group(1), m.group(2).strip()) if m else (None, text)
    by_name = SE_CODE_BY_NAME.get(name) if name else None
    if code is None:
        return by_name
    if code not in SE_CATALOGUE or (name and by_name != code):
        return None
    return code


def se_is_kind(code: str) -> bool:
    """种类 level (X000) of the catalogue."""
    return code.endswith("000")


def reg_code_valid(value: str) -> bool:
    """注册代码: 20 digits = catalogue code + 6-digit admin code + YYYYMM + 4-digit serial from 0001.

    A registration code that went through an Excel number cell keeps only 15 significant digits: the serial
    becomes 0000 (and the value often turns into 3.11032e+19), which this rejects."""
    code = unicodedata.normalize("NFKC", value).strip()
    if not re.fullmatch(r"\d{20}", code) or code[:4] not in SE_CATALOGUE:
        return False
    year, month = int(code[10:14]), int(code[14:16])
    return 1950 <= year <= date.today().year and 1 <= month <= 12 and code[16:] != "0000"


def equipment_code_valid(code: str) -> bool:
    """设备代码 (TSG 08): 4-char catalogue code + 5-digit manufacturer + 4-digit year + 5-char serial."""
    return (
        bool(re.fullmatch(r"[0-9][0-9A-Z]{3}\d{9}[0-9A-Z]{5}", code))
        and code[:4] in SE_CATALOGUE
        and 1950 <= int(code[9:13]) <= date.today().year
    )


def use_cert_valid(code: str) -> bool:
    """使用登记证编号 like 梯11苏E03622(16): category char + 2 digits + province + city letter + serial + (yy)."""
    return bool(USE_CERT_RE.fullmatch(code))


# --- other identifiers ----------------------------------------------------------------------------------------
def un_number_ok(code: str) -> bool:
    """UN number as validation normalises it (the often dropped `UN` prefix put back): UN + 4 digits."""
    return bool(re.fullmatch(r"UN\d{4}", code))


# --- whole-column versions of the check-character rules (same arithmetic, numpy over code points) -------------
def _char_values(codes: list[str], width: int, alphabet: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """(values, ok): per code, the alphabet value of each of its `width` characters; ok = right length and alphabet."""
    arr = np.array(codes, dtype=f"<U{width + 1}")
    points = arr.view(np.uint32).reshape(len(codes), width + 1)
    table = np.full(128, -1, dtype=np.int64)
    for ch, v in alphabet.items():
        table[ord(ch)] = v
    values = np.where(points[:, :width] < 128, table[np.minimum(points[:, :width], 127)], -1)
    ok = (points[:, width] == 0) & (values >= 0).all(axis=1)
    return values, ok


USCC_VALUES = {c: i for i, c in enumerate(USCC_CHARS)}


def uscc_valid_many(codes: list[str]) -> np.ndarray:
    """uscc_valid over a list of normalised codes."""
    if not codes:
        return np.zeros(0, dtype=bool)
    values, ok = _char_values(codes, 18, USCC_VALUES)
    digits_ok = (values[:, 2:8] < 10).all(axis=1)
    total = (values[:, :17] * np.array(USCC_WEIGHTS)).sum(axis=1)
    return ok & digits_ok & ((31 - total % 31) % 31 == values[:, 17])


def id_check_ok_many(codes: list[str]) -> np.ndarray:
    """The GB 11643 check character of each normalised 18-character code (birth date checked separately)."""
    if not codes:
        return np.zeros(0, dtype=bool)
    values, ok = _char_values(codes, 18, {str(d): d for d in range(10)} | {"X": 10})
    body_ok = (values[:, :17] < 10).all(axis=1)
    expected = np.array([10 if c == "X" else int(c) for c in "10X98765432"])
    total = (values[:, :17] * np.array(ID_WEIGHTS)).sum(axis=1)
    return ok & body_ok & (expected[total % 11] == values[:, 17])

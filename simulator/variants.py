"""Perturbations applied to clean values (domain dictionary §8.6 recipe)."""

from __future__ import annotations

import datetime as dt
import random

from . import ids
from . import reference as ref
from .truth import Drawer
from .world import Enterprise

NAME_GROUP = ["name_short", "name_prefix_variant", "name_youxian_variant"]
USCC_GROUP = [
    "uscc_missing",
    "uscc_regno15",
    "uscc_orgcode",
    "uscc_lowercase",
    "uscc_fullwidth",
    "uscc_bad_check",
    "uscc_garbage",
    "uscc_spaces",
]
# spec-only variants come last in each group: at rate 0 they never change the draws of the others
PLATE_GROUP = [
    "plate_dot",
    "plate_space",
    "plate_lowercase",
    "plate_colour_glued",
    "plate_invalid",
    "plate_hyphen",
    "plate_katakana_dot",
    "plate_period",
    "plate_fullwidth",
    "plate_colour_prefix",
    "plate_colour_paren",
    "plate_colour_code",
    "plate_letter_o",
    "plate_no_province",
]
COLOUR_CODE = {"黄": 2, "黄绿": 93, "蓝": 1, "绿": 5, "渐变绿": 94}


def ent_name(dr: Drawer, r: random.Random, ent: Enterprise, t: dt.datetime, out: list[str]) -> str:
    base = ent.name_at(t)
    renamed = bool(ent.renamed_from and ent.rename_date and t >= ent.rename_date)
    if dr.hit(r, "name_old", out, eligible=renamed):
        base = ent.renamed_from or base
    q = dr.pick(r, NAME_GROUP if ent.category != "institution" else NAME_GROUP[1:2], out)
    if q == "name_short":
        base = ent.short
    elif q == "name_prefix_variant":
        if base.startswith("太仓市"):
            base = base[3:]
        elif base.startswith("太仓"):
            base = "太仓市" + base[2:]
        else:
            base = "江苏省" + base if not base.startswith("江苏") else base[2:]
    elif q == "name_youxian_variant":
        if "有限责任公司" in base:
            base = base.replace("有限责任公司", "有限公司", 1)
        elif "有限公司" in base:
            base = base.replace("有限公司", "有限责任公司", 1)
        else:
            base = base + "有限公司"
    has_br = "（" in base or "(" in base
    if dr.hit(r, "name_fullwidth_brackets", out, eligible=has_br):
        if "（" in base:
            base = base.replace("（", "(").replace("）", ")")
        else:
            base = base.replace("(", "（").replace(")", "）")
    if dr.hit(r, "name_trailing_space", out):
        base = base + "\u3000"
    trad = base.translate(ref.TRAD)
    if dr.hit(r, "name_traditional", out, eligible=trad != base):
        base = trad
    return base


def ent_code(dr: Drawer, r: random.Random, ent: Enterprise, out: list[str]) -> str:
    code = ent.uscc
    group = [
        q
        for q in USCC_GROUP
        if not (q == "uscc_regno15" and not ent.regno15)
        and not (q == "uscc_lowercase" and not any(c.isalpha() for c in code))
    ]
    q = dr.pick(r, group, out)
    if q is None:
        return code
    if q == "uscc_missing":
        return ""
    if q == "uscc_regno15":
        return ent.regno15 or ""
    if q == "uscc_orgcode":
        return ent.org9 if r.random() < 0.4 else f"{ent.org9[:8]}-{ent.org9[8]}"
    if q == "uscc_lowercase":
        return code.lower()
    if q == "uscc_fullwidth":
        return code[:-1] + ids.to_fullwidth(code[-1])
    if q == "uscc_bad_check":
        return ids.wrong_check_char(code, ids.USCC_CHARS)
    if q == "uscc_spaces":
        return f"{code[:4]} {code[4:8]} {code[8:12]} {code[12:]}"
    # garbage: a truncated code of a length that matches no known shape
    return code[: r.choice([11, 12, 13, 14, 16, 17])]


def ent_mention(
    dr: Drawer, r: random.Random, ent: Enterprise, t: dt.datetime, with_code: bool = True
) -> tuple[str, str, list[str]]:
    q: list[str] = []
    name = ent_name(dr, r, ent, t, q)
    code = ent_code(dr, r, ent, q) if with_code else ""
    return name, code, q


def plate_variant(dr: Drawer, r: random.Random, plate: str, colour_word: str, out: list[str]) -> str:
    local = plate.startswith(("苏E", "苏U"))  # §2.5.5: the province is dropped for local vehicles
    serial0 = "0" in plate[2:]
    group = [
        q
        for q in PLATE_GROUP
        if not (q == "plate_no_province" and not local) and not (q == "plate_letter_o" and not serial0)
    ]
    q = dr.pick(r, group, out)
    if q == "plate_dot":
        return plate[:2] + "·" + plate[2:]
    if q == "plate_space":
        return plate[:2] + " " + plate[2:]
    if q == "plate_lowercase":
        return plate.lower()
    if q == "plate_colour_glued":
        return plate + colour_word
    if q == "plate_invalid":
        p = plate
        while ids.plate_valid(p) and len(p) > 3:
            p = p[:2] + p[3:]
        return p
    if q == "plate_hyphen":
        return plate[:2] + "-" + plate[2:]
    if q == "plate_katakana_dot":
        return plate[:2] + "\u30fb" + plate[2:]
    if q == "plate_period":
        return plate[:2] + "." + plate[2:]
    if q == "plate_fullwidth":
        return ids.to_fullwidth(plate)
    if q == "plate_colour_prefix":
        return colour_word + plate
    if q == "plate_colour_paren":
        return f"{plate}({colour_word})"
    if q == "plate_colour_code":
        return f"{plate}_{COLOUR_CODE[colour_word]}"
    if q == "plate_letter_o":
        return plate[:2] + plate[2:].replace("0", "O", 1)
    if q == "plate_no_province":
        return plate[1:]
    return plate


def id_variant(dr: Drawer, r: random.Random, idno: str, out: list[str]) -> str:
    group = ["id_bad_check"] if not idno.endswith("X") else ["id_lowercase_x", "id_bad_check"]
    q = dr.pick(r, [*group, "id_fullwidth"], out)
    if q == "id_lowercase_x":
        return idno[:-1] + "x"
    if q == "id_fullwidth":
        return ids.to_fullwidth(idno)
    if q == "id_bad_check":
        return ids.break_check(idno, "0123456789", r, ids.id_valid)
    return idno


def town_variant(dr: Drawer, r: random.Random, town: str, out: list[str]) -> str:
    group = ["town_alias", "town_unknown"] if town in ref.ALIAS_OF else ["town_unknown"]
    q = dr.pick(r, group, out)
    if q == "town_alias":
        return ref.ALIAS_OF[town]
    if q == "town_unknown":
        return r.choice(ref.UNKNOWN_TOWNS)
    return town


def coords_variant(dr: Drawer, r: random.Random, lon: float, lat: float, out: list[str]) -> tuple[float, float]:
    q = dr.pick(r, ["coords_swapped", "coords_out_of_box"], out)
    if q == "coords_swapped":
        return lat, lon
    if q == "coords_out_of_box":
        return round(lon - r.choice([1.0, 2.5, 10.0]), 6), lat
    return lon, lat


def dt_slash(t: dt.datetime) -> str:
    return f"{t.year}/{t.month}/{t.day} {t.hour}:{t.minute:02d}"


def date_cn(t: dt.date) -> str:
    return f"{t.year}年{t.month}月{t.day}日"


def date_dot(t: dt.date) -> str:
    return f"{t.year}.{t.month}.{t.day}"


def excel_serial(d: dt.date) -> int:
    return (d - dt.date(1899, 12, 30)).days


def side_rng(*parts: object) -> random.Random:
    """A stream of its own for the spec-only variants of one record: drawing them never shifts the
    draws of the other profiles (same seed, same bytes as before these variants existed)."""
    return random.Random("|".join(str(p) for p in parts))


def malformed_key(key: str, r: random.Random) -> str:
    """A key with one digit turned into `?` (what a GBK export writes for a character it cannot encode,
    dictionary §9.1): it fails its format rule whatever the key's length rule is."""
    digits = [i for i, c in enumerate(key) if c.isdigit()]
    i = r.choice(digits)
    return key[:i] + "?" + key[i + 1 :]


def dt_iso_t(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S")


def dt_dot0(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S") + ".0"


def bad_datetime(t: dt.datetime) -> str:
    """Looks like a datetime, is none (day 32)."""
    return f"{t.year}-{t.month:02d}-32 {t.hour:02d}:{t.minute:02d}:{t.second:02d}"


def bad_date(t: dt.date) -> str:
    return f"{t.year}-{t.month:02d}-32"


NULL_TOKENS_RARE = ["暂无", "null", "NULL", "N/A", "不详", "未知", "—"]


def blank_fields(dr: Drawer, x: random.Random, rec, optional: list, required: list, q: list[str], empty=None) -> None:
    """optional_blank / required_blank: one optional, or one required non-key, field left empty."""
    if dr.hit(x, "optional_blank", q, eligible=bool(optional)):
        rec[x.choice(optional)] = empty
    if dr.hit(x, "required_blank", q, eligible=bool(required)):
        rec[x.choice(required)] = empty

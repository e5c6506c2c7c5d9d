"""Identifier generation with valid check characters (generating side of the
reference validators in domain_dictionary.md Appendix A), plus the few
validators the simulator's own tests need.

Standard library only; the simulator never imports product code.
"""

from __future__ import annotations

import random
import re
import unicodedata

# --- GB 32100-2015 unified social credit code -------------------------------
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I O S V Z
USCC_W = [pow(3, i, 31) for i in range(17)]
USCC_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


def norm_code(s: str) -> str:
    return unicodedata.normalize("NFKC", s).strip().upper().replace("-", "").replace(" ", "")


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, USCC_W, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31]


def uscc_valid(code: str) -> bool:
    code = norm_code(code)
    return len(code) == 18 and all(c in USCC_CHARS for c in code) and uscc_check_char(code[:17]) == code[17]


# --- GB 11714-1997 organization code -----------------------------------------
ORG_W = [3, 7, 9, 10, 5, 8, 4, 2]


def _org_val(c: str) -> int:
    return int(c) if c.isdigit() else ord(c) - 55


def org_check_char(body8: str) -> str:
    r = 11 - sum(_org_val(c) * w for c, w in zip(body8, ORG_W, strict=True)) % 11
    return {10: "X", 11: "0"}.get(r, str(r))


def org_code_valid(code: str) -> bool:
    code = norm_code(code)
    return bool(re.fullmatch(r"[0-9A-Z]{8}[0-9X]", code)) and org_check_char(code[:8]) == code[8]


# --- GS 15-2006 15-digit registration number ---------------------------------
def regno15_check_digit(first14: str) -> str:
    p = 10
    for ch in first14:
        s = (int(ch) + p) % 10 or 10
        p = (s * 2) % 11
    return str((11 - p) % 10)


def regno15_valid(code: str) -> bool:
    code = norm_code(code)
    return bool(re.fullmatch(r"\d{15}", code)) and regno15_check_digit(code[:14]) == code[14]


# --- GB 11643-1999 resident ID number ----------------------------------------
ID_W = [pow(2, 17 - i, 11) for i in range(17)]


def id_check_char(first17: str) -> str:
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, ID_W, strict=True)) % 11]


def id_valid(code: str) -> bool:
    code = norm_code(code)
    return bool(re.fullmatch(r"\d{17}[\dX]", code)) and id_check_char(code[:17]) == code[17]


# --- CAS ----------------------------------------------------------------------
def cas_check_digit(body: str) -> int:
    digits = body.replace("-", "")[::-1]
    return sum(int(d) * (i + 1) for i, d in enumerate(digits)) % 10


def cas_valid(cas: str) -> bool:
    cas = unicodedata.normalize("NFKC", cas).strip()
    m = re.fullmatch(r"(\d{2,7})-(\d{2})-(\d)", cas)
    if not m:
        return False
    return cas_check_digit(m.group(1) + m.group(2)) == int(m.group(3))


# --- plates -------------------------------------------------------------------
PROV = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
PLATE_RE = re.compile(rf"[{PROV}使领][A-HJ-NP-Z][A-HJ-NP-Z0-9]{{4}}[A-HJ-NP-Z0-9挂学警港澳]")
NEV_RE = re.compile(rf"[{PROV}][A-HJ-NP-Z](?:\d{{5}}[DF]|[DF][A-HJ-NP-Z0-9]\d{{4}})")
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I, O
PLATE_ALNUM = "0123456789" + PLATE_LETTERS


def plate_valid(p: str) -> bool:
    return bool(PLATE_RE.fullmatch(p) or NEV_RE.fullmatch(p))


# --- generators ---------------------------------------------------------------
def gen_org_body(rng: random.Random, new_style: bool) -> str:
    """8-char organisation-code body. New-style (post-2015) bodies start with MA and
    use only USCC characters (they are embedded in a USCC)."""
    if new_style:
        return "MA" + "".join(rng.choice(USCC_CHARS) for _ in range(6))
    return "".join(rng.choice("0123456789") for _ in range(8))


def make_uscc(org9: str, area: str = "320585", head: str = "91") -> str:
    first17 = head + area + org9
    return first17 + uscc_check_char(first17)


def make_org_code(rng: random.Random, new_style: bool) -> str:
    """Return a 9-char organisation code whose check char is valid and which fits
    inside a USCC (the check char X is a valid USCC character)."""
    while True:
        body = gen_org_body(rng, new_style)
        code = body + org_check_char(body)
        if all(c in USCC_CHARS for c in code):
            return code


def make_regno15(rng: random.Random, area: str = "320585") -> str:
    first14 = area + "".join(rng.choice("0123456789") for _ in range(8))
    return first14 + regno15_check_digit(first14)


def make_id_number(rng: random.Random, birth_year: int, *, want_x: bool | None = None) -> str:
    area = rng.choice(["320585"] * 6 + ["320522"] * 2 + ["320581", "320583", "341222", "412723"])
    for _ in range(200):
        m = rng.randint(1, 12)
        d = rng.randint(1, 28)
        seq = rng.randint(1, 999)
        first17 = f"{area}{birth_year:04d}{m:02d}{d:02d}{seq:03d}"
        code = first17 + id_check_char(first17)
        if want_x is None or (code.endswith("X") == want_x):
            return code
    return code


def break_check(code: str, alphabet: str, rng: random.Random, valid) -> str:
    """One-character typo (not in the check position) that breaks validity."""
    for _ in range(100):
        pos = rng.randrange(0, len(code) - 1)
        ch = rng.choice(alphabet)
        if ch == code[pos]:
            continue
        cand = code[:pos] + ch + code[pos + 1 :]
        if not valid(cand):
            return cand
    return code[:-1] + ("0" if code[-1] != "0" else "1")


def wrong_check_char(code: str, alphabet: str) -> str:
    """Same first 17 (or n-1) characters, a different (wrong) check character."""
    last = code[-1]
    for ch in alphabet:
        if ch != last:
            return code[:-1] + ch
    raise AssertionError


def cas_with_bad_check(cas: str) -> str:
    body, check = cas.rsplit("-", 1)
    return f"{body}-{(int(check) + 1) % 10}"


def mask_id(idno: str) -> str:
    return idno[:6] + "********" + idno[-4:]


FULLWIDTH = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)}


def to_fullwidth(s: str) -> str:
    return "".join(FULLWIDTH.get(c, c) for c in s)

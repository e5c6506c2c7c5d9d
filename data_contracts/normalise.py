"""How an identifier and a vehicle plate are compared: the one definition of each.

Validation applies them once, to the columns a contract marks `normalise` (the validated value is the normalised
one); staging and resolution take those values as they are. Imports nothing of ours: checks, validation and
entity_resolution build on it.
"""

from __future__ import annotations

import re
import unicodedata

# Typed between the characters of a code or a plate, never part of one (domain_dictionary §9.5, §2.5.5):
# whitespace of every kind (U+3000 and NBSP are spaces after NFKC), zero-width characters and the BOM,
# middle dots (U+00B7, U+30FB, U+2022), dashes, the underscore. A character class body, shared with name keys.
SEPARATORS = r"\s\u200b\u200c\u200d\u2060\ufeff·・•\-‐‑‒–—―_"
_IDENTIFIER_NOISE = re.compile(rf"[{SEPARATORS}.]+")


def clean_identifier(value: str | None) -> str | None:
    """NFKC (full width -> half width), upper case, without separators or full stops; empty -> None.

    §2.1 USCC-1 asks for trimming, NFKC and upper case; §9.5 removes ideographic spaces, NBSP and zero-width
    characters from keys and reads every dash as `-` (`13829475-0`), which carries no meaning in a code."""
    if value is None:
        return None
    return _IDENTIFIER_NOISE.sub("", unicodedata.normalize("NFKC", value)).upper() or None


# --- vehicle plates (GA 36-2018; domain_dictionary §2.5, Appendix A) -----------------------------------------
PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
PLATE_RE = re.compile(rf"[{PROVINCES}使领][A-HJ-NP-Z][A-HJ-NP-Z0-9]{{4}}[A-HJ-NP-Z0-9挂学警港澳]")
NEV_PLATE_RE = re.compile(rf"[{PROVINCES}][A-HJ-NP-Z](?:\d{{5}}[DF]|[DF][A-HJ-NP-Z0-9]\d{{4}})")
# A plate without its province character: authority letter + serial (ordinary or new-energy).
PROVINCELESS_RE = re.compile(
    r"[A-HJ-NP-Z](?:[A-HJ-NP-Z0-9]{4}[A-HJ-NP-Z0-9挂学警港澳]|\d{5}[DF]|[DF][A-HJ-NP-Z0-9]\d{4})"
)
# Colour words -> JT/T 808 plate colour code (§2.5.2); longest first, so 黄绿 is never read as 绿.
_WORDS = {"蓝": "1", "黄": "2", "黑": "3", "白": "4", "绿": "5", "其他": "9", "农黄": "91", "农绿": "92", "黄绿": "93"}
PLATE_COLOURS = dict(sorted((_WORDS | {"渐变绿": "94"}).items(), key=lambda item: -len(item[0])))
PLATE_COLOUR_CODES = frozenset(PLATE_COLOURS.values()) | {"0"}  # 0: not yet registered (JT/T 808-2019)
_PLATE_SEPARATORS = re.compile(rf"[{SEPARATORS}.]+")
_COLOUR_CODE_SUFFIX = re.compile(r"_(\d{1,2})$")  # 苏E12345_2 (809 / enterprise exports)


def plate_colour_code(value: str | None) -> str | None:
    """A plate colour column as the JT/T 808 code (1 蓝, 2 黄, 93 黄绿 …), delivered as a code or a colour word."""
    if value is None:
        return None
    text = unicodedata.normalize("NFKC", value).strip().removesuffix("色")
    if text.isdecimal():
        code = str(int(text))
        return code if code in PLATE_COLOUR_CODES else None
    return PLATE_COLOURS.get(text)


def is_plate_shaped(plate: str) -> bool:
    """A GA 36 plate, ordinary or new-energy, with or without its province character."""
    return any(r.fullmatch(plate) for r in (PLATE_RE, NEV_PLATE_RE, PROVINCELESS_RE))


def _split_colour(s: str) -> tuple[str, str | None]:
    """A colour word glued on before or after the plate (`黄苏E12345`, `苏E12345黄`, `苏E12345(黄色)`)."""
    for word, code in PLATE_COLOURS.items():
        suffix = re.search(rf"\(?{word}色?\)?$", s)
        if suffix and suffix.start() > 0:
            return s[: suffix.start()], code
        prefix = re.match(rf"{word}色?", s)
        # 黑 is also a province (黑A12345): a colour only when a province character follows it
        if prefix and (word not in PROVINCES or s[prefix.end() : prefix.end() + 1] in PROVINCES):
            return s[prefix.end() :], code
    return s, None


def _read_plate(s: str, colour: str | None) -> tuple[str, str | None]:
    s = _PLATE_SEPARATORS.sub("", s)
    if colour is None:
        s, colour = _split_colour(s)
    start = 2 if s[:1] in PROVINCES or s[:1] in "使领" else 1
    return s[:start] + s[start:].replace("O", "0").replace("I", "1"), colour


def normalise_plate(value: str | None, local_province: str | None = None) -> tuple[str | None, str | None]:
    """(plate, colour code glued onto it or None) for every variant of dictionary §2.5.5: NFKC (full width), upper
    case, separators dropped, a glued-on colour (word before or after, bracketed, or a `_2` code) split off, O/I in
    the serial read as 0/1 (GA 36 never uses them there). A plate without its province character gets
    `local_province` when given (a Suzhou-local source), else stays without (the contract flags it)."""
    if value is None:
        return None, None
    s = unicodedata.normalize("NFKC", value).upper().strip()
    plate, colour = _read_plate(s, None)
    code = _COLOUR_CODE_SUFFIX.search(s)
    if code and str(int(code.group(1))) in PLATE_COLOUR_CODES:
        # `_2` is a colour code when what it follows is a plate; else the `_` was typed inside it (苏E123_45)
        glued = _read_plate(s[: code.start()], str(int(code.group(1))))
        if is_plate_shaped(glued[0]) or not is_plate_shaped(plate):
            plate, colour = glued
    if local_province and PROVINCELESS_RE.fullmatch(plate):
        plate = local_province + plate
    return plate or None, colour

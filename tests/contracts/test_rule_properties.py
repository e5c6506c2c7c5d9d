"""Property tests of the contract rules through the real validator (prepare -> GX -> routing).

Valid values in any documented form (domain_dictionary §2, §2.5.5, §9; INTERFACES.md quirks) are accepted with
their normalised typed value; invalid ones are flagged or quarantined with the right rule id and the severity of
the policy (tests/contracts/test_severity_policy.py). Each example is one batch of many values: the validator
costs a fraction of a second per batch, so few examples see many values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data_contracts import checks
from data_contracts.contract import load_contract
from data_contracts.normalise import PLATE_COLOURS
from data_contracts.validation import validate_batch

PROPERTY = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BATCH = {"min_size": 1, "max_size": 25}

BASE = {
    "hazchem.waybill": {"运单编号": "YD320585202612010001", "运单状态": "运输中", "车辆号牌": "苏E6B123",
                        "驾驶员身份证号": "320585198503071233", "更新时间": "2026-12-01 08:00:00"},
    "transport.vehicle": {"clid": "V1", "cphm": "苏E12345", "gxsj": "2026-12-01 08:00:00"},
    "transport.alarm": {"bjid": "A1", "bjlx": "1", "kssj": "2026-12-01 07:00:00", "gxsj": "2026-12-01 08:00:00"},
}  # fmt: skip
NOW = datetime(2026, 12, 2, 12, 0)


@dataclass
class Outcome:
    accepted: bool
    reasons: list[str]
    warnings: list[str]
    typed: dict


def validate(dataset: str, rows: list[dict[str, str | None]]) -> list[Outcome]:
    """One batch: the dataset's base row with each dict of canonical column -> delivered text applied."""
    contract = load_contract(dataset)
    source = {c.name: c.source_name for c in contract.columns}
    raw = pd.DataFrame([BASE[dataset] | {source[k]: v for k, v in r.items()} for r in rows], dtype=object)
    result = validate_batch(raw, contract, now=NOW)
    accepted = {row["_row_id"]: row for row in result.accepted.to_dict("records")}
    quarantined = {row["_row_id"]: row for row in result.quarantined.to_dict("records")}
    out = []
    for i in range(len(rows)):
        if str(i) in accepted:
            row = accepted[str(i)]
            out.append(Outcome(True, [], list(row["_warnings"]), row))
        else:
            row = quarantined[str(i)]
            out.append(Outcome(False, list(row["reasons"]), list(row["warnings"]), {}))
    return out


def flags_on(outcome: Outcome, column: str) -> list[str]:
    return [w for w in outcome.warnings if w.endswith(f":{column}")]


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def spelled(text: str, draw) -> str:
    """A value as departments type it: maybe full-width, maybe lower case, maybe padded with spaces."""
    if draw(st.booleans()):
        text = text.lower()
    if draw(st.booleans()):
        text = full_width(text)
    return draw(st.sampled_from(["", " ", "\u3000"])) + text + draw(st.sampled_from(["", " "]))


# --- enterprise identifiers in a USCC column (GB 32100, GB 11714, GS 15; any system's variants) ----------------
@st.composite
def uscc(draw) -> str:
    head = draw(st.sampled_from(["91", "92", "93", "12", "51", "Y1"])) + draw(
        st.sampled_from(["320585", "320500", "320000", "100000"])
    )
    body = draw(st.text(alphabet=checks.USCC_CHARS, min_size=9, max_size=9))
    return head + body + checks.uscc_check_char(head + body)


@st.composite
def legacy_identifier(draw) -> tuple[str, str]:
    """(as delivered, canonical): a 15-digit 注册号 or a 组织机构代码 printed with its hyphen."""
    if draw(st.booleans()):
        first14 = "320585" + draw(st.text(alphabet="0123456789", min_size=8, max_size=8))
        code = first14 + checks.regno15_check_digit(first14)
        return code, code
    body = draw(st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=8, max_size=8))
    return f"{body}-{checks.org_check_char(body)}", body + checks.org_check_char(body)


@st.composite
def valid_enterprise_identifier(draw) -> tuple[str, str]:
    if draw(st.booleans()):
        code = draw(uscc())
        return spelled(code, draw), code
    delivered, canonical = draw(legacy_identifier())
    return spelled(delivered, draw), canonical


@given(st.lists(valid_enterprise_identifier(), **BATCH))
@PROPERTY
def test_enterprise_identifiers_in_every_form_are_accepted_normalised(values):
    outcomes = validate("hazchem.waybill", [{"shipper_uscc": v} for v, _ in values])
    for (delivered, canonical), o in zip(values, outcomes, strict=True):
        assert o.accepted and flags_on(o, "shipper_uscc") == [], delivered
        assert o.typed["shipper_uscc"] == canonical


@st.composite
def wrong_check_uscc(draw) -> str:
    code = draw(uscc())
    return code[:17] + draw(st.sampled_from([c for c in checks.USCC_CHARS if c != code[17]]))


@given(st.lists(wrong_check_uscc(), **BATCH))
@PROPERTY
def test_a_uscc_with_a_wrong_check_character_is_kept_and_flagged(values):
    for code, o in zip(values, validate("hazchem.waybill", [{"carrier_uscc": v} for v in values]), strict=True):
        assert o.accepted and flags_on(o, "carrier_uscc") == ["uscc_check:carrier_uscc"]
        assert o.typed["carrier_uscc"] == code


@st.composite
def numeric_cell(draw) -> str:
    """An 18-digit code that went through a number cell: scientific notation (INTERFACES.md D)."""
    digits = draw(st.text(alphabet="0123456789", min_size=18, max_size=18).filter(lambda d: d[0] != "0"))
    return f"{int(digits):.14e}".replace("e+", "E+")


@given(st.lists(numeric_cell() | st.text(alphabet="ABC123", min_size=3, max_size=7), **BATCH))
@PROPERTY
def test_an_unreadable_enterprise_identifier_is_nulled_and_flagged(values):
    for o in validate("hazchem.waybill", [{"shipper_uscc": v} for v in values]):
        assert o.accepted and flags_on(o, "shipper_uscc") == ["uscc_format:shipper_uscc"]
        assert o.typed["shipper_uscc"] is None


# --- 身份证号 (GB 11643): an identifier the waybill exists to report -----------------------------------------------
@st.composite
def id_number(draw) -> str:
    born = draw(st.dates(min_value=datetime(1950, 1, 1).date(), max_value=datetime(2005, 12, 31).date()))
    first17 = draw(st.sampled_from(["320585", "320522", "110105"])) + f"{born:%Y%m%d}"
    first17 += draw(st.text(alphabet="0123456789", min_size=3, max_size=3))
    return first17 + checks.id_check_char(first17)


@given(st.lists(id_number(), **BATCH), st.data())
@PROPERTY
def test_id_numbers_in_every_form_are_accepted(values, data):
    delivered = [spelled(v, data.draw) for v in values]  # lower-case x, full width, padding
    for code, o in zip(values, validate("hazchem.waybill", [{"driver_id_number": v} for v in delivered]), strict=True):
        assert o.accepted and flags_on(o, "driver_id_number") == []
        assert o.typed["driver_id_number"] == code


@st.composite
def broken_id_number(draw) -> str:
    """One digit of the body mistyped (MOD 11-2 catches every single substitution), or a number-cell rounding."""
    code = draw(id_number())
    if draw(st.booleans()):
        return code[:15] + "000"  # Excel keeps 15 significant digits
    i = draw(st.integers(0, 16))
    return code[:i] + draw(st.sampled_from([d for d in "0123456789" if d != code[i]])) + code[i + 1 :]


@given(st.lists(broken_id_number(), **BATCH))
@PROPERTY
def test_a_broken_driver_id_number_quarantines_the_waybill(values):
    for code, o in zip(values, validate("hazchem.waybill", [{"driver_id_number": v} for v in values]), strict=True):
        if checks.id_number_valid(code):  # a rounded number can hit a valid check by chance
            continue
        assert not o.accepted and o.reasons == ["id_number_check"], code


# --- CAS 号 (§2.6) and UN number (§2.7) -----------------------------------------------------------------------
@st.composite
def cas(draw) -> str:
    head = draw(st.text(alphabet="0123456789", min_size=2, max_size=7).filter(lambda d: d[0] != "0"))
    middle = draw(st.text(alphabet="0123456789", min_size=2, max_size=2))
    digits = (head + middle)[::-1]
    return f"{head}-{middle}-{sum(int(d) * (i + 1) for i, d in enumerate(digits)) % 10}"


@given(st.lists(cas(), **BATCH), st.data())
@PROPERTY
def test_cas_numbers_are_accepted_and_a_wrong_check_digit_quarantines(values, data):
    wrong = [v[:-1] + str((int(v[-1]) + data.draw(st.integers(1, 9))) % 10) for v in values]
    delivered = [spelled(v, data.draw) for v in values] + wrong
    outcomes = validate("hazchem.waybill", [{"cas_number": v} for v in delivered])
    for o in outcomes[: len(values)]:
        assert o.accepted and flags_on(o, "cas_number") == []
    for o in outcomes[len(values) :]:
        assert not o.accepted and o.reasons == ["cas_check"]


@given(st.lists(st.text(alphabet="0123456789", min_size=4, max_size=4), **BATCH), st.data())
@PROPERTY
def test_un_numbers_with_or_without_prefix_are_accepted_as_un_plus_four_digits(values, data):
    delivered = [spelled(data.draw(st.sampled_from(["UN", "", "UN "])) + v, data.draw) for v in values]
    bad = [v[:3] for v in values]
    outcomes = validate("hazchem.waybill", [{"un_number": v} for v in delivered + bad])
    for digits, o in zip(values, outcomes, strict=False):
        assert o.accepted and flags_on(o, "un_number") == [] and o.typed["un_number"] == f"UN{digits}"
    for o in outcomes[len(values) :]:
        assert o.accepted and flags_on(o, "un_number") == ["code_unknown:un_number"] and o.typed["un_number"] is None


# --- plates: every variant of dictionary §2.5.5 in every plate column -------------------------------------------
LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I, O
SERIAL = LETTERS + "0123456789"


@st.composite
def canonical_plate(draw, province: str | None = None) -> str:
    province = province or draw(st.sampled_from(checks.PROVINCES))
    letter = draw(st.sampled_from(LETTERS))
    kind = draw(st.sampled_from(["ordinary", "trailer", "nev_small", "nev_large"]))
    digits = st.text(alphabet="0123456789", min_size=4, max_size=4)
    if kind == "ordinary":
        return province + letter + draw(st.text(alphabet=SERIAL, min_size=5, max_size=5))
    if kind == "trailer":
        return province + letter + draw(st.text(alphabet=SERIAL, min_size=4, max_size=4)) + "挂"
    if kind == "nev_small":
        return province + letter + draw(st.sampled_from("DF")) + draw(st.sampled_from(SERIAL)) + draw(digits)
    return province + letter + draw(digits) + draw(st.sampled_from("0123456789")) + draw(st.sampled_from("DF"))


@st.composite
def plate_variant(draw, canonical: str, drop_province: bool) -> str:
    """The plate as an extract may carry it: separator, full width, lower case, O/I for 0/1, a glued colour."""
    s = canonical[1:] if drop_province else canonical
    at = 1 if drop_province else 2
    s = s[:at] + s[at:].replace("0", "O").replace("1", "I") if draw(st.booleans()) else s
    sep = draw(st.sampled_from(["", "·", "・", "-", " ", ".", "\u3000"]))
    s = s[:at] + sep + s[at:]
    if draw(st.booleans()):
        s = full_width(s)
    if draw(st.booleans()):
        s = s.lower()
    colour = draw(st.sampled_from(["", "黄{}", "{}黄", "{}(黄)", "{}（黄色）", "{}_2", "{}黄绿"]))
    return colour.format(s) if colour else s


@st.composite
def delivered_plate(draw, province: str | None = None) -> tuple[str, str, bool]:
    canonical = draw(canonical_plate(province))
    dropped = draw(st.booleans())
    return draw(plate_variant(canonical, dropped)), canonical, dropped


@given(st.lists(delivered_plate(), **BATCH), st.lists(delivered_plate(), **BATCH))
@PROPERTY
def test_waybill_plates_in_every_variant_are_accepted_and_a_missing_province_is_flagged(tractors, trailers):
    """System A is not Suzhou-local: a plate without province stays without and is flagged plate_no_province."""
    rows = [{"tractor_plate": t[0]} for t in tractors] + [{"trailer_plate": t[0]} for t in trailers]
    outcomes = validate("hazchem.waybill", rows)
    cases = [("tractor_plate", t) for t in tractors] + [("trailer_plate", t) for t in trailers]
    for (column, (delivered, canonical, dropped)), o in zip(cases, outcomes, strict=True):
        assert o.accepted, delivered
        if dropped:
            assert flags_on(o, column) == [f"plate_no_province:{column}"], delivered
            assert o.typed[column] == canonical[1:], delivered
        else:
            assert flags_on(o, column) == [], delivered
            assert o.typed[column] == canonical, delivered


@given(st.lists(delivered_plate("苏"), **BATCH))
@PROPERTY
def test_the_suzhou_local_platform_gets_su_for_a_plate_without_province(plates):
    for dataset in ("transport.vehicle", "transport.alarm"):
        for (delivered, canonical, _), o in zip(
            plates, validate(dataset, [{"plate": p[0]} for p in plates]), strict=True
        ):
            assert o.accepted and flags_on(o, "plate") == [] and o.typed["plate"] == canonical, delivered


@st.composite
def unreadable_plate(draw) -> str:
    """A serial character lost (the simulator's plate_invalid), or an authority letter I / O."""
    plate = draw(canonical_plate().filter(lambda p: len(p) == 7 and not p.endswith("挂")))
    if draw(st.booleans()):
        i = draw(st.integers(2, 6))
        return plate[:i] + plate[i + 1 :]
    return plate[0] + draw(st.sampled_from("IO")) + plate[2:]


@given(st.lists(unreadable_plate(), **BATCH))
@PROPERTY
def test_an_unreadable_plate_is_nulled_and_flagged_in_every_plate_column(plates):
    for dataset, column in [("hazchem.waybill", "tractor_plate"), ("hazchem.waybill", "trailer_plate"),
                            ("transport.vehicle", "plate"), ("transport.alarm", "plate")]:  # fmt: skip
        for p, o in zip(plates, validate(dataset, [{column: p} for p in plates]), strict=True):
            assert o.accepted and flags_on(o, column) == [f"plate_format:{column}"], p
            assert o.typed[column] is None


GLUED = ["{w}{p}", "{p}{w}", "{p}({w})", "{p}（{w}色）", "{p}_{c}"]


@given(
    st.lists(
        st.tuples(
            canonical_plate(), st.sampled_from(GLUED), st.sampled_from(sorted(PLATE_COLOURS.items())),
            st.sampled_from([None, "黄", "黄绿", "1", "2", "93"]),
        ),
        **BATCH,
    )
)  # fmt: skip
@PROPERTY
def test_a_colour_glued_onto_the_plate_is_the_plate_colour_when_the_colour_column_is_empty(cases):
    """INTERFACES.md: any plate may carry a glued colour (§2.5.5). It survives validation as the plate colour code
    when the colour column is empty, and counts only if the column's own code list allows it; a delivered colour
    wins. (A glued 黑 before a plate whose province is also a province character reads as the province.)"""
    platform_codes = {c: c for c in ["1", "2", "3", "4", "5", "9", "93", "94"]}
    for dataset, plate_column, listed in [("hazchem.waybill", "tractor_plate", {"黄": "2", "黄绿": "93"}),
                                          ("transport.vehicle", "plate", platform_codes)]:  # fmt: skip
        rows = [{plate_column: form.format(w=word, p=plate, c=code), "plate_colour": column}
                for plate, form, (word, code), column in cases]  # fmt: skip
        for (plate, _, (_, code), column), o in zip(cases, validate(dataset, rows), strict=True):
            assert o.accepted and o.typed[plate_column] == plate, (plate, code, column)
            if column is not None:
                assert o.typed["plate_colour"] == listed.get(column), (plate, code, column)
            else:
                assert o.typed["plate_colour"] == (code if code in listed.values() else None), (plate, code, column)


# --- dates (§9.6) and numbers -------------------------------------------------------------------------------------
DATE_FORMATS = [
    lambda t: f"{t:%Y-%m-%d %H:%M:%S}",
    lambda t: f"{t.year}/{t.month}/{t.day} {t.hour}:{t.minute:02d}",
    lambda t: f"{t:%Y-%m-%dT%H:%M:%S}",
    lambda t: f"{t.year}年{t.month}月{t.day}日",
    lambda t: f"{t.year}.{t.month}.{t.day}",
    lambda t: full_width(f"{t:%Y-%m-%d %H:%M}"),
]


@st.composite
def delivered_time(draw) -> tuple[str, datetime]:
    t = draw(st.datetimes(min_value=datetime(2015, 1, 1), max_value=datetime(2026, 11, 30))).replace(microsecond=0)
    i = draw(st.integers(0, len(DATE_FORMATS) - 1))
    text = DATE_FORMATS[i](t)
    if i in (3, 4):
        t = t.replace(hour=0, minute=0, second=0)
    elif i in (1, 5):
        t = t.replace(second=0)
    return text, t


BAD_DATES = st.sampled_from(["2026-13-45 10:00:00", "昨天", "28/11/2026", "2026-02-30", "20261301"])


@given(st.lists(delivered_time(), **BATCH), st.lists(BAD_DATES, **BATCH))
@PROPERTY
def test_dates_in_every_format_parse_and_an_unreadable_one_is_a_warning_unless_it_places_an_alarm(good, bad):
    rows = [{"updated_at": text} for text, _ in good] + [{"updated_at": text} for text in bad]
    outcomes = validate("hazchem.waybill", rows)
    for (text, value), o in zip(good, outcomes, strict=False):
        assert o.accepted and flags_on(o, "updated_at") == [] and o.typed["updated_at"] == pd.Timestamp(value), text
    for o in outcomes[len(good) :]:
        assert o.accepted and flags_on(o, "updated_at") == ["date_format:updated_at"]
        assert pd.isna(o.typed["updated_at"])
    alarms = validate("transport.alarm", [{"started_at": t} for t, _ in good] + [{"started_at": t} for t in bad])
    assert all(o.accepted for o in alarms[: len(good)])
    assert all(not o.accepted and o.reasons == ["date_format"] for o in alarms[len(good) :])


@st.composite
def delivered_quantity(draw) -> tuple[str, float]:
    value = draw(st.decimals(min_value=0, max_value=99999, places=1, allow_nan=False))
    text = f"{value:,}" if draw(st.booleans()) else str(value)
    text += draw(st.sampled_from(["", "吨", " 吨", "t"]))
    return (full_width(text) if draw(st.booleans()) else text), float(value)


@given(st.lists(delivered_quantity(), **BATCH), st.lists(st.sampled_from(["十吨", "1.2.3", "约5吨", "abc"]), **BATCH))
@PROPERTY
def test_numbers_with_separators_and_units_parse_and_an_unreadable_one_is_nulled(good, bad):
    rows = [{"quantity_t": t} for t, _ in good] + [{"quantity_t": t} for t in bad]
    outcomes = validate("hazchem.waybill", rows)
    for (text, value), o in zip(good, outcomes, strict=False):
        assert o.accepted and flags_on(o, "quantity_t") == [] and o.typed["quantity_t"] == value, text
    for o in outcomes[len(good) :]:
        assert o.accepted and flags_on(o, "quantity_t") == ["number_format:quantity_t"]
        assert pd.isna(o.typed["quantity_t"])


# --- coordinates ---------------------------------------------------------------------------------------------------
COORD = {"places": 6, "allow_nan": False}
INSIDE = st.tuples(st.decimals(min_value="120.98", max_value="121.32", **COORD),
                   st.decimals(min_value="31.34", max_value="31.74", **COORD))  # fmt: skip
OUTSIDE = st.tuples(st.decimals(min_value="100", max_value="119", **COORD),
                    st.decimals(min_value="20", max_value="30", **COORD))  # fmt: skip


@given(st.lists(st.tuples(INSIDE, st.sampled_from(["as is", "swapped"])) | st.tuples(OUTSIDE, st.just("out")), **BATCH))
@PROPERTY
def test_coordinates_inside_taicang_kept_swapped_ones_swapped_back_others_nulled(points):
    rows = [{"longitude": str(b if how == "swapped" else a), "latitude": str(a if how == "swapped" else b)}
            for (a, b), how in points]  # fmt: skip
    for ((lon, lat), how), o in zip(points, validate("transport.alarm", rows), strict=True):
        assert o.accepted
        if how == "out":
            assert flags_on(o, "latitude") == ["coords_out_of_box:latitude"]
            assert pd.isna(o.typed["longitude"]) and pd.isna(o.typed["latitude"])
            continue
        assert flags_on(o, "latitude") == (["coords_swapped:latitude"] if how == "swapped" else [])
        assert (o.typed["longitude"], o.typed["latitude"]) == (float(lon), float(lat))


# --- requiredness: the key quarantines, any other missing value is a flag ------------------------------------------
def test_a_missing_key_quarantines_and_a_missing_optional_requirement_flags():
    rows = [{"waybill_no": None}, {"tractor_plate": "无"}, {"status": ""}, {"driver_id_number": "/"}]
    missing_key, no_plate, no_status, no_driver = validate("hazchem.waybill", rows)
    assert not missing_key.accepted and missing_key.reasons == ["required_missing"]
    assert no_plate.accepted and no_plate.warnings == ["required_missing:tractor_plate"]
    assert no_status.accepted and no_status.warnings == ["required_missing:status"]
    assert not no_driver.accepted and no_driver.reasons == ["required_missing"]


def test_an_unknown_code_is_nulled_and_flagged():
    (o,) = validate("hazchem.waybill", [{"status": "已签收"}])
    assert o.accepted and o.warnings == ["code_unknown:status"] and o.typed["status"] is None

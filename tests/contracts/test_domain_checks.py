"""The domain checks against the worked examples of shared/reference/domain_dictionary.md (§2, Appendix A).

A check judges a value as validation hands it over: normalised (data_contracts.normalise), as here."""

import pytest

from data_contracts import checks
from data_contracts.normalise import clean_identifier, normalise_plate

VALID_USCC = ["91350100M000100Y43", "91320585MA1MXQ7K8F", "91320585138294750M", "91320585138294750m",
              "91320585MA1Q2R3T3E", "92320585MA1XK5N75R", "11320585014400005T"]  # fmt: skip


@pytest.mark.parametrize("code", VALID_USCC)
def test_valid_uscc(code):
    assert checks.uscc_valid(clean_identifier(code))


@pytest.mark.parametrize("code", ["91350203M0001QAY9B", "91320585138294750N", "9132058513829475OM"])
def test_invalid_uscc(code):
    assert not checks.uscc_valid(code)


def test_uscc_check_character_worked_example():
    assert checks.USCC_WEIGHTS == [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    assert checks.uscc_check_char("91350100M000100Y4") == "3"


@pytest.mark.parametrize(("code", "ok"), [("M000100Y-4", True), ("13829475-0", True), ("13829475-1", False)])
def test_organisation_code(code, ok):
    assert checks.org_code_valid(clean_identifier(code)) is ok


@pytest.mark.parametrize(
    ("code", "ok"), [("110108000000016", True), ("320585000123453", True), ("320585000123454", False)]
)
def test_registration_number(code, ok):
    assert checks.regno15_valid(code) is ok


@pytest.mark.parametrize(("code", "ok"), [("11010519491231002X", True), ("320585198503071233", True),
                                          ("11010519491231002x", True), ("320585198503071000", False),
                                          ("320585198503071232", False)])  # fmt: skip
def test_id_number(code, ok):
    assert checks.id_number_valid(clean_identifier(code)) is ok


@pytest.mark.parametrize("cas", ["7732-18-5", "7664-41-7", "67-56-1", "71-43-2", "75-44-5", "86290-81-5", "74-90-8"])
def test_valid_cas(cas):
    assert checks.cas_valid(cas)


def test_invalid_cas():
    assert not checks.cas_valid("7782-50-6")


@pytest.mark.parametrize(
    ("name", "town"),
    [("浮桥镇", "浮桥镇"), ("港区", "太仓港经济技术开发区"), ("新区", "高新区"), ("城厢", "城厢镇"), ("苏州", None)],
)
def test_towns_and_aliases(name, town):
    assert checks.canonical_town(name) == town


def test_plate_checks_with_and_without_province():
    assert checks.plate_valid("苏E12345D") and checks.plate_has_province("苏E12345D")
    assert not checks.plate_valid("E6B123") and not checks.plate_has_province("E6B123")
    assert not checks.plate_valid("苏E6B12") and checks.plate_has_province("苏E6B12")
    assert checks.plate_valid(normalise_plate("苏e·6b12O黄")[0])

"""Every contract rule has the severity of the policy (issue 10: quarantine only what cannot be used) and says why.

A row is quarantined only when its key is missing or unreadable, its reason for existing is broken, or a
check character fails on an identifier the row exists to report. This table is the policy; the contracts
must carry exactly these error rules and nothing else as an error.
"""

import pytest

from data_contracts.contract import all_contracts, load_contract

PRIMARY_KEYS = {
    "construction.alarm": "alarm_id", "construction.device": "device_sn", "construction.project": "project_code",
    "credit.dishonest_entry": "entry_id", "hazchem.enterprise": "enterprise_code", "hazchem.waybill": "waybill_no",
    "special_equipment.equipment": "reg_code", "special_equipment.inspection": "report_no",
    "transport.alarm": "alarm_id", "transport.vehicle": "vehicle_id",
}  # fmt: skip
KEY_FORMATS = {
    ("hazchem.waybill", "waybill_no", "key_format"),
    ("hazchem.enterprise", "enterprise_code", "key_format"),
    ("construction.project", "project_code", "key_format"),
    ("special_equipment.equipment", "reg_code", "reg_code_format"),
}
REASON_FOR_EXISTING = {
    ("construction.alarm", "device_sn", "required_missing"),
    ("special_equipment.inspection", "reg_code", "required_missing"),
    ("special_equipment.inspection", "reg_code", "reg_code_format"),
    ("hazchem.waybill", "driver_id_number", "required_missing"),
    ("hazchem.waybill", "driver_id_number", "id_number_check"),
    ("hazchem.waybill", "escort_id_number", "id_number_check"),
    ("hazchem.waybill", "cas_number", "cas_check"),
    ("construction.alarm", "occurred_at", "required_missing"),
    ("construction.alarm", "occurred_at", "date_format"),
    ("transport.alarm", "started_at", "required_missing"),
    ("transport.alarm", "started_at", "date_format"),
    ("special_equipment.inspection", "inspection_date", "required_missing"),
    ("special_equipment.inspection", "inspection_date", "date_format"),
    ("credit.dishonest_entry", "subject_name", "required_missing"),
}
POLICY_ERRORS = {(d, k, "required_missing") for d, k in PRIMARY_KEYS.items()} | KEY_FORMATS | REASON_FOR_EXISTING


def test_the_contracts_quarantine_exactly_what_the_policy_says():
    errors = {(c.dataset, r.column, r.name) for c in all_contracts() for r in c.rules if r.is_error}
    assert errors == POLICY_ERRORS


def test_the_primary_keys_are_those_of_the_policy():
    assert {c.dataset: c.primary_key for c in all_contracts()} == {d: (k,) for d, k in PRIMARY_KEYS.items()}


@pytest.mark.parametrize("contract", all_contracts(), ids=lambda c: c.dataset)
def test_every_rule_says_why_and_what_becomes_of_the_value(contract):
    for rule in contract.rules:
        assert len(rule.rationale) > 20, f"{rule.flag}: a rationale for its severity"
        if rule.is_error:
            assert rule.on_failure is None
        else:
            assert rule.on_failure in ("null", "keep", "swap"), rule.flag


def test_values_are_kept_only_where_they_still_say_something():
    on_failure = {(r.name, r.on_failure) for c in all_contracts() for r in c.rules if not r.is_error}
    kept = {name for name, what in on_failure if what == "keep"}
    assert kept == {"uscc_check", "date_in_future", "end_before_start", "driver_is_escort", "phone_format",
                    "plate_no_province"}  # fmt: skip
    assert {name for name, what in on_failure if what == "swap"} == {"coords_swapped"}


def test_a_plate_without_province_gets_su_only_from_the_suzhou_local_source():
    """B (两客一危 platform of 太仓市交通运输局) holds Taicang operators' vehicles, registered in Suzhou; A's waybills
    carry vehicles registered anywhere: there a plate without province is kept and flagged."""
    local = {c.dataset: c.local_plate_province for c in all_contracts() if c.local_plate_province}
    assert local == {"transport.alarm": "苏", "transport.vehicle": "苏"}
    waybill = load_contract("hazchem.waybill")
    flagged = {r.column for r in waybill.rules if r.name == "plate_no_province"}
    assert flagged == {"tractor_plate", "trailer_plate"}
    assert not any(r.name == "plate_no_province" for c in all_contracts() if c.local_plate_province for r in c.rules)


def test_a_rule_without_rationale_is_refused(tmp_path):
    from data_contracts.contract import CONTRACTS_DIR, parse_contract

    source = (CONTRACTS_DIR / "hazchem.waybill.odcs.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "hazchem.waybill.odcs.yaml"
    broken.write_text(source.replace("property: rationale", "property: why", 1), encoding="utf-8")
    with pytest.raises(ValueError, match=r"hazchem.waybill.waybill_no: rule 'key_format': needs a rationale"):
        parse_contract(broken)

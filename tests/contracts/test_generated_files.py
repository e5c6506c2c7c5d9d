"""The GX suites, typed schemas, dbt sources and staging data tests are generated from the contracts, committed,
and up to date."""

import json
import shutil

import duckdb
import pytest
import yaml

from data_contracts.codegen import (
    DBT_STAGING_DIR,
    dbt_sources_files,
    generated_files,
    gx_suite_files,
    staging_model,
    staging_test_files,
    stale_files,
    typed_schema_files,
)
from data_contracts.contract import CONTRACTS_DIR, all_contracts, parse_contract
from simulator import DATASETS


def test_generated_files_are_up_to_date():
    assert stale_files() == [], "run `uv run sdc contracts generate` and commit the result"


def test_every_delivered_dataset_has_a_contract():
    assert sorted(c.dataset for c in all_contracts()) == sorted(DATASETS)


def test_typed_schemas_are_valid_duckdb():
    con = duckdb.connect()
    con.execute("ATTACH ':memory:' AS lake")
    con.execute("CREATE SCHEMA lake.validated")
    for text in typed_schema_files().values():
        con.execute(text)
    assert len(con.execute("SELECT * FROM duckdb_tables() WHERE database_name = 'lake'").fetchall()) == len(DATASETS)


def test_a_contract_change_shows_up_in_all_four(tmp_path):
    """A new column with a code list, a changed type and a shorter code list, in one contract, appear in every
    artefact: GX suite, typed schema, dbt sources and the staging model's data tests."""
    original = CONTRACTS_DIR / "transport.vehicle.odcs.yaml"
    doc = yaml.safe_load(original.read_text(encoding="utf-8"))
    props = doc["schema"][0]["properties"]
    props.append({
        "name": "fuel_type", "physicalName": "rlzl", "businessName": "燃料种类", "logicalType": "string",
        "classification": "public",
        "quality": [{"name": "code_unknown", "type": "library", "metric": "invalidValues",
                     "arguments": {"validValues": ["A", "B", "C"]}, "mustBe": 0, "severity": "warning",
                     "customProperties": [{"property": "onFailure", "value": "null"},
                                          {"property": "rationale", "value": "Not the key."}]}],
    })  # fmt: skip
    next(p for p in props if p["name"] == "seats")["logicalType"] = "number"
    status = next(p for p in props if p["name"] == "status")
    status["quality"][0]["arguments"]["validValues"] = ["营运", "停运"]
    doc["version"] = "1.1.0"
    changed = tmp_path / original.name
    changed.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    before, after = parse_contract(original), parse_contract(changed)

    old_files, new_files = generated_files([before]), generated_files([after])
    assert set(old_files) == set(new_files)
    changed_files = {p.name for p in new_files if new_files[p] != old_files[p]}
    assert changed_files == {
        "transport.vehicle.json", "transport.vehicle.sql", "_transport__sources.yml", "stg_transport__vehicles.yml"
    }  # fmt: skip

    (suite,) = gx_suite_files([after]).values()
    fuel = [e for e in json.loads(suite)["expectations"] if e["kwargs"].get("column") == "fuel_type"]
    assert fuel[0]["kwargs"]["value_set"] == ["A", "B", "C"] and json.loads(suite)["name"] == "transport.vehicle@1.1.0"
    (ddl,) = typed_schema_files([after]).values()
    assert '"fuel_type" VARCHAR' in ddl and '"seats" DOUBLE' in ddl
    (sources,) = dbt_sources_files([after]).values()
    table = yaml.safe_load(sources)["sources"][0]["tables"][0]
    assert table["meta"]["contract_version"] == "1.1.0"
    assert {"name": "fuel_type", "description": "rlzl — 燃料种类", "data_type": "varchar",
            "meta": {"classification": "public"}} in table["columns"]  # fmt: skip
    (staging,) = (text for path, text in new_files.items() if path.name == "stg_transport__vehicles.yml")
    tests = {c["name"]: c.get("data_tests") for c in yaml.safe_load(staging)["models"][0]["columns"]}
    assert tests["status"] == [{"accepted_values": {"arguments": {"values": ["营运", "停运"]}}}]


def test_contracts_are_validated_against_the_odcs_schema(tmp_path):
    """A contract that breaks the standard (an unknown rule type) is refused, naming the place."""
    broken = tmp_path / "hazchem.enterprise.odcs.yaml"
    shutil.copy(CONTRACTS_DIR / broken.name, broken)
    broken.write_text(broken.read_text(encoding="utf-8").replace("type: custom", "type: magic", 1), encoding="utf-8")
    with pytest.raises(ValueError, match=r"not a valid ODCS v3 contract at schema/0/properties/\d+/quality/0"):
        parse_contract(broken)


def _data_tests(doc: dict) -> dict[tuple[str, str | None], list]:
    """(model, column or None for the model) -> the data tests a staging YAML declares (`data_tests` or `tests`)."""
    found = {}
    for model in doc.get("models") or []:
        for where, entry in [(None, model)] + [(c["name"], c) for c in model.get("columns") or []]:
            tests = (entry.get("data_tests") or []) + (entry.get("tests") or [])
            if tests:
                found[model["name"], where] = tests
    return found


def test_no_staging_test_the_contract_does_not_generate():
    """Every data test in a staging model's YAML is one its contract generates; a hand-written one fails here."""
    generated = {path: _data_tests(yaml.safe_load(text)) for path, text in staging_test_files().items()}
    for path in sorted(DBT_STAGING_DIR.glob("*/stg_*.yml")):
        declared = _data_tests(yaml.safe_load(path.read_text(encoding="utf-8")))
        assert declared == generated.get(path, {}), f"{path.name}: data tests not generated from its contract"


def test_staging_tests_follow_the_contracts_severities():
    """not_null only where the contract quarantines a missing value: optional 设备代码 (issue 10) and a
    required-with-warning plate get none; keys are unique; code lists and towns are checked."""
    tests = {}
    for text in staging_test_files().values():
        for (model, column), declared in _data_tests(yaml.safe_load(text)).items():
            tests[model, column] = declared
    assert ("stg_special_equipment__equipment", "equipment_code") not in tests
    assert tests["stg_special_equipment__equipment", "reg_code"] == ["unique", "not_null"]
    assert ("stg_hazchem__waybills", "tractor_plate") not in tests
    assert tests["stg_hazchem__waybills", "driver_id_number"] == ["not_null"]
    assert tests["stg_hazchem__enterprises", "town"] == [
        {"relationships": {"arguments": {"to": "ref('towns')", "field": "town"}}}
    ]
    assert tests["stg_transport__alarms", "handling_status"] == [
        {"accepted_values": {"arguments": {"values": ["0", "1", "2"]}}}
    ]
    not_null = {(m, c) for (m, c), declared in tests.items() if "not_null" in declared}
    required_errors = {
        (staging_model(contract).stem, r.column)
        for contract in all_contracts()
        for r in contract.rules
        if r.kind == "required" and r.is_error
    }
    assert not_null == required_errors

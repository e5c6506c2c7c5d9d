"""The GX suites, typed schemas and dbt sources are generated from the contracts, committed, and up to date."""

import json
import shutil

import duckdb
import pytest
import yaml

from data_contracts.codegen import dbt_sources_files, generated_files, gx_suite_files, stale_files, typed_schema_files
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


def test_a_contract_change_shows_up_in_all_three(tmp_path):
    """A new column with a code list and a tightened pattern, in one contract, appear in every artefact."""
    original = CONTRACTS_DIR / "transport.vehicle.odcs.yaml"
    doc = yaml.safe_load(original.read_text(encoding="utf-8"))
    props = doc["schema"][0]["properties"]
    props.append({
        "name": "fuel_type", "physicalName": "rlzl", "businessName": "燃料种类", "logicalType": "string",
        "classification": "public",
        "quality": [{"name": "code_unknown", "type": "library", "metric": "invalidValues",
                     "arguments": {"validValues": ["A", "B", "C"]}, "mustBe": 0, "severity": "error"}],
    })  # fmt: skip
    next(p for p in props if p["name"] == "seats")["logicalType"] = "number"
    doc["version"] = "1.1.0"
    changed = tmp_path / original.name
    changed.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    before, after = parse_contract(original), parse_contract(changed)

    old_files, new_files = generated_files([before]), generated_files([after])
    assert set(old_files) == set(new_files)
    changed_files = {p.name for p in new_files if new_files[p] != old_files[p]}
    assert changed_files == {"transport.vehicle.json", "transport.vehicle.sql", "_transport__sources.yml"}

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


def test_contracts_are_validated_against_the_odcs_schema(tmp_path):
    """A contract that breaks the standard (an unknown rule type) is refused, naming the place."""
    broken = tmp_path / "hazchem.enterprise.odcs.yaml"
    shutil.copy(CONTRACTS_DIR / broken.name, broken)
    broken.write_text(broken.read_text(encoding="utf-8").replace("type: custom", "type: magic", 1), encoding="utf-8")
    with pytest.raises(ValueError, match=r"not a valid ODCS v3 contract at schema/0/properties/\d+/quality/0"):
        parse_contract(broken)

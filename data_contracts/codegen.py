"""Files generated from the contracts and committed for review: the GX suites, the typed schemas, dbt sources,
and the data tests of the staging models.

`sdc contracts generate` rewrites them; a test fails when they are out of date. The pipeline builds the
same artefacts from the contracts at run time with the same functions, so nothing is written twice.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

import yaml

from data_contracts.contract import Contract, all_contracts
from data_contracts.typed_schema import typed_table_ddl
from sdc_settings import REPO_ROOT

DBT_STAGING_DIR = REPO_ROOT / "dbt_project" / "models" / "staging"
GENERATED_DIR = REPO_ROOT / "data_contracts" / "generated"
HEADER = "# Generated from data_contracts/contracts by `sdc contracts generate`. Do not edit.\n"
STAGING_HEADER = (
    "# data_tests are generated from data_contracts/contracts by `sdc contracts generate` (a hand-written test\n"
    "# is overwritten); descriptions and unit tests are written by hand.\n"
)
TOWNS_SEED = "towns"


def _source_table(contract: Contract) -> dict:
    table: dict = {
        "name": contract.table,
        "description": f"{contract.title} — validated rows of contract {contract.dataset} v{contract.version}. "
        f"{contract.description}".strip(),
        "meta": {
            "contract": contract.dataset,
            "contract_version": contract.version,
            "owner": contract.owner,
            "source_system": contract.source_system,
            "primary_key": list(contract.primary_key),
        },
        "columns": [
            {
                "name": c.name,
                "description": f"{c.source_name}" + (f" — {c.description}" if c.description != c.source_name else ""),
                "data_type": c.duckdb_type.lower(),
                "meta": {"classification": c.classification},
            }
            for c in contract.columns
        ],
    }
    if contract.freshness_hours:
        table["loaded_at_field"] = "_loaded_at"
        table["freshness"] = {"error_after": {"count": int(contract.freshness_hours), "period": "hour"}}
    return table


def dbt_sources_files(contracts: list[Contract] | None = None) -> dict[Path, str]:
    by_system: dict[str, list[Contract]] = defaultdict(list)
    for contract in contracts or all_contracts():
        by_system[contract.system].append(contract)
    files = {}
    for system, items in sorted(by_system.items()):
        doc = {
            "version": 2,
            "sources": [
                {
                    "name": system,
                    "database": "lake",
                    "schema": "validated",
                    "description": f"Validated deliveries of source system {system} ({items[0].owner}).",
                    "tables": [_source_table(c) for c in sorted(items, key=lambda c: c.dataset)],
                }
            ],
        }
        text = HEADER + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=120)
        files[DBT_STAGING_DIR / system / f"_{system}__sources.yml"] = text
    return files


def typed_schema_files(contracts: list[Contract] | None = None) -> dict[Path, str]:
    return {
        GENERATED_DIR / "typed_schemas" / f"{c.dataset}.sql": f"-- {HEADER[2:]}{typed_table_ddl(c)};\n"
        for c in contracts or all_contracts()
    }


def gx_suite_files(contracts: list[Contract] | None = None) -> dict[Path, str]:
    from data_contracts.gx_suite import suite_json  # Great Expectations: only when generating

    return {
        GENERATED_DIR / "gx_suites" / f"{c.dataset}.json": json.dumps(suite_json(c), ensure_ascii=False, indent=2)
        + "\n"
        for c in contracts or all_contracts()
    }


# -- staging data tests ----------------------------------------------------------------------------------------
def cleaning_model(contract: Contract) -> Path:
    """The model that selects and cleans the contract's validated table (`source('<system>', '<table>')`): its
    base (`base/base_*`: every version, for staging and history alike) when it has one, else its staging model."""
    pattern = re.compile(rf"source\(\s*'{contract.system}'\s*,\s*'{contract.table}'\s*\)")
    folder = DBT_STAGING_DIR / contract.system
    models = sorted(folder.glob("base/base_*.sql")) + sorted(folder.glob("stg_*.sql"))
    found = [p for p in models if pattern.search(p.read_text("utf-8"))]
    if len(found) != 1:
        raise ValueError(f"{contract.dataset}: expected one model selecting {contract.table}, found {found}")
    return found[0]


def staging_model(contract: Contract) -> Path:
    """The staging model of the contract's validated table: the `stg_` model selecting it, or its base."""
    cleaning = cleaning_model(contract)
    if cleaning.name.startswith("stg_"):
        return cleaning
    pattern = re.compile(rf"ref\(\s*'{cleaning.stem}'\s*\)")
    found = [p for p in sorted(cleaning.parents[1].glob("stg_*.sql")) if pattern.search(p.read_text("utf-8"))]
    if len(found) != 1:
        raise ValueError(f"{contract.dataset}: expected one staging model selecting {cleaning.stem}, found {found}")
    return found[0]


def staging_columns(sql: str) -> dict[str, bool]:
    """Output columns of a staging model's select list -> passed through unchanged (`col,`) or computed (`… as col`)."""
    out: dict[str, bool] = {}
    for line in sql.splitlines():
        if m := re.fullmatch(r"\s*(\w+),?", line):
            out.setdefault(m.group(1), True)
        elif m := re.search(r"\bas (\w+),?$", line.strip()):
            out.setdefault(m.group(1), False)
    return out


def staging_tests(contract: Contract, outputs: dict[str, bool]) -> dict[str, list]:
    """Per staging column, the dbt data tests the contract implies — and nothing else:
    unique + not_null on the primary key (staging keeps one version per key); not_null where a value is required
    with severity error (a row without it is quarantined, never staged); accepted_values from a code list on a
    column staging passes through unchanged; relationships to the towns seed where the contract checks the town.
    A warning never becomes a test: its row is staged with the value NULL or normalised."""
    tests: dict[str, list] = defaultdict(list)
    for name in contract.primary_key:
        tests[name].append("unique")
    for rule in contract.rules:
        if rule.column not in outputs:
            continue
        if rule.kind == "required" and rule.is_error:
            tests[rule.column].append("not_null")
        elif rule.kind == "valid_values" and outputs[rule.column]:
            tests[rule.column].append({"accepted_values": {"arguments": {"values": list(rule.argument)}}})
        elif rule.kind == "custom" and rule.argument == "taicang_town":
            tests[rule.column].append({"relationships": {"arguments": {"to": f"ref('{TOWNS_SEED}')", "field": "town"}}})
    return {c: t for c, t in tests.items() if c in outputs}


def _with_tests(model: dict, tests: dict[str, list]) -> dict:
    model = {k: v for k, v in model.items() if k not in ("data_tests", "tests")}
    columns = []
    for column in model.get("columns") or []:
        column = {k: v for k, v in column.items() if k not in ("data_tests", "tests")}
        if tests.get(column["name"]):
            column["data_tests"] = tests[column["name"]]
        columns.append(column)
    listed = {c["name"] for c in columns}
    columns += [{"name": c, "data_tests": t} for c, t in tests.items() if c not in listed and t]
    model["columns"] = columns
    return model


def staging_test_files(contracts: list[Contract] | None = None) -> dict[Path, str]:
    """Each staging model's YAML with its data tests rewritten from its contract (descriptions kept)."""
    files = {}
    for contract in contracts or all_contracts():
        sql_path = staging_model(contract)
        yml_path = sql_path.with_suffix(".yml")
        doc = yaml.safe_load(yml_path.read_text(encoding="utf-8")) if yml_path.exists() else {"version": 2}
        # the columns a staging model passes through from its base are the base's
        tests = staging_tests(contract, staging_columns(cleaning_model(contract).read_text(encoding="utf-8")))
        models = doc.get("models") or [{"name": sql_path.stem}]
        doc["models"] = [_with_tests(m, tests) if m["name"] == sql_path.stem else m for m in models]
        text = STAGING_HEADER + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=110)
        files[yml_path] = text
    return files


def generated_files(contracts: list[Contract] | None = None) -> dict[Path, str]:
    contracts = contracts or all_contracts()
    return (
        dbt_sources_files(contracts)
        | typed_schema_files(contracts)
        | gx_suite_files(contracts)
        | staging_test_files(contracts)
    )


def stale_files() -> list[Path]:
    files = generated_files()
    stale = [p for p, text in files.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
    orphans = [
        p
        for folder in (GENERATED_DIR / "typed_schemas", GENERATED_DIR / "gx_suites")
        for p in sorted(folder.glob("*"))
        if p not in files
    ]
    return stale + orphans


def write_generated() -> list[Path]:
    written = []
    files = generated_files()
    for path, text in files.items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(path)
    for folder in (GENERATED_DIR / "typed_schemas", GENERATED_DIR / "gx_suites"):
        for orphan in (p for p in sorted(folder.glob("*")) if p not in files):
            orphan.unlink()  # the contract is gone
            written.append(orphan)
    return written

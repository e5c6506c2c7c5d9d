"""Files generated from the contracts and committed for review: the GX suites, the typed schemas, dbt sources.

`sdc contracts generate` rewrites them; a test fails when they are out of date. The pipeline builds the
same artefacts from the contracts at run time with the same functions, so nothing is written twice.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import yaml

from data_contracts.contract import Contract, all_contracts
from data_contracts.typed_schema import typed_table_ddl
from sdc.config import REPO_ROOT

DBT_STAGING_DIR = REPO_ROOT / "dbt_project" / "models" / "staging"
GENERATED_DIR = REPO_ROOT / "data_contracts" / "generated"
HEADER = "# Generated from data_contracts/contracts by `sdc contracts generate`. Do not edit.\n"


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


def generated_files(contracts: list[Contract] | None = None) -> dict[Path, str]:
    contracts = contracts or all_contracts()
    return dbt_sources_files(contracts) | typed_schema_files(contracts) | gx_suite_files(contracts)


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

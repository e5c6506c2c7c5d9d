"""Files generated from the contracts and committed for review: dbt sources YAML.

`sdc contracts generate` rewrites them; a test fails when they are out of date.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import yaml

from data_contracts.contract import Contract, all_contracts
from sdc.config import REPO_ROOT

DBT_STAGING_DIR = REPO_ROOT / "dbt_project" / "models" / "staging"
HEADER = "# Generated from data_contracts/contracts by `sdc contracts generate`. Do not edit.\n"


def _source_table(contract: Contract) -> dict:
    table: dict = {
        "name": contract.table,
        "description": f"{contract.title} — validated rows of contract {contract.dataset} v{contract.version}. "
        f"{contract.description}".strip(),
        "meta": {"contract": contract.dataset, "contract_version": contract.version, "owner": contract.owner},
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


def stale_files() -> list[Path]:
    return [p for p, text in dbt_sources_files().items() if not p.exists() or p.read_text(encoding="utf-8") != text]


def write_generated() -> list[Path]:
    written = []
    for path, text in dbt_sources_files().items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written

"""A fresh lake with the tables the dbt project reads, typed and empty: the validated tables of every contract
and the resolution's tables. No pipeline run."""

from __future__ import annotations

from pathlib import Path

from data_contracts.contract import all_contracts
from entity_resolution import lake as resolution_lake
from sdc_settings import Settings, load_settings
from warehouse import validated
from warehouse.lake import lake_connection


def typed_empty_lake(home: Path) -> Settings:
    settings = load_settings({"SDC_HOME": str(home), "SDC_ENV": "ci"})
    with lake_connection(settings) as con:
        for contract in all_contracts():
            validated.ensure_tables(con, contract)
        resolution_lake.ensure_tables(con)
    return settings

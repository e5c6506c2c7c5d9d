"""Dagster resources: the lakehouse connection. Settings come from sdc.config at run time."""

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb

from sdc.config import Settings, load_settings
from warehouse.lake import lake_connection


class LakeResource(dg.ConfigurableResource):
    """Read-write connection to the DuckLake warehouse (one writer process at a time: see definitions)."""

    def settings(self) -> Settings:
        return load_settings()

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with lake_connection(self.settings()) as con:
            yield con

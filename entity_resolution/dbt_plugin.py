"""dbt-duckdb plugin (profiles.yml `plugins:`) that registers the `sdc_*` normalisation functions."""

from dbt.adapters.duckdb.plugins import BasePlugin

from entity_resolution.duckdb_udfs import register


class Plugin(BasePlugin):
    def configure_connection(self, conn) -> None:
        register(conn)

"""dbt-duckdb plugin (profiles.yml `plugins:`): attaches the lake and registers the `sdc_*` normalisation
functions on dbt's connection.

The lake's ATTACH statement and the extension directory arrive in the environment of the dbt process
(`SDC_DBT_LAKE_ATTACH`, `SDC_DBT_EXTENSION_DIR`, written by pipelines/defs/dbt/project.py from the same
`attach_sql` every other lake connection uses), not in the profile: a profile naming a workspace would make
dbt re-parse the whole project in every workspace.
"""

import os

from dbt.adapters.duckdb.plugins import BasePlugin

from entity_resolution.duckdb_udfs import register

LAKE_ATTACH = "SDC_DBT_LAKE_ATTACH"
LAKE_SECRET = "SDC_DBT_LAKE_SECRET"  # the object store's credentials when the lake's data is on S3
EXTENSION_DIR = "SDC_DBT_EXTENSION_DIR"
LAKE = "lake"  # the alias of the attach (warehouse/lake.py), the `database` of every model (dbt_project.yml)


class Plugin(BasePlugin):
    def update_connection_config(self, creds, config: dict) -> None:
        if os.environ.get(EXTENSION_DIR):
            config["extension_directory"] = os.environ[EXTENSION_DIR]
        # dbt-duckdb learns which databases are DuckLakes from the profile's `attach:`, which this plugin
        # replaces; without it, it would drop relations with CASCADE, which DuckLake refuses.
        creds._ducklake_dbs.add(LAKE)

    def configure_connection(self, conn) -> None:
        register(conn)
        if os.environ.get(LAKE_SECRET):
            conn.execute(os.environ[LAKE_SECRET])
        if os.environ.get(LAKE_ATTACH):
            conn.execute(os.environ[LAKE_ATTACH])

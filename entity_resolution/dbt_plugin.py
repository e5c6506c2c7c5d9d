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
EXTENSION_DIR = "SDC_DBT_EXTENSION_DIR"


class Plugin(BasePlugin):
    def update_connection_config(self, creds, config: dict) -> None:
        if os.environ.get(EXTENSION_DIR):
            config["extension_directory"] = os.environ[EXTENSION_DIR]

    def configure_connection(self, conn) -> None:
        register(conn)
        if os.environ.get(LAKE_ATTACH):
            conn.execute(os.environ[LAKE_ATTACH])

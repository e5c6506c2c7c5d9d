"""Dagster resources: the workspace a run works on (lake, landing zone, archive) and the API endpoints it pulls
from, configured from one `Settings` object — a run sees exactly the settings its definitions were built from."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path

import dagster as dg
import duckdb

from sdc_settings import SECRET_VARIABLES, Environment, Settings
from warehouse.lake import lake_connection

_PATHS = {f.name for f in fields(Settings) if f.type == "Path"}


class LakeResource(dg.ConfigurableResource):
    """Read-write connection to the DuckLake warehouse (one writer process at a time: see definitions), and the
    settings of the workspace it belongs to. Its fields are `Settings`' (see `sdc_settings`)."""

    env: str
    home: str
    landing_dir: str
    lake_catalog: str
    extension_dir: str
    landing_quiet_seconds: float
    transport_api_url: str | None = None
    transport_api_token: str | None = None
    credit_api_url: str | None = None
    credit_api_key: str | None = None
    transport_alarms_since: str | None = None
    transport_alarms_until: str | None = None
    publish_keep: int
    iceberg_catalog_uri: str | None = None
    iceberg_warehouse: str | None = None
    full_view_operators: str = ""  # comma-separated login names
    sql_history: str | None = None
    map_tiles: str | None = None
    notify_webhook: str | None = None
    rebuild_quiet_seconds: float = 120.0
    rebuild_max_wait_seconds: float = 300.0
    retry_delay_seconds: float = 10.0
    serve_dsn: str | None = None
    serve_analyst_role: str = "sdc_analyst"
    serve_restricted_role: str = "sdc_restricted"
    lake_data_uri: str | None = None
    s3_endpoint: str | None = None
    s3_region: str | None = None
    s3_key_id: str | None = None
    s3_secret: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings, *, secrets_from_environment: bool = False) -> "LakeResource":
        """`secrets_from_environment`: the API credentials as `EnvVar`s (the UI shows their names, not their
        values), for a code location whose settings were read from this process's environment."""
        values = {f.name: getattr(settings, f.name) for f in fields(Settings)}
        values = {k: str(v) if isinstance(v, Path | Environment) else v for k, v in values.items()}
        values["full_view_operators"] = ",".join(sorted(settings.full_view_operators))
        if secrets_from_environment:
            values |= {name: dg.EnvVar(var) for name, var in SECRET_VARIABLES.items() if values[name] is not None}
        return cls(**values)

    def settings(self) -> Settings:
        values = {f.name: getattr(self, f.name) for f in fields(Settings)}
        values |= {k: Path(values[k]) for k in _PATHS}
        values |= {"full_view_operators": frozenset(n for n in self.full_view_operators.split(",") if n)}
        values |= {"sql_history": Path(self.sql_history) if self.sql_history else None}
        return Settings(**(values | {"env": Environment(self.env)}))

    @contextmanager
    def connect(self, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """`read_only` (sensors): raises NoWorkspace while no run has created the lake yet."""
        with lake_connection(self.settings(), read_only=read_only) as con:
            yield con

"""One environment resolver: every path, URL and secret the data centre uses comes from here.

A process reads its environment once (`load_settings`) at its entry point (`sdc`, the Dagster code location)
and hands the `Settings` down; nothing below reads the environment. This module imports nothing of ours."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


class Environment(StrEnum):
    LOCAL = "local"
    CI = "ci"
    PROD = "prod"


# DuckLake catalog databases: SQLite for one machine, PostgreSQL for several (DuckLake's multi-user option).
CATALOG_KINDS = ("sqlite", "postgres")


# Settings that must not be shown (Dagster's UI shows the variable's name instead): {field: variable}.
# A webhook's URL carries its key (WeCom, DingTalk robots); a libpq DSN may carry a password.
SECRET_VARIABLES = {
    "transport_api_token": "SDC_TRANSPORT_API_TOKEN",
    "credit_api_key": "SDC_CREDIT_API_KEY",
    "notify_webhook": "SDC_NOTIFY_WEBHOOK",
    "serve_dsn": "SDC_SERVE_DSN",
    "s3_secret": "SDC_S3_SECRET",
}
# SDC_SERVE_DSN's value that turns serving off where it is on by default (prod).
SERVE_OFF = "off"


class ConfigError(ValueError):
    """A configuration value is missing or not one of the allowed values."""


class NoWorkspace(ConfigError):
    """SDC_HOME names no workspace (nothing has run there): a read-only command says so and creates nothing."""


def resolve_environment(value: str | None) -> Environment:
    """`SDC_ENV` -> Environment; an unknown name is an error that lists the allowed ones."""
    if value is None or value == "":
        return Environment.LOCAL
    try:
        return Environment(value.strip().lower())
    except ValueError:
        allowed = ", ".join(e.value for e in Environment)
        raise ConfigError(f"SDC_ENV={value!r} is not a known environment; allowed: {allowed}") from None


@dataclass(frozen=True)
class Settings:
    env: Environment
    home: Path
    landing_dir: Path
    transport_api_url: str | None
    transport_api_token: str | None
    credit_api_url: str | None
    credit_api_key: str | None
    lake_catalog: str
    """DuckLake catalog location as DuckDB's ATTACH expects after `ducklake:` (sqlite:<file> or postgres:<dsn>)."""
    extension_dir: Path
    landing_quiet_seconds: float = 300.0
    """A file written in place (system C) is complete once unchanged this long."""
    transport_alarms_since: str | None = None
    """First alarm window start (`YYYY-MM-DD HH:MM:SS`, Beijing time) before any cursor exists; default 30 days ago."""
    transport_alarms_until: str | None = None
    """Last alarm window end (`YYYY-MM-DD HH:MM:SS`, Beijing time); default now. For a pull of a closed period, and
    for a simulated platform, whose clock stops where its simulated days end."""
    publish_keep: int = 30
    """Publishes kept queryable ("as of"); older lake snapshots are expired after each publish."""
    iceberg_catalog_uri: str | None = None
    """SQL catalog of the Iceberg export (SQLAlchemy URL); default a SQLite file under the workspace."""
    iceberg_warehouse: str | None = None
    """Where the Iceberg export writes its tables (file:// or s3://); default under the workspace."""
    full_view_operators: frozenset[str] = frozenset()
    """Login names allowed the restricted (unmasked) view, `sdc sql --full`; nobody by default."""
    sql_history: Path | None = None
    """The interactive `sdc sql` shell's history file (per user, outside the workspace); None: no history kept."""
    map_tiles: str | None = None
    """Tile URL template of a deployment's own tile server for the dashboard's map (`https://tiles.example/{z}/{x}/{y}.png`);
    None: the map is drawn on a blank canvas."""
    notify_webhook: str | None = None
    """URL that new alerts, failures and freshness breaches are POSTed to as JSON; None: the log file only."""
    rebuild_quiet_seconds: float = 120.0
    """New validated data rebuilds the models and publishes once no more has arrived for this long..."""
    rebuild_max_wait_seconds: float = 300.0
    """...or once the oldest unpublished data has waited this long, whatever keeps arriving."""
    retry_delay_seconds: float = 10.0
    """First wait before a step that failed on something transient (API unavailable, catalog busy) runs again;
    doubled on each retry, with jitter."""
    serve_dsn: str | None = None
    """PostgreSQL database (libpq DSN) every publish is also served to (warehouse/serving.py); None: not served."""
    serve_analyst_role: str = "sdc_analyst"
    """PostgreSQL role that reads the masked marts of the served database."""
    serve_restricted_role: str = "sdc_restricted"
    """PostgreSQL role that reads the masked and the full marts of the served database."""
    lake_data_uri: str | None = None
    """Where the lake's Parquet files live when not in the workspace: `s3://bucket/prefix` (S3-compatible storage)."""
    s3_endpoint: str | None = None
    """S3-compatible server other than AWS (`http://host:port` or `https://host`); None: AWS itself."""
    s3_region: str | None = None
    s3_key_id: str | None = None
    s3_secret: str | None = None

    @property
    def lake_data_location(self) -> str:
        """The lake's DATA_PATH: the object store's URI, or the workspace folder."""
        return self.lake_data_uri or str(self.lake_data_path)

    @property
    def catalog_kind(self) -> str:
        return self.lake_catalog.split(":", 1)[0]

    @property
    def warehouse_dir(self) -> Path:
        return self.home / "warehouse"

    @property
    def lake_data_path(self) -> Path:
        return self.warehouse_dir / "lake_data"

    @property
    def archive_dir(self) -> Path:
        """Content-addressed copies of every received file."""
        return self.home / "archive"

    @property
    def export_dir(self) -> Path:
        """Parquet export of the published marts (masked), one folder per mart, for BI tools."""
        return self.home / "exports" / "parquet"

    @property
    def iceberg_catalog(self) -> str:
        return self.iceberg_catalog_uri or f"sqlite:///{self.home / 'iceberg' / 'catalog.sqlite'}"

    @property
    def iceberg_location(self) -> str:
        return self.iceberg_warehouse or (self.home / "iceberg" / "warehouse").as_uri()

    @property
    def full_view_audit_log(self) -> Path:
        """Every use of the restricted view, one JSON line each (warehouse/full_view.py)."""
        return self.home / "audit" / "full_view.jsonl"

    @property
    def notify_log(self) -> Path:
        """Every notification sent (new alerts, failures, freshness breaches), one JSON line each."""
        return self.home / "notifications" / "notifications.jsonl"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster"

    @property
    def dbt_target_dir(self) -> Path:
        """dbt's artefacts and logs of this workspace's runs, one folder per invocation."""
        return self.home / "dbt_target"


def load_settings(environ: Mapping[str, str]) -> Settings:
    """The settings in `environ` (a process's entry point passes `os.environ`); a missing or unknown value is a
    ConfigError naming the variable."""
    env_vars = environ
    env = resolve_environment(env_vars.get("SDC_ENV"))
    home = Path(env_vars.get("SDC_HOME") or REPO_ROOT / ".sdc").expanduser().resolve()
    landing = Path(env_vars.get("SDC_LANDING_DIR") or home / "landing").expanduser().resolve()
    catalog = env_vars.get("SDC_LAKE_CATALOG")
    if not catalog:
        if env is Environment.PROD:
            raise ConfigError("SDC_ENV=prod needs SDC_LAKE_CATALOG (e.g. postgres:dbname=sdc host=...)")
        catalog = f"sqlite:{home / 'warehouse' / 'catalog.sqlite'}"
    kind = catalog.split(":", 1)[0]
    if kind not in CATALOG_KINDS:
        raise ConfigError(
            f"SDC_LAKE_CATALOG={catalog!r}: the catalog must start with one of {', '.join(CATALOG_KINDS)}"
        )
    if env is Environment.PROD and kind != "postgres":
        # Several machines (Dagster workers, dbt, readers) share the lake in production: SQLite is one machine's.
        raise ConfigError("SDC_ENV=prod needs a PostgreSQL catalog: SDC_LAKE_CATALOG=postgres:<libpq dsn>")
    keep = env_vars.get("SDC_PUBLISH_KEEP") or "30"
    if not keep.isdigit() or int(keep) < 2:
        # The previous publish always stays: readers that opened it just before a publish finish on it.
        raise ConfigError(f"SDC_PUBLISH_KEEP={keep!r} must be a whole number of publishes >= 2")
    ext_dir = Path(env_vars.get("SDC_DUCKDB_EXTENSION_DIR") or REPO_ROOT / ".duckdb_extensions")
    operators = frozenset(n.strip() for n in env_vars.get("SDC_FULL_VIEW_OPERATORS", "").split(",") if n.strip())
    data_uri = (env_vars.get("SDC_LAKE_DATA_PATH") or "").rstrip("/") or None
    if data_uri and not data_uri.startswith("s3://"):
        raise ConfigError(f"SDC_LAKE_DATA_PATH={data_uri!r}: give an s3://bucket/prefix (unset: the workspace folder)")
    if data_uri and not (env_vars.get("SDC_S3_KEY_ID") and env_vars.get(SECRET_VARIABLES["s3_secret"])):
        raise ConfigError("SDC_LAKE_DATA_PATH on S3 needs SDC_S3_KEY_ID and SDC_S3_SECRET")
    endpoint = env_vars.get("SDC_S3_ENDPOINT") or None
    if endpoint and not endpoint.startswith(("http://", "https://")):
        raise ConfigError(f"SDC_S3_ENDPOINT={endpoint!r}: give http://host:port or https://host")
    user_home = env_vars.get("HOME")
    history = env_vars.get("SDC_SQL_HISTORY") or (f"{user_home}/.sdc_sql_history" if user_home else None)
    serve_dsn = _serve_dsn(env_vars, env)
    roles = {v: _role(env_vars, v, d) for v, d in (("SDC_SERVE_ANALYST_ROLE", "sdc_analyst"),
                                                   ("SDC_SERVE_RESTRICTED_ROLE", "sdc_restricted"))}  # fmt: skip
    if len(set(roles.values())) < 2:
        raise ConfigError("SDC_SERVE_ANALYST_ROLE and SDC_SERVE_RESTRICTED_ROLE must be two different roles")
    return Settings(
        env=env,
        home=home,
        landing_dir=landing,
        transport_api_url=env_vars.get("SDC_TRANSPORT_API_URL") or None,
        transport_api_token=env_vars.get(SECRET_VARIABLES["transport_api_token"]) or None,
        credit_api_url=env_vars.get("SDC_CREDIT_API_URL") or None,
        credit_api_key=env_vars.get(SECRET_VARIABLES["credit_api_key"]) or None,
        lake_catalog=catalog,
        extension_dir=ext_dir.expanduser().resolve(),
        landing_quiet_seconds=_seconds(env_vars, "SDC_LANDING_QUIET_SECONDS", 300.0),
        transport_alarms_since=_beijing_time(env_vars, "SDC_TRANSPORT_ALARMS_SINCE"),
        transport_alarms_until=_beijing_time(env_vars, "SDC_TRANSPORT_ALARMS_UNTIL"),
        publish_keep=int(keep),
        iceberg_catalog_uri=env_vars.get("SDC_ICEBERG_CATALOG_URI") or None,
        iceberg_warehouse=env_vars.get("SDC_ICEBERG_WAREHOUSE") or None,
        full_view_operators=operators,
        sql_history=Path(history).resolve() if history else None,
        map_tiles=env_vars.get("SDC_MAP_TILES") or None,
        notify_webhook=env_vars.get(SECRET_VARIABLES["notify_webhook"]) or None,
        rebuild_quiet_seconds=_seconds(env_vars, "SDC_REBUILD_QUIET_SECONDS", 120.0),
        rebuild_max_wait_seconds=_seconds(env_vars, "SDC_REBUILD_MAX_WAIT_SECONDS", 300.0),
        retry_delay_seconds=_seconds(env_vars, "SDC_RETRY_DELAY_SECONDS", 10.0),
        serve_dsn=serve_dsn,
        serve_analyst_role=roles["SDC_SERVE_ANALYST_ROLE"],
        serve_restricted_role=roles["SDC_SERVE_RESTRICTED_ROLE"],
        lake_data_uri=data_uri,
        s3_endpoint=endpoint,
        s3_region=env_vars.get("SDC_S3_REGION") or None,
        s3_key_id=env_vars.get("SDC_S3_KEY_ID") or None,
        s3_secret=env_vars.get(SECRET_VARIABLES["s3_secret"]) or None,
    )


def _serve_dsn(env_vars: Mapping[str, str], env: Environment) -> str | None:
    """Serving is off by default on one machine, on in production: there a missing DSN is an error and
    `SDC_SERVE_DSN=off` the deliberate choice not to serve."""
    value = (env_vars.get("SDC_SERVE_DSN") or "").strip()
    if value.lower() == SERVE_OFF:
        return None
    if not value and env is Environment.PROD:
        raise ConfigError(
            "SDC_ENV=prod serves every publish to PostgreSQL: set SDC_SERVE_DSN (e.g. dbname=sdc_serving "
            f"host=pg.internal user=sdc_pipeline), or SDC_SERVE_DSN={SERVE_OFF} not to serve"
        )
    return value or None


def _role(env_vars: Mapping[str, str], name: str, default: str) -> str:
    role = (env_vars.get(name) or default).strip()
    # written into GRANT statements unquoted: a plain lower-case PostgreSQL identifier only
    if not (role[:1].isalpha() or role[:1] == "_") or not all(c.isascii() and (c.isalnum() or c == "_") for c in role):
        raise ConfigError(f"{name}={role!r} must be a PostgreSQL role name of letters, digits and _")
    return role.lower()


def _beijing_time(env_vars: Mapping[str, str], name: str) -> str | None:
    value = env_vars.get(name) or None
    if value is not None:
        try:
            dt.datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
        except ValueError:
            raise ConfigError(f"{name}={value!r}: give a Beijing time as YYYY-MM-DD HH:MM:SS") from None
    return value


def _seconds(env_vars: Mapping[str, str], name: str, default: float) -> float:
    value = env_vars.get(name)
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        raise ConfigError(f"{name}={value!r} is not a number of seconds") from None
    if seconds < 0:
        raise ConfigError(f"{name}={value!r} must not be negative")
    return seconds

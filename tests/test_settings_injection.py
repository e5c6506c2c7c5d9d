"""Settings are read once, at a process's entry point, and handed down: the code location is built from a
`Settings` object and its resources give the assets exactly that object; nothing below reads the environment."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import dagster as dg
import pytest

from pipelines.definitions import build_definitions
from pipelines.resources import LakeResource
from sdc_settings import SECRET_VARIABLES, load_settings

REPO = Path(__file__).resolve().parent.parent

# Where the process environment may be read: the entry points that build the one Settings object, the test
# hooks (inert unless a test sets them), GX's telemetry default, the dbt process's plugin (its environment is
# given explicitly by dbt_environment) and what the environment of a started subprocess inherits.
READS_ENVIRONMENT = {
    "sdc/invocation.py",  # `sdc`'s entry point
    "pipelines/definitions.py",  # the code location's entry point (`dagster dev`)
    "warehouse/failpoints.py",  # test hook: crash tests
    "connectors/landing.py",  # test hook: the kill-midway test
    "data_contracts/gx_suite.py",  # telemetry off unless the caller says otherwise
    "entity_resolution/dbt_plugin.py",  # runs inside dbt, on the environment dbt_environment gave it
    "pipelines/defs/dbt/project.py",  # dbt_environment: PATH, HOME, locale of the dbt subprocess
    "sdc/runner.py",  # the environment of `dagster dev`
}
PRODUCT = ("sdc_settings", "sdc", "pipelines", "connectors", "data_contracts", "warehouse", "entity_resolution")


@pytest.fixture
def settings(tmp_path):
    return load_settings({
        "SDC_HOME": str(tmp_path / "home"), "SDC_ENV": "ci", "SDC_LANDING_DIR": str(tmp_path / "drop"),
        "SDC_TRANSPORT_API_URL": "http://127.0.0.1:1", "SDC_TRANSPORT_API_TOKEN": "token",
        "SDC_CREDIT_API_URL": "http://127.0.0.1:2", "SDC_CREDIT_API_KEY": "key",
        "SDC_LANDING_QUIET_SECONDS": "7", "SDC_PUBLISH_KEEP": "5", "SDC_TRANSPORT_ALARMS_SINCE": "2026-11-01 00:00:00",
        "SDC_TRANSPORT_ALARMS_UNTIL": "2026-11-30 00:00:00",
        "SDC_FULL_VIEW_OPERATORS": "zhangwei, lina", "SDC_SQL_HISTORY": str(tmp_path / "history"),
        "SDC_NOTIFY_WEBHOOK": "http://127.0.0.1:3/hook?key=k", "SDC_REBUILD_QUIET_SECONDS": "30",
        "SDC_REBUILD_MAX_WAIT_SECONDS": "240", "SDC_RETRY_DELAY_SECONDS": "2",
        "SDC_SERVE_DSN": "dbname=bi host=127.0.0.1", "SDC_SERVE_ANALYST_ROLE": "bi_reader",
        "SDC_LAKE_DATA_PATH": "s3://sdc-lake/taicang", "SDC_S3_ENDPOINT": "http://127.0.0.1:3",
        "SDC_S3_REGION": "cn-east-1", "SDC_S3_KEY_ID": "key-id", "SDC_S3_SECRET": "secret",
    })  # fmt: skip


def test_the_lake_resource_carries_every_setting(settings):
    assert LakeResource.from_settings(settings).settings() == settings


def test_the_code_location_runs_on_the_settings_it_was_built_from(settings):
    lake = build_definitions(settings).resources["lake"]
    assert lake.settings() == settings
    assert load_settings(os.environ) != settings  # not what this process's environment says


def test_api_secrets_from_the_environment_show_as_variable_names(settings):
    lake = build_definitions(settings, secrets_from_environment=True).resources["lake"]
    for field, variable in SECRET_VARIABLES.items():
        secret = getattr(lake, field)
        assert isinstance(secret, dg.EnvVar) and secret.env_var_name == variable
    assert lake.transport_api_url == settings.transport_api_url  # not a secret: shown as it is


def _reads_environment(path: Path) -> bool:
    return any(
        isinstance(node, ast.Attribute)
        and node.attr in ("environ", "getenv", "putenv", "unsetenv")
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
        for node in ast.walk(ast.parse(path.read_text("utf-8")))
    )


def test_nothing_below_the_entry_points_reads_the_environment():
    readers = {
        p.relative_to(REPO).as_posix() for pkg in PRODUCT for p in (REPO / pkg).rglob("*.py") if _reads_environment(p)
    }
    assert readers <= READS_ENVIRONMENT, sorted(readers - READS_ENVIRONMENT)
    assert not _reads_environment(REPO / "sdc_settings" / "__init__.py")  # it reads the mapping it is given

"""Production settings: the multi-user catalog, retention, the Iceberg catalog."""

import pytest

from sdc_settings import ConfigError, load_settings


def test_prod_needs_a_postgresql_catalog(tmp_path):
    with pytest.raises(ConfigError, match="PostgreSQL"):
        load_settings({"SDC_HOME": str(tmp_path), "SDC_ENV": "prod", "SDC_LAKE_CATALOG": f"sqlite:{tmp_path}/c"})
    s = load_settings({"SDC_HOME": str(tmp_path), "SDC_ENV": "prod", "SDC_LAKE_CATALOG": "postgres:dbname=sdc",
                       "SDC_SERVE_DSN": "dbname=sdc_serving"})  # fmt: skip
    assert s.catalog_kind == "postgres"


def test_serving_is_off_locally_and_on_in_production_unless_turned_off(tmp_path):
    assert load_settings({"SDC_HOME": str(tmp_path)}).serve_dsn is None
    prod = {"SDC_HOME": str(tmp_path), "SDC_ENV": "prod", "SDC_LAKE_CATALOG": "postgres:dbname=sdc"}
    with pytest.raises(ConfigError, match="SDC_SERVE_DSN"):
        load_settings(prod)
    assert load_settings(prod | {"SDC_SERVE_DSN": "off"}).serve_dsn is None
    s = load_settings(prod | {"SDC_SERVE_DSN": "dbname=bi host=pg"})
    assert (s.serve_dsn, s.serve_analyst_role, s.serve_restricted_role) == ("dbname=bi host=pg", "sdc_analyst",
                                                                            "sdc_restricted")  # fmt: skip


@pytest.mark.parametrize(
    "roles", [{"SDC_SERVE_ANALYST_ROLE": "bi; drop"}, {"SDC_SERVE_RESTRICTED_ROLE": "1x"},
              {"SDC_SERVE_ANALYST_ROLE": "same", "SDC_SERVE_RESTRICTED_ROLE": "same"}],
)  # fmt: skip
def test_serving_roles_are_two_plain_role_names(tmp_path, roles):
    with pytest.raises(ConfigError, match="ROLE"):
        load_settings({"SDC_HOME": str(tmp_path), **roles})


def test_unknown_catalog_kind_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="sqlite, postgres"):
        load_settings({"SDC_HOME": str(tmp_path), "SDC_LAKE_CATALOG": "duckdb:/tmp/x.db"})


@pytest.mark.parametrize("keep", ["1", "0", "-1", "ten"])
def test_retention_must_be_a_positive_number_of_publishes(tmp_path, keep):
    with pytest.raises(ConfigError, match="SDC_PUBLISH_KEEP"):
        load_settings({"SDC_HOME": str(tmp_path), "SDC_PUBLISH_KEEP": keep})


def test_export_locations_default_under_the_workspace_and_can_move(tmp_path):
    s = load_settings({"SDC_HOME": str(tmp_path)})
    assert s.publish_keep == 30
    assert s.export_dir == tmp_path / "exports" / "parquet"
    assert s.iceberg_catalog == f"sqlite:///{tmp_path}/iceberg/catalog.sqlite"
    assert s.iceberg_location == (tmp_path / "iceberg" / "warehouse").as_uri()
    s = load_settings({
        "SDC_HOME": str(tmp_path), "SDC_ICEBERG_CATALOG_URI": "postgresql+psycopg2://sdc@db/iceberg",
        "SDC_ICEBERG_WAREHOUSE": "s3://sdc-lake/iceberg", "SDC_PUBLISH_KEEP": "90",
    })  # fmt: skip
    assert (s.iceberg_catalog, s.iceberg_location, s.publish_keep) == (
        "postgresql+psycopg2://sdc@db/iceberg", "s3://sdc-lake/iceberg", 90,
    )  # fmt: skip

"""Production settings: the multi-user catalog, retention, the Iceberg catalog."""

import pytest

from sdc_settings import ConfigError, load_settings


def test_prod_needs_a_postgresql_catalog(tmp_path):
    with pytest.raises(ConfigError, match="PostgreSQL"):
        load_settings({"SDC_HOME": str(tmp_path), "SDC_ENV": "prod", "SDC_LAKE_CATALOG": f"sqlite:{tmp_path}/c"})
    s = load_settings({"SDC_HOME": str(tmp_path), "SDC_ENV": "prod", "SDC_LAKE_CATALOG": "postgres:dbname=sdc"})
    assert s.catalog_kind == "postgres"


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

import pytest

from sdc_settings import ConfigError, Environment, load_settings, resolve_environment


def test_unknown_environment_names_the_allowed_ones():
    with pytest.raises(ConfigError, match="local, ci, prod"):
        resolve_environment("staging")


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, Environment.LOCAL), ("", Environment.LOCAL), ("CI", Environment.CI), ("prod", Environment.PROD)],
)
def test_known_environments(value, expected):
    assert resolve_environment(value) is expected


def test_defaults_live_under_sdc_home(tmp_path):
    s = load_settings({"SDC_HOME": str(tmp_path)})
    assert s.landing_dir == tmp_path / "landing"
    assert s.lake_catalog == f"sqlite:{tmp_path / 'warehouse' / 'catalog.sqlite'}"
    assert s.transport_api_url is None


def test_landing_dir_and_api_settings_override(tmp_path):
    s = load_settings({
        "SDC_HOME": str(tmp_path), "SDC_LANDING_DIR": str(tmp_path / "drop"),
        "SDC_TRANSPORT_API_URL": "http://127.0.0.1:1", "SDC_TRANSPORT_API_TOKEN": "t",
        "SDC_CREDIT_API_URL": "http://127.0.0.1:2", "SDC_CREDIT_API_KEY": "k",
    })  # fmt: skip
    assert s.landing_dir == tmp_path / "drop"
    assert (s.transport_api_token, s.credit_api_key) == ("t", "k")


def test_prod_requires_an_explicit_catalog(tmp_path):
    with pytest.raises(ConfigError, match="SDC_LAKE_CATALOG"):
        load_settings({"SDC_HOME": str(tmp_path), "SDC_ENV": "prod"})


S3 = {"SDC_LAKE_DATA_PATH": "s3://sdc-lake/taicang/", "SDC_S3_KEY_ID": "id", "SDC_S3_SECRET": "secret"}


def test_lake_data_on_s3_is_the_attach_data_path_with_a_secret_per_connection(tmp_path):
    from warehouse.lake import attach_sql, secret_sql

    s = load_settings({"SDC_HOME": str(tmp_path), **S3, "SDC_S3_ENDPOINT": "http://127.0.0.1:9000"})
    assert s.lake_data_location == "s3://sdc-lake/taicang"
    assert "DATA_PATH 's3://sdc-lake/taicang/'" in attach_sql(s)
    secret = secret_sql(s)
    for option in ("KEY_ID 'id'", "SECRET 'secret'", "SCOPE 's3://sdc-lake'", "ENDPOINT '127.0.0.1:9000'",
                   "URL_STYLE 'path'", "USE_SSL FALSE", "REGION 'us-east-1'"):  # fmt: skip
        assert option in secret
    aws = secret_sql(load_settings({"SDC_HOME": str(tmp_path), **S3, "SDC_S3_REGION": "cn-north-1"}))
    assert "ENDPOINT" not in aws and "REGION 'cn-north-1'" in aws
    local = load_settings({"SDC_HOME": str(tmp_path)})
    assert secret_sql(local) is None and local.lake_data_location == str(tmp_path / "warehouse" / "lake_data")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"SDC_LAKE_DATA_PATH": "gs://bucket/lake"}, "s3://"),
        ({"SDC_LAKE_DATA_PATH": "s3://bucket/lake"}, "SDC_S3_KEY_ID and SDC_S3_SECRET"),
        ({**S3, "SDC_S3_ENDPOINT": "127.0.0.1:9000"}, "http://host:port"),
    ],
)
def test_object_storage_settings_are_checked(tmp_path, extra, message):
    with pytest.raises(ConfigError, match=message):
        load_settings({"SDC_HOME": str(tmp_path), **extra})


@pytest.mark.parametrize("name", ["SDC_TRANSPORT_ALARMS_SINCE", "SDC_TRANSPORT_ALARMS_UNTIL"])
@pytest.mark.parametrize("value", ["2026-11-01", "2026-11-01T08:00:00", "yesterday"])
def test_alarm_window_bounds_must_be_beijing_times(tmp_path, name, value):
    with pytest.raises(ConfigError, match=f"{name}=.*YYYY-MM-DD HH:MM:SS"):
        load_settings({"SDC_HOME": str(tmp_path), name: value})
    assert getattr(load_settings({"SDC_HOME": str(tmp_path), name: "2026-11-01 08:00:00"}), name[4:].lower()) == (
        "2026-11-01 08:00:00"
    )

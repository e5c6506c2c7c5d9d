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

from pipelines.defs.dbt.project import dbt_build_args, dbt_parse_args


def test_build_args_name_the_target():
    assert dbt_build_args("ci") == ["build", "--target", "ci"]


def test_build_args_full_refresh():
    assert dbt_build_args("prod", full_refresh=True) == ["build", "--target", "prod", "--full-refresh"]


def test_parse_args():
    assert dbt_parse_args("local") == ["parse", "--quiet", "--target", "local"]

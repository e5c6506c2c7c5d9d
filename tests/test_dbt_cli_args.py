from pipelines.defs.dbt.project import dbt_build_args, dbt_parse_args


def test_build_args_name_the_target():
    assert dbt_build_args("ci") == ["build", "--target", "ci"]


def test_build_args_full_refresh():
    assert dbt_build_args("prod", full_refresh=True) == ["build", "--target", "prod", "--full-refresh"]


def test_parse_args():
    assert dbt_parse_args("local") == ["parse", "--quiet", "--target", "local"]


def test_docs_args():
    from pipelines.defs.dbt.project import dbt_docs_args

    assert dbt_docs_args("ci") == ["docs", "generate", "--target", "ci"]


def test_the_two_dbt_parts_cover_the_project_without_overlap():
    from pipelines.defs.dbt.project import MARTS_SELECT, UPSTREAM_SELECT

    assert set(UPSTREAM_SELECT.split()) == {"staging", "intermediate", "history", "resource_type:seed"}
    assert MARTS_SELECT == "marts"

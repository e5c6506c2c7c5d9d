from pipelines.defs.dbt.project import dbt_build_args, dbt_parse_args, dbt_threads, held_back_reasons

BUILD = ["build", "--target", "ci", "--threads", "1", "--exclude-resource-type", "unit_test"]


def test_build_args_name_the_target_and_leave_unit_tests_to_the_test_suite():
    assert dbt_build_args("ci") == BUILD


def test_build_args_full_refresh():
    assert dbt_build_args("prod", full_refresh=True)[-1] == "--full-refresh"


def test_build_args_leave_out_held_back_models_in_one_selection():
    # one space-separated value: dagster-dbt folds it into its own selection (or generated selector)
    assert dbt_build_args("ci", exclude=["map_points", "enterprise_profile"], threads=2) == [
        "build", "--target", "ci", "--threads", "2", "--exclude-resource-type", "unit_test",
        "--exclude", "map_points enterprise_profile",
    ]  # fmt: skip


def test_threads_one_per_two_cores_at_most_four():
    assert [dbt_threads(n) for n in (None, 1, 2, 3, 4, 8, 64)] == [1, 1, 1, 1, 2, 4, 4]


def test_parse_args():
    assert dbt_parse_args("local") == ["parse", "--quiet", "--target", "local"]


def test_docs_args():
    from pipelines.defs.dbt.project import dbt_docs_args

    assert dbt_docs_args("ci") == ["docs", "generate", "--target", "ci"]


def test_the_two_dbt_parts_cover_the_project_without_overlap():
    from pipelines.defs.dbt.project import MARTS_SELECT, UPSTREAM_SELECT

    assert set(UPSTREAM_SELECT.split()) == {"staging", "intermediate", "history", "resource_type:seed"}
    assert MARTS_SELECT == "marts"


def _manifest():
    """stg_a (tested) -> int_b -> mart_c; stg_d -> mart_e; mart_c and mart_e -> mart_f."""
    parents = {
        "model.p.stg_a": ["source.p.s.a"], "test.p.unique_stg_a_id": ["model.p.stg_a"],
        "model.p.int_b": ["model.p.stg_a"], "model.p.mart_c": ["model.p.int_b"],
        "model.p.stg_d": ["source.p.s.d"], "model.p.mart_e": ["model.p.stg_d"],
        "model.p.mart_f": ["model.p.mart_c", "model.p.mart_e"],
    }  # fmt: skip
    children: dict[str, list[str]] = {}
    for child, ps in parents.items():
        for p in ps:
            children.setdefault(p, []).append(child)
    nodes = {uid: {"name": uid.rsplit(".", 1)[-1]} for uid in parents}
    return {"parent_map": parents, "child_map": children, "nodes": nodes}


def test_skipped_models_name_the_failed_test_upstream_of_them():
    statuses = {
        "model.p.stg_a": "success", "test.p.unique_stg_a_id": "fail", "model.p.int_b": "skipped",
        "model.p.mart_c": "skipped", "model.p.stg_d": "success", "model.p.mart_e": "success",
        "model.p.mart_f": "skipped",
    }  # fmt: skip
    reasons = held_back_reasons(_manifest(), statuses)
    why = "dbt test unique_stg_a_id failed on stg_a"
    assert reasons == {"model.p.int_b": why, "model.p.mart_c": why, "model.p.mart_f": why}


def test_an_errored_model_holds_back_itself_and_its_downstream():
    statuses = {"model.p.stg_d": "error", "model.p.mart_e": "skipped", "test.p.unique_stg_a_id": "warn"}
    assert held_back_reasons(_manifest(), statuses) == {
        "model.p.stg_d": "dbt model stg_d failed",
        "model.p.mart_e": "dbt model stg_d failed",
    }

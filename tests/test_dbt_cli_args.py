from pipelines.defs.dbt.project import dbt_build_args, dbt_parse_args, dbt_threads, held_back_reasons

BUILD = ["build", "--threads", "1", "--exclude-resource-type", "unit_test"]


def test_build_args_leave_the_target_to_the_profile_and_unit_tests_to_the_test_suite():
    # a --target would enter dbt's parse-state hash: the manifest parsed at setup could not be reused
    assert dbt_build_args() == BUILD


def test_build_args_leave_out_held_back_models_in_one_selection():
    # one space-separated value: dagster-dbt folds it into its own selection (or generated selector)
    assert dbt_build_args(exclude=["map_points", "enterprise_profile"], threads=2) == [
        "build", "--threads", "2", "--exclude-resource-type", "unit_test",
        "--exclude", "map_points enterprise_profile",
    ]  # fmt: skip


def test_threads_one_per_two_cores_at_most_four():
    assert [dbt_threads(n) for n in (None, 1, 2, 3, 4, 8, 64)] == [1, 1, 1, 1, 2, 4, 4]


def test_parse_args():
    assert dbt_parse_args() == ["parse", "--quiet"]


def test_docs_args():
    from pipelines.defs.dbt.project import dbt_docs_args

    assert dbt_docs_args() == ["docs", "generate"]


def test_each_invocation_gets_its_own_target_folder_in_the_workspace_and_old_ones_go(tmp_path):
    import os

    from pipelines.defs.dbt.project import invocation_target

    for i in range(5):
        folder = tmp_path / f"part-{i}"
        folder.mkdir()
        os.utime(folder, (1000 + i, 1000 + i))
    target = invocation_target(tmp_path, "sdc_dbt_models", "0123456789abcdef", keep=3)
    assert target == tmp_path / "sdc_dbt_models-01234567"
    # the new invocation makes the third: the two newest earlier ones stay
    assert sorted(p.name for p in tmp_path.iterdir()) == ["part-3", "part-4"]


def test_the_dbt_profile_names_no_workspace_and_the_attach_is_the_lakes():
    """dbt hashes the profile into its parse state: a path in it would force a full parse in every workspace."""
    from pathlib import Path

    from pipelines.defs.dbt.project import DBT_PROJECT_DIR, dbt_profile_environment
    from sdc_settings import load_settings
    from warehouse.lake import attach_sql

    profile = (DBT_PROJECT_DIR / "profiles.yml").read_text(encoding="utf-8")
    assert "attach:" not in profile and "extension_directory:" not in profile
    settings = load_settings({"SDC_HOME": str(Path("/tmp/some-workspace")), "SDC_ENV": "ci"})
    env = dbt_profile_environment(settings)
    assert env["SDC_DBT_LAKE_ATTACH"] == attach_sql(settings)
    assert env["SDC_DBT_TARGET"] == "ci"


def test_the_two_dbt_parts_cover_the_project_without_overlap():
    """Every model and seed of the manifest is built by exactly one of the two parts (as dbt selects them):
    every mart in the second, and nothing that reads the resolution's tables in the first."""
    from pipelines.defs.dbt.assets import json_manifest, sdc_dbt_models, sdc_dbt_upstream

    upstream, marts = set(sdc_dbt_upstream.keys), set(sdc_dbt_models.keys)
    manifest = json_manifest()
    built = [n for n in manifest["nodes"].values() if n["resource_type"] in ("model", "seed")]
    assert not upstream & marts
    assert len(upstream) + len(marts) == len(built)
    assert "marts" not in {k.path[0] for k in upstream}
    after_resolution, todo = set(), [u for u in manifest["sources"] if ".resolution." in u]
    while todo:
        for child in manifest["child_map"].get(todo.pop(), ()):
            if child not in after_resolution:
                after_resolution.add(child)
                todo.append(child)
    names_after = {manifest["nodes"][u]["name"] for u in after_resolution if u.startswith("model.")}
    assert names_after, "the resolution's tables feed no model"
    assert not names_after & {k.path[-1] for k in upstream}


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

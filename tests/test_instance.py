"""The workspace's Dagster instance (pipelines/instance.py): Dagster's SQLite files, written by an event log that
keeps its connections open, and read back by a stock Dagster instance."""

import shutil
from pathlib import Path

import dagster as dg

from sdc.runner import DAGSTER_YAML


@dg.asset
def waybill_count() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"dagster/row_count": 3})


@dg.asset_check(asset=waybill_count)
def waybill_count_positive() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


def _run(instance: dg.DagsterInstance) -> str:
    result = dg.materialize([waybill_count], instance=instance, selection=[waybill_count])
    assert result.success
    return result.run_id


def _home(tmp_path: Path, name: str, yaml_text: str) -> Path:
    home = tmp_path / name
    home.mkdir()
    (home / "dagster.yaml").write_text(yaml_text, encoding="utf-8")
    return home


def test_a_stock_instance_reads_what_the_workspace_instance_wrote(tmp_path):
    from pipelines.instance import KeptOpenSqliteEventLogStorage, WorkspaceInstance

    ours = _home(tmp_path, "ours", DAGSTER_YAML.read_text(encoding="utf-8"))
    with dg.DagsterInstance.from_config(str(ours)) as instance:
        assert isinstance(instance, WorkspaceInstance)
        assert isinstance(instance.event_log_storage, KeptOpenSqliteEventLogStorage)
        run_ids = [_run(instance) for _ in range(2)]
        check = dg.AssetCheckKey(dg.AssetKey("waybill_count"), "waybill_count_positive")
        dg.materialize([waybill_count, waybill_count_positive], instance=instance)

    # The same files under a stock configuration (as if the instance_class line were gone): every run, event,
    # materialization and check evaluation is there.
    stock = tmp_path / "stock"
    shutil.copytree(ours, stock)
    (stock / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    with dg.DagsterInstance.from_config(str(stock)) as instance:
        assert type(instance) is dg.DagsterInstance
        assert {r.run_id for r in instance.get_runs()} >= set(run_ids)
        for run_id in run_ids:
            kinds = [e.dagster_event_type for e in instance.all_logs(run_id) if e.is_dagster_event]
            assert dg.DagsterEventType.ASSET_MATERIALIZATION in kinds
            assert dg.DagsterEventType.RUN_SUCCESS in kinds
        latest = instance.get_latest_materialization_event(dg.AssetKey("waybill_count"))
        assert latest.asset_materialization.metadata["dagster/row_count"].value == 3
        record = instance.event_log_storage.get_latest_asset_check_execution_by_key([check])[check]
        assert record.evaluation is not None and record.evaluation.passed


def test_the_event_log_keeps_a_bounded_number_of_databases_open(tmp_path):
    from pipelines.instance import OPEN_SHARDS

    home = _home(tmp_path, "ws", DAGSTER_YAML.read_text(encoding="utf-8"))
    with dg.DagsterInstance.from_config(str(home)) as instance:
        for _ in range(OPEN_SHARDS + 3):
            _run(instance)
        storage = instance.event_log_storage
        assert len(storage._engines) == OPEN_SHARDS
        assert len(instance.get_runs()) == OPEN_SHARDS + 3
    assert not storage._engines  # disposed with the instance


def test_a_moved_workspace_writes_its_own_files(tmp_path):
    """The storage's folder comes from where the instance is opened, not from the configuration file."""
    first = _home(tmp_path, "first", DAGSTER_YAML.read_text(encoding="utf-8"))
    with dg.DagsterInstance.from_config(str(first)) as instance:
        _run(instance)
    moved = tmp_path / "moved"
    shutil.move(first, moved)
    with dg.DagsterInstance.from_config(str(moved)) as instance:
        _run(instance)
        assert len(instance.get_runs()) == 2
    assert not first.exists()

"""What a long run shows on the terminal: a real Dagster run in this process, its log records through the progress
handler of `sdc run` (step n of m; on a terminal, the asset a multi-asset step is building)."""

import io

import dagster as dg

from sdc.progress import RunProgress, progress_logger, step_labels


@dg.asset
def first() -> None:
    pass


@dg.multi_asset(specs=[dg.AssetSpec("second", deps=[first]), dg.AssetSpec("third", deps=[first])])
def both():
    yield dg.MaterializeResult(asset_key="second")
    yield dg.MaterializeResult(asset_key="third")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _run(out: io.StringIO) -> RunProgress:
    defs = dg.Definitions(assets=[first, both])
    graph = defs.resolve_asset_graph()
    progress = RunProgress(out, step_labels(list(graph.assets_defs), set(graph.get_all_asset_keys())))
    job = defs.resolve_implicit_global_asset_job_def().with_logger_defs({"progress": progress_logger(progress)})
    assert job.execute_in_process(run_config={"loggers": {"progress": {}}}).success
    progress.finish()
    return progress


def test_one_line_per_step_when_not_a_terminal():
    out = io.StringIO()
    _run(out)
    assert out.getvalue().splitlines() == ["[1/2] first", "[2/2] both (2 assets)"]


def test_on_a_terminal_the_line_follows_the_assets_of_a_multi_asset_step():
    out = Terminal()
    _run(out)
    lines = out.getvalue().split("\n")
    assert lines[0] == "[1/2] first" and lines[-1] == ""
    shown = [part.rstrip() for part in lines[1].split("\r")]
    assert shown == ["[2/2] both (2 assets)", "[2/2] both (2 assets): second", "[2/2] both (2 assets): third"]


@dg.asset
def refused() -> None:
    raise dg.Failure(description="the API refused the credentials: rotate them")


@dg.asset
def broken() -> None:
    raise ValueError("cannot connect to the serving database (SDC_SERVE_DSN): refused")


def test_a_failed_step_says_why_without_its_traceback():
    out = io.StringIO()
    defs = dg.Definitions(assets=[refused, broken])
    graph = defs.resolve_asset_graph()
    progress = RunProgress(out, step_labels(list(graph.assets_defs), set(graph.get_all_asset_keys())))
    job = defs.resolve_implicit_global_asset_job_def().with_logger_defs({"progress": progress_logger(progress)})
    result = job.execute_in_process(run_config={"loggers": {"progress": {}}}, raise_on_error=False)
    assert not result.success
    failed = sorted(line for line in out.getvalue().splitlines() if "FAILED" in line)
    assert failed == [
        "    step broken FAILED: ValueError: cannot connect to the serving database (SDC_SERVE_DSN): refused",
        "    step refused FAILED: the API refused the credentials: rotate them",
    ]

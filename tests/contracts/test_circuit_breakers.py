"""Each batch-level circuit breaker trips on a real run of the code location and blocks everything downstream
(staging, marts, publish): the published marts keep their last good state."""

import pytest
from deliveries import HEADER, days, drop_qyxx, row
from typer.testing import CliRunner

from sdc.cli import app
from sdc.config import load_settings
from sdc.runner import run_assets
from warehouse.lake import lake_connection
from warehouse.publish import publish_history

pytestmark = pytest.mark.integration  # runs the pipeline (tests/conftest.py: the two tiers)

VALIDATED = "validated/hazchem/enterprise"
# Only system A's enterprise feed is delivered here: run its chain and the publish, not the other feeds.
CHAIN = '+key:"published/marts"'


def run_chain(settings):
    return run_assets(settings, CHAIN)


def _published_count() -> str:
    result = CliRunner().invoke(app, ["sql", "select count(*) as n from hazchem_enterprises"])
    assert result.exit_code == 0, result.output
    return result.output


def _assert_blocked(outcome, check: str, publishes: int, marts_before: str) -> None:
    assert outcome.failed_checks == [f"{VALIDATED}:{check}"], outcome
    assert not [k for k in outcome.materialized if k.startswith(("staging/", "marts/", "published/"))], outcome
    assert len(publish_history(load_settings())) == publishes
    assert _published_count() == marts_before


def test_each_breaker_trips_and_blocks_downstream(workspace):
    settings = load_settings()
    landing = settings.landing_dir
    d = days(8)
    for i, day in enumerate(d[:3]):  # history: three good deliveries of 40 enterprises
        drop_qyxx(landing, day, [row(n) for n in range(i, 40 + i)])
    first = run_chain(settings)
    assert first.success, first
    assert "published/marts" in first.materialized
    marts = _published_count()

    # 1. reject ratio: 10 of 40 rows name an unknown town (25 % > 5 %)
    drop_qyxx(landing, d[3], [row(n, town="新湖镇" if n < 10 else None) for n in range(40)])
    _assert_blocked(run_chain(settings), "reject_ratio", 1, marts)

    # 2. row count: 6 rows where the last deliveries had 40 (below 0.5 x median)
    drop_qyxx(landing, d[4], [row(n) for n in range(6)])
    _assert_blocked(run_chain(settings), "row_count", 1, marts)

    # 3. schema drift: the department added a column
    drop_qyxx(landing, d[5], [[*row(n), "新字段"] for n in range(40)], header=[*HEADER, "备注"])
    _assert_blocked(run_chain(settings), "schema_drift", 1, marts)

    # a good delivery (new bytes: identical ones are a re-delivery) clears every breaker; published again
    drop_qyxx(landing, d[6], [row(n) for n in range(5, 45)])
    good = run_chain(settings)
    assert good.success and "published/marts" in good.materialized, good
    assert len(publish_history(settings)) == 2

    # 4. freshness: nothing new for three days (36 h SLA)
    with lake_connection(settings) as con:
        con.execute("UPDATE lake.meta.load_log SET loaded_at = loaded_at - INTERVAL 3 DAY")
    _assert_blocked(run_chain(settings), "freshness", 2, _published_count())

    # missing column: a delivery without 企业名称 (required) is drift too
    drop_qyxx(landing, d[7], [r[:1] + r[2:] for r in (row(n) for n in range(40))], header=HEADER[:1] + HEADER[2:])
    blocked = run_chain(settings)
    assert f"{VALIDATED}:schema_drift" in blocked.failed_checks
    assert "published/marts" not in blocked.materialized

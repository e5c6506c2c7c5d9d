"""Each circuit breaker judges one delivery on a real run of the code location: a delivery it trips on is held
back (its rows stay out of the validated layer) while the run succeeds and publishes with the dataset at its
last good state; an operator's release lets the rows flow on, a corrected delivery ends the hold, and a stale
source is a warning that stops nothing."""

import os

import pytest
from deliveries import HEADER, days, drop_qyxx, row
from typer.testing import CliRunner

from data_contracts.contract import load_contract
from sdc.cli import app
from sdc.runner import run_assets
from sdc_settings import load_settings
from warehouse import validated as layer
from warehouse.holds import open_holds
from warehouse.lake import lake_connection
from warehouse.publish import publish_history

pytestmark = pytest.mark.integration  # runs the pipeline (tests/conftest.py: the two tiers)

VALIDATED = "validated/hazchem/enterprise"
# Only system A's enterprise feed is delivered here: run its chain and the publish, not the other feeds.
CHAIN = '+key:"published/marts"'


def _sdc(*args: str, exit_code: int = 0) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == exit_code, result.output
    return result.output


def _published_count() -> str:
    return _sdc("sql", "select count(*) as n from hazchem_enterprises")


def _lake(settings) -> tuple[int, int, dict[str, int], list[tuple[str, str]]]:
    """Validated rows, open quarantined rows, reconciliation, open holds as (file, check)."""
    contract = load_contract("hazchem.enterprise")
    with lake_connection(settings) as con:
        validated = con.execute("SELECT count(*) FROM lake.validated.hazchem__enterprise").fetchone()[0]
        quarantined = con.execute("SELECT count(*) FROM lake.quarantine.rows WHERE released_at IS NULL").fetchone()[0]
        counts = layer.reconciliation(con, contract)
        holds = [(h["source"].rsplit("/", 1)[-1], h["check_name"]) for h in open_holds(con, contract.dataset)]
    assert layer.reconciles(counts), counts
    return validated, quarantined, counts, sorted(holds)


def test_a_tripped_breaker_holds_back_that_delivery_and_the_rest_publishes(workspace):
    settings = load_settings(os.environ)
    landing = settings.landing_dir
    d = days(6)
    for i, day in enumerate(d[:3]):  # history: three good deliveries of 40 enterprises
        drop_qyxx(landing, day, [row(n) for n in range(i, 40 + i)])
    first = run_chain(settings)
    assert first.success and "published/marts" in first.materialized, first
    assert not [c for c in first.warned_checks if not c.endswith(":freshness")], first  # nothing held
    marts = _published_count()
    assert _lake(settings)[:2] == (120, 0)

    # One delivery per breaker, in one run: 10 of 40 rows without their key 企业编号 (25 % > 5 %); 6 rows where
    # the last deliveries had 40; a column the contract does not know.
    drop_qyxx(landing, d[3], [([""] if n < 10 else row(n)[:1]) + row(n)[1:] for n in range(40)])
    drop_qyxx(landing, d[4], [row(n) for n in range(6)])
    drop_qyxx(landing, d[5], [[*row(n), "新字段"] for n in range(40)], header=[*HEADER, "备注"])
    tripped = run_chain(settings)
    assert tripped.success and not tripped.failed_checks, tripped
    assert {f"{VALIDATED}:{c}" for c in ("reject_ratio", "row_count", "schema_drift")} <= set(tripped.warned_checks)
    assert "published/marts" in tripped.materialized and len(publish_history(settings)) == 2
    assert _published_count() == marts  # the marts as they were: the held rows did not flow on
    validated, quarantined, counts, holds = _lake(settings)
    assert (validated, quarantined, counts["held"]) == (120, 0, 86)  # no quarantine row of a held load either
    assert holds == [(f"QYXX_{d[3]:%Y%m%d}.csv", "reject_ratio"), (f"QYXX_{d[4]:%Y%m%d}.csv", "row_count"),
                     (f"QYXX_{d[5]:%Y%m%d}.csv", "schema_drift")]  # fmt: skip
    listing = _sdc("hold", "list")
    assert "10 of 40 rows quarantined" in listing and "unknown columns: 备注" in listing
    status = _sdc("status", exit_code=1)
    assert f"QYXX_{d[4]:%Y%m%d}.csv" in status and "held back by row_count" in status

    # The operator reviews the unknown towns and releases that delivery; the department corrects the short one.
    with lake_connection(settings) as con:
        released = next(h["load_id"] for h in open_holds(con) if h["check_name"] == "reject_ratio")
    assert "flow on at the next run" in _sdc("hold", "release", released, "--by", "operator")
    _sdc("hold", "release", released, exit_code=1)  # no open hold any more
    drop_qyxx(landing, d[4], [row(n) for n in range(4, 44)])
    after = run_chain(settings)
    assert after.success and "published/marts" in after.materialized, after
    assert [c for c in after.warned_checks if c.startswith(VALIDATED)] == [f"{VALIDATED}:schema_drift"], after
    validated, quarantined, counts, holds = _lake(settings)
    assert (validated, quarantined) == (120 + 30 + 40, 10)  # released: 30 accepted, 10 quarantined; correction: 40
    assert (counts["held"], counts["superseded_while_held"]) == (40, 6)
    assert holds == [(f"QYXX_{d[5]:%Y%m%d}.csv", "schema_drift")]
    assert _published_count() != marts

    # Nothing new for three days (36 h SLA): a warning; validation (and what depends on it) goes on.
    with lake_connection(settings) as con:
        con.execute("UPDATE lake.meta.load_log SET loaded_at = loaded_at - INTERVAL 3 DAY")
    stale = run_assets(settings, f'key:"{VALIDATED}"')
    assert stale.success and f"{VALIDATED}:freshness" in stale.warned_checks, stale
    assert "stale, last load" in _sdc("status", exit_code=1)


def run_chain(settings):
    return run_assets(settings, CHAIN)

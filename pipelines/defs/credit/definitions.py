"""System E — 信用太仓 严重失信主体名单 (市信用办): the full list from its API, raw then validated."""

import dagster as dg

from connectors import credit
from pipelines.defs.ingestion import api_raw_asset, with_validation
from sdc_settings import Settings

NEEDS = ("credit_api_url", "credit_api_key")


def _snapshot(con, settings: Settings):
    with credit.client(settings.credit_api_url, settings.credit_api_key, archive_dir=settings.archive_dir) as api:
        return [credit.pull_snapshot(con, api)]


_assets, _checks = with_validation(
    [
        api_raw_asset(credit.DISHONEST.dataset, credit.TITLES[credit.DISHONEST.dataset],
                      needs=NEEDS, pull=_snapshot)
    ],
    [credit.DISHONEST.dataset],
)  # fmt: skip

defs = dg.Definitions(assets=_assets, asset_checks=_checks)

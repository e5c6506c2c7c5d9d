"""System E — 信用太仓 严重失信主体名单 (市信用办): the full list from its API with its history, raw then validated."""

import dagster as dg

from connectors import credit
from pipelines.defs.ingestion import api_raw_asset, with_validation
from sdc_settings import Settings


def _missing(settings: Settings) -> str | None:
    if not settings.credit_api_url:
        return "SDC_CREDIT_API_URL not set"
    if not settings.credit_api_key:
        return "SDC_CREDIT_API_KEY not set"
    return None


def _snapshot(con, settings: Settings):
    with credit.client(settings.credit_api_url, settings.credit_api_key, archive_dir=settings.archive_dir) as api:
        return [credit.pull_snapshot(con, api)]


_assets, _checks = with_validation(
    [
        api_raw_asset(credit.DISHONEST.dataset, credit.TITLES[credit.DISHONEST.dataset],
                      missing_config=_missing, pull=_snapshot)
    ],
    [credit.DISHONEST.dataset],
)  # fmt: skip

defs = dg.Definitions(assets=_assets, asset_checks=_checks)

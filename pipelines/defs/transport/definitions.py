"""System B — 两客一危动态监管平台 (市交通运输局): vehicles and alarms from its API, raw then validated."""

from datetime import datetime

import dagster as dg

from connectors import transport
from pipelines.defs.ingestion import api_raw_asset, with_validation
from sdc_settings import Settings

NEEDS = ("transport_api_url", "transport_api_token")


def _client(settings: Settings):
    return transport.client(settings.transport_api_url, settings.transport_api_token, archive_dir=settings.archive_dir)


def _vehicles(con, settings: Settings):
    with _client(settings) as api:
        return [transport.pull_vehicles(con, api)]


def _alarms(con, settings: Settings):
    since, until = (datetime.strptime(t, transport.TS) if t else None
                    for t in (settings.transport_alarms_since, settings.transport_alarms_until))  # fmt: skip
    with _client(settings) as api:
        return transport.pull_alarms(con, api, since=since, now=until)


_assets, _checks = with_validation(
    [
        api_raw_asset(transport.VEHICLES.dataset, transport.TITLES[transport.VEHICLES.dataset],
                      needs=NEEDS, pull=_vehicles),
        api_raw_asset(transport.ALARMS.dataset, transport.TITLES[transport.ALARMS.dataset],
                      needs=NEEDS, pull=_alarms),
    ],
    [transport.VEHICLES.dataset, transport.ALARMS.dataset],
)  # fmt: skip

defs = dg.Definitions(assets=_assets, asset_checks=_checks)

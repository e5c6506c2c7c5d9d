"""System A — 危险化学品全流程监管系统 (市应急管理局): landing-zone CSV feeds, raw then validated."""

from connectors import hazchem
from data_contracts.contract import load_contract
from pipelines.defs.ingestion import landing_raw_asset
from pipelines.defs.validation import validated_assets

hazchem_assets = []
hazchem_checks = []
for feed in hazchem.FEEDS:
    raw = landing_raw_asset(feed, load_contract(feed.dataset).title)
    assets, checks = validated_assets(feed.dataset, raw.key, feed.source_system)
    hazchem_assets += [raw, *assets]
    hazchem_checks += checks

"""System A — 危险化学品全流程监管系统 (市应急管理局): landing-zone CSV feeds, raw then validated."""

from connectors import hazchem
from pipelines.defs.ingestion import landing_assets

hazchem_assets, hazchem_checks = landing_assets(hazchem.FEEDS, hazchem.TITLES)

"""System C — 智慧工地监管平台 (市住房和城乡建设局): hourly JSON Lines feeds, raw then validated."""

from connectors import construction
from pipelines.defs.ingestion import landing_assets

construction_assets, construction_checks = landing_assets(construction.FEEDS, construction.TITLES)

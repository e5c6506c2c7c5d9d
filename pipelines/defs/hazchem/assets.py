"""System A — hazardous chemicals (市应急管理局)."""

from connectors import hazchem
from pipelines.defs.landing import landing_assets

_built = [landing_assets(feed) for feed in hazchem.FEEDS]
hazchem_assets = [a for assets, _ in _built for a in assets]
hazchem_checks = [c for _, checks in _built for c in checks]

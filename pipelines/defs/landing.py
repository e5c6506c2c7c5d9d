"""A landing-zone department's definitions: per feed its raw asset (and validated asset, when the data contract
exists), and the sensor on the department's landing folder."""

from types import ModuleType

import dagster as dg

from pipelines.defs.ingestion import landing_assets
from pipelines.defs.sensors import landing_sensor


def landing_department(connector: ModuleType) -> dg.Definitions:
    """`connector`: the department's module in `connectors` (its FEEDS and TITLES); its name is the folder's."""
    folder = connector.__name__.rsplit(".", 1)[-1]
    assets, checks = landing_assets(connector.FEEDS, connector.TITLES)
    return dg.Definitions(assets=assets, asset_checks=checks, sensors=[landing_sensor(folder, connector.FEEDS)])

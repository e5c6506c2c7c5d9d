"""How dbt nodes become Dagster assets: keys and groups by layer and source system."""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings


def _layer(node: Mapping[str, Any]) -> str:
    if node["resource_type"] == "source":
        return "validated"
    if node["resource_type"] == "seed":
        return "reference"
    parts = node.get("fqn", [])
    return parts[1] if len(parts) > 2 else "models"


def _system(node: Mapping[str, Any]) -> str | None:
    if node["resource_type"] == "source":
        return None if node["source_name"] == "resolution" else node["source_name"]
    name = node["name"]
    if name.startswith(("stg_", "base_")) and "__" in name:  # base_: every version, cleaned for staging and history
        return name.split("_", 1)[1].split("__", 1)[0]
    return None


class SdcDbtTranslator(DagsterDbtTranslator):
    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        node = dbt_resource_props
        if node["resource_type"] == "source" and node["source_name"] == "resolution":
            # lake.resolution.<entity type>_* is written by the Python asset intermediate/<entity type>_resolution
            return dg.AssetKey(["intermediate", f"{node['name'].split('_', 1)[0]}_resolution"])
        if node["resource_type"] == "source":
            # validated.<system>__<entity> is the Python asset validated/<system>/<entity>
            system, entity = node["name"].split("__", 1)
            return dg.AssetKey(["validated", system, entity])
        layer = _layer(node)
        system = _system(node)
        return dg.AssetKey([layer, system, node["name"]] if system else [layer, node["name"]])

    def get_asset_check_spec(
        self, asset_spec: dg.AssetSpec, manifest: Mapping[str, Any], unique_id: str, project: Any
    ) -> dg.AssetCheckSpec | None:
        # Not blocking: a failed test must not fail the dbt step (Dagster would then skip every later step).
        # dbt skips the models downstream of it and the publish holds back the marts it concerns.
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        return spec._replace(blocking=False) if spec is not None else None

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return _system(dbt_resource_props) or _layer(dbt_resource_props)

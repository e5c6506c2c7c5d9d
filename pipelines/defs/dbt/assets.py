"""dbt models as Dagster assets, in two parts around the enterprise resolution (a Python step):
staging, intermediate mentions and history first; then the marts, which read the resolution's tables
as the dbt source `resolution`.

A failing dbt test stops only what depends on it: `dbt build` carries on past it and skips the models
downstream of the tested one; the marts part leaves out the marts downstream of a model whose test
failed in the first part. Neither step fails for it: the failed tests are asset check results (not
blocking: the publish holds back the marts they concern, `held_back_marts`), and every model dbt did
not build is reported with status `skipped` or `error` and what held it back — Dagster would otherwise
skip every later step (resolution, marts, publish), not just the dependent models.
"""

import os
from collections.abc import Iterable, Mapping

import dagster as dg
from dagster_dbt import dbt_assets

from pipelines.defs.dbt.incremental import (
    fingerprint,
    incremental_models,
    needs_full_refresh,
    record_builds,
    recorded_fingerprints,
)
from pipelines.defs.dbt.project import (
    MARTS_SELECT,
    NOT_BUILT,
    UPSTREAM_EXCLUDE,
    UPSTREAM_SELECT,
    dbt_build_args,
    dbt_environment,
    dbt_project,
    dbt_threads,
    held_back_reasons,
    invocation_target,
)
from pipelines.defs.dbt.resource import SdcDbtCliResource
from pipelines.defs.dbt.translator import SdcDbtTranslator
from pipelines.defs.metadata import built_table_metadata
from pipelines.resources import LakeResource
from warehouse.lake import lake_connection, transaction


def _failed_dbt_checks(instance: dg.DagsterInstance, keys: Iterable[dg.AssetCheckKey]) -> list[dg.AssetCheckKey]:
    """dbt tests of error severity whose latest evaluation failed (covers runs that select only a part)."""
    from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(list(keys))
    return [
        k
        for k, record in latest.items()
        if record.status is AssetCheckExecutionRecordStatus.FAILED
        and record.evaluation is not None
        and record.evaluation.severity is dg.AssetCheckSeverity.ERROR
    ]


def _not_built(instance: dg.DagsterInstance, keys: Iterable[dg.AssetKey]) -> dict[dg.AssetKey, str]:
    """dbt models whose latest run did not build them: {key: what held them back}."""
    latest = instance.get_latest_materialization_events(list(keys))
    out = {}
    for key, event in latest.items():
        meta = event.asset_materialization.metadata if event and event.asset_materialization else {}
        status = meta.get("status")
        if status is not None and status.value in NOT_BUILT:
            held = meta.get("held_back_by")
            out[key] = held.value if held is not None else f"dbt {status.value}"
    return out


def _dbt_part(name: str, select: str, exclude: str | None = None) -> dg.AssetsDefinition:
    @dbt_assets(
        manifest=dbt_project.manifest_path,
        project=dbt_project,
        dagster_dbt_translator=SdcDbtTranslator(),
        select=select,
        exclude=exclude,
        name=name,
    )
    def _models(context: dg.AssetExecutionContext, dbt: SdcDbtCliResource, lake: LakeResource):
        settings = lake.settings()
        # The marts part leaves out what the first part held back (dbt would build it on stale models).
        upstream = held_back_marts(context.instance, sdc_dbt_upstream.keys) if name == "sdc_dbt_models" else {}
        excluded = sorted(k.path[-1] for k in context.selected_asset_keys if k in upstream)
        if excluded:
            context.log.warning(f"not building {', '.join(excluded)}: an upstream dbt test failed")
        manifest = json_manifest()
        selected = [u for k in context.selected_asset_keys if (u := _unique_id(context, k))]
        current = {m: fingerprint(manifest, m) for m in incremental_models(manifest, selected)}
        with lake_connection(settings, read_only=True) as con:
            redefined = needs_full_refresh(current, recorded_fingerprints(con))
        if redefined:
            names = ", ".join(m.rsplit(".", 1)[-1] for m in redefined)
            context.log.info(f"full refresh: no build of {names} recorded as defined now")
        invocation = dbt.cli(
            dbt_build_args(exclude=excluded, threads=dbt_threads(os.cpu_count()), full_refresh=bool(redefined)),
            env=dbt_environment(settings),  # the profile finds the lake of these settings
            context=context,
            raise_on_error=False,
            target_path=invocation_target(settings.dbt_target_dir, name, context.run.run_id),
        )
        # The rows and columns of every model built, read once dbt is done: in one transaction, the lake's catalog
        # is read once (each model's own read after its commit re-read it: 50-80 ms a model).
        events = list(invocation.stream())
        outputs = {
            e.output_name: context.asset_key_for_output(e.output_name) for e in events if isinstance(e, dg.Output)
        }
        built: set[dg.AssetKey] = set(outputs.values())
        facts: dict[dg.AssetKey, dict] = {}
        if built:
            with lake_connection(settings, read_only=True) as con, transaction(con):
                facts = {k: built_table_metadata(con, context.assets_def.specs_by_key[k].metadata) for k in built}
        for event in events:
            if isinstance(event, dg.Output):
                event = event.with_metadata({**event.metadata, **facts[outputs[event.output_name]]})
            yield event
        run_results = _run_results(invocation)
        if not invocation.is_successful() and not any(r["status"] in ("error", "fail") for r in run_results):
            raise dg.Failure(f"dbt build failed before building anything: {invocation.get_error()}")
        statuses = {r["unique_id"]: r["status"] for r in run_results}
        if rebuilt := {m: current[m] for m in redefined if statuses.get(m) == "success"}:
            with lake_connection(settings) as con, transaction(con):
                record_builds(con, rebuilt)
        reasons = held_back_reasons(manifest, statuses)
        for key in _topological(context.assets_def.asset_deps, context.selected_asset_keys - built):
            unique_id = _unique_id(context, key)
            status = statuses.get(unique_id, "skipped")
            held_by = reasons.get(unique_id) or upstream.get(key) or "not selected by dbt"
            context.log.warning(f"{key.to_user_string()}: dbt {status} ({held_by})")
            # An explicit "not built" result, so that Dagster runs the steps downstream of the other models.
            yield dg.Output(
                None,
                output_name=context.assets_def.get_output_name_for_asset_key(key),
                metadata={"status": status, "held_back_by": held_by},
            )

    return _models


def _topological(deps: Mapping[dg.AssetKey, set[dg.AssetKey]], keys: set[dg.AssetKey]) -> list[dg.AssetKey]:
    """`keys` with each after its upstream among them: Dagster refuses a multi-asset's outputs otherwise."""
    ordered: list[dg.AssetKey] = []
    placed: set[dg.AssetKey] = set()

    def place(key: dg.AssetKey) -> None:
        if key in placed:
            return
        placed.add(key)
        for parent in sorted(deps.get(key, ()) & keys, key=lambda k: k.to_user_string()):
            place(parent)
        ordered.append(key)

    for key in sorted(keys, key=lambda k: k.to_user_string()):
        place(key)
    return ordered


def _run_results(invocation) -> list[Mapping]:
    try:
        return invocation.get_artifact("run_results.json")["results"]
    except FileNotFoundError:
        return []


def json_manifest() -> Mapping:
    import json

    return json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))


def _unique_id(context: dg.AssetExecutionContext, key: dg.AssetKey) -> str | None:
    meta = context.assets_def.specs_by_key[key].metadata
    value = meta.get("dagster_dbt/unique_id")
    return value if isinstance(value, str) else getattr(value, "value", None)


sdc_dbt_upstream = _dbt_part("sdc_dbt_upstream", UPSTREAM_SELECT, UPSTREAM_EXCLUDE)
sdc_dbt_models = _dbt_part("sdc_dbt_models", MARTS_SELECT)
DBT_PARTS = (sdc_dbt_upstream, sdc_dbt_models)


def upstream_map() -> dict[dg.AssetKey, set[dg.AssetKey]]:
    """{asset: its direct upstream assets} for the dbt models, the resolution assets between the two
    dbt parts, and the validated datasets they read (dbt lineage mart → staging → source)."""
    from pipelines.defs.resolution.assets import RESOLUTION_ASSETS

    deps: dict[dg.AssetKey, set[dg.AssetKey]] = {}
    for assets_def in (*DBT_PARTS, *RESOLUTION_ASSETS):
        for key, parents in assets_def.asset_deps.items():
            deps.setdefault(key, set()).update(parents)
    return deps


def ancestors_and_self(deps: Mapping[dg.AssetKey, set[dg.AssetKey]], key: dg.AssetKey) -> set[dg.AssetKey]:
    seen = {key}
    todo = [key]
    while todo:
        for parent in deps.get(todo.pop(), ()):
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def held_back_marts(
    instance: dg.DagsterInstance, causes_in: Iterable[dg.AssetKey] | None = None
) -> dict[dg.AssetKey, str]:
    """dbt assets held back: {key: why}, for every dbt asset on or downstream of a model whose latest
    error-severity test failed or that dbt could not build (among `causes_in`, default every dbt model),
    following the whole asset graph (the enterprise resolution included)."""
    dbt_keys = {k for part in DBT_PARTS for k in part.keys}
    scope = set(causes_in) if causes_in is not None else dbt_keys
    checks = [s.key for part in DBT_PARTS for s in part.check_specs if s.asset_key in scope]
    causes: dict[dg.AssetKey, list[str]] = {}
    for check in _failed_dbt_checks(instance, checks):
        causes.setdefault(check.asset_key, []).append(f"dbt test {check.name} failed on {check.asset_key.path[-1]}")
    for key, why in _not_built(instance, dbt_keys & scope).items():
        if key not in causes:
            causes.setdefault(key, []).append(why)
    deps = upstream_map()
    held: dict[dg.AssetKey, str] = {}
    for key in dbt_keys:
        found = sorted({c for k in ancestors_and_self(deps, key) for c in causes.get(k, [])})
        if found:
            held[key] = "; ".join(found)
    return held

"""Asset factories for the raw layer: landing-zone feeds (files) and API pulls, one asset per dataset.

Each raw asset is grouped by its source system; the validated asset of a dataset is added when its
data contract exists (contracts arrive dataset by dataset).
"""

from collections.abc import Callable, Iterable, Sequence

import dagster as dg
import duckdb

from connectors.api_loads import PullReport
from connectors.feeds import LandingFeed
from connectors.landing import ingest_feed
from data_contracts.contract import contract_exists, load_contract
from pipelines.defs.metadata import freshness_policy, raw_table_metadata, raw_table_name, row_count
from pipelines.defs.validation import validated_assets, validated_key
from pipelines.failures import failure_policy
from pipelines.resources import LakeResource
from sdc_settings import Settings

AssetsAndChecks = tuple[list[dg.AssetsDefinition], list[dg.AssetChecksDefinition]]

API_PULL_TAG = ("sdc/delivery", "api_pull")
"""Tag of the raw assets pulled from an API: the `api_pull` job and its schedule select them by it."""


def raw_key(dataset: str) -> dg.AssetKey:
    system, entity = dataset.split(".", 1)
    return dg.AssetKey(["raw", system, entity])


def run_keys(dataset: str) -> list[dg.AssetKey]:
    """What a run triggered for new data of this dataset materializes: raw, then validated if it exists."""
    return [raw_key(dataset), *([validated_key(dataset)] if contract_exists(dataset) else [])]


def _from_contract(dataset: str, *, pulled: bool) -> dict:
    """Table metadata and freshness policy of a raw asset, once its dataset has a contract."""
    if not contract_exists(dataset):
        return {}
    contract = load_contract(dataset)
    return {"metadata": raw_table_metadata(contract, pulled=pulled), "freshness_policy": freshness_policy(contract)}


def landing_raw_asset(feed: LandingFeed, description: str) -> dg.AssetsDefinition:
    @dg.asset(
        key=raw_key(feed.dataset),
        group_name=feed.source_system,
        description=f"{description}: files from landing zone `{feed.folder}/`, as delivered (text) + lineage.",
        kinds={"duckdb"},
        **_from_contract(feed.dataset, pulled=False),
    )
    def raw_asset(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
        settings = lake.settings()
        with failure_policy(context, settings.retry_delay_seconds), lake.connect() as con:
            report = ingest_feed(
                con,
                feed,
                settings.landing_dir,
                archive_dir=settings.archive_dir,
                quiet_seconds=settings.landing_quiet_seconds,
            )
            rows = row_count(con, raw_table_name(feed.dataset))
        context.log.info(
            f"{feed.dataset}: loaded {report.files_loaded}, duplicates {report.files_duplicate}, "
            f"rejected {report.files_rejected}, not complete yet {report.files_waiting}"
        )
        return dg.MaterializeResult(
            metadata={
                "files_loaded": len(report.files_loaded),
                "files_duplicate": len(report.files_duplicate),
                "files_superseded": len(report.files_superseded),
                "files_rejected": len(report.files_rejected),
                "files_not_complete": len(report.files_waiting),
                "rows_read": report.rows_read,
                "rows_loaded": report.rows_loaded,
                "rows_rejected": report.rows_rejected,
                **rows,
            }
        )

    return raw_asset


Pull = Callable[[duckdb.DuckDBPyConnection, Settings], list[PullReport]]


def api_raw_asset(dataset: str, description: str, *, needs: Sequence[str], pull: Pull) -> dg.AssetsDefinition:
    """`needs`: the settings the pull cannot do without (e.g. the API's URL and credential); when one is not
    set the asset skips, naming its variable (`SDC_<FIELD>`), and does not fail."""
    system = dataset.split(".", 1)[0]

    @dg.asset(
        key=raw_key(dataset),
        group_name=system,
        description=f"{description}: pulled from the {system} API, as delivered (text) + lineage.",
        kinds={"duckdb"},
        tags=dict([API_PULL_TAG]),
        **_from_contract(dataset, pulled=True),
    )
    def raw_asset(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
        settings = lake.settings()
        missing = next((f"SDC_{name.upper()} not set" for name in needs if not getattr(settings, name)), None)
        if missing:
            context.log.warning(f"{dataset}: skipped, {missing}")
            with lake.connect() as con:
                rows = row_count(con, raw_table_name(dataset))
            return dg.MaterializeResult(metadata={"skipped": missing, "rows_read": 0, "rows_loaded": 0,
                                                  "rows_rejected": 0, **rows})  # fmt: skip
        with failure_policy(context, settings.retry_delay_seconds), lake.connect() as con:
            reports = pull(con, settings)
            rows = row_count(con, raw_table_name(dataset))
        for r in reports:
            context.log.info(
                f"{r.request}: {r.records_received} received, {r.records_served_twice} served twice, "
                f"{r.records_already_loaded} already loaded, {r.rows_loaded} loaded, {r.rows_rejected} rejected"
            )
        return dg.MaterializeResult(
            metadata={
                "pulls": len(reports),
                "requests": sum(r.requests for r in reports),
                "retries": sum(r.retries for r in reports),
                "records_received": sum(r.records_received for r in reports),
                "records_served_twice": sum(r.records_served_twice for r in reports),
                "records_already_loaded": sum(r.records_already_loaded for r in reports),
                "rows_read": sum(r.rows_read for r in reports),
                "rows_loaded": sum(r.rows_loaded for r in reports),
                "rows_rejected": sum(r.rows_rejected for r in reports),
                "cursor": next((r.cursor_after for r in reversed(reports) if r.cursor_after), "") or "",
                **rows,
            }
        )

    return raw_asset


def with_validation(raw_assets: Sequence[dg.AssetsDefinition], datasets: Iterable[str]) -> AssetsAndChecks:
    """The raw assets plus, for each dataset with a data contract, its validated asset and checks."""
    assets: list[dg.AssetsDefinition] = []
    checks: list[dg.AssetChecksDefinition] = []
    for raw, dataset in zip(raw_assets, datasets, strict=True):
        assets.append(raw)
        if contract_exists(dataset):
            more, more_checks = validated_assets(dataset, raw.key, dataset.split(".", 1)[0])
            assets += more
            checks += more_checks
    return assets, checks


def landing_assets(feeds: Sequence[LandingFeed], titles: dict[str, str]) -> AssetsAndChecks:
    return with_validation([landing_raw_asset(f, titles[f.dataset]) for f in feeds], [f.dataset for f in feeds])

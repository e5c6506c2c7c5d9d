"""Landing-zone sensors: one per department folder, one run per new complete file version.

The cursor maps each complete file (per dataset) to the version last requested (`size:mtime_ns`); a
file whose version differs — new, re-dropped, corrected — starts a run of its dataset's raw asset
(and validated asset, when it exists). Files that are not complete yet (no `.ok` marker, still
changing, Office lock files) are not requested until they are. Entries for files no longer in the
landing zone leave the cursor, so it stays as small as the landing zone itself.
"""

import json
from collections.abc import Sequence

import dagster as dg

from connectors.feeds import LandingFeed
from pipelines.defs.ingestion import run_keys
from pipelines.resources import LakeResource
from sdc_settings import Settings


def new_file_versions(
    feeds: Sequence[LandingFeed], cursor: dict[str, str], settings: Settings
) -> tuple[list[dg.RunRequest], dict]:
    """Run requests for complete file versions not in the cursor, and the next cursor (pure of Dagster state)."""
    requests, seen = [], {}
    for feed in feeds:
        for path in feed.candidates(settings.landing_dir):
            if not feed.is_complete(path, quiet_seconds=settings.landing_quiet_seconds):
                continue
            st = path.lstat()  # never follows a link out of the landing zone
            rel = path.relative_to(settings.landing_dir).as_posix()
            key, version = f"{feed.dataset}|{rel}", f"{st.st_size}:{st.st_mtime_ns}"
            seen[key] = version
            if cursor.get(key) != version:
                requests.append(
                    dg.RunRequest(
                        run_key=f"{key}|{version}",
                        asset_selection=run_keys(feed.dataset),
                        tags={"sdc/dataset": feed.dataset, "sdc/file": rel},
                    )
                )
    return requests, seen


def landing_sensor(folder: str, feeds: Sequence[LandingFeed]) -> dg.SensorDefinition:
    keys = [k for f in feeds for k in run_keys(f.dataset)]

    @dg.sensor(
        name=f"{folder}_landing_files",
        description=f"New complete files in landing zone `{folder}/` -> load them.",
        asset_selection=dg.AssetSelection.assets(*keys),
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
    def sensor(context: dg.SensorEvaluationContext, lake: LakeResource) -> dg.SensorResult:
        requests, seen = new_file_versions(feeds, json.loads(context.cursor or "{}"), lake.settings())
        return dg.SensorResult(run_requests=requests, cursor=json.dumps(seen, sort_keys=True))

    return sensor

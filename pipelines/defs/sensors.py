"""Landing-zone sensors: one per department folder, one run per evaluation that finds new complete files.

The cursor maps each complete file (per dataset) to the version last requested (`size:mtime_ns`); files
whose version differs — new, re-dropped, corrected — start one run of their datasets' raw assets (and
validated assets, when they exist): a raw asset loads every complete file of its feed, so the files of
one hour (system C's three feeds) or a backlog are one load, not one each. Files that are not complete
yet (no `.ok` marker, still changing, Office lock files) are not requested until they are. Entries for
files no longer in the landing zone leave the cursor, so it stays as small as the landing zone itself.
"""

import hashlib
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
    """The run request for complete file versions not in the cursor (none if there are none), and the next
    cursor (pure of Dagster state)."""
    new, seen = {}, {}
    for feed in feeds:
        for path in feed.candidates(settings.landing_dir):
            if not feed.is_complete(path, quiet_seconds=settings.landing_quiet_seconds):
                continue
            st = path.lstat()  # never follows a link out of the landing zone
            rel = path.relative_to(settings.landing_dir).as_posix()
            key, version = f"{feed.dataset}|{rel}", f"{st.st_size}:{st.st_mtime_ns}"
            seen[key] = version
            if cursor.get(key) != version:
                new[key] = (feed.dataset, rel, version)
    if not new:
        return [], seen
    datasets = sorted({dataset for dataset, _, _ in new.values()})
    files = sorted({rel for _, rel, _ in new.values()})
    versions = "\n".join(f"{key}|{version}" for key, (_, _, version) in sorted(new.items()))
    request = dg.RunRequest(
        run_key=hashlib.sha256(versions.encode("utf-8")).hexdigest()[:32],
        asset_selection=[k for dataset in datasets for k in run_keys(dataset)],
        tags={"sdc/datasets": ",".join(datasets), "sdc/files": str(len(files)), "sdc/file": files[-1]},
    )
    return [request], seen


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

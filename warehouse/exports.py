"""Copies of a publish for engines that cannot read DuckLake.

- Parquet (BI tools): the masked view of every published table, one folder per table with
  `<table>.parquet` and `_manifest.json` (publish id, lake snapshot, rows, sha256).
- Apache Iceberg (Spark, Trino, Flink): every published table into a SQL-catalog (pyiceberg)
  namespace per audience, one Iceberg snapshot per publish carrying the publish id and lake snapshot.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from sdc_settings import Settings
from warehouse.lake import sql_literal
from warehouse.masking import masks_nothing
from warehouse.reader import Audience, open_published

ICEBERG_NAMESPACES: dict[Audience, str] = {"full": "sdc_published", "masked": "sdc_published_masked"}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass(frozen=True)
class ExportReport:
    publish_id: int
    snapshot_id: int
    tables: dict[str, int]
    location: str


def export_parquet(settings: Settings, publish_id: int | None = None) -> ExportReport:
    """Write the masked published tables to `settings.export_dir/<table>/`; each file is replaced atomically
    (data first, then its manifest), tables no longer published are removed. A table the masked Iceberg export
    already wrote for this publish is copied from there, not written again."""
    root = settings.export_dir
    root.mkdir(parents=True, exist_ok=True)
    with open_published(settings, publish_id, audience="masked") as session:
        entry = session.entry
        exported = _iceberg_masked_files(settings, entry)
        rows = {}
        for table in session.views:
            folder = root / table
            folder.mkdir(exist_ok=True)
            tmp = folder / f".{table}.parquet.{os.getpid()}.tmp"
            if table in exported:
                with exported[table].open() as source, tmp.open("wb") as target:
                    shutil.copyfileobj(source, target, 1 << 20)
            else:
                session.connection.execute(
                    f'COPY (SELECT * FROM main."{table}") TO {sql_literal(str(tmp))} (FORMAT parquet)'
                )
            rows[table] = entry.row_counts[table]
            manifest = {
                "table": table,
                "audience": "masked",
                "publish_id": entry.publish_id,
                "lake_snapshot_id": entry.snapshot_of(table),  # older when the publish held this mart back
                "published_at": entry.published_at.isoformat(),
                "rows": rows[table],
                "file": f"{table}.parquet",
                "sha256": _sha256(tmp),
                "classifications": entry.classifications[table],
            }
            os.replace(tmp, folder / f"{table}.parquet")
            (folder / "_manifest.json.tmp").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), "utf-8")
            os.replace(folder / "_manifest.json.tmp", folder / "_manifest.json")
    for stale in root.iterdir():
        if stale.is_dir() and stale.name not in rows:
            shutil.rmtree(stale)
    return ExportReport(entry.publish_id, entry.snapshot_id, rows, str(root))


def _iceberg_masked_files(settings: Settings, entry) -> dict:
    """table -> its data file in the masked Iceberg export (a pyiceberg InputFile), for the tables that export holds
    as this publish has them: one file written by DuckDB from the same masked view (`export_iceberg`). None before
    the first Iceberg export, or when it has not run for this publish."""
    catalog_file = settings.iceberg_catalog.removeprefix("sqlite:///")
    if catalog_file != settings.iceberg_catalog and not Path(catalog_file).exists():
        return {}
    from pyiceberg.exceptions import NoSuchNamespaceError

    catalog = iceberg_catalog(settings)
    try:
        identifiers = catalog.list_tables(ICEBERG_NAMESPACES["masked"])
    except NoSuchNamespaceError:
        return {}
    found = {}
    for identifier in identifiers:
        name = identifier[-1]
        table = catalog.load_table(identifier)
        snapshot = table.current_snapshot()
        if name not in entry.marts or snapshot is None or _publish_of(snapshot) != entry.publish_id:
            continue
        if snapshot.summary.additional_properties.get("sdc.lake_snapshot_id") != str(entry.snapshot_of(name)):
            continue
        files = [path for path in _files_of(table, snapshot) if path.endswith(".parquet")]
        if len(files) == 1:
            found[name] = table.io.new_input(files[0])
    return found


def iceberg_catalog(settings: Settings):
    from pyiceberg.catalog.sql import SqlCatalog

    if settings.iceberg_catalog.startswith("sqlite:///"):
        Path(settings.iceberg_catalog.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    if settings.iceberg_location.startswith("file://"):
        Path(settings.iceberg_location.removeprefix("file://")).mkdir(parents=True, exist_ok=True)
    properties = {}
    if settings.iceberg_location.startswith("s3://"):  # the object store of the lake's data, same credentials
        properties = {"s3.access-key-id": settings.s3_key_id, "s3.secret-access-key": settings.s3_secret,
                      "s3.region": settings.s3_region or "us-east-1", "s3.endpoint": settings.s3_endpoint}  # fmt: skip
        properties = {k: v for k, v in properties.items() if v}
    return SqlCatalog("sdc", uri=settings.iceberg_catalog, warehouse=settings.iceberg_location, **properties)


def _same_shape(table, arrow_schema) -> bool:
    """Same column names and Iceberg types (string / large_string and nullability do not matter)."""
    from pyiceberg.io.pyarrow import pyarrow_to_schema

    existing = table.schema()
    try:
        incoming = pyarrow_to_schema(arrow_schema, name_mapping=existing.name_mapping)
    except ValueError:
        return False
    return [(f.name, f.field_type) for f in incoming.fields] == [(f.name, f.field_type) for f in existing.fields]


def export_iceberg(settings: Settings, publish_id: int | None = None) -> dict[Audience, ExportReport]:
    """Overwrite one Iceberg table per published table and audience with the publish's data; each table keeps the
    snapshots of the newest `settings.publish_keep` exports (the lake's retention) and only their files.

    DuckDB writes each table's Parquet file and the Iceberg table takes it as it is (`add_files`): pyiceberg's own
    writer took the rows through Arrow in Python (2.1 M rows of `vehicle_xref`: 1.6 s a copy, 1.0 s this way). A
    table that masks nothing is the same for both audiences: it is written once."""
    catalog = iceberg_catalog(settings)
    with tempfile.TemporaryDirectory(prefix=".iceberg-export-", dir=settings.home) as staging:
        unmasked: dict[str, Path] = {}  # a table both audiences see alike -> its file
        return {
            audience: _export_audience(catalog, settings, publish_id, audience, Path(staging), unmasked)
            for audience in ICEBERG_NAMESPACES
        }


def _export_audience(
    catalog, settings: Settings, publish_id: int | None, audience: Audience, staging: Path, unmasked: dict[str, Path]
) -> ExportReport:
    namespace = ICEBERG_NAMESPACES[audience]
    catalog.create_namespace_if_not_exists(namespace)
    with open_published(settings, publish_id, audience=audience) as session:
        entry = session.entry
        for table in session.views:
            data = unmasked.get(table)
            if data is None:
                data = staging / f"{audience}.{table}.parquet"
                session.connection.execute(
                    f'COPY (SELECT * FROM main."{table}") TO {sql_literal(str(data))} (FORMAT parquet)'
                )
                if masks_nothing(entry.classifications[table]):
                    unmasked[table] = data
            props = {"sdc.publish_id": str(entry.publish_id), "sdc.lake_snapshot_id": str(entry.snapshot_of(table))}
            expire_exports(_replace_data(catalog, (namespace, table), data, props), settings.publish_keep)
        for ident in catalog.list_tables(namespace):
            if ident[-1] not in session.views:
                catalog.drop_table(ident)
    location = f"{settings.iceberg_location}/{namespace}"
    return ExportReport(entry.publish_id, entry.snapshot_id, dict(entry.row_counts), location)


def _replace_data(catalog, identifier: tuple[str, str], data: Path, props: dict[str, str]):
    """The Iceberg table `identifier` holding only the rows of Parquet file `data` (a copy of it among its data
    files), in one commit carrying `props`; created, or created anew when the file's columns differ from it."""
    import pyarrow.parquet as pq
    from pyiceberg.exceptions import NoSuchTableError
    from pyiceberg.expressions import AlwaysTrue

    schema = pq.read_schema(data)
    try:  # one catalog lookup and metadata read (each a GET on object storage)
        table = catalog.load_table(identifier)
    except NoSuchTableError:
        table = None
    if table is not None and not _same_shape(table, schema):
        catalog.drop_table(identifier)  # the mart changed shape: its Iceberg history starts anew
        table = None
    if table is None:
        table = catalog.create_table(identifier, schema=schema, properties=props | RETAINED_METADATA)
    path = f"{table.location()}/data/{uuid.uuid4().hex}.parquet"
    with data.open("rb") as source, table.io.new_output(path).create(overwrite=True) as target:
        shutil.copyfileobj(source, target, 1 << 20)
    with table.transaction() as tx:
        if table.current_snapshot() is not None:
            tx.delete(AlwaysTrue(), snapshot_properties=props)
        tx.add_files([path], snapshot_properties=props, check_duplicate_files=False)
    return table


# Each commit writes a new metadata file holding every snapshot: pyiceberg deletes the oldest beyond this many.
RETAINED_METADATA = {"write.metadata.delete-after-commit.enabled": "true", "write.metadata.previous-versions-max": "10"}


def expire_exports(table, keep: int) -> list[str]:
    """Keep, of each of the newest `keep` publishes exported, the snapshot its (last) export left, expire the rest
    (an overwrite's intermediate delete, a publish exported again) and delete the files no kept snapshot reads;
    returns the deleted paths. Without it every export's copy stayed on disk (30 exports of a small workspace:
    5,181 files) and every commit rewrote a metadata file listing each snapshot ever taken, so each export took
    longer than the one before.

    The export's tables have one branch and only ever gain snapshots, so a file is read by an unbroken run of
    snapshots, from the one that wrote it on: an expired snapshot's file is still needed when a kept snapshot
    lies between its writing and that snapshot, or when the first kept snapshot after it reads it. Only the
    expired snapshots and those next kept ones are read, not every kept one (30 by default, each a few files:
    ≈ 50 ms a table locally, a GET each on object storage)."""
    if any(table.properties.get(k) != v for k, v in RETAINED_METADATA.items()):
        with table.transaction() as tx:  # a table exported before this retention
            tx.set_properties(RETAINED_METADATA)
    snapshots = sorted(table.metadata.snapshots, key=lambda s: s.sequence_number)
    last_of = {_publish_of(s): s.snapshot_id for s in snapshots if _publish_of(s) is not None}  # the newest wins
    kept_ids = {last_of[p] for p in sorted(last_of)[-keep:]} | {table.metadata.current_snapshot_id}
    kept = [s.sequence_number for s in snapshots if s.snapshot_id in kept_ids]
    expired = [s for s in snapshots if s.snapshot_id not in kept_ids]
    if not expired:
        return []
    read: dict[int, dict[str, int]] = {}

    def files(snapshot) -> dict[str, int]:
        if snapshot.snapshot_id not in read:
            read[snapshot.snapshot_id] = _files_of(table, snapshot)
        return read[snapshot.snapshot_id]

    doomed = set()
    for snapshot in expired:
        seq = snapshot.sequence_number
        later = next((s for s in snapshots if s.snapshot_id in kept_ids and s.sequence_number > seq), None)
        read_later = files(later) if later is not None else {}
        for path, written in files(snapshot).items():
            if path not in read_later and not any(written <= k < seq for k in kept):
                doomed.add(path)
    table.maintenance.expire_snapshots().by_ids([s.snapshot_id for s in expired]).commit()
    for path in sorted(doomed):
        table.io.delete(path)
    return sorted(doomed)


def _publish_of(snapshot) -> int | None:
    publish_id = snapshot.summary.additional_properties.get("sdc.publish_id") if snapshot.summary else None
    return int(publish_id) if publish_id else None


def _files_of(table, snapshot) -> dict[str, int]:
    """{path: sequence number of the snapshot that wrote it} of the manifest list, manifests and live data files
    a snapshot reads."""
    files = {snapshot.manifest_list: snapshot.sequence_number}
    for manifest in snapshot.manifests(table.io):
        files[manifest.manifest_path] = manifest.sequence_number
        for entry in manifest.fetch_manifest_entry(table.io, discard_deleted=True):
            files[entry.data_file.file_path] = entry.sequence_number or 0  # unknown: as old as can be
    return files

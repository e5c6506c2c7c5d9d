"""A distributed engine reads what we publish: Apache Spark (pyspark in local mode, Java 17 from Debian, the Iceberg
Spark runtime 1.10.2 from its PyPI wheel) reads the Iceberg export of every published mart, both audiences; row
counts and a content checksum equal DuckDB's reading of the same publish (`open_published`).

Spark finds each table by the metadata file the export's SQL catalog points at (pyiceberg resolves the pointer;
Spark's Iceberg reader does the rest: metadata, manifests, data files). In production Spark uses the same catalog
as an Iceberg JDBC catalog over PostgreSQL. One Spark JVM for the module."""

import datetime as dt
import decimal
import glob
import hashlib
import json
import os
from pathlib import Path

import pytest
from workspace import copy_workspace

from sdc_settings import load_settings
from warehouse.exports import ICEBERG_NAMESPACES, export_iceberg, iceberg_catalog
from warehouse.reader import open_published

pytestmark = pytest.mark.integration  # reads a pipeline-built workspace (tests/conftest.py: the two tiers)


def iceberg_runtime_jar() -> Path:
    import snowpark_connect_deps_iceberg  # ships the Apache Iceberg runtime jars (Maven Central is out of reach)

    return next(Path(snowpark_connect_deps_iceberg.__file__).parent.glob("jars/iceberg-spark-runtime-3.5_2.12-*.jar"))


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    java17 = sorted(glob.glob("/usr/lib/jvm/java-17-openjdk-*"))  # Spark 3.5 runs on Java 8/11/17, not newer
    if not java17 and not os.environ.get("CI"):
        pytest.skip("Java 17 is not installed here (apt-get install openjdk-17-jre-headless)")
    from pyspark.sql import SparkSession

    with pytest.MonkeyPatch.context() as mp:
        if java17:
            mp.setenv("JAVA_HOME", java17[0])
        session = (
            SparkSession.builder.master("local[2]")
            .appName("sdc-iceberg-read")
            .config("spark.jars", str(iceberg_runtime_jar()))
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")  # loopback only: no name lookup of this machine
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.sql.warehouse.dir", str(tmp_path_factory.mktemp("spark-warehouse")))
            .config("spark.sql.shuffle.partitions", "2")
            .getOrCreate()
        )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def settings(tmp_path_factory, publish_template):
    home = copy_workspace(publish_template, tmp_path_factory.mktemp("spark") / "home")
    settings = load_settings({"SDC_HOME": str(home), "SDC_ENV": "ci"})
    export_iceberg(settings)  # the template's export stays with the template (absolute paths): export this copy
    return settings


def canonical(value, instant: bool = False):
    """One value as both engines' Python rows can agree on: an instant (timestamptz) as epoch microseconds — DuckDB
    gives it with a zone, pyspark as this process's local wall-clock time —, any other time as ISO text."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None or instant:
            return round(value.timestamp() * 1_000_000)
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value.normalize())
    if isinstance(value, bytes | bytearray):
        return value.hex()
    if isinstance(value, float):
        return repr(value)
    if hasattr(value, "asDict"):  # a Spark Row (struct)
        value = value.asDict()
    if isinstance(value, dict):
        return {k: canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    return value


def checksum(rows, instants: set[int] = frozenset()) -> str:
    lines = sorted(
        json.dumps([canonical(v, i in instants) for i, v in enumerate(row)], ensure_ascii=False, sort_keys=True)
        for row in rows
    )
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def spark_reading(spark, metadata_location: str) -> tuple[int, str, list[str]]:
    from pyspark.sql.types import TimestampType

    frame = spark.read.format("iceberg").load(metadata_location)
    instants = {i for i, f in enumerate(frame.schema.fields) if isinstance(f.dataType, TimestampType)}
    rows = frame.collect()
    return frame.count(), checksum(rows, instants), frame.columns


@pytest.mark.parametrize("audience", list(ICEBERG_NAMESPACES))
def test_spark_reads_every_published_mart_as_duckdb_does(spark, settings, audience):
    namespace = ICEBERG_NAMESPACES[audience]
    catalog = iceberg_catalog(settings)
    exported = {ident[-1] for ident in catalog.list_tables(namespace)}
    with open_published(settings, audience=audience) as session:
        assert exported == set(session.views)
        for mart in session.views:
            table = catalog.load_table((namespace, mart))
            assert table.metadata.properties["sdc.publish_id"] == str(session.entry.publish_id)
            count, spark_sum, columns = spark_reading(spark, table.metadata_location)
            duck = session.execute(f'SELECT {", ".join(f"{chr(34)}{c}{chr(34)}" for c in columns)} FROM "{mart}"')
            duck_rows = duck.fetchall()
            assert count == len(duck_rows) == session.entry.row_counts[mart], mart
            assert spark_sum == checksum(duck_rows), mart

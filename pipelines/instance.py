"""The Dagster instance of a workspace (`instance_class` in pipelines/dagster.yaml): Dagster's own SQLite storage
in the same files, but its event log keeps one connection per database open.

Dagster's SQLite event log creates an engine, opens the database and closes it for every event it stores (two or
three times for an asset event). Closing the last connection to a WAL database checkpoints it, and every commit
syncs it to disk, so a run's ≈ 1,000 events (steps, materializations, one per asset check) cost ≈ 9 s of a
one-day load at small scale; with the connections kept open, ≈ 3 s. The files, their schema and what every
other process (`dagster dev`, the daemon) reads are unchanged.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import yaml
from dagster import DagsterInstance
from dagster._core.instance.ref import InstanceRef
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.runs.sqlite.sqlite_run_storage import SqliteRunStorage
from dagster._core.storage.schedules.sqlite.sqlite_schedule_storage import SqliteScheduleStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._core.storage.sqlite_storage import (
    DagsterSqliteStorage,
    _event_logs_directory,
    _runs_directory,
    _schedule_directory,
)
from dagster._serdes import ConfigurableClassData

# Databases kept open per process: the index and the newest runs' shards (a daemon sees every run over time).
OPEN_SHARDS = 4


class KeptOpenSqliteEventLogStorage(SqliteEventLogStorage):
    """Dagster's SQLite event log with one engine (one open connection) per shard, for the `OPEN_SHARDS` shards
    used last. Commits sync only at WAL checkpoints (`synchronous=NORMAL`): a crash loses no committed event;
    a power cut may lose the last ones, which a run log can afford."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        self._engines: OrderedDict[str, Any] = OrderedDict()  # before Dagster's __init__ opens the index
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def from_config_value(cls, inst_data, config_value):  # Dagster's returns its own class
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str):
        from sqlalchemy import create_engine, event
        from sqlalchemy.pool import StaticPool

        engine = self._engines.pop(shard, None)
        if engine is None:
            engine = create_engine(
                self.conn_string_for_shard(shard),
                poolclass=StaticPool,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            )
            event.listen(engine, "connect", lambda dbapi, _: dbapi.execute("PRAGMA synchronous=NORMAL"))
            while len(self._engines) >= OPEN_SHARDS:
                self._engines.popitem(last=False)[1].dispose()
        self._engines[shard] = engine
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Any]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def dispose(self) -> None:
        with self._db_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()
        super().dispose()


class WorkspaceSqliteStorage(DagsterSqliteStorage):
    """`DagsterSqliteStorage` (runs, schedules, event log in the instance folder) with the kept-open event log."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        self.base_dir = base_dir
        self._run_storage = SqliteRunStorage.from_local(_runs_directory(base_dir))
        self._event_log_storage = KeptOpenSqliteEventLogStorage(_event_logs_directory(base_dir))
        self._schedule_storage = SqliteScheduleStorage.from_local(_schedule_directory(base_dir))
        self._inst_data = inst_data
        super(DagsterSqliteStorage, self).__init__()

    @classmethod
    def from_config_value(cls, inst_data, config_value):  # Dagster's returns its own class
        return cls.from_local(inst_data=inst_data, **config_value)


def _class_data(cls: type, base_dir: str) -> ConfigurableClassData:
    return ConfigurableClassData(cls.__module__, cls.__name__, yaml.dump({"base_dir": base_dir}))


class WorkspaceInstance(DagsterInstance):
    """The instance Dagster builds from a workspace's `dagster.yaml`: its storage defaults to
    `WorkspaceSqliteStorage` in the instance's own folder (so a copied or moved workspace needs no edit)."""

    @classmethod
    def config_schema(cls) -> Mapping[str, Any]:
        return {}

    @staticmethod
    def config_defaults(base_dir: str) -> Mapping[str, ConfigurableClassData | None]:
        return {
            **InstanceRef.config_defaults(base_dir),
            "storage": _class_data(WorkspaceSqliteStorage, base_dir),
            "event_log_storage": _class_data(KeptOpenSqliteEventLogStorage, _event_logs_directory(base_dir)),
        }

"""Dagster's SQLite storage with its per-call costs removed: the embedded default instance's storage.

Dagster's SQLite storages build a new SQLAlchemy engine and open a new SQLite connection for every read and write
(`create_engine(..., poolclass=NullPool)`), and commit with SQLite's default `synchronous=FULL`. A refresh stores
about 400 events (41 asset materializations, 148 planned asset-check evaluations, their outcomes, step events) and
each cost 13-15 ms here: building the engine and compiling the INSERT (SQLAlchemy's statement cache lives on the
engine, so it was always cold), an fsync per commit, and closing the last connection of a WAL database, which
checkpoints it with another fsync. Measured with `report_runless_asset_event` on this machine: 13-15 ms per event
with Dagster's storage, 2.0-2.2 ms with this one.

What this storage changes, and nothing else (same files, same schema, same migrations as `storage: sqlite`):

- one engine per database file and process, with a small connection pool, kept in a bounded LRU so that a webserver
  reading thousands of runs holds at most `MAX_ENGINES` databases open;
- `PRAGMA synchronous=NORMAL` on each connection. Dagster creates these databases in WAL mode, where NORMAL keeps
  every committed transaction through a crash or kill of any process; only a power loss or OS crash can lose the
  last commits before a checkpoint. That trade is for run history, not for the warehouse: the DuckDB files and the
  audit tables do not live here.

It is configured in the generated `dagster.yaml` (`pipelines.paths.INSTANCE_CONFIG`) as
`storage: custom: {module: pipelines.dagster_storage, class: TunedSqliteStorage, config: {base_dir: ...}}`; an
instance that switches back to `storage: sqlite` reads the same files.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
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

# Engines kept open per process (each holds at most POOL_SIZE idle connections): the index shard, runs.db,
# schedules.db and the per-run event logs most recently used.
MAX_ENGINES = 16
POOL_SIZE = 2

_engines: OrderedDict[tuple[int, str], sa.Engine] = OrderedDict()
_engines_lock = threading.Lock()


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def engine_for(conn_string: str) -> sa.Engine:
    """The process's engine for one SQLite file, created on first use; the least recently used beyond
    MAX_ENGINES is disposed (its idle connections closed; connections in use close when they are returned)."""
    key = (os.getpid(), conn_string)  # never reuse a connection inherited across fork
    with _engines_lock:
        engine = _engines.get(key)
        if engine is not None:
            _engines.move_to_end(key)
            return engine
        engine = sa.create_engine(
            conn_string,
            poolclass=sa.pool.QueuePool,
            pool_size=POOL_SIZE,
            max_overflow=8,
            pool_timeout=SQLITE_BUSY_TIMEOUT_SECONDS,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
        )
        sa.event.listen(engine, "connect", _on_connect)
        _engines[key] = engine
        while len(_engines) > MAX_ENGINES:
            _, old = _engines.popitem(last=False)
            old.dispose()
        return engine


def dispose_engines() -> None:
    """Close every pooled connection of this process (tests, and before a database file is moved)."""
    with _engines_lock:
        while _engines:
            _, engine = _engines.popitem()
            engine.dispose()


class TunedSqliteEventLogStorage(SqliteEventLogStorage):
    @contextmanager
    def _connect(self, shard: str) -> Iterator[sa.Connection]:
        with self._db_lock:
            engine = engine_for(self.conn_string_for_shard(shard))
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn:
                with conn.begin():
                    yield conn


class _PooledConnect:
    """`connect()` of Dagster's SQLite run and schedule storages, on the process's pooled engine."""

    _conn_string: str

    @contextmanager
    def connect(self) -> Iterator[sa.Connection]:
        with engine_for(self._conn_string).connect() as conn:
            with conn.begin():
                yield conn


class TunedSqliteRunStorage(_PooledConnect, SqliteRunStorage):
    pass


class TunedSqliteScheduleStorage(_PooledConnect, SqliteScheduleStorage):
    pass


class TunedSqliteStorage(DagsterSqliteStorage):
    """`storage: sqlite` with pooled, NORMAL-synchronous connections (see the module docstring)."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        self.base_dir = base_dir
        self._run_storage = TunedSqliteRunStorage.from_local(_runs_directory(base_dir))
        self._event_log_storage = TunedSqliteEventLogStorage(_event_logs_directory(base_dir))
        self._schedule_storage = TunedSqliteScheduleStorage.from_local(_schedule_directory(base_dir))
        self._inst_data = inst_data
        super(DagsterSqliteStorage, self).__init__()

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData, config_value: Any) -> TunedSqliteStorage:
        return cls.from_local(inst_data=inst_data, **config_value)

"""Connections to the build database. One writer at a time: open, work, close; never hold a connection across steps.

The first writing connection of a process (one run) reads every raw and audit table once: a build database that
is not a DuckDB file any more, is truncated or fails a block checksum is renamed aside (`<name>.corrupt-<UTC>`,
with its WAL) and a fresh one is started, which the ingest steps refill from the immutable archive (rebuild.py).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines import paths

RAW_SCHEMAS = ("raw", "audit")
LOCK_WAIT_SECONDS = 60.0
# What DuckDB says about a damaged file (a lock, a full disk or a permission problem is none of these).
CORRUPTION_SIGNS = ("not a valid DuckDB database file", "Corrupt database file", "Could not read enough bytes")

log = logging.getLogger(__name__)
_verified: set[Path] = set()


@contextmanager
def connect(path: Path | None = None, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the build database (created with its raw/audit schemas when missing) and always close it."""
    path = path or paths.build_db()
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.resolve() not in _verified:
            set_aside_if_corrupt(path)
            _verified.add(path.resolve())
    con = _open_with_retry(path, read_only)
    try:
        if not read_only:
            for schema in RAW_SCHEMAS:
                con.execute(f"create schema if not exists {schema}")
        yield con
    finally:
        con.close()


def is_corruption(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.Error) and any(sign in str(exc) for sign in CORRUPTION_SIGNS)


def set_aside_if_corrupt(path: Path) -> Path | None:
    """Open the database and read every raw/audit table in full; if it is damaged, rename it (and its WAL) aside.

    Returns the new name of a damaged file, None when the file is missing or sound. Any other error (lock, disk
    full, permissions) is raised as it is: only a damaged file is ever moved.
    """
    wal = path.with_name(path.name + ".wal")
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    if not path.exists():
        if wal.exists():  # a WAL without its database must not be replayed into a fresh one
            os.replace(wal, path.with_name(f"{path.name}.orphan-{stamp}.wal"))
            log.error("build database %s is missing but its WAL is not: WAL set aside", path)
        return None
    try:
        con = _open_with_retry(path, read_only=False)
        try:
            tables = con.execute("select schema_name, table_name from duckdb_tables() "
                                 "where list_contains(?, schema_name) order by 1, 2", [list(RAW_SCHEMAS)]).fetchall()
            for schema, table in tables:
                # Identifiers come from DuckDB's own catalog; hashing every row makes DuckDB read (and checksum)
                # every block of the table.
                con.execute(f'select min(hash(t)) from "{schema}"."{table}" as t').fetchall()
        finally:
            con.close()
        return None
    except duckdb.Error as exc:
        if not is_corruption(exc):
            raise
        reason = str(exc).splitlines()[0]
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    if wal.exists():  # the WAL first: killed in between, the damaged file is found and set aside again
        os.replace(wal, aside.with_name(aside.name + ".wal"))
    os.replace(path, aside)
    log.error("build database %s is damaged (%s): set aside as %s; a fresh one is rebuilt from the archive",
              path, reason, aside.name)
    return aside


def _open_with_retry(path: Path, read_only: bool, wait_seconds: float = LOCK_WAIT_SECONDS) -> duckdb.DuckDBPyConnection:
    """Open the file, waiting out a transient lock held by another process (e.g. a dbt subprocess ending)."""
    deadline = time.monotonic() + wait_seconds
    delay = 0.2
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only,
                                  config={"memory_limit": paths.duckdb_memory_limit()})
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or is_corruption(exc) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 5.0)


def replace_table(con: duckdb.DuckDBPyConnection, qualified_name: str, table: pa.Table) -> int:
    """Replace a raw table with an Arrow table in one statement; returns the row count.

    `qualified_name` is a constant chosen by our code (never input data); values travel as Arrow.
    """
    con.register("_incoming_arrow", table)
    try:
        con.execute(f"create or replace table {qualified_name} as select * from _incoming_arrow")
    finally:
        con.unregister("_incoming_arrow")
    return table.num_rows


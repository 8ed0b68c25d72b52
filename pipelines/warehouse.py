"""Connections to the build database. One writer at a time: open, work, close; never hold a connection across steps."""

from __future__ import annotations

from collections.abc import Iterator
import time
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines import paths

RAW_SCHEMAS = ("raw", "audit")
LOCK_WAIT_SECONDS = 60.0


@contextmanager
def connect(path: Path | None = None, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the build database (created with its raw/audit schemas when missing) and always close it."""
    path = path or paths.build_db()
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = _open_with_retry(path, read_only)
    try:
        if not read_only:
            for schema in RAW_SCHEMAS:
                con.execute(f"create schema if not exists {schema}")
        yield con
    finally:
        con.close()


def _open_with_retry(path: Path, read_only: bool, wait_seconds: float = LOCK_WAIT_SECONDS) -> duckdb.DuckDBPyConnection:
    """Open the file, waiting out a transient lock held by another process (e.g. a dbt subprocess ending)."""
    deadline = time.monotonic() + wait_seconds
    delay = 0.2
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
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

